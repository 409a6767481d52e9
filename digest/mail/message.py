"""The one message builder: a rendered digest -> an RFC 5322 email for one recipient.

Shared by `digest send` and `digest preview --format eml`, so a preview is the
exact message a reader gets. The body is rendered once per digest; per recipient
only the unsubscribe link changes (RenderedDigest.personalize).

Nothing from a note reaches a header unchecked: the subject is collapsed to one
line, and configured values (title, addresses) that could break a header are
refused with a sentence naming the setting.
"""

from __future__ import annotations

import dataclasses
import email.headerregistry
import email.policy
import email.utils
import functools
import hashlib
import operator
import quopri
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any, Literal, Protocol, cast

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


@functools.lru_cache(maxsize=64)
def address_domain(address: str) -> str:
    """The domain of an address that may carry a display name ("Name <a@b.org>")."""
    _, addr = email.utils.parseaddr(address)
    return addr.rpartition("@")[2].lower() or "localhost"


def message_id(digest_id: DigestId, recipient: str, sender: str) -> str:
    """Stable per digest x recipient, so a resend is recognisably the same message."""
    digest = hashlib.sha256(f"{digest_id}|{recipient.lower()}".encode()).hexdigest()[:32]
    return f"<{digest}@{address_domain(sender)}>"


def message_ids(digest_id: DigestId, sender: str) -> Callable[[str], str]:
    """message_id for one digest and sender, with what they share worked out once."""
    start = hashlib.sha256(f"{digest_id}|".encode())
    domain = address_domain(sender)

    def of(recipient: str) -> str:
        digest = start.copy()
        digest.update(recipient.lower().encode())
        return f"<{digest.hexdigest()[:32]}@{domain}>"

    return of


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


def with_dkim_signature(data: bytes, value: str) -> bytes:
    """Message bytes (CRLF) with a DKIM-Signature header last, as add_dkim_signature
    puts it on an EmailMessage."""
    end = data.find(b"\r\n\r\n") + 2
    header = f"DKIM-Signature: {one_line(value, 2000)}\r\n".encode("ascii")
    return data[:end] + header + data[end:]


def _quoted_printable(body: str) -> str:
    """UTF-8, quoted-printable, \n line ends (the policy writes CRLF on the wire)."""
    lines = body.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n").split("\n")
    data = b"\n".join(line.encode("utf-8") for line in lines) + b"\n"
    return quopri.encodestring(data).decode("ascii")


# ---- one digest flattened once, each reader's bytes filled in ------------------------
#
# build_message + as_bytes costs milliseconds a reader (the email package folds every
# header and writes every body line in Python), and a subscriber's message differs
# from the next one's only in three places: the To header, the Message-ID and the
# link token in the List-Unsubscribe header and in both bodies. A MessageTemplate is
# one reader's message flattened once, cut at those places; a reader's bytes are the
# pieces joined with their own values.

_SOFT_BREAK = b"=\r\n"  # a quoted-printable soft line break, as the SMTP policy writes it
# Addresses whose To header is just "To: <address>" (one line, nothing to encode);
# any other address is folded by the header registry, exactly as build_message does.
_PLAIN_ADDRESS = re.compile(
    r"[A-Za-z0-9+_-]+(?:\.[A-Za-z0-9+_-]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
)
_MAX_LINE = 78  # the SMTP policy's max_line_length


def dot_stuff(data: bytes, *, line_start: bool = True) -> bytes:
    """CRLF-ended message bytes as DATA sends them: a line that starts with a dot gets
    one more (RFC 5321 4.5.2); the final "." line is not added. line_start=False: the
    bytes continue a line, so a dot at their start is left alone."""
    stuffed = data.replace(b"\r\n.", b"\r\n..")
    return b"." + stuffed if line_start and stuffed[:1] == b"." else stuffed


def to_header(address: str) -> bytes:
    """The To header line of a message to `address`, as build_message writes it (CRLF)."""
    line = f"To: {address}\r\n"
    if len(line) - 2 <= _MAX_LINE and _PLAIN_ADDRESS.fullmatch(address):
        return line.encode("ascii")
    header = _parsed_header("To", address, f"recipient {address!r}")
    return cast(str, header.fold(policy=POLICY)).encode("ascii", "surrogateescape")


def token_shape(token: str) -> tuple[int, ...]:
    """A link token's shape: the lengths of its dot-separated parts.

    Tokens of one shape flatten alike: their characters (A-Z a-z 0-9 _ -, and the
    dots) are never encoded in a header or in quoted-printable, so only their length
    and the places of their dots decide where lines are folded.
    """
    return tuple(map(len, token.split(".")))


_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_.-]+")


def _same_shape_token(token: str) -> str:
    """A random token of the same shape, found nowhere else in a message."""
    import secrets

    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(c if c == "." else secrets.choice(alphabet) for c in token)


@dataclass(frozen=True)
class _Hole:
    """Where a reader's own value goes: "to" (the whole To header line),
    "message-id", or "token" (cut by soft line breaks after the lengths in `cuts`)."""

    what: Literal["to", "message-id", "token"]
    cuts: tuple[int, ...] = ()
    line_start: bool = False  # the value starts a line (after a soft line break)


class MessageTemplate:
    """One digest's message to subscribers, flattened once, with a hole per reader value.

    `fill` gives the bytes that build_message + as_bytes(policy=SMTP) give for that
    reader, except the MIME boundary: one per template instead of a random one per
    message. `make` checks that promise on a second reader before a template is used.
    """

    def __init__(self, pieces: list[bytes], holes: list[_Hole], shape: tuple[int, ...]) -> None:
        self.pieces = pieces  # len(holes) + 1 pieces, a hole between two pieces
        self.holes = holes
        self.shape = shape  # the token shape this template fills (token_shape)
        self.boundary = b""
        # Dot-stuffed once. The first piece starts the header; the others follow a value
        # in the middle of a line, or the To line (and start the next header).
        self._stuffed = [dot_stuff(p, line_start=i == 0) for i, p in enumerate(pieces)]
        # fill() works out each value once, however many holes take it: the To line, the
        # Message-ID, then the token once per way it is cut (_cuts); _take picks each
        # hole's value out of that list, and the pieces stay in place between them.
        self._cuts: list[tuple[tuple[int, ...], bool]] = []
        slots = []
        for hole in holes:
            if hole.what == "to":
                slots.append(0)
            elif hole.what == "message-id":
                slots.append(1)
            else:
                cut = (hole.cuts, hole.line_start)
                if cut not in self._cuts:
                    self._cuts.append(cut)
                slots.append(2 + self._cuts.index(cut))
        self._take = operator.itemgetter(*slots, 0)  # and one more: always a tuple
        self._frames = (
            [x for p in pieces for x in (p, b"")][:-1],
            [x for p in self._stuffed for x in (p, b"")][:-1],
        )

    @classmethod
    def make(
        cls,
        build: Callable[[str, str], EmailMessage],
        *,
        token: str,
        message_id: Callable[[str], str],
    ) -> MessageTemplate | None:
        """A template for readers whose link token has `token`'s shape, or None when the
        message cannot be cut so (then every reader's message is built in full).

        build(address, token) is the reader's EmailMessage (build_message with their
        links); message_id(address) their Message-ID.
        """
        if not _TOKEN_CHARS.fullmatch(token):
            return None
        first = _Probe(build, token)
        template = first.template(message_id)
        if template is None:
            return None
        # The promise, checked on another reader: the same bytes as built in full.
        second = _Probe(build, token)
        expected = second.data.replace(second.boundary, first.boundary)
        mid = message_id(second.address)
        if template.fill(second.address, mid, second.token) != expected:
            return None
        stuffed = template.fill(second.address, mid, second.token, dot_stuffed=True)
        if stuffed != dot_stuff(expected):
            return None
        return template

    def fill(
        self, address: str, message_id: str, token: str, *, dot_stuffed: bool = False
    ) -> bytes | None:
        """This reader's message (CRLF line ends), or None when their token has another
        shape (then build it in full).

        dot_stuffed: as SMTP's DATA sends it (RFC 5321 4.5.2: a line that starts with a
        dot gets one more), without the final ".": the pieces are stuffed once, so a
        transport need not scan every message for dots.
        """
        if token_shape(token) != self.shape or not _TOKEN_CHARS.fullmatch(token):
            return None
        raw = token.encode("ascii")
        values = [to_header(address), message_id.encode("ascii")]
        values += [
            _cut_token(raw, cuts, line_start, dot_stuffed) for cuts, line_start in self._cuts
        ]
        out = self._frames[dot_stuffed].copy()
        out[1::2] = self._take(values)[:-1]
        return b"".join(out)


def _cut_token(raw: bytes, cuts: tuple[int, ...], line_start: bool, dot_stuffed: bool) -> bytes:
    """A token as a hole takes it: cut by soft line breaks after the lengths in `cuts`;
    dot_stuffed, a part that starts a line (after a soft line break, or the hole's
    start when line_start) and starts with a dot gets one more."""
    if not cuts and not (dot_stuffed and line_start and raw[:1] == b"."):
        return raw
    parts, start = [], 0
    for cut in (*cuts, len(raw)):
        part = raw[start:cut]
        stuff = dot_stuffed and (start > 0 or line_start) and part[:1] == b"."
        parts.append(b"." + part if stuff else part)
        start = cut
    return _SOFT_BREAK.join(parts)


class _Probe:
    """One made-up reader's message, built in full and flattened: what a template is
    cut from, and what it is checked against."""

    def __init__(self, build: Callable[[str, str], EmailMessage], token: str) -> None:
        import secrets

        self.address = f"reader-{secrets.token_hex(6)}@example.invalid"
        self.token = _same_shape_token(token)
        message = build(self.address, self.token)
        self.data = message.as_bytes(policy=email.policy.SMTP)
        boundary = message.get_boundary()
        self.boundary = boundary.encode("ascii") if boundary else b""

    def template(self, message_id: Callable[[str], str]) -> MessageTemplate | None:
        data = self.data
        head_end = data.find(b"\r\n\r\n") + 2
        spans: list[tuple[int, int, _Hole]] = []
        to_line = to_header(self.address)
        mid = message_id(self.address).encode("ascii")
        for found, hole in ((to_line, _Hole("to")), (mid, _Hole("message-id"))):
            at = data.find(found, 0, head_end)
            if at < 0 or data.find(found, at + 1, head_end) >= 0:
                return None
            spans.append((at, at + len(found), hole))
        if data[spans[0][0] - 2 : spans[0][0]] != b"\r\n":
            return None  # "To:" must start its line
        # The token, also where a soft line break cuts it.
        pattern = b"(?:=\r\n)?".join(re.escape(bytes([c])) for c in self.token.encode("ascii"))
        for match in re.finditer(pattern, data):
            cuts, length = [], 0
            for piece in match.group().split(_SOFT_BREAK):
                length += len(piece)
                cuts.append(length)
            spans.append((match.start(), match.end(), _Hole("token", tuple(cuts[:-1]))))
        spans.sort(key=lambda s: s[0])
        pieces: list[bytes] = []
        holes: list[_Hole] = []
        at = 0
        for start, end, hole in spans:
            if start < at:
                return None  # overlapping places: not a message we can cut
            pieces.append(data[at:start])
            holes.append(dataclasses.replace(hole, line_start=data[start - 1 : start] == b"\n"))
            at = end
        pieces.append(data[at:])
        if any(h.what == "to" and p[:1] == b"." for h, p in zip(holes, pieces[1:], strict=True)):
            return None  # a line after To starting with a dot: never from build_message
        template = MessageTemplate(pieces, holes, token_shape(self.token))
        template.boundary = self.boundary
        return template
