"""A real SMTP server on loopback for tests (aiosmtpd), with faults on demand.

    with SMTPTestServer(tls="starttls", auth={"digest": "s3cret"},
                        faults=Faults(rcpt_tempfail={"b@x.test": 2})) as server:
        ... send to server.host:server.port, trusting server.cert_file ...
        server.wait_for(3)
        assert server.count_by_recipient()["b@x.test"] == 1

The server runs its own asyncio loop in a thread, so a test may drive it from
synchronous code or from its own event loop. A message counts as received only
once the server has answered 250 to its DATA: a connection dropped or stalled
by a fault leaves nothing behind, like a real MTA that never accepted it.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import email
import email.policy
import functools
import logging
import shutil
import ssl
import subprocess
import tempfile
import threading
import warnings
from collections import Counter
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

TlsMode = Literal["none", "starttls", "tls"]

_BUILTIN_MECHANISMS = ("PLAIN", "LOGIN")

# aiosmtpd logs every command and a deprecation notice on each AUTH: noise in test output.
logging.getLogger("mail.log").setLevel(logging.ERROR)


@dataclass
class Faults:
    """Failures the server injects; each counter is consumed as it fires (thread-safe).

    rcpt_tempfail: a dict {address: N} answers 451 to the first N RCPTs of each
    address; a set answers 451 to that address every time (a mailbox that never
    becomes available, to exhaust the client's retries).

    The hang_* faults stop answering at one step of the session, for the first N
    times that step is reached, and keep the connection open (reading and dropping
    whatever comes) until the client gives up and hangs up: a stalled relay, with no
    timer in the server. `stalls` counts each one that fired.
    """

    reject_connect_times: int = 0  # first N connections: "421" greeting, then closed
    rcpt_tempfail: set[str] | dict[str, int] = field(default_factory=set)
    rcpt_permfail: set[str] = field(default_factory=set)  # answered 550
    # {address: reply}: this exact reply to every RCPT of that address ("550 5.7.1 ...").
    rcpt_replies: dict[str, str] = field(default_factory=dict)
    # {address: [reply, ...]}: the end of DATA of a message to that address is answered
    # with these, one per message, in order, and accepted once they are used up.
    data_replies: dict[str, list[str]] = field(default_factory=dict)
    drop_in_data_times: int = 0  # first N DATA: connection closed after the first data line
    stall_seconds: float = 0  # with stall_times: wait this long before answering DATA's end...
    stall_times: int = 0  # ...for the first N messages, then close without accepting
    delay_per_message: float = 0  # every accepted message waits this long before its 250
    hang_greeting_times: int = 0  # accept the connection, never say 220
    hang_rcpt_times: int = 0  # never answer RCPT TO
    hang_rcpt_of: dict[str, int] = field(default_factory=dict)  # {address: N}: its first N
    hang_in_data_times: int = 0  # answer 354, then nothing more after the first line
    hang_after_data_times: int = 0  # take the whole message, never answer 250
    stalls: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def take(
        self,
        counter: Literal[
            "reject_connect",
            "drop_in_data",
            "stall",
            "hang_greeting",
            "hang_rcpt",
            "hang_in_data",
            "hang_after_data",
        ],
    ) -> bool:
        """True (and one fewer left) when the named fault should fire now."""
        name = f"{counter}_times"
        with self._lock:
            left: int = getattr(self, name)
            if left <= 0:
                return False
            setattr(self, name, left - 1)
            if counter.startswith("hang_"):
                self.stalls[counter.removeprefix("hang_")] += 1
            return True

    def take_hang_rcpt(self, address: str) -> bool:
        """True when this RCPT TO should never be answered (hang_rcpt_times, hang_rcpt_of)."""
        with self._lock:
            if self.hang_rcpt_of.get(address, 0) > 0:
                self.hang_rcpt_of[address] -= 1
                self.stalls["rcpt"] += 1
                return True
        return self.take("hang_rcpt")

    def heal(self) -> None:
        """Every fault off: the server is healthy from now on."""
        with self._lock:
            for name in list(vars(self)):
                if name.endswith("_times"):
                    setattr(self, name, 0)
            self.rcpt_tempfail = set()
            self.rcpt_permfail = set()
            self.rcpt_replies = {}
            self.data_replies = {}
            self.hang_rcpt_of = {}
            self.delay_per_message = 0

    def data_reply(self, addresses: list[str]) -> str | None:
        """The failure reply for the end of this DATA (data_replies), or None to accept it."""
        with self._lock:
            for address in addresses:
                left = self.data_replies.get(address)
                if left:
                    return left.pop(0)
        return None

    def rcpt_reply(self, address: str) -> str | None:
        """The failure reply for this RCPT, or None to accept it."""
        with self._lock:
            if address in self.rcpt_replies:
                return self.rcpt_replies[address]
            if address in self.rcpt_permfail:
                return f"550 5.1.1 <{address}>: mailbox unavailable"
            if isinstance(self.rcpt_tempfail, dict):
                left = self.rcpt_tempfail.get(address, 0)
                if left > 0:
                    self.rcpt_tempfail[address] = left - 1
                    return f"451 4.3.0 <{address}>: try again later"
            elif address in self.rcpt_tempfail:
                return f"451 4.3.0 <{address}>: try again later"
        return None


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes  # exactly what came after DATA, without the final dot
    message: EmailMessage  # data parsed with the modern email policy


@functools.cache
def self_signed_certificate() -> tuple[str, str]:
    """(cert_file, key_file) for localhost / 127.0.0.1, made once per test process."""
    folder = Path(tempfile.mkdtemp(prefix="digest-smtp-cert-"))
    atexit.register(shutil.rmtree, folder, True)
    cert, key = folder / "cert.pem", folder / "key.pem"
    # openssl is everywhere; the `cryptography` package is not a dependency of ours.
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return str(cert), str(key)


def _hang_up(session: SMTP) -> None:
    if session.transport is not None:
        session.transport.close()


async def _silent_until_hung_up(session: SMTP) -> None:
    """Answer nothing more; read and drop what the client sends until it hangs up."""
    with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
        while await session._reader.read(65536):
            pass
    _hang_up(session)


class _FaultySMTP(SMTP):
    """aiosmtpd's SMTP session plus the connection-level faults."""

    def __init__(self, owner: SMTPTestServer, **kwargs: Any) -> None:
        super().__init__(owner, **kwargs)
        self._owner = owner

    async def _handle_client(self) -> None:
        owner = self._owner
        owner._connection_opened()
        try:
            if owner.faults.take("reject_connect"):
                await self.push("421 4.3.2 Service not available, try later")
                _hang_up(self)
                return
            if owner.faults.take("hang_greeting"):
                await _silent_until_hung_up(self)
                return
            await super()._handle_client()
        finally:
            owner._connection_closed()

    async def smtp_DATA(self, arg: str) -> None:
        if (
            self._owner.faults.drop_in_data_times > 0
            and self.envelope is not None
            and self.envelope.rcpt_tos
            and not arg
            and self._owner.faults.take("drop_in_data")
        ):
            await self.push("354 End data with <CR><LF>.<CR><LF>")
            await self._reader.readuntil(b"\r\n")  # the client is mid-message now
            _hang_up(self)
            return
        if (
            self._owner.faults.hang_in_data_times > 0
            and self.envelope is not None
            and self.envelope.rcpt_tos
            and not arg
            and self._owner.faults.take("hang_in_data")
        ):
            await self.push("354 End data with <CR><LF>.<CR><LF>")
            await self._reader.readuntil(b"\r\n")  # the client is mid-message now
            await _silent_until_hung_up(self)
            return
        await super().smtp_DATA(arg)


class SMTPTestServer:
    """An SMTP server on 127.0.0.1 (free port) in a thread; use as a context manager."""

    def __init__(
        self,
        tls: TlsMode = "none",
        auth: dict[str, str] | None = None,
        faults: Faults | None = None,
        auth_mechanisms: tuple[str, ...] = ("PLAIN", "LOGIN"),
        pipelining: bool = False,
    ) -> None:
        self.tls: TlsMode = tls
        # Offer PIPELINING in EHLO (aiosmtpd reads commands one after the other off the
        # connection, so commands sent together are answered in order, as RFC 2920 asks).
        self.pipelining = pipelining
        self.auth = auth
        self.auth_mechanisms = auth_mechanisms  # offered in EHLO; others are not
        self.faults = faults or Faults()
        self.host = "127.0.0.1"
        self.port = 0
        self.cert_file: str | None = None
        self.messages: list[Received] = []
        self.connections = 0  # connections accepted so far
        self.open_connections = 0
        self.peak_connections = 0  # most connections open at the same time
        self.logins: list[tuple[str, str]] = []  # (username, mechanism) that succeeded
        self.rcpts: Counter[str] = Counter()  # every RCPT TO seen, accepted or not
        self.ehlo_names: list[str] = []  # the name each EHLO gave
        self._changed = threading.Condition()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.AbstractServer | None = None
        self._thread: threading.Thread | None = None

    # ---- what tests read

    def wait_for(self, n: int, timeout: float = 10.0) -> None:
        """Block until at least n messages were accepted; AssertionError after timeout."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.messages) >= n, timeout):
                raise AssertionError(
                    f"the test SMTP server received {len(self.messages)} messages "
                    f"within {timeout} s, expected {n}"
                )

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Block until no client connection is open (the client has hung up)."""
        with self._changed:
            if not self._changed.wait_for(lambda: self.open_connections == 0, timeout):
                raise AssertionError(
                    f"{self.open_connections} connections still open after {timeout} s"
                )

    def count_by_recipient(self) -> Counter[str]:
        with self._changed:
            return Counter(r for m in self.messages for r in m.rcpt_tos)

    # ---- lifecycle

    def __enter__(self) -> SMTPTestServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        tls_context: ssl.SSLContext | None = None
        if self.tls != "none":
            cert, key = self_signed_certificate()
            self.cert_file = cert
            tls_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            tls_context.load_cert_chain(cert, key)
        loop = asyncio.new_event_loop()
        self._loop = loop
        ready = threading.Event()
        failure: list[BaseException] = []

        def factory() -> SMTP:
            with warnings.catch_warnings():
                # "AUTH without TLS" is what tls="none" is for, on loopback only.
                warnings.simplefilter("ignore", UserWarning)
                return self._make_session(loop, tls_context)

        async def serve() -> None:
            self._server = await loop.create_server(
                factory,
                self.host,
                0,
                ssl=tls_context if self.tls == "tls" else None,
            )
            self.port = self._server.sockets[0].getsockname()[1]

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(serve())
            except BaseException as exc:
                failure.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

        self._thread = threading.Thread(target=run, name="smtp-test-server", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the test SMTP server did not start within 10 s")
        if failure:
            raise failure[0]

    def stop(self) -> None:
        loop, server = self._loop, self._server
        if loop is None or self._thread is None:
            return

        async def shutdown() -> None:
            if server is not None:
                server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            loop.stop()

        asyncio.run_coroutine_threadsafe(shutdown(), loop)
        self._thread.join(10)
        self._thread = None

    def _make_session(
        self, loop: asyncio.AbstractEventLoop, tls_context: ssl.SSLContext | None
    ) -> SMTP:
        return _FaultySMTP(
            self,
            hostname="smtp.test",
            tls_context=tls_context if self.tls == "starttls" else None,
            require_starttls=self.tls == "starttls",
            authenticator=self._authenticate if self.auth is not None else None,
            auth_required=self.auth is not None,
            # aiosmtpd only counts STARTTLS as TLS; implicit TLS is TLS too.
            auth_require_tls=self.tls == "starttls",
            auth_exclude_mechanism=[
                m for m in _BUILTIN_MECHANISMS if m not in self.auth_mechanisms
            ],
            loop=loop,
        )

    # ---- aiosmtpd hooks (run in the server's thread)

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if not isinstance(data, LoginPassword) or self.auth is None:
            return AuthResult(success=False, handled=False)
        user = data.login.decode("utf-8", "replace")
        if self.auth.get(user) == data.password.decode("utf-8", "replace"):
            with self._changed:
                self.logins.append((user, mechanism))
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    async def handle_EHLO(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        session.host_name = hostname
        with self._changed:
            self.ehlo_names.append(hostname)
        if self.pipelining:
            responses.insert(1, "250-PIPELINING")
        return responses

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        with self._changed:
            self.rcpts[address] += 1
        if self.faults.take_hang_rcpt(address):
            await _silent_until_hung_up(server)
            return "421 4.4.2 timeout"  # written to a closed transport: never seen
        reply = self.faults.rcpt_reply(address)
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.faults.stall_times > 0 and self.faults.take("stall"):
            # Never answer: the client's timeout fires; then hang up without accepting.
            await asyncio.sleep(self.faults.stall_seconds)
            _hang_up(server)
            return "421 4.4.2 timeout"  # written to a closed transport: never seen
        if self.faults.take("hang_after_data"):
            await _silent_until_hung_up(server)
            return "421 4.4.2 timeout"  # never seen, and the message was not accepted
        reply = self.faults.data_reply(envelope.rcpt_tos)
        if reply is not None:
            return reply
        if self.faults.delay_per_message:
            await asyncio.sleep(self.faults.delay_per_message)
        data = bytes(envelope.original_content or b"")
        parsed = email.message_from_bytes(data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        received = Received(
            mail_from=envelope.mail_from or "",
            rcpt_tos=list(envelope.rcpt_tos),
            data=data,
            message=parsed,
        )
        with self._changed:
            self.messages.append(received)
            self._changed.notify_all()
        return "250 2.0.0 OK queued"

    def _connection_opened(self) -> None:
        with self._changed:
            self.connections += 1
            self.open_connections += 1
            self.peak_connections = max(self.peak_connections, self.open_connections)
            self._changed.notify_all()

    def _connection_closed(self) -> None:
        with self._changed:
            self.open_connections -= 1
            self._changed.notify_all()


def _smoke() -> None:  # pragma: no cover - `python tests/smtp_server.py` for a quick look
    import smtplib

    with SMTPTestServer() as server:
        with smtplib.SMTP(server.host, server.port) as client:
            client.sendmail("a@x.test", ["b@x.test"], b"Subject: hi\r\n\r\nhello\r\n")
        server.wait_for(1)
        print(server.messages[0].message["Subject"], server.count_by_recipient())


if __name__ == "__main__":  # pragma: no cover
    _smoke()
