"""The tokens in links: opaque, signed, URL-safe.

A link token is "<kind>1.<id>.<mac>": kind `s` (a subscriber: unsubscribe and
preferences) or `c` (a pending subscription to confirm), id the random id stored
in the state (128 bits; never the address), mac the first 128 bits of
HMAC-SHA256(secret, "<kind>1.<id>"). The mac lets a forged or damaged token be
refused before any database lookup, and a copy of the state alone cannot mint links.
The secret is $DIGEST_SECRET, [digest] secret_file or the systemd credential
digest-secret (digest.config.secrets finds it).

Legacy tokens, mailed before schema v3, are "<address, base64>.<HMAC of the
address>": `make_token`/`verify_token` read them so old links keep working for
the migration window (LEGACY_TOKEN_DAYS after the upgrade); they are never made
for new mail.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from digest.config.schema import Config

TokenKind = Literal["s", "c"]
LEGACY_TOKEN_DAYS = 180  # old address tokens work this long after the upgrade to v3


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(address: str, secret: str) -> bytes:
    return hmac.new(secret.encode("utf-8"), address.encode("utf-8"), hashlib.sha256).digest()


def _link_mac(kind: str, ident: str, secret: str) -> str:
    message = f"{kind}1.{ident}".encode()
    # hmac.digest: the one-shot C function, the same MAC as hmac.new(...).digest() in a
    # fraction of the time (one per message mailed).
    return _b64(hmac.digest(secret.encode("utf-8"), message, "sha256")[:16])


def make_link_token(kind: TokenKind, ident: str, secret: str) -> str:
    """The token for a subscriber's id (kind "s") or a pending confirmation ("c")."""
    return f"{kind}1.{ident}.{_link_mac(kind, ident, secret)}"


def link_tokens(kind: TokenKind, secret: str) -> Callable[[str], str]:
    """make_link_token for one kind and secret, for many ids: the HMAC is keyed once
    (its padded keys hashed) and each token goes on from a copy of it, several times
    faster than hmac.digest keying it again for every message."""
    keyed = hmac.new(secret.encode("utf-8"), digestmod=hashlib.sha256)
    prefix = f"{kind}1."

    def token(ident: str) -> str:
        message = prefix + ident
        mac = keyed.copy()
        mac.update(message.encode())
        return f"{message}.{_b64(mac.digest()[:16])}"

    return token


def read_link_token(token: str, secret: str, kind: TokenKind) -> str | None:
    """The id in a link token of this kind, or None when malformed, forged or of another kind."""
    parts = token.strip().split(".")
    if len(parts) != 3 or parts[0] != f"{kind}1" or not parts[1] or len(parts[1]) > 64:
        return None
    if not hmac.compare_digest(parts[2], _link_mac(kind, parts[1], secret)):
        return None
    return parts[1]


def make_token(address: str, secret: str) -> str:
    """A legacy unsubscribe token (the address, signed): only tests and old mail have them."""
    return f"{_b64(address.encode('utf-8'))}.{_b64(_signature(address, secret))}"


def verify_token(token: str, secret: str) -> str | None:
    """The address a legacy token was made for, or None when it is malformed or forged."""
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

    With [web] base_url the URL is the page `digest serve` answers (<base>/u/TOKEN),
    else [mail] unsubscribe_url with {token} filled in. With no token (the list
    address) there is no personal https link; the mailto, when configured, asks to
    leave without naming anyone.
    """
    url = None
    if token and cfg.web.base_url:
        url = f"{cfg.web.base_url}u/{token}"
    elif token and cfg.mail.unsubscribe_url:
        url = cfg.mail.unsubscribe_url.replace("{token}", token)
    mailto = None
    if cfg.mail.unsubscribe_mailto:
        subject = f"unsubscribe%20{token}" if token else "unsubscribe"
        mailto = f"mailto:{cfg.mail.unsubscribe_mailto}?subject={subject}"
    return url, mailto


def preferences_url(cfg: Config, token: str | None) -> str | None:
    """The reader's preferences page (which series, pause), with [web] base_url."""
    return f"{cfg.web.base_url}p/{token}" if token and cfg.web.base_url else None


def archive_url(cfg: Config, period: str, slug: str) -> str | None:
    """Where `digest serve` (and `digest archive build`) publish one digest."""
    return f"{cfg.web.base_url}archive/{period}/{slug}.html" if cfg.web.base_url else None


def token_from_url(cfg: Config, text: str) -> str:
    """Accept a whole unsubscribe URL as well as a bare token: strip the configured template."""
    base = cfg.web.base_url
    for page in ("u/", "p/"):
        if base and text.startswith(base + page):
            return text[len(base + page) :].split("?", 1)[0].strip("/")
    template = cfg.mail.unsubscribe_url
    if "{token}" in template:
        prefix, _, suffix = template.partition("{token}")
        if text.startswith(prefix) and text.endswith(suffix) and len(text) > len(prefix + suffix):
            return text[len(prefix) : len(text) - len(suffix)]
    return text
