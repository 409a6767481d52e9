"""A subscriber's message from the digest's MessageTemplate is the message build_message
makes for them: the same bytes (but for the MIME boundary, one per digest), so the
same headers and parts, wherever a line fold or a quoted-printable soft break falls,
and no reader's value can start a header of its own."""

from __future__ import annotations

import email
import email.policy
import secrets
import string
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digest.config.schema import Config, DigestConfig, MailConfig, WebConfig
from digest.errors import UserError
from digest.mail.message import (
    MessageTemplate,
    build_message,
    dot_stuff,
    message_id,
    to_header,
    token_shape,
)
from digest.mail.render import PREFERENCES_URL, UNSUBSCRIBE_URL, RenderedDigest, render_digest
from digest.mail.tokens import make_link_token, preferences_url, unsubscribe_links
from digest.model import Digest, DigestId
from digest.periods import Period

NOW = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
DIGEST = DigestId("subscribers: Quillwort Sync + Ørsted Core", Period(2026, 10))
SECRET = "test-secret-for-unsubscribe-tokens"
BASE = "https://quillwort.example.org/"


def _cfg(title: str = "Quillwort digest — Ørsted edition") -> Config:
    return Config(
        path=Path("config.toml"),
        digest=DigestConfig(title=title),
        mail=MailConfig(
            sender="Quillwort digest <digest@quillwort.example.org>",
            unsubscribe_mailto="leave@quillwort.example.org",
        ),
        web=WebConfig(base_url=BASE),
    )


def _token() -> str:
    """A subscriber's link token, as digest send makes it (a random sid)."""
    return make_link_token("s", secrets.token_urlsafe(16), SECRET)


def _shifted(shift: int) -> RenderedDigest:
    """A digest whose links start `shift` columns into a line: the token then meets a
    quoted-printable soft break (at column 76) at a different place for each shift."""
    pad = "x" * shift
    text = (
        "Quillwort digest — März 2026\n\n"
        "- [dana] write the migration guide (résumé: 3 open items)\n"
        ".a line that starts with a dot\n.\n"
        f"{pad}Unsubscribe: {UNSUBSCRIBE_URL}\n"
        f"{pad}Preferences: {PREFERENCES_URL}\n"
        f"{pad}{UNSUBSCRIBE_URL}. {UNSUBSCRIBE_URL}\n"
    )
    html = (
        "<html><body><p>Quillwort digest — <b>März</b> 2026 ✓</p>\n"
        f'<p>{pad}<a href="{UNSUBSCRIBE_URL}">Unsubscribe</a> '
        f'<a href="{PREFERENCES_URL}">preferences</a></p>\n'
        f".{pad}{UNSUBSCRIBE_URL}\n</body></html>\n"
    )
    return RenderedDigest(subject="Quillwort digest — März 2026 ✓", text=text, html=html)


def _builder(cfg: Config, rendered: RenderedDigest) -> Callable[[str, str], EmailMessage]:
    def build(address: str, token: str) -> EmailMessage:
        url, mailto = unsubscribe_links(cfg, token)
        return build_message(
            rendered,
            cfg,
            digest_id=DIGEST,
            recipient=address,
            unsubscribe_url=url,
            unsubscribe_mailto=mailto,
            now=NOW,
            preferences_url=preferences_url(cfg, token),
            archive_url=f"{BASE}archive/",
        )

    return build


def _template(cfg: Config, rendered: RenderedDigest, token: str) -> MessageTemplate:
    template = MessageTemplate.make(
        _builder(cfg, rendered),
        token=token,
        message_id=lambda address: message_id(DIGEST, address, cfg.mail.sender),
    )
    assert template is not None
    return template


def _fill(template: MessageTemplate, cfg: Config, address: str, token: str) -> bytes:
    data = template.fill(address, message_id(DIGEST, address, cfg.mail.sender), token)
    assert data is not None
    return data


def _built(cfg: Config, rendered: RenderedDigest, address: str, token: str) -> tuple[bytes, bytes]:
    """(the message build_message makes, flattened; its MIME boundary)."""
    message = _builder(cfg, rendered)(address, token)
    data = message.as_bytes(policy=email.policy.SMTP)
    boundary = message.get_boundary()
    assert boundary is not None
    return data, boundary.encode()


def _parsed(data: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


READERS = [
    "ana@example.org",
    "dana.o-neil+digest@lists.example.org",
    # A long address: its To header is folded by the header registry, as the builder's.
    f"{'a' * 64}@{'long-subdomain-' * 8}example.org",
    "o'brien&co@example.org",  # not a plain address: the To header from the registry
    "lin@xn--bcher-kva.example",  # an internationalized domain, as stored (IDNA)
]


@pytest.mark.parametrize("shift", [0, 1, 17, 40, 55, 60, 70, 75])
def test_every_readers_bytes_are_the_builders(shift: int) -> None:
    cfg, rendered = _cfg(), _shifted(shift)
    template = _template(cfg, rendered, _token())
    for address in READERS:
        token = _token()
        expected, boundary = _built(cfg, rendered, address, token)
        data = _fill(template, cfg, address, token)
        assert data == expected.replace(boundary, template.boundary)
        # And so the same headers and decoded parts, read as a mail client reads them.
        ours, theirs = _parsed(data), _parsed(expected)
        names = [k for k in theirs.keys() if k != "Content-Type"]  # noqa: SIM118
        assert [k for k in ours.keys() if k != "Content-Type"] == names  # noqa: SIM118
        for name in names:
            assert str(ours[name]) == str(theirs[name])
        assert ours["To"].addresses[0].addr_spec == theirs["To"].addresses[0].addr_spec
        assert [p.get_content() for p in ours.iter_parts()] == [
            p.get_content() for p in theirs.iter_parts()
        ]
        assert f"{BASE}u/{token}" in next(ours.iter_parts()).get_content()


def test_the_real_templates_too() -> None:
    cfg = _cfg()
    rendered = render_digest(
        Digest(series="Quillwort Sync", period=Period(2026, 10), compared_to=None), cfg, now=NOW
    )
    template = _template(cfg, rendered, _token())
    for address in READERS:
        token = _token()
        expected, boundary = _built(cfg, rendered, address, token)
        assert _fill(template, cfg, address, token) == expected.replace(boundary, template.boundary)


def test_dot_stuffed_bytes_are_the_messages_as_data_sends_them() -> None:
    cfg, rendered = _cfg(), _shifted(0)
    template = _template(cfg, rendered, _token())
    token = _token()
    mid = message_id(DIGEST, "ana@example.org", cfg.mail.sender)
    plain = template.fill("ana@example.org", mid, token)
    stuffed = template.fill("ana@example.org", mid, token, dot_stuffed=True)
    assert plain is not None and stuffed is not None
    assert b"\r\n..a line that starts with a dot" in stuffed
    assert stuffed == dot_stuff(plain)


def test_a_token_of_another_shape_is_built_in_full() -> None:
    cfg, rendered = _cfg(), _shifted(3)
    template = _template(cfg, rendered, _token())
    mid = message_id(DIGEST, "ana@example.org", cfg.mail.sender)
    assert template.fill("ana@example.org", mid, make_link_token("s", "short", SECRET)) is None
    assert template.fill("ana@example.org", mid, _token()[:-1] + " ") is None
    assert template.fill("ana@example.org", mid, _token()[:-2] + "\r\n") is None


@pytest.mark.parametrize(
    "address",
    [
        "evil@example.org\r\nBcc: everyone@example.org",
        "evil@example.org\nBcc: everyone@example.org",
        "Eve <evil@example.org>\r\n\r\nforged body",
    ],
)
def test_a_hostile_address_never_adds_a_header(address: str) -> None:
    cfg, rendered = _cfg(), _shifted(0)
    template = _template(cfg, rendered, _token())
    token = _token()
    with pytest.raises(UserError) as built:
        _builder(cfg, rendered)(address, token)
    with pytest.raises(UserError) as filled:
        template.fill(address, message_id(DIGEST, address, cfg.mail.sender), token)
    assert str(filled.value) == str(built.value)


def test_a_hostile_title_is_the_same_one_line_header() -> None:
    cfg, rendered = _cfg(title="Evil\r\nBcc: everyone@example.org"), _shifted(5)
    template = _template(cfg, rendered, _token())
    token = _token()
    data = _fill(template, cfg, "ana@example.org", token)
    expected, boundary = _built(cfg, rendered, "ana@example.org", token)
    assert data == expected.replace(boundary, template.boundary)
    assert b"\r\nBcc:" not in data


_LOCAL = st.text(string.ascii_letters + string.digits + "+_-", min_size=1, max_size=30)
_LABEL = st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=20)


@st.composite
def _addresses(draw: st.DrawFn) -> str:
    local = ".".join(draw(st.lists(_LOCAL, min_size=1, max_size=3)))
    domain = ".".join(draw(st.lists(_LABEL, min_size=2, max_size=4)))
    return f"{local}@{domain}"


@st.composite
def _tokens(draw: st.DrawFn) -> str:
    """Tokens of any shape long enough to be found only where they were put (a real one
    has 48 characters; a template is not made from a shorter one that also matches
    other text, and then every message is built in full)."""
    alphabet = string.ascii_letters + string.digits + "_-"
    parts = draw(st.lists(st.text(alphabet, min_size=12, max_size=40), min_size=1, max_size=4))
    return ".".join(parts)


@given(address=_addresses())
def test_to_header_is_the_registrys(address: str) -> None:
    expected = build_message(
        _shifted(0),
        _cfg(),
        digest_id=DIGEST,
        recipient=address,
        unsubscribe_url=None,
        unsubscribe_mailto=None,
        now=NOW,
    ).as_bytes(policy=email.policy.SMTP)
    assert b"\r\n" + to_header(address) in expected


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shift=st.integers(0, 90), token=_tokens(), address=_addresses(), data=st.data())
def test_any_token_shape_and_column_gives_the_builders_bytes(
    shift: int, token: str, address: str, data: st.DataObject
) -> None:
    cfg, rendered = _cfg(), _shifted(shift)
    template = _template(cfg, rendered, token)
    # Another token of the same shape: other characters at the same places.
    alphabet = string.ascii_letters + string.digits + "_-"
    other = "".join(c if c == "." else data.draw(st.sampled_from(alphabet)) for c in token)
    assert token_shape(other) == template.shape
    expected, boundary = _built(cfg, rendered, address, other)
    assert _fill(template, cfg, address, other) == expected.replace(boundary, template.boundary)
