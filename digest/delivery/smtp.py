"""SMTP delivery (aiosmtplib): TLS, auth, a small connection pool, rate limit, retries.

SmtpTransport implements digest.delivery.base.Transport. Each send() is one SMTP
transaction for one recipient (MAIL FROM, RCPT TO, DATA) on a pooled connection;
send_all() carries a stream of them on one session, with PIPELINING one write and
one wait a message (a message's content goes with the next one's commands):

- transient trouble (connection refused or dropped, a 4xx reply, a timeout) is
  retried with exponential backoff on a fresh connection; when the retries run
  out the result is "retry" and the ledger keeps the recipient pending;
- a permanent refusal (5xx) is returned as "failed" with the server's reply;
- what stops all delivery (bad credentials, a TLS certificate or handshake that
  fails, a server that cannot be reached at all) raises UserError, one sentence,
  never the password.

Two things bound a run whatever the server does:

- a circuit breaker: `retries` + 1 connection failures or timeouts in a row (no
  reply from the server in between, on any session) open it, and the transport
  opens no more sessions: `stopped` says why, and `send` raises DeliveryStopped
  for every recipient it has not tried, who stays pending for the next run;
- a deadline (the end of `[smtp] run_timeout`, passed in by the send loop): no
  attempt starts after it, and one under way is cut `timeout` seconds after it.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import email.message
import email.parser
import email.policy
import ipaddress
import logging
import math
import random
import re
import socket
import ssl
import time
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.utils import getaddresses

import aiosmtplib
import aiosmtplib.email
from aiosmtplib.protocol import normalize_message_line_endings

from digest.config.schema import SmtpConfig
from digest.config.secrets import Secret
from digest.delivery.base import DeliveryResult, DeliveryStopped
from digest.errors import UserError

log = logging.getLogger("digest.smtp")

DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}
BACKOFF_CAP_SECONDS = 30.0
_QUIT_TIMEOUT = 5.0  # saying goodbye must not hold up the run

# Warn about verify = false once per process, not once per connection.
_warned_unverified = False


class _Transient(Exception):
    """This attempt failed but a later one may succeed."""

    def __init__(self, reason: str, *, answered: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        # True: the server replied (a 4xx in a session), so it is alive and the circuit
        # breaker does not count it; False: a timeout, a dropped or refused connection.
        self.answered = answered


class _Permanent(Exception):
    def __init__(self, reply: str) -> None:
        super().__init__(reply)
        self.reply = reply


_T = typing.TypeVar("_T")
_K = typing.TypeVar("_K")
_IN_DATA = "in DATA (the message may or may not have been accepted)"


@dataclass
class _Failed:
    """A first attempt, made in a stream, that a later attempt may get past."""

    error: _Transient
    started: float  # time.monotonic() when it began, for the circuit breaker


@dataclass(slots=True)
class _Outgoing(typing.Generic[_K]):
    """One message of a stream (SmtpTransport.send_all)."""

    key: _K
    recipient: str
    data: bytes  # dot-stuffed
    sender: str
    envelope: bytes | None = None  # MAIL, RCPT and DATA, once written
    started: float = 0.0  # when its first attempt began
    failed: _Failed | None = None  # how that attempt failed, if it did


@dataclass
class _Connection:
    client: aiosmtplib.SMTP
    transactions: int = 0
    # Set when the server offers PIPELINING: the session's transactions go through it.
    pipeline: _Pipeline | None = None


class _Pipeline(asyncio.Protocol):
    """The transaction part of a session opened by aiosmtplib, with PIPELINING (RFC 2920).

    aiosmtplib waits for each reply before it sends the next command, and reads one
    reply per arrival of data, so it cannot take the three replies a server sends at
    once to a pipelined MAIL, RCPT, DATA. Once the session is ready (greeting, EHLO,
    TLS, login done by aiosmtplib), the connection's transport is handed to this
    protocol, which writes commands together and reads the replies in order.

    It is on the path of every message, so it does little per reply: one timer per
    session moved only when a wait must end sooner (not one per wait), and all the
    complete lines that arrived parsed in one go.
    """

    def __init__(self, transport: asyncio.Transport, timeout: float) -> None:
        self.transport = transport
        self.timeout = timeout
        self._buffer = bytearray()
        self._replies: collections.deque[aiosmtplib.SMTPResponse] = collections.deque()
        self._waiter: asyncio.Future[None] | None = None
        self._wait_until = 0.0  # loop.time() at which the wait under way times out
        self._timer: asyncio.TimerHandle | None = None
        self._lost: aiosmtplib.SMTPException | None = None
        self._loop = asyncio.get_running_loop()
        transport.set_protocol(self)

    # ---- asyncio.Protocol

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        self._parse()
        if len(self._buffer) > _MAX_REPLY:
            self._lose(aiosmtplib.SMTPResponseException(-1, "reply too long"))
        self._wake()

    def eof_received(self) -> bool:
        self._lose(aiosmtplib.SMTPServerDisconnected("Unexpected EOF received"))
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._lose(aiosmtplib.SMTPServerDisconnected("Connection lost"))
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    # ---- for the transport

    def write(self, data: bytes) -> None:
        if self._lost is not None:
            raise self._lost
        self.transport.write(data)

    async def reply(self, timeout: float | None = None) -> aiosmtplib.SMTPResponse:
        """The next reply, in the order the commands were written."""
        if self._replies:
            return self._replies.popleft()
        loop = self._loop
        until = loop.time() + (self.timeout if timeout is None else timeout)
        while not self._replies:
            if self._lost is not None:
                raise self._lost
            if loop.time() >= until:
                raise aiosmtplib.SMTPReadTimeoutError("Timed out waiting for a reply")
            self._wait_until = until
            if self._timer is None or self._timer.when() > until:
                if self._timer is not None:
                    self._timer.cancel()
                self._timer = loop.call_at(until, self._on_timer)
            self._waiter = loop.create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._replies.popleft()

    def _on_timer(self) -> None:
        """Wake a wait whose time is up; one that may go on waits for the timer again."""
        self._timer = None
        if self._waiter is None:
            return
        if self._loop.time() >= self._wait_until:
            self._wake()
        else:
            self._timer = self._loop.call_at(self._wait_until, self._on_timer)

    def _lose(self, exc: aiosmtplib.SMTPException) -> None:
        if self._lost is None:
            self._lost = exc
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _parse(self) -> None:
        """Every complete reply off the buffer ("250-..." lines continue one)."""
        buffer = self._buffer
        end = buffer.rfind(b"\n") + 1
        if not end:
            return
        lines: list[bytes] = []
        at = taken = 0
        for line in bytes(buffer[:end]).split(b"\n")[:-1]:
            at += len(line) + 1
            try:
                code = int(line[:3])
            except ValueError:
                self._lose(aiosmtplib.SMTPResponseException(-1, "malformed reply"))
                return
            lines.append(line[4:].strip(b" \t\r"))
            if line[3:4] != b"-":
                text = b"\n".join(lines).decode("utf-8", "surrogateescape")
                self._replies.append(aiosmtplib.SMTPResponse(code, text))
                lines = []
                taken = at
        del buffer[:taken]


_MAX_REPLY = 32768  # a reply longer than this is not an SMTP server talking


def smtp_port(cfg: SmtpConfig) -> int:
    """The configured port, or the standard one for the security mode."""
    return cfg.port or DEFAULT_PORTS[cfg.security]


def is_loopback(host: str) -> bool:
    """True for names and addresses that never leave this machine."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def envelope_sender(message: email.message.EmailMessage | bytes) -> str:
    """The address of the message's Sender (else From): the MAIL FROM of the envelope."""
    if isinstance(message, bytes):
        message = email.parser.BytesHeaderParser(policy=email.policy.default).parsebytes(message)
    header = message.get("Sender") or message.get("From")
    addresses = [addr for _, addr in getaddresses([str(header or "")]) if addr]
    if not addresses:
        raise UserError("the digest message has no From address; set [mail] from.")
    return addresses[0]


def wire_bytes(message: email.message.EmailMessage) -> bytes:
    """A message as SMTP carries it: flattened with CRLF line ends."""
    return normalize_message_line_endings(message.as_bytes(policy=email.policy.SMTP))


def dot_stuff(data: bytes) -> bytes:
    """CRLF-ended message bytes as DATA sends them: a line that starts with a dot gets
    one more (RFC 5321 4.5.2), and the bytes end with CRLF; the final "." is not added."""
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    stuffed = data.replace(b"\r\n.", b"\r\n..")
    return b"." + stuffed if stuffed[:1] == b"." else stuffed


# An address MAIL FROM / RCPT TO can carry as it is, between < and >.
_PLAIN_ENVELOPE = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+")


def _envelope(address: str) -> bytes:
    """<address> for MAIL FROM / RCPT TO, as aiosmtplib's mail() and rcpt() write it.

    Refused (501, nothing sent): an address with control characters (a line break
    would end the command: an injection), or one that quoting would turn into another
    address (aiosmtplib parses `a@x>\r\nRCPT TO:<b@y` as `<a@x>`: the message would go
    to someone the ledger does not name)."""
    if _PLAIN_ENVELOPE.fullmatch(address):
        return b"<" + address.encode("ascii") + b">"
    try:
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in address):
            raise ValueError("control character")
        quoted = aiosmtplib.email.quote_address(address)
        if quoted != f"<{address}>":
            raise ValueError("not the same address once quoted")
        return quoted.encode("ascii")
    except (ValueError, UnicodeEncodeError):
        raise aiosmtplib.SMTPRecipientRefused(
            501, f"{address!r} cannot be sent in an SMTP command", address
        ) from None


_LOCAL_HOSTNAME: str | None = None


async def local_hostname() -> str:
    """This host's name for EHLO, looked up once per process.

    Left to itself, aiosmtplib calls socket.getfqdn() for every connection it opens:
    a reverse DNS lookup, which a resolver with no record for this host answers only
    when it times out, every time: seconds per connection, minutes per run (a new
    connection every `messages_per_connection` messages).
    """
    global _LOCAL_HOSTNAME
    if _LOCAL_HOSTNAME is None:
        name = await asyncio.to_thread(socket.getfqdn)
        valid = re.fullmatch(r"[A-Za-z0-9._:\[\]-]+", name) is not None
        _LOCAL_HOSTNAME = name if valid else "localhost"
    return _LOCAL_HOSTNAME


def _reply(code: int, message: str) -> str:
    """An SMTP reply on one line, as the ledger and the user see it."""
    return " ".join(f"{code} {message}".split())


def _describe(exc: BaseException, step: str = "") -> str:
    """A short reason for a connection-level failure, without a traceback; `step` says
    what the client was waiting for ("before the greeting", "after RCPT TO")."""
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return _reply(exc.code, exc.message)
    if isinstance(exc, TimeoutError):
        return f"timed out {step}".strip()
    if isinstance(
        exc,
        aiosmtplib.SMTPServerDisconnected
        | ConnectionResetError
        | BrokenPipeError
        | asyncio.IncompleteReadError,
    ):
        # aiosmtplib says "Unexpected EOF received": what happened is a hang-up.
        return "the server closed the connection"
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def _cert_error(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    """The certificate verification failure behind exc, if that is what it is."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _handshake_error(exc: BaseException) -> ssl.SSLError | None:
    """The TLS handshake failure behind exc (a wrong version, no shared cipher, a plain
    server answering a TLS hello), if that is what it is. An EOF during the handshake is
    a connection dropped, which a later attempt may get past: not this."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError) and not isinstance(
            seen, ssl.SSLEOFError | ssl.SSLZeroReturnError
        ):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _ssl_reason(exc: ssl.SSLError) -> str:
    """The words of an SSL error: "wrong version number" from
    "[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)"."""
    said = str(exc.args[-1] if exc.args else exc)
    text = re.sub(r"^\[[^]]*\]\s*|\s*\(_ssl\.c:\d+\)$", "", said)
    return " ".join(text.split()) or (exc.reason or "handshake failed").replace("_", " ").lower()


def tls_context(cfg: SmtpConfig) -> ssl.SSLContext:
    """Verification on by default; ca_file adds a private CA; verify = false turns it off."""
    try:
        context = ssl.create_default_context(cafile=cfg.ca_file or None)
    except (OSError, ssl.SSLError) as exc:
        raise UserError(
            f"[smtp] ca_file {cfg.ca_file} cannot be used as a certificate bundle "
            f"({getattr(exc, 'strerror', None) or exc})."
        ) from None
    if not cfg.verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


class _RateLimit:
    """Spaces message starts at least 1/max_per_second apart, across all tasks."""

    def __init__(self, per_second: float) -> None:
        self._interval = 1.0 / per_second
        self._next = 0.0

    async def wait(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        start = max(now, self._next)
        self._next = start + self._interval  # reserved before sleeping: no lock needed
        if start > now:
            await asyncio.sleep(start - now)


class SmtpTransport:
    """Delivers through one SMTP server with up to cfg.max_connections sessions."""

    def __init__(
        self,
        cfg: SmtpConfig,
        password: Secret | None,
        *,
        sender: str = "",
        deadline: float | None = None,
    ) -> None:
        self.cfg = cfg
        self.password = password
        self.sender = sender  # envelope sender; default: the message's From address
        self.port = smtp_port(cfg)
        self.where = f"{cfg.host}:{self.port}"
        self.concurrency = cfg.max_connections
        self.deadline = deadline  # time.monotonic(): no attempt starts after it
        self.stopped: str | None = None  # why no more sessions are opened, once so
        self._idle: list[_Connection] = []
        self._slots: asyncio.Semaphore | None = None
        self._rate = _RateLimit(cfg.max_per_second)
        self._tls: ssl.SSLContext | None = None
        # The circuit breaker: failures in a row, and when the server last replied.
        self._breaker_after = cfg.retries + 1
        self._failures_in_row = 0
        self._last_reply = -math.inf
        self._opened_session = False  # one session was opened: the settings work
        self._unpipelined = False  # a session showed the server does not offer PIPELINING
        # What stopped all delivery (a UserError opening a session): no session is tried
        # after it, by any task.
        self._fatal: UserError | None = None

    # ---- lifecycle

    async def __aenter__(self) -> SmtpTransport:
        self._preflight()
        self._slots = asyncio.Semaphore(self.cfg.max_connections)
        return self

    async def __aexit__(self, *exc: object) -> None:
        idle, self._idle = self._idle, []
        await asyncio.gather(*(self._close(conn, polite=True) for conn in idle))

    def _preflight(self) -> None:
        """Refuse settings that cannot work or would leak the password, before connecting."""
        global _warned_unverified
        cfg = self.cfg
        if cfg.username and self.password is None:
            raise UserError(
                f"[smtp] username '{cfg.username}' is set but no password was found; set "
                f"DIGEST_SMTP_PASSWORD, [smtp] password_file or the credential smtp-password."
            )
        if cfg.security == "none" and cfg.username and not is_loopback(cfg.host):
            # Without TLS the AUTH exchange is readable by anyone on the path.
            raise UserError(
                f"[smtp] security = \"none\" would send the password for '{cfg.username}' "
                f'unencrypted to {cfg.host}; use "starttls" or "tls" (plain text is '
                f"allowed only to a loopback relay such as a local Postfix)."
            )
        if cfg.security != "none":
            self._tls = tls_context(cfg)
            if not cfg.verify and not _warned_unverified:
                _warned_unverified = True
                log.warning(
                    "[smtp] verify = false: the certificate of %s is not checked, so anyone "
                    "on the path could read the mail and the password; prefer ca_file.",
                    self.where,
                )

    # ---- sending

    async def send(
        self,
        message: email.message.EmailMessage | bytes,
        recipient: str,
        *,
        dot_stuffed: bool = False,
    ) -> DeliveryResult:
        sender = self.sender or envelope_sender(message)
        data = message if isinstance(message, bytes) else wire_bytes(message)
        if not dot_stuffed:
            data = dot_stuff(data)
        return await self._send(sender, recipient, data)

    async def _send(
        self, sender: str, recipient: str, data: bytes, *, first: _Failed | None = None
    ) -> DeliveryResult:
        """Attempts with backoff until one is answered; `first`: how a first attempt made
        in a stream (send_all) failed, so this goes on with the second."""
        last_reason = ""
        attempts = self.cfg.retries + 1
        start = 0
        if first is not None:
            last_reason = self._transient(first.error, recipient, 0, first.started)
            start = 1
        for attempt in range(start, attempts):
            if attempt:
                await asyncio.sleep(self._backoff(attempt))
            if self._gave_up():
                if attempt == 0 or not self._opened_session:
                    assert self.stopped is not None
                    raise DeliveryStopped(self.stopped)
                # Tried and not accepted: pending, with what went wrong last.
                return DeliveryResult(recipient, "retry", last_reason)
            await self._rate.wait()
            started = time.monotonic()
            try:
                reply = await self._bounded(self._attempt(sender, recipient, data))
            except _Permanent as exc:
                return self._refused(recipient, exc.reply)
            except _Transient as exc:
                last_reason = self._transient(exc, recipient, attempt, started)
                continue
            return self._accepted(recipient, reply)
        if self.stopped and not self._opened_session:
            raise DeliveryStopped(self.stopped)
        return DeliveryResult(recipient, "retry", last_reason)

    def _accepted(self, recipient: str, reply: str) -> DeliveryResult:
        self._replied()
        log.debug("%s: %s accepted: %s", self.where, recipient, reply)
        return DeliveryResult(recipient, "sent", reply)

    def _refused(self, recipient: str, reply: str) -> DeliveryResult:
        self._replied()
        log.warning("%s: %s refused: %s", self.where, recipient, reply)
        return DeliveryResult(recipient, "failed", reply)

    def _transient(self, exc: _Transient, recipient: str, attempt: int, started: float) -> str:
        """Count a failed attempt (the circuit breaker) and log it; returns its reason."""
        if exc.answered:
            self._replied()
        else:
            self._failed(exc.reason, started)
        log.info(
            "%s: %s: attempt %d of %d failed (%s)",
            self.where,
            recipient,
            attempt + 1,
            self.cfg.retries + 1,
            exc.reason,
        )
        return exc.reason

    def _backoff(self, retry: int) -> float:
        delay: float = min(BACKOFF_CAP_SECONDS, self.cfg.retry_base_seconds * 2.0 ** (retry - 1))
        # Jitter keeps concurrent tasks that failed together from retrying in lockstep.
        delay *= random.uniform(0.5, 1.0)
        if self.deadline is not None:
            delay = min(delay, max(self.deadline - time.monotonic(), 0.0))
        return delay

    # ---- what bounds a run: the circuit breaker and the deadline

    def _gave_up(self) -> bool:
        """True once no more attempts may start: the breaker is open or time is up."""
        if self.stopped is None and self.deadline is not None and time.monotonic() >= self.deadline:
            self.stopped = (
                f"{self.where}: the mailing reached [smtp] run_timeout "
                f"({self.cfg.run_timeout:g} s) and stopped; everyone not mailed stays pending "
                f"for the next `digest send` (if the list needs longer, raise run_timeout, "
                f"and TimeoutStartSec= in digest.service with it)."
            )
            log.warning("%s", self.stopped)
        return self.stopped is not None

    def _replied(self) -> None:
        """The server answered: it is alive, so the failures before do not add up."""
        self._failures_in_row = 0
        self._last_reply = time.monotonic()

    def _failed(self, reason: str, started: float) -> None:
        """A timeout or a dropped or refused connection. It counts only when the server
        has not replied since the attempt began: sessions that fail together in one
        outage are one run of failures, not a failure between two replies."""
        if started < self._last_reply:
            return
        self._failures_in_row += 1
        if self._failures_in_row < self._breaker_after or self.stopped is not None:
            return
        n = self._failures_in_row
        if not self._opened_session:
            self.stopped = (
                f"{self.where}: cannot open an SMTP session after {n} attempts ({reason}); "
                f"check [smtp] host, port and security and that the server is reachable."
            )
        else:
            self.stopped = (
                f"{self.where}: {n} connection failures or timeouts in a row (the last: "
                f"{reason}); no more sessions are opened in this run, and everyone not "
                f"mailed stays pending for the next `digest send`."
            )
        log.warning("%s", self.stopped)

    async def _bounded(self, attempt: typing.Awaitable[_T]) -> _T:
        """Run one attempt; past the deadline it gets `timeout` seconds more at most."""
        if self.deadline is None:
            return await attempt
        left = self.deadline - time.monotonic() + self.cfg.timeout
        try:
            async with asyncio.timeout(max(left, 0.0)):
                return await attempt
        except TimeoutError:
            raise _Transient("timed out at [smtp] run_timeout") from None

    async def _attempt(self, sender: str, recipient: str, data: bytes) -> str:
        if self._slots is None:
            raise RuntimeError("SmtpTransport is used outside `async with`")
        async with self._slots:
            conn = await self._checkout()
            reusable = False
            step = ["after MAIL FROM"]
            try:
                conn.transactions += 1
                if conn.pipeline is not None:
                    response = await self._pipelined(conn.pipeline, sender, recipient, data, step)
                else:
                    response = await self._transaction(conn.client, sender, recipient, data, step)
                reusable = True
                return _reply(response.code, response.message)
            except (aiosmtplib.SMTPException, OSError) as exc:
                failure = self._failure(exc, step[0])
                if isinstance(failure, _Permanent):
                    # The session is fine; only this transaction was refused.
                    reusable = await self._reset(conn)
                raise failure from None
            finally:
                await self._checkin(conn, reusable)

    def _failure(self, exc: BaseException, step: str) -> _Permanent | _Transient:
        """What a failed transaction means: a 5xx refuses this message (_Permanent);
        anything else may pass later (_Transient). 530 (authentication required) stops
        all delivery: UserError."""
        if isinstance(exc, _Transient):
            return exc
        if not isinstance(exc, aiosmtplib.SMTPResponseException):
            return _Transient(_describe(exc, step))
        reply = _reply(exc.code, exc.message)
        if exc.code == 530:
            raise UserError(
                f"{self.where}: the server requires authentication ({reply}); set "
                f"[smtp] username and DIGEST_SMTP_PASSWORD."
            ) from None
        if 500 <= exc.code < 600:
            return _Permanent(reply)
        # 421 closes the session: the server is going away, like a hang-up.
        return _Transient(reply, answered=exc.code != 421)

    @staticmethod
    async def _transaction(
        client: aiosmtplib.SMTP, sender: str, recipient: str, data: bytes, step: list[str]
    ) -> aiosmtplib.SMTPResponse:
        """MAIL, RCPT, DATA; `step` names the one waited for, for a timeout's reason.

        `data` is dot-stuffed already (dot_stuff): aiosmtplib's own DATA would scan
        every message twice more with regular expressions, which costs more than the
        rest of a transaction for a digest-sized message."""
        # What aiosmtplib's mail() and rcpt() send, without parsing a plain address
        # again with email.utils (a third of a transaction's time), and never an
        # address that its parsing would change (_envelope).
        response = await client.execute_command(b"MAIL FROM:" + _envelope(sender))
        if response.code != 250:
            raise aiosmtplib.SMTPSenderRefused(response.code, response.message, sender)
        step[0] = "after RCPT TO"
        response = await client.execute_command(b"RCPT TO:" + _envelope(recipient))
        if response.code not in (250, 251):
            raise aiosmtplib.SMTPRecipientRefused(response.code, response.message, recipient)
        step[0] = "after DATA"
        start = await client.execute_command(b"DATA")
        if start.code != 354:
            raise aiosmtplib.SMTPDataError(start.code, start.message)
        step[0] = "in DATA (the message may or may not have been accepted)"
        protocol = client.protocol
        if protocol is None:
            raise aiosmtplib.SMTPServerDisconnected("Connection lost")
        protocol.write(data + b".\r\n")
        response = await protocol.read_response(timeout=client.timeout)
        if response.code != 250:
            raise aiosmtplib.SMTPDataError(response.code, response.message)
        return response

    @staticmethod
    async def _pipelined(
        pipe: _Pipeline, sender: str, recipient: str, data: bytes, step: list[str]
    ) -> aiosmtplib.SMTPResponse:
        """MAIL, RCPT and DATA in one write, their three replies read in order; then the
        message. Two waits for the server a message instead of four."""
        pipe.write(
            b"MAIL FROM:" + _envelope(sender) + b"\r\nRCPT TO:" + _envelope(recipient) + b"\r\n"
            b"DATA\r\n"
        )
        replies = []
        for waiting_for in ("after MAIL FROM", "after RCPT TO", "after DATA"):
            step[0] = waiting_for
            reply = await pipe.reply()
            if reply.code == 421:  # the server is closing the session: no more replies
                raise aiosmtplib.SMTPResponseException(reply.code, reply.message)
            replies.append(reply)
        mail, rcpt, start = replies
        refused = mail.code != 250 or rcpt.code not in (250, 251)
        if refused and start.code == 354:
            # RFC 2920 3.1: a server that opened DATA anyway gets an empty message.
            pipe.write(b".\r\n")
            await pipe.reply()
        if mail.code != 250:
            raise aiosmtplib.SMTPSenderRefused(mail.code, mail.message, sender)
        if rcpt.code not in (250, 251):
            raise aiosmtplib.SMTPRecipientRefused(rcpt.code, rcpt.message, recipient)
        if start.code != 354:
            raise aiosmtplib.SMTPDataError(start.code, start.message)
        step[0] = "in DATA (the message may or may not have been accepted)"
        pipe.write(data + b".\r\n")  # one write: a copy costs less than a system call
        response = await pipe.reply()
        if response.code != 250:
            raise aiosmtplib.SMTPDataError(response.code, response.message)
        return response

    # ---- a stream of messages on one pipelined session

    async def send_all(
        self,
        messages: Iterator[tuple[_K, str, bytes]],
        done: Callable[[_K, DeliveryResult], None],
    ) -> None:
        """Send each (key, recipient, dot-stuffed data) taken from `messages`, calling
        done(key, result) as each result is known; a message is taken only when a
        session is ready for it.

        Where the server offers PIPELINING (and [smtp] pipelining is true), a session
        carries the messages one after the other with one write and one wait each
        (_stream); a message whose first attempt fails there, and every message
        otherwise, goes through send's attempts. Raises DeliveryStopped like send: the
        message taken last and not given to `done` was not tried.
        """
        if self._slots is None:
            raise RuntimeError("SmtpTransport is used outside `async with`")
        item = self._outgoing(next(messages, None))
        while item is not None:
            if not self.cfg.pipelining or self._unpipelined:
                done(item.key, await self._send(item.sender, item.recipient, item.data))
                item = self._outgoing(next(messages, None))
                continue
            async with self._slots:
                failed, carried = await self._stream(item, messages, done)
            if failed is not None:
                assert failed.failed is not None
                retry = await self._send(
                    failed.sender, failed.recipient, failed.data, first=failed.failed
                )
                done(failed.key, retry)
            item = carried or self._outgoing(next(messages, None))

    def _outgoing(self, taken: tuple[_K, str, bytes] | None) -> _Outgoing[_K] | None:
        if taken is None:
            return None
        key, recipient, data = taken
        return _Outgoing(key, recipient, data, self.sender or envelope_sender(data))

    async def _stream(
        self,
        first: _Outgoing[_K],
        messages: Iterator[tuple[_K, str, bytes]],
        done: Callable[[_K, DeliveryResult], None],
    ) -> tuple[_Outgoing[_K] | None, _Outgoing[_K] | None]:
        """The first attempt of `first` and of the messages after it, on one session.

        RFC 2920 3.1 lets a message's content be the first "command" of a group: each
        write is the open message's content and final dot, then the next message's
        MAIL, RCPT and DATA; the replies (the dot's, then the next message's three) are
        read in that order, so each is the result of the message it belongs to. A
        message's content is written only after its DATA was answered 354, so at most
        one message a session can have been accepted without its result being known.

        Returns (failed, carried): the message whose attempt failed in a way a later
        attempt may get past (its `failed` set; send's attempts go on with it), and the
        one whose commands were written with it but not carried out (tried afresh).
        Both None: the session is done (messages ran out, it is worn out, or the run
        stopped); the caller takes the next message.
        """
        if self._gave_up():
            assert self.stopped is not None
            raise DeliveryStopped(self.stopped)
        await self._rate.wait()
        first.started = time.monotonic()
        try:
            conn = await self._bounded(self._checkout())
        except _Transient as exc:
            first.failed = _Failed(exc, first.started)
            return first, None
        pipe = conn.pipeline
        if pipe is None:  # the server does not offer PIPELINING: one command at a time
            self._unpipelined = True
            await self._checkin(conn, True)
            return None, first
        reusable = False
        opened: _Outgoing[_K] | None = None  # DATA answered 354: its content goes next
        nxt: _Outgoing[_K] | None = first
        try:
            while True:
                if nxt is not None:
                    nxt.envelope = self._envelope_of(nxt, done)
                    if nxt.envelope is None:  # refused without a word to the server
                        nxt = await self._take(conn, messages)
                        if opened is None and nxt is None:
                            reusable = True
                            return None, None
                        continue
                    conn.transactions += 1
                    if nxt is not first:
                        nxt.started = time.monotonic()
                if opened is not None:
                    tail = nxt.envelope if nxt is not None and nxt.envelope else b""
                    pipe.write(opened.data + b".\r\n" + tail)  # one write, one system call
                    try:
                        reply = await self._reply(pipe)
                        if reply.code != 250:
                            raise aiosmtplib.SMTPDataError(reply.code, reply.message)
                    except (aiosmtplib.SMTPException, OSError, _Transient) as exc:
                        failure = self._failure(exc, _IN_DATA)
                        if isinstance(failure, _Transient):
                            opened.failed = _Failed(failure, opened.started)
                            return opened, nxt
                        # The dot's reply ends the transaction, whatever it says (RFC
                        # 5321 4.1.1.4): the next one, already sent, goes on.
                        done(opened.key, self._refused(opened.recipient, failure.reply))
                    else:
                        done(
                            opened.key,
                            self._accepted(opened.recipient, _reply(reply.code, reply.message)),
                        )
                    opened = None
                elif nxt is not None and nxt.envelope:
                    pipe.write(nxt.envelope)
                if nxt is None:
                    reusable = True
                    return None, None
                current, nxt = nxt, None
                step = ["after MAIL FROM"]
                try:
                    await self._opened(pipe, current, step)
                except (aiosmtplib.SMTPException, OSError, _Transient) as exc:
                    failure = self._failure(exc, step[0])
                    if isinstance(failure, _Transient):
                        current.failed = _Failed(failure, current.started)
                        return current, None
                    reset = await self._reset(conn)
                    done(current.key, self._refused(current.recipient, failure.reply))
                    if not reset:
                        return None, None
                    nxt = await self._take(conn, messages)
                    continue
                opened = current
                nxt = await self._take(conn, messages)
        finally:
            await self._checkin(conn, reusable)

    async def _take(
        self, conn: _Connection, messages: Iterator[tuple[_K, str, bytes]]
    ) -> _Outgoing[_K] | None:
        """The next message for this session, or None: none left, the session has carried
        its `messages_per_connection`, or the run stopped."""
        if conn.transactions >= self.cfg.messages_per_connection or self._gave_up():
            return None
        await self._rate.wait()
        return self._outgoing(next(messages, None))

    def _envelope_of(
        self, out: _Outgoing[_K], done: Callable[[_K, DeliveryResult], None]
    ) -> bytes | None:
        """MAIL, RCPT and DATA for one message; None, and the message refused, when an
        address cannot be written in a command."""
        try:
            return (
                b"MAIL FROM:"
                + _envelope(out.sender)
                + b"\r\nRCPT TO:"
                + _envelope(out.recipient)
                + b"\r\nDATA\r\n"
            )
        except aiosmtplib.SMTPRecipientRefused as exc:
            done(out.key, self._refused(out.recipient, _reply(exc.code, exc.message)))
            return None

    async def _opened(self, pipe: _Pipeline, out: _Outgoing[_K], step: list[str]) -> None:
        """Read the replies to a message's MAIL, RCPT and DATA; raise as _pipelined does
        unless the server is ready for its content (354)."""
        replies = []
        for waiting_for in ("after MAIL FROM", "after RCPT TO", "after DATA"):
            step[0] = waiting_for
            reply = await self._reply(pipe)
            if reply.code == 421:  # the server is closing the session: no more replies
                raise aiosmtplib.SMTPResponseException(reply.code, reply.message)
            replies.append(reply)
        mail, rcpt, start = replies
        if mail.code == 250 and rcpt.code in (250, 251) and start.code == 354:
            return
        if start.code == 354:
            # RFC 2920 3.1: a server that opened DATA anyway gets an empty message.
            pipe.write(b".\r\n")
            await self._reply(pipe)
        if mail.code != 250:
            raise aiosmtplib.SMTPSenderRefused(mail.code, mail.message, out.sender)
        if rcpt.code not in (250, 251):
            raise aiosmtplib.SMTPRecipientRefused(rcpt.code, rcpt.message, out.recipient)
        raise aiosmtplib.SMTPDataError(start.code, start.message)

    async def _reply(self, pipe: _Pipeline) -> aiosmtplib.SMTPResponse:
        """The next reply, waited for `timeout` seconds, and never more than `timeout`
        past the run's deadline (as _bounded cuts an attempt)."""
        if self.deadline is None:
            return await pipe.reply()
        left = self.deadline - time.monotonic() + self.cfg.timeout
        if left >= self.cfg.timeout:
            return await pipe.reply()
        try:
            return await pipe.reply(max(left, 0.0))
        except aiosmtplib.SMTPReadTimeoutError:
            raise _Transient("timed out at [smtp] run_timeout") from None

    @staticmethod
    async def _reset(conn: _Connection) -> bool:
        """RSET after a refused transaction; False when the session is no longer usable."""
        try:
            if conn.pipeline is not None:
                conn.pipeline.write(b"RSET\r\n")
                response = await conn.pipeline.reply()
            else:
                response = await conn.client.rset()
        except (aiosmtplib.SMTPException, OSError):
            return False
        return response.code == 250

    # ---- the pool

    async def _checkout(self) -> _Connection:
        while self._idle:
            conn = self._idle.pop()
            if conn.client.is_connected:
                return conn
            await self._close(conn, polite=False)  # the server hung up while it was idle
        if self._fatal is not None:
            raise self._fatal
        try:
            client = await self._connect()
        except UserError as exc:
            self._fatal = exc
            raise
        conn = _Connection(client)
        transport = client.transport
        if (
            self.cfg.pipelining
            and client.supports_extension("pipelining")
            and isinstance(transport, asyncio.Transport)
        ):
            conn.pipeline = _Pipeline(transport, self.cfg.timeout)
        return conn

    async def _checkin(self, conn: _Connection, reusable: bool) -> None:
        worn_out = conn.transactions >= self.cfg.messages_per_connection
        if reusable and not worn_out and conn.client.is_connected:
            self._idle.append(conn)
        else:
            await self._close(conn, polite=reusable)

    @staticmethod
    async def _close(conn: _Connection, *, polite: bool) -> None:
        client = conn.client
        if polite and client.is_connected:
            with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                if conn.pipeline is not None:
                    conn.pipeline.write(b"QUIT\r\n")
                    await conn.pipeline.reply(_QUIT_TIMEOUT)
                else:
                    await client.quit(timeout=_QUIT_TIMEOUT)
        client.close()

    async def _connect(self, steps: list[str] | None = None) -> aiosmtplib.SMTP:
        """A ready session: connected, TLS as configured, authenticated if configured."""
        cfg = self.cfg
        stage = "before the greeting"
        client = aiosmtplib.SMTP(
            hostname=cfg.host,
            port=self.port,
            local_hostname=await local_hostname(),
            timeout=cfg.timeout,
            use_tls=cfg.security == "tls",
            start_tls=False,  # done below, so a server without STARTTLS is an error
            tls_context=self._tls,
        )
        try:
            greeting = await client.connect()
            stage = "after the greeting"
            if steps is not None:
                mode = "implicit TLS" if cfg.security == "tls" else "plain text"
                steps.append(f"connected to {self.where} ({mode}): {_reply(greeting.code, '')}")
            await client.ehlo()
            if cfg.security == "starttls":
                if not client.supports_extension("starttls"):
                    raise UserError(
                        f"{self.where}: the server does not offer STARTTLS, which [smtp] "
                        f'security = "starttls" requires; use security = "tls" for port 465, '
                        f"or check [smtp] host and port."
                    )
                await client.starttls()
                await client.ehlo()  # RFC 3207: forget what was said before TLS, ask again
            if steps is not None and cfg.security != "none":
                steps.append(self._tls_summary(client))
            if cfg.username:
                await self._login(client)
                if steps is not None:
                    steps.append(f"authenticated as '{cfg.username}'")
        except (UserError, asyncio.CancelledError):
            client.close()
            raise
        except (aiosmtplib.SMTPException, OSError) as exc:
            client.close()
            self._raise_for_connect(exc, stage)
        self._opened_session = True
        return client

    def _raise_for_connect(self, exc: BaseException, stage: str = "") -> None:
        """Turn a failure to open a session into UserError (fatal) or _Transient."""
        cert = _cert_error(exc)
        if cert is not None:
            raise UserError(
                f"{self.where}: the server's TLS certificate cannot be verified "
                f"({cert.verify_message}); if it is signed by a private CA, point [smtp] "
                f"ca_file at that CA's certificate."
            ) from None
        handshake = _handshake_error(exc)
        if handshake is not None:
            # Not transient: the same settings meet the same server the same way.
            raise UserError(self._handshake_sentence(_ssl_reason(handshake))) from None
        if isinstance(exc, aiosmtplib.SMTPResponseException) and 500 <= exc.code < 600:
            raise UserError(
                f"{self.where}: the server refused the session "
                f"({_reply(exc.code, exc.message)}); check [smtp] host, port and security."
            ) from None
        raise _Transient(_describe(exc, stage)) from None

    def _handshake_sentence(self, reason: str) -> str:
        security = self.cfg.security
        if security == "tls":
            hint = (
                'security = "tls" speaks TLS from the first byte (usually port 465); for a '
                'server that starts in plain text (port 587 or 25) use security = "starttls"'
            )
        else:
            hint = (
                f'security = "{security}" starts in plain text and then asks for TLS; check '
                "that the server's TLS versions and ciphers are current, or use security = "
                '"tls" for an implicit-TLS port such as 465'
            )
        return (
            f"{self.where}: the TLS handshake failed ({reason}); check [smtp] security and "
            f"port: {hint}."
        )

    async def _login(self, client: aiosmtplib.SMTP) -> None:
        cfg, secret = self.cfg, self.password
        assert secret is not None  # _preflight checked it
        if not client.supports_extension("auth"):
            raise UserError(
                f"{self.where}: the server does not offer AUTH on this connection, so user "
                f"'{cfg.username}' cannot log in; check [smtp] security and port, or remove "
                f"[smtp] username for a relay that needs no login."
            )
        try:
            await client.login(cfg.username, secret.value)
        except aiosmtplib.SMTPAuthenticationError as exc:
            if 400 <= exc.code < 500:
                raise  # "454 try later": transient, the caller retries
            raise UserError(
                f"{self.where}: authentication failed for user '{cfg.username}' "
                f"({_reply(exc.code, exc.message)}); check the password in {secret.origin}."
            ) from None

    @staticmethod
    def _tls_summary(client: aiosmtplib.SMTP) -> str:
        sslobj = client.get_transport_info("ssl_object")
        if isinstance(sslobj, ssl.SSLObject):
            version = sslobj.version() or "TLS"
            cipher = sslobj.cipher()
            return f"{version} established ({cipher[0] if cipher else 'unknown cipher'})"
        return "TLS established"


async def check(cfg: SmtpConfig, password: Secret | None) -> list[str]:
    """For `digest doctor`: connect, TLS, auth, NOOP, QUIT; no mail is sent.

    Returns the steps that passed, one line each; raises UserError at the first failure.
    """
    transport = SmtpTransport(cfg, password)
    transport._preflight()
    steps: list[str] = []
    try:
        client = await transport._connect(steps)
    except _Transient as exc:
        raise UserError(
            f"{transport.where}: cannot open an SMTP session ({exc.reason}); check [smtp] "
            f"host, port and security and that the server is reachable."
        ) from None
    try:
        response = await client.noop()
        steps.append(f"NOOP answered {_reply(response.code, response.message)}")
        await client.quit(timeout=_QUIT_TIMEOUT)
        steps.append("QUIT: session closed, no mail sent")
    except (aiosmtplib.SMTPException, OSError) as exc:
        raise UserError(
            f"{transport.where}: the session broke after login ({_describe(exc)})."
        ) from None
    finally:
        client.close()
    return steps
