"""The one message builder: a rendered digest -> an RFC 5322 email for one recipient.

Shared by `digest send` and `digest preview --format eml`, so a preview is the
exact message a reader gets. The body is rendered once per digest; per recipient
only the unsubscribe link changes (RenderedDigest.personalize).

Nothing from a note reaches a header unchecked: the subject is collapsed to one
line, and configured values (title, addresses) that could break a header are
refused with a sentence naming the setting.
"""

from __future__ import annotations

import email.headerregistry
import email.policy
import email.utils
import functools
import hashlib
import quopri
import re
from datetime import datetime
from email.header import Header
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any, Protocol, cast

from digest.errors import UserError

if TYPE_CHECKING:
    from digest.config.schema import Config
    from digest.model import DigestId

# RFC 5322 allows 998 characters per line; we fold long List-* values at commas.
_MAX_HEADER_LINE = 998
SUBJECT_MAX = 150  # characters of the Subject header, [mail] subject_prefix included


class Rendered(Protocol):
    """What build_message needs of digest.mail.render.RenderedDigest."""

    @property
    def subject(self) -> str: ...

    def personalize(
        self, unsubscribe_url: str | None, preferences_url: str | None = None
    ) -> tuple[str, str]: ...


class _VerbatimHeader(email.headerregistry.UnstructuredHeader):
    """A header whose value is ASCII we built ourselves (URLs in <>, a list id).

    The stock unstructured header RFC 2047-encodes any word longer than a line,
    which would turn a long unsubscribe URL into an =?utf-8?q?...?= blob that no
    mail client can click. This one folds only after commas and never encodes.
    """

    name: str  # set by email.headerregistry.BaseHeader, which the registry mixes in

    @classmethod
    def parse(cls, value: str, kwds: dict[str, Any]) -> None:
        super().parse(value, kwds)
        kwds["decoded"] = value  # keep encoded words (a non-ASCII title) as we wrote them

    def fold(self, *, policy: email.policy.Policy) -> str:
        linesep = policy.linesep
        parts = [p.strip() for p in str(self).split(",")]
        lines: list[str] = []
        current = f"{self.name}:"
        for i, part in enumerate(parts):
            piece = part + ("," if i < len(parts) - 1 else "")
            if i and len(current) + 1 + len(piece) > 78:
                lines.append(current)
                current = f" {piece}"
            else:
                current = f"{current} {piece}"
        lines.append(current)
        return linesep.join(lines) + linesep


class _OneLineHeader(_VerbatimHeader):
    """A header we must not refold at all: DKIM-Signature, as signed."""

    def fold(self, *, policy: email.policy.Policy) -> str:
        return f"{self.name}: {self}{policy.linesep}"


class _CachedRegistry(email.headerregistry.HeaderRegistry):
    """The stock registry builds a new header class on every lookup; build each once."""

    def __init__(self) -> None:
        super().__init__()
        self._classes: dict[str, Any] = {}

    def map_to_type(self, name: str, cls: Any) -> None:
        super().map_to_type(name, cls)
        self._classes.clear()

    def __getitem__(self, name: str) -> Any:
        key = name.lower()
        if key not in self._classes:
            self._classes[key] = super().__getitem__(name)
        return self._classes[key]


_VERBATIM = ("list-id", "list-unsubscribe", "list-unsubscribe-post", "list-archive")
_registry = _CachedRegistry()
for _name in _VERBATIM:
    _registry.map_to_type(_name, cast(Any, _VerbatimHeader))
_registry.map_to_type("dkim-signature", cast(Any, _OneLineHeader))
# policy=email.policy.SMTP (CRLF line ends, 7-bit-safe headers) with the List-*
# headers above kept verbatim; serializing with plain email.policy.SMTP gives the same bytes.
POLICY = email.policy.SMTP.clone(header_factory=_registry)


def one_line(text: str, limit: int) -> str:
    """One line of at most `limit` characters, cut with an ellipsis: any run of white
    space or control characters (CR, LF, tabs, C1 controls, line separators) becomes
    one space, so nothing can start another header."""
    cleaned = re.sub(r"[\s\x00-\x1f\x7f-\x9f]+", " ", text).strip()
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 1].rstrip() + "…"
    return cleaned


def subject_line(subject: str, prefix: str = "") -> str:
    """The one Subject rule: `[mail] subject_prefix` and the rendered subject, on one
    line of at most SUBJECT_MAX characters. render_digest stores a subject cut by it
    (no prefix), and every message, preview and dry-run line is built with it."""
    return one_line(f"{prefix} {subject}" if prefix else subject, SUBJECT_MAX)


def address_domain(address: str) -> str:
    """The domain of an address that may carry a display name ("Name <a@b.org>")."""
    _, addr = email.utils.parseaddr(address)
    return addr.rpartition("@")[2].lower() or "localhost"


def message_id(digest_id: DigestId, recipient: str, sender: str) -> str:
    """Stable per digest x recipient, so a resend is recognisably the same message."""
    digest = hashlib.sha256(f"{digest_id}|{recipient.lower()}".encode()).hexdigest()[:32]
    return f"<{digest}@{address_domain(sender)}>"


def list_id(cfg: Config) -> str:
    """The RFC 2919 list id: [mail] list_id, else derived from the sender address."""
    if cfg.mail.list_id:
        value = cfg.mail.list_id.strip().strip("<>")
    else:
        _, addr = email.utils.parseaddr(cfg.mail.sender)
        local, _, domain = addr.partition("@")
        value = f"{local}.{domain}" if domain else (local or "notes-digest.localhost")
    value = re.sub(r"[^A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]", "-", value).strip(".").lower()
    if "." not in value:
        value = f"{value}.localhost"
    return value


def list_id_header(cfg: Config) -> str:
    """'Title <list-id>', with a non-ASCII title as an RFC 2047 encoded word."""
    title = one_line(cfg.digest.title, 120)
    if not title:
        return f"<{list_id(cfg)}>"
    if title.isascii():
        phrase = email.utils.quote(title)
        phrase = f'"{phrase}"' if re.search(r"[^A-Za-z0-9 !#$%&'*+/=?^_`{|}~-]", title) else phrase
    else:
        phrase = Header(title, "utf-8").encode()
    return f"{phrase} <{list_id(cfg)}>"


def _parsed_header(name: str, value: str, setting: str) -> Any:
    """A header object, or one sentence naming the setting the bad value came from."""
    try:
        header = POLICY.header_factory(name, value)
    except (ValueError, TypeError, IndexError) as exc:
        raise UserError(
            f"{setting}: {value!r} cannot be used as the {name} header ({exc})."
        ) from None
    if name in ("From", "To", "Reply-To") and (
        header.defects or not getattr(header, "addresses", ())
    ):
        raise UserError(f"{setting}: {value!r} is not a valid email address for {name}.")
    return header


# Cached: the email package parses headers slowly, and most headers (From, Subject,
# Date, List-Id, ...) are the same for every recipient. Header objects are immutable
# strings, so messages can share them.
_header = functools.lru_cache(maxsize=256)(_parsed_header)


def _set(msg: EmailMessage, name: str, value: str, setting: str = "") -> None:
    # A header object whose name matches is stored as is, without parsing it again.
    msg[name] = _header(name, value, setting or f"the {name} header")


def build_message(
    rendered: Rendered,
    cfg: Config,
    *,
    digest_id: DigestId,
    recipient: str,
    unsubscribe_url: str | None,
    unsubscribe_mailto: str | None,
    now: datetime,
    personal: bool = True,
    preferences_url: str | None = None,
    archive_url: str | None = None,
) -> EmailMessage:
    """One multipart/alternative message (text/plain, then text/html) for one recipient.

    unsubscribe_url / unsubscribe_mailto are this recipient's complete links
    (digest.mail.tokens.unsubscribe_links); either may be None. personal=False is the
    copy posted to a mailing list: its footer says how to leave the list, not "you
    subscribed", and its headers are the ones a post needs — the list manager adds
    its own List-Id and List-Unsubscribe (RFC 2919, RFC 2369), and some refuse posts
    marked Auto-Submitted — plus only those [mail] list_headers names.
    archive_url: the web archive's address (List-Archive, RFC 2369).
    """
    msg = EmailMessage(policy=POLICY)
    _set(msg, "From", cfg.mail.sender, f"{cfg.path}: [mail] from")
    msg["To"] = _parsed_header("To", recipient, f"recipient {recipient!r}")
    _set(msg, "Subject", subject_line(rendered.subject, cfg.mail.subject_prefix))
    _set(msg, "Date", email.utils.format_datetime(now))
    msg["Message-ID"] = message_id(digest_id, recipient, cfg.mail.sender)
    if cfg.mail.reply_to:
        _set(msg, "Reply-To", cfg.mail.reply_to, f"{cfg.path}: [mail] reply_to")
    wanted = (
        {"List-Id", "List-Unsubscribe", "List-Archive", "Precedence", "Auto-Submitted"}
        if personal
        else set(cfg.mail.list_headers)
    )
    if "List-Id" in wanted:
        _set(msg, "List-Id", list_id_header(cfg), f"{cfg.path}: [digest] title / [mail] list_id")
    links = [f"<{link}>" for link in (unsubscribe_url, unsubscribe_mailto) if link]
    if links and "List-Unsubscribe" in wanted:
        value = ", ".join(links)
        if any(len(link) > _MAX_HEADER_LINE - 30 for link in links) or not value.isascii():
            raise UserError(
                f"{cfg.path}: [mail] unsubscribe_url / unsubscribe_mailto give a link that "
                f"cannot go in a header (non-ASCII or longer than {_MAX_HEADER_LINE} characters)."
            )
        msg["List-Unsubscribe"] = value
        if unsubscribe_url and unsubscribe_url.startswith("https://"):
            # RFC 8058: mail clients may unsubscribe with one POST, no confirmation page.
            _set(msg, "List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
    if archive_url and "List-Archive" in wanted and archive_url.isascii():
        msg["List-Archive"] = f"<{archive_url}>"
    if "Auto-Submitted" in wanted:
        _set(msg, "Auto-Submitted", "auto-generated")
    if "Precedence" in wanted:
        _set(msg, "Precedence", "list")
    _set(msg, "MIME-Version", "1.0")
    _set(msg, "Content-Type", "multipart/alternative")

    text, html = rendered.personalize(
        (unsubscribe_url or unsubscribe_mailto) if personal else None,
        preferences_url if personal else None,
    )
    for subtype, body in (("plain", text), ("html", html)):
        part = EmailMessage(policy=POLICY)
        _set(part, "Content-Type", f'text/{subtype}; charset="utf-8"')
        # quoted-printable keeps every line 7-bit and short, so no relay needs 8BITMIME.
        _set(part, "Content-Transfer-Encoding", "quoted-printable")
        part.set_payload(_quoted_printable(body))
        msg.attach(part)
    return msg


def build_notice(
    cfg: Config, recipient: str, subject: str, text: str, now: datetime
) -> EmailMessage:
    """A short plain-text message to one reader (a confirmation link, a reminder).

    Personal and transactional: no List-* headers, a random Message-ID, and
    Auto-Submitted (RFC 3834) so auto-responders stay quiet.
    """
    import secrets

    msg = EmailMessage(policy=POLICY)
    _set(msg, "From", cfg.mail.sender, f"{cfg.path}: [mail] from")
    msg["To"] = _parsed_header("To", recipient, f"recipient {recipient!r}")
    _set(msg, "Subject", one_line(subject, SUBJECT_MAX))
    _set(msg, "Date", email.utils.format_datetime(now))
    msg["Message-ID"] = f"<{secrets.token_hex(16)}@{address_domain(cfg.mail.sender)}>"
    if cfg.mail.reply_to:
        _set(msg, "Reply-To", cfg.mail.reply_to, f"{cfg.path}: [mail] reply_to")
    _set(msg, "Auto-Submitted", "auto-generated")
    _set(msg, "MIME-Version", "1.0")
    _set(msg, "Content-Type", 'text/plain; charset="utf-8"')
    _set(msg, "Content-Transfer-Encoding", "quoted-printable")
    msg.set_payload(_quoted_printable(text))
    return msg


def add_dkim_signature(msg: EmailMessage, value: str) -> None:
    """Put a DKIM-Signature (one line, as digest.delivery.dkim made it) on the message."""
    msg["DKIM-Signature"] = POLICY.header_factory("DKIM-Signature", one_line(value, 2000))


def _quoted_printable(body: str) -> str:
    """UTF-8, quoted-printable, \n line ends (the policy writes CRLF on the wire)."""
    lines = body.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n").split("\n")
    data = b"\n".join(line.encode("utf-8") for line in lines) + b"\n"
    return quopri.encodestring(data).decode("ascii")
