"""Unsubscribe tokens: the address and an HMAC-SHA256 signature, both URL-safe.

A token is "<address, URL-safe base64>.<signature, URL-safe base64>". It needs no
database lookup to verify and cannot be forged for another address without the
secret ($DIGEST_SECRET, [digest] secret_file or the systemd credential digest-secret;
digest.config.secrets finds it).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from digest.config.schema import Config


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(address: str, secret: str) -> bytes:
    return hmac.new(secret.encode("utf-8"), address.encode("utf-8"), hashlib.sha256).digest()


def make_token(address: str, secret: str) -> str:
    """The unsubscribe token for a (normalized, lower-case) address."""
    return f"{_b64(address.encode('utf-8'))}.{_b64(_signature(address, secret))}"


def verify_token(token: str, secret: str) -> str | None:
    """The address a token was made for, or None when it is malformed or forged."""
    head, dot, tail = token.strip().partition(".")
    if not dot or not head or not tail:
        return None
    try:
        address = _unb64(head).decode("utf-8")
        signature = _unb64(tail)
    except (binascii.Error, ValueError):
        return None
    if not hmac.compare_digest(signature, _signature(address, secret)):
        return None
    return address


def unsubscribe_links(cfg: Config, token: str | None) -> tuple[str | None, str | None]:
    """(https URL, mailto URL) for one recipient, each None when not configured.

    With no token (the list address) there is no personal https link; the mailto,
    when configured, asks to leave without naming anyone.
    """
    url = (
        cfg.mail.unsubscribe_url.replace("{token}", token)
        if token and cfg.mail.unsubscribe_url
        else None
    )
    mailto = None
    if cfg.mail.unsubscribe_mailto:
        subject = f"unsubscribe%20{token}" if token else "unsubscribe"
        mailto = f"mailto:{cfg.mail.unsubscribe_mailto}?subject={subject}"
    return url, mailto


def token_from_url(cfg: Config, text: str) -> str:
    """Accept a whole unsubscribe URL as well as a bare token: strip the configured template."""
    template = cfg.mail.unsubscribe_url
    if "{token}" in template:
        prefix, _, suffix = template.partition("{token}")
        if text.startswith(prefix) and text.endswith(suffix) and len(text) > len(prefix + suffix):
            return text[len(prefix) : len(text) - len(suffix)]
    return text
