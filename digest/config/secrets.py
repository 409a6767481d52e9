"""Secrets come from the environment or a file, never from config.toml.

Order: the environment variable, then the file named in the config, then
systemd's credentials directory ($CREDENTIALS_DIRECTORY/<name>, LoadCredential=).
Values are never logged; `describe` says where one came from without showing it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from digest.config.schema import Config
from digest.errors import UserError
from digest.log import register_secret

SMTP_PASSWORD = ("DIGEST_SMTP_PASSWORD", "smtp-password")
TOKEN_SECRET = ("DIGEST_SECRET", "digest-secret")
DKIM_KEY = ("DIGEST_DKIM_KEY", "dkim-key")


def _found(value: str, origin: str) -> Secret:
    # Registered before anyone can log it: every later log line redacts it.
    register_secret(value)
    return Secret(value, origin)


@dataclass(frozen=True)
class Secret:
    value: str
    origin: str  # "$DIGEST_SMTP_PASSWORD", "/etc/notes-digest/smtp-password", ...

    def __repr__(self) -> str:  # never show the value, even in a traceback
        return f"Secret(from {self.origin})"

    __str__ = __repr__


def find_secret(
    kind: tuple[str, str], file_setting: str = "", setting_name: str = ""
) -> Secret | None:
    """The secret, or None when none is configured anywhere."""
    env_name, credential = kind
    value = os.environ.get(env_name)
    if value:
        return _found(value.strip("\r\n"), f"${env_name}")
    if file_setting:
        return _found(_read(Path(file_setting), setting_name or file_setting), file_setting)
    creds = os.environ.get("CREDENTIALS_DIRECTORY")
    if creds:
        path = Path(creds) / credential
        if path.exists():
            return _found(_read(path, f"credential {credential}"), str(path))
    return None


def _read(path: Path, what: str) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{what}: secret file {path} does not exist.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{what}: secret file {path} cannot be read ({exc}).") from None
    value = text.strip("\r\n")
    if not value:
        raise UserError(f"{what}: secret file {path} is empty.")
    return value


def token_secret(cfg: Config) -> str | None:
    """The token secret's value, or None when none is configured anywhere."""
    secret = find_secret(TOKEN_SECRET, cfg.digest.secret_file, "[digest] secret_file")
    return secret.value if secret else None


def require_token_secret(cfg: Config, why: str) -> str:
    """The token secret, or one sentence telling the user how to set it."""
    secret = token_secret(cfg)
    if secret is None:
        raise UserError(
            f"{why} needs a secret to sign unsubscribe links: set DIGEST_SECRET, "
            f"[digest] secret_file in {cfg.path}, or the systemd credential digest-secret "
            f"(any long random string, e.g. from `openssl rand -hex 32`)."
        )
    return secret
