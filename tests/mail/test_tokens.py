"""Unsubscribe tokens: only the holder of the secret can make one for an address."""

from __future__ import annotations

import base64
import hashlib
import hmac
from pathlib import Path

import pytest

from digest.config.schema import Config, MailConfig
from digest.config.secrets import require_token_secret
from digest.errors import UserError
from digest.mail.tokens import (
    link_tokens,
    make_link_token,
    make_token,
    read_link_token,
    token_from_url,
    unsubscribe_links,
    verify_token,
)

SECRET = "a-long-random-secret"


def test_a_token_verifies_to_its_address() -> None:
    token = make_token("alice@example.org", SECRET)
    assert verify_token(token, SECRET) == "alice@example.org"


def test_a_token_is_url_safe() -> None:
    token = make_token("o'brien+digest@example.org", SECRET)
    assert all(c.isalnum() or c in "-_." for c in token)
    assert verify_token(token, SECRET) == "o'brien+digest@example.org"


def test_a_changed_signature_is_refused() -> None:
    token = make_token("alice@example.org", SECRET)
    head, sig = token.split(".")
    flipped = sig[:-1] + ("A" if sig[-1] != "A" else "B")
    assert verify_token(f"{head}.{flipped}", SECRET) is None


def test_a_token_cannot_be_moved_to_another_address() -> None:
    _, sig = make_token("alice@example.org", SECRET).split(".")
    other = base64.urlsafe_b64encode(b"mallory@example.org").rstrip(b"=").decode()
    assert verify_token(f"{other}.{sig}", SECRET) is None


def test_a_token_signed_with_another_secret_is_refused() -> None:
    assert verify_token(make_token("alice@example.org", "old-secret"), SECRET) is None


@pytest.mark.parametrize("garbage", ["", ".", "abc", "abc.", ".abc", "!!!.???", "a.b.c", "é.é"])
def test_malformed_tokens_are_refused_not_crashing(garbage: str) -> None:
    assert verify_token(garbage, SECRET) is None


def _cfg(**mail: str) -> Config:
    return Config(path=Path("config.toml"), mail=MailConfig(**mail))  # type: ignore[arg-type]


def test_links_fill_the_token_into_the_configured_url_and_mailto() -> None:
    cfg = _cfg(
        unsubscribe_url="https://x.example.org/u?t={token}",
        unsubscribe_mailto="leave@x.example.org",
    )
    assert unsubscribe_links(cfg, "TOK.SIG") == (
        "https://x.example.org/u?t=TOK.SIG",
        "mailto:leave@x.example.org?subject=unsubscribe%20TOK.SIG",
    )
    # The list address gets no personal link, and a mailto that names no one.
    assert unsubscribe_links(cfg, None) == (None, "mailto:leave@x.example.org?subject=unsubscribe")


def test_a_whole_unsubscribe_url_is_accepted_as_a_token() -> None:
    cfg = _cfg(unsubscribe_url="https://x.example.org/u?t={token}&from=digest")
    token = make_token("alice@example.org", SECRET)
    assert token_from_url(cfg, f"https://x.example.org/u?t={token}&from=digest") == token
    assert token_from_url(cfg, token) == token


def test_no_secret_is_one_sentence_saying_how_to_set_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DIGEST_SECRET", raising=False)
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    with pytest.raises(UserError) as err:
        require_token_secret(_cfg(), "[mail] subscribers = true")
    assert str(err.value).startswith(
        "[mail] subscribers = true needs a secret to sign unsubscribe links: set DIGEST_SECRET, "
        "[digest] secret_file in config.toml, or the systemd credential digest-secret"
    )


def test_a_link_token_is_the_one_mailed_before() -> None:
    """Links in digests already mailed keep working: the MAC is HMAC-SHA256 of
    "s1.<id>" under the secret, its first 16 bytes, base64url without padding."""
    secret, sid = "a-secret-that-is-long-enough-for-tokens", "k3J9xQ2m"
    mac = hmac.new(secret.encode(), f"s1.{sid}".encode(), hashlib.sha256).digest()[:16]
    expected = f"s1.{sid}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    assert make_link_token("s", sid, secret) == expected
    assert read_link_token(expected, secret, "s") == sid


@pytest.mark.parametrize(
    "secret", ["s3cret", "x" * 64, "y" * 65, "a-benchmark-secret-that-is-long-enough" * 3, "clé"]
)
def test_link_tokens_makes_what_make_link_token_makes(secret: str) -> None:
    for kind in ("s", "c"):
        sign = link_tokens(kind, secret)
        for ident in ("AbCdEfGhIjKlMnOpQrStUv", "x", "id-with_chars"):
            token = sign(ident)
            assert token == make_link_token(kind, ident, secret)
            assert read_link_token(token, secret, kind) == ident
