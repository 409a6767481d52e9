"""Load and validate config.toml into the settings of digest.config.schema.

Every mistake a user can make ends in one ConfigError sentence naming the file,
the table and key, and what was expected. Unknown keys are warnings that name
the closest valid key. Secrets never live here: see digest.config.secrets.
"""

from __future__ import annotations

import os
import re
import string
import tomllib
import types
import typing
from dataclasses import MISSING, fields, is_dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from digest.config.schema import (
    RENAMED,
    TABLES,
    Config,
    ConfigError,
    SourceConfig,
    toml_key,
)
from digest.periods import Period, PeriodError

# Secret-looking keys are refused outright: a password in a committed file leaks.
SECRET_KEYS = {"password", "secret", "token", "api_key", "apikey", "pass", "passwd"}
# A config nests three levels at most ([[tracking.series]] sections = { ... }). Deeper
# data is refused before anything walks it: tomllib and the checks below recurse.
MAX_DEPTH = 32
# A dotted key costs tomllib time and memory quadratic in its parts (100,000 parts
# need tens of gigabytes), so a line with that many dots before any "=" is refused
# unread. The bound is loose, as the scan also counts dots in strings and values.
_MAX_DOTS = 1000
_KEY_PART = re.compile(r"[^=]*")


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("DIGEST_CONFIG") or "config.toml")


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    p = config_path(path)
    name = str(p)
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"{name}: no such file; write one with `digest init` or pass --config PATH."
        ) from None
    except OSError as exc:
        raise ConfigError(f"{name}: cannot be read ({exc.strerror}).") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{name}: is not UTF-8 text.") from None
    if _most_dots(text) > _MAX_DOTS:
        raise ConfigError(_too_deep(name))
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_toml_error(name, str(exc))) from None
    except (RecursionError, MemoryError):
        # Arrays or inline tables nested thousands deep: tomllib recurses once per level.
        raise ConfigError(_too_deep(name)) from None
    return parse_config(data, p)


def _too_deep(name: str) -> str:
    return (
        f"{name}: is nested too deeply to be a config (more than {MAX_DEPTH} levels of "
        f"tables, arrays or dotted keys); a config needs three at most."
    )


def _most_dots(text: str) -> int:
    """The most dots on one line before its first "=": an upper bound on the parts of any
    key or table header, found without parsing."""
    most = 0
    for line in text.splitlines():
        match = _KEY_PART.match(line)
        if match:
            most = max(most, match.group(0).count("."))
    return most


def _depth(data: Any) -> int:
    """How deep tables and arrays nest in parsed TOML, without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, level = stack.pop()
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            break
        children = value.values() if isinstance(value, dict) else value
        stack.extend((v, level + 1) for v in children if isinstance(v, dict | list))
    return deepest


def _toml_error(name: str, message: str) -> str:
    """tomllib's "Expected ... (at line 3, column 5)" as "config.toml, line 3: ..."."""
    match = re.fullmatch(r"(.*?)\s*\(at line (\d+), column (\d+)\)", message)
    if match is None:
        return f"{name}: is not valid TOML ({message[:1].lower()}{message[1:]})."
    what, line, column = match.groups()
    return f"{name}, line {line}, column {column}: not valid TOML ({what[:1].lower()}{what[1:]})."


def parse_config(data: dict[str, Any], path: Path) -> Config:
    name = str(path)
    if _depth(data) > MAX_DEPTH:
        raise ConfigError(_too_deep(name))
    _refuse_secrets(data, name, "")
    cfg = Config(path=path)
    known = {*TABLES, "sources"}
    for key, value in data.items():
        if key == "sources":
            continue
        if key not in known:
            cfg.warnings.append(_unknown(name, "", key, known))
            continue
        if not isinstance(value, dict):
            raise ConfigError(f"{name}: [{key}] must be a table, got {_show(value)}.")
        setattr(cfg, key, _build(TABLES[key], value, name, f"[{key}]", cfg.warnings))
    sources = data.get("sources", [])
    if not isinstance(sources, list) or not all(isinstance(s, dict) for s in sources):
        raise ConfigError(f"{name}: sources must be written as [[sources]] tables.")
    for i, table in enumerate(sources, 1):
        where = f"[[sources]] #{i}"
        src = _build(SourceConfig, table, name, where, cfg.warnings)
        _check_source(src, name, where, i)
        cfg.sources.append(src)
    if not cfg.sources:
        # A warning, not an error: `digest history` and `doctor` still work without one.
        cfg.warnings.append(
            f"{name}: no [[sources]] table, so there are no notes to read; add one "
            f'(kind = "git", "dir" or "feed")'
        )
    names = [s.name for s in cfg.sources]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ConfigError(
            f"{name}: two [[sources]] share the name {dupes[0]!r}; names must differ."
        )
    _check_values(cfg, name)
    _normalize(cfg)
    return cfg


# A whole word at the end of the key: smtp_password and pass are secrets, bypass is not.
_SECRET_KEY = re.compile(
    r"(?:password|passwd|secret|api_?key)$|(?:^|[_-])(?:pass|token)$", re.IGNORECASE
)


def _refuse_secrets(data: dict[str, Any], name: str, where: str) -> None:
    """A secret-looking key anywhere (known table or not) stops the load."""
    for key, value in data.items():
        if isinstance(value, dict):
            _refuse_secrets(value, name, f"[{where[1:-1]}.{key}]" if where else f"[{key}]")
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for i, table in enumerate(value, 1):
                _refuse_secrets(table, name, f"[[{key}]] #{i}")
        elif _SECRET_KEY.search(key) or key.lower() in SECRET_KEYS:
            place = f"{where} " if where else ""
            raise ConfigError(
                f"{name}: {place}{key} looks like a secret; secrets never go in the config "
                f"file: set DIGEST_SMTP_PASSWORD / DIGEST_SECRET in the environment or use "
                f"a credentials file (password_file, secret_file, $CREDENTIALS_DIRECTORY)."
            )


# Where a git source may live: a URL with one of these schemes, "user@host:path"
# (scp-like ssh), or a local path.
_GIT_SCHEMES = ("https", "http", "ssh", "git", "file")
_FEED_SCHEMES = ("https", "http", "file")
_WEB_URL_FIELDS = {"commit", "path", "line", "end_line", "branch"}


def _normalize(cfg: Config) -> None:
    """Store values in the one form the rest of the program expects.

    File settings are relative to the config file, like every other path in it,
    not to wherever `digest` happens to be started (a timer's working directory
    is /). A "mailto:" prefix on unsubscribe_mailto is accepted and dropped.
    """
    for table, key in (
        (cfg.smtp, "password_file"),
        (cfg.smtp, "ca_file"),
        (cfg.digest, "secret_file"),
        (cfg.dkim, "key_file"),
    ):
        value = getattr(table, key)
        if value:
            setattr(table, key, str(cfg.resolve(value)))
    cfg.mail.unsubscribe_mailto = cfg.mail.unsubscribe_mailto.removeprefix("mailto:")


def _check_source(src: SourceConfig, name: str, where: str, index: int) -> None:
    if src.kind in ("git", "feed") and not src.url:
        raise ConfigError(f'{name}: {where} kind = "{src.kind}" needs url = "...".')
    if src.kind == "dir" and not src.path:
        raise ConfigError(f'{name}: {where} kind = "dir" needs path = "...".')
    if not src.glob or any(not g.strip() for g in src.glob):
        raise ConfigError(
            f'{name}: {where} glob must name at least one pattern, like "**/*.md", '
            f"got {_show(src.glob) if src.glob else 'an empty list'}."
        )
    scheme = src.url.split("://", 1)[0].lower() if "://" in src.url else ""
    if src.kind == "git" and scheme and scheme not in _GIT_SCHEMES:
        raise ConfigError(
            f"{name}: {where} url must be a local path or a git URL (https://, ssh://, "
            f'git://, file:// or user@host:path), got "{src.url}".'
        )
    if src.kind == "feed" and scheme and scheme not in _FEED_SCHEMES:
        raise ConfigError(
            f'{name}: {where} url must be a file path or an http(s) URL, got "{src.url}".'
        )
    if src.web_url:
        _check_web_url(src.web_url, name, where)
    if src.since:
        _check_since(src, name, where)
    if src.repo and not _REPO_NAME.fullmatch(src.repo):
        raise ConfigError(
            f'{name}: {where} repo must name a GitHub repository like "acme/widgets", '
            f'got "{src.repo}".'
        )
    if not src.name:
        base = (src.url or src.path).rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
        src.name = base or f"source{index}"


_DATE_LIKE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")
_REPO_NAME = re.compile(r"[A-Za-z0-9][\w.-]*/[\w.-]+")
_COMMIT_LIKE = re.compile(r"[0-9a-fA-F]{4,64}")


def _check_since(src: SourceConfig, name: str, where: str) -> None:
    """since: a date (checked here) or a commit hash (looked up when the source is read)."""
    if src.kind != "git":
        raise ConfigError(
            f'{name}: {where} since is read for git sources only (kind = "git"), '
            f'not kind = "{src.kind}".'
        )
    if _DATE_LIKE.fullmatch(src.since):
        try:
            src.since = date.fromisoformat(src.since).isoformat()
        except ValueError:
            raise ConfigError(
                f'{name}: {where} since must be a date like "2024-01-01" or a commit hash, '
                f'got "{src.since}", which is not a valid date.'
            ) from None
    elif not _COMMIT_LIKE.fullmatch(src.since):
        raise ConfigError(
            f'{name}: {where} since must be a date like "2024-01-01" or a commit hash, '
            f'got "{src.since}".'
        )


def _check_values(cfg: Config, name: str) -> None:
    t = cfg.tracking
    if not 0 <= t.similarity <= 100:
        raise ConfigError(
            f"{name}: [tracking] similarity must be between 0 and 100, got {t.similarity}."
        )
    for key in ("quiet_after", "forget_after"):
        if getattr(t, key) < 1:
            raise ConfigError(
                f"{name}: [tracking] {key} must be at least 1, got {getattr(t, key)}."
            )
    if t.forget_after < t.quiet_after:
        raise ConfigError(
            f"{name}: [tracking] forget_after ({t.forget_after}) must not be less than "
            f"quiet_after ({t.quiet_after})."
        )
    for n, pattern in enumerate(t.ignore, 1):
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ConfigError(
                f"{name}: [tracking] ignore #{n} ({pattern!r}) is not a valid regular "
                f"expression: {exc}."
            ) from None
    for n, series in enumerate(t.series, 1):
        if not series.name.strip():
            raise ConfigError(f"{name}: [[tracking.series]] #{n} needs name = ...")
    if cfg.digest.max_entries < 1:
        raise ConfigError(
            f"{name}: [digest] max_entries must be at least 1, got {cfg.digest.max_entries}."
        )
    s = cfg.smtp
    if not 0 <= s.port <= 65535:
        raise ConfigError(
            f"{name}: [smtp] port must be between 1 and 65535 (or 0 for the usual port of "
            f"the security mode), got {s.port}."
        )
    for key in ("retries",):
        if getattr(s, key) < 0:
            raise ConfigError(f"{name}: [smtp] {key} must be 0 or more, got {getattr(s, key)}.")
    if s.messages_per_connection < 1:
        raise ConfigError(
            f"{name}: [smtp] messages_per_connection must be at least 1, got "
            f"{s.messages_per_connection}."
        )
    if s.max_connections < 1:
        raise ConfigError(
            f"{name}: [smtp] max_connections must be at least 1, got {s.max_connections}."
        )
    if s.max_per_second <= 0:
        raise ConfigError(
            f"{name}: [smtp] max_per_second must be more than 0, got {s.max_per_second}."
        )
    if s.retry_base_seconds <= 0:
        raise ConfigError(
            f"{name}: [smtp] retry_base_seconds must be more than 0, got {s.retry_base_seconds}."
        )
    if s.timeout <= 0:
        raise ConfigError(f"{name}: [smtp] timeout must be more than 0 seconds, got {s.timeout}.")
    if s.run_timeout <= 0:
        raise ConfigError(
            f"{name}: [smtp] run_timeout must be more than 0 seconds, got {s.run_timeout}."
        )
    if cfg.mail.unsubscribe_url and not cfg.mail.unsubscribe_url.startswith(
        ("https://", "http://")
    ):
        raise ConfigError(
            f"{name}: [mail] unsubscribe_url must start with https:// (or http://), got "
            f'"{cfg.mail.unsubscribe_url}".'
        )
    m = cfg.mail
    for key, value in (
        ("from", m.sender),
        ("list_address", m.list_address),
        ("reply_to", m.reply_to),
        ("unsubscribe_mailto", m.unsubscribe_mailto.removeprefix("mailto:")),
    ):
        problem = _address_problem(value) if value else None
        if problem:
            raise ConfigError(f'{name}: [mail] {key} {problem}, got "{value}".')
    _check_web(cfg, name)
    d = cfg.digest
    if d.timezone != "UTC":  # the default needs no check (nor zoneinfo's import)
        _check_timezone(name, d.timezone)
    if d.templates_dir and not cfg.resolve(d.templates_dir).is_dir():
        raise ConfigError(
            f'{name}: [digest] templates_dir "{d.templates_dir}" is not a folder '
            f"({cfg.resolve(d.templates_dir)})."
        )


def _check_web(cfg: Config, name: str) -> None:
    """[web], [dkim] and [mail] list_headers."""
    from digest.config.schema import LIST_COPY_HEADERS

    w = cfg.web
    if w.base_url:
        if not w.base_url.startswith(("https://", "http://")) or not w.base_url.isascii():
            raise ConfigError(
                f'{name}: [web] base_url must be an https:// URL, got "{w.base_url}".'
            )
        if any(c in w.base_url for c in "?#{} "):
            raise ConfigError(
                f"{name}: [web] base_url must be a plain address without a query, "
                f'fragment or spaces, like "https://digest.example.org/", got "{w.base_url}".'
            )
        w.base_url = w.base_url.rstrip("/") + "/"
    for key in ("confirm_days", "subscribe_per_ip", "subscribe_per_address"):
        if getattr(w, key) < 1:
            raise ConfigError(f"{name}: [web] {key} must be at least 1, got {getattr(w, key)}.")
    known = {h.lower(): h for h in LIST_COPY_HEADERS}
    headers = []
    for header in cfg.mail.list_headers:
        if header.lower() not in known:
            raise ConfigError(
                f"{name}: [mail] list_headers may name {', '.join(LIST_COPY_HEADERS)}, "
                f'got "{header}".'
            )
        headers.append(known[header.lower()])
    cfg.mail.list_headers = headers
    k = cfg.dkim
    given = [key for key in ("domain", "selector", "key_file") if getattr(k, key)]
    if given and not (k.domain and k.selector):
        missing = "domain" if not k.domain else "selector"
        raise ConfigError(f"{name}: [dkim] needs {missing} = ... as well (or no [dkim] at all).")


def _check_web_url(url: str, name: str, where: str) -> None:
    if not url.startswith(("https://", "http://")):
        raise ConfigError(f'{name}: {where} web_url must start with https://, got "{url}".')
    try:
        used = {f for _, f, _, _ in string.Formatter().parse(url) if f is not None}
    except ValueError:
        raise ConfigError(
            f'{name}: {where} web_url has an unmatched "{{" or "}}": "{url}".'
        ) from None
    unknown = sorted(used - _WEB_URL_FIELDS)
    if unknown:
        allowed = ", ".join(f"{{{f}}}" for f in sorted(_WEB_URL_FIELDS))
        raise ConfigError(
            f"{name}: {where} web_url uses {{{unknown[0]}}}, which is not one of {allowed}."
        )


# An address of the everyday shape: an ASCII dot-atom before the @, letters, digits
# and inner hyphens in each label after it, a top-level domain of letters. Each one
# email-validator accepts too (a property test checks it), so it is judged here and
# the config of most projects loads without importing email-validator, which
# compiles its Unicode patterns as it loads (0.03-0.045 s of every command).
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
PLAIN_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+[A-Za-z]{{2,63}}")


def is_plain_address(address: str) -> bool:
    """True for an address of the everyday shape (PLAIN_ADDRESS) within the lengths
    mail allows; False means "ask email-validator", not "invalid"."""
    local, _, domain = address.rpartition("@")
    return (
        len(address) <= 254
        and len(local) <= 64
        and "--" not in domain  # "xn--" labels and the like: IDNA rules apply
        and PLAIN_ADDRESS.fullmatch(address) is not None
    )


# "Name <address>" with a name of words only, or a bare address: what a config's
# from and list_address almost always are; anything else is split by email.utils
# (which also costs 0.015 s to import).
NAMED_ADDRESS = re.compile(r"(?:[\w' -]*\w\s*<([^<>\s]+)>|([^<>\s]+))")


def _address_problem(text: str) -> str | None:
    """Why `text` is not one mail address ("Name <a@b.org>" allowed), or None."""
    plain = NAMED_ADDRESS.fullmatch(text.strip())
    if plain and is_plain_address(plain[1] or plain[2]):
        return None
    import email.utils

    pairs = email.utils.getaddresses([text])
    if len(pairs) != 1 or not pairs[0][1] or "@" not in pairs[0][1]:
        return "is not one address like name@example.org"
    address = pairs[0][1]
    if is_plain_address(address):
        return None
    import email_validator

    local, _, domain = address.rpartition("@")
    if domain.lower().split(".")[-1] in email_validator.SPECIAL_USE_DOMAIN_NAMES:
        # digest@localhost is fine when the relay is local: check the rest only.
        address = f"{local}@example.org"
    try:
        email_validator.validate_email(
            address, check_deliverability=False, globally_deliverable=False
        )
    except email_validator.EmailNotValidError as exc:
        reason = str(exc).rstrip(".")
        return f"is not a valid address ({reason[:1].lower()}{reason[1:]})"
    return None


def _build(cls: type, table: dict[str, Any], name: str, where: str, warnings: list[str]) -> Any:
    assert is_dataclass(cls)
    hints = typing.get_type_hints(cls)
    by_key = {f.name: f for f in fields(cls)}
    toml_keys = {toml_key(k) for k in by_key}
    values: dict[str, Any] = {}
    for key, value in table.items():
        attr = RENAMED.get(key, key)
        if attr not in by_key or key in RENAMED.values():
            if key.lower() in SECRET_KEYS or key.lower().endswith(("password", "secret")):
                raise ConfigError(
                    f"{name}: {where} {key} looks like a secret; secrets never go in the config "
                    f"file: set DIGEST_SMTP_PASSWORD / DIGEST_SECRET in the environment or use "
                    f"a credentials file (password_file, secret_file, $CREDENTIALS_DIRECTORY)."
                )
            warnings.append(_unknown(name, where, key, toml_keys))
            continue
        values[attr] = _coerce(value, hints[attr], name, f"{where} {key}", warnings)
    for f in fields(cls):
        if f.name not in values and f.default is MISSING and f.default_factory is MISSING:
            raise ConfigError(f"{name}: {where} needs {toml_key(f.name)} = ...")
    return cls(**values)


def _coerce(value: Any, hint: Any, name: str, where: str, warnings: list[str] | None = None) -> Any:
    origin = get_origin(hint)
    if isinstance(hint, type) and is_dataclass(hint):  # a table in a table: [tracking.sections]
        if not isinstance(value, dict):
            raise ConfigError(f"{name}: {where} must be a table, got {_show(value)}.")
        return _build(hint, value, name, where, warnings if warnings is not None else [])
    if origin is Literal:
        allowed = get_args(hint)
        if value not in allowed:
            choices = ", ".join(f'"{a}"' for a in allowed)
            raise ConfigError(f"{name}: {where} must be one of {choices}, got {_show(value)}.")
        return value
    if origin is list and is_dataclass(get_args(hint)[0]):  # [[tracking.series]]
        (inner,) = get_args(hint)
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise ConfigError(f"{name}: {where} must be written as [[…]] tables.")
        return [_coerce(v, inner, name, f"{where} #{n}", warnings) for n, v in enumerate(value, 1)]
    if origin is list:
        (inner,) = get_args(hint)
        if isinstance(value, str):
            value = [value]  # glob = "notes/*.md" is as natural as a list of one
        if not isinstance(value, list):
            raise ConfigError(f"{name}: {where} must be a list, got {_show(value)}.")
        for element in value:
            if not _is_instance(element, inner):
                raise ConfigError(
                    f"{name}: {where} must be a list of {_TYPE_WORDS.get(inner, 'value')}s, "
                    f"got {_show(element)} in it."
                )
        return [_coerce(v, inner, name, where) for v in value]
    if origin in (types.UnionType, typing.Union):
        if Period in get_args(hint):
            return _period(value, name, where)
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{name}: {where} must be true or false, got {_show(value)}.")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{name}: {where} must be an integer, got {_show(value)}.")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{name}: {where} must be a number, got {_show(value)}.")
        return float(value)
    if hint is str:
        if type(value) is date:  # since = 2024-01-01, unquoted: a TOML date
            return value.isoformat()
        if not isinstance(value, str):
            raise ConfigError(f"{name}: {where} must be a string, got {_show(value)}.")
        return value
    return value


def _period(value: Any, name: str, where: str) -> Period | None:
    """A month setting ("2026-01"), read once here; "" means not set."""
    if value == "":
        return None
    if not isinstance(value, str):
        raise ConfigError(f'{name}: {where} must be a month like "2026-01", got {_show(value)}.')
    try:
        return Period.parse(value)
    except PeriodError as exc:
        raise ConfigError(exc.sentence(f"{name}: {where}")) from None


_TYPE_WORDS: dict[Any, str] = {str: "string", int: "integer", float: "number", bool: "boolean"}


def _is_instance(value: Any, hint: Any) -> bool:
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return not isinstance(hint, type) or isinstance(value, hint)


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return str(value)


def _check_timezone(name: str, timezone: str) -> None:
    # Imported here, as difflib below: each costs every command a few ms.
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f'{name}: [digest] timezone must be a time zone name like "Europe/Berlin" or '
            f'"UTC", got "{timezone}".'
        ) from None


def _unknown(name: str, where: str, key: str, valid: typing.Iterable[str]) -> str:
    import difflib

    close = difflib.get_close_matches(key, list(valid), n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]}?" if close else ""
    place = f"{where} " if where else ""
    return f"{name}: {place}unknown key {key}{hint}"
