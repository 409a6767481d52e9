"""SMTP delivery (aiosmtplib): TLS, auth, a small connection pool, rate limit, retries.

SmtpTransport implements digest.delivery.base.Transport. Each send() is one SMTP
transaction for one recipient (MAIL FROM, RCPT TO, DATA) on a pooled connection:

- transient trouble (connection refused or dropped, a 4xx reply, a timeout) is
  retried with exponential backoff on a fresh connection; when the retries run
  out the result is "retry" and the ledger keeps the recipient pending;
- a permanent refusal (5xx) is returned as "failed" with the server's reply;
- what stops all delivery (bad credentials, an untrusted certificate, a server
  that cannot be reached at all) raises UserError, one sentence, never the password.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.message
import email.policy
import ipaddress
import logging
import random
import ssl
from dataclasses import dataclass
from email.utils import getaddresses

import aiosmtplib

from digest.config.schema import SmtpConfig
from digest.config.secrets import Secret
from digest.delivery.base import DeliveryResult
from digest.errors import UserError

log = logging.getLogger("digest.smtp")

DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}
BACKOFF_CAP_SECONDS = 30.0
_QUIT_TIMEOUT = 5.0  # saying goodbye must not hold up the run

# Warn about verify = false once per process, not once per connection.
_warned_unverified = False


class _Transient(Exception):
    """This attempt failed but a later one may succeed."""

    def __init__(self, reason: str, *, connected: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.connected = connected  # False: we never got a usable session


class _Permanent(Exception):
    def __init__(self, reply: str) -> None:
        super().__init__(reply)
        self.reply = reply


@dataclass
class _Connection:
    client: aiosmtplib.SMTP
    transactions: int = 0


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


def envelope_sender(message: email.message.EmailMessage) -> str:
    """The address of the message's Sender (else From): the MAIL FROM of the envelope."""
    header = message.get("Sender") or message.get("From")
    addresses = [addr for _, addr in getaddresses([str(header or "")]) if addr]
    if not addresses:
        raise UserError("the digest message has no From address; set [mail] from.")
    return addresses[0]


def _reply(code: int, message: str) -> str:
    """An SMTP reply on one line, as the ledger and the user see it."""
    return " ".join(f"{code} {message}".split())


def _describe(exc: BaseException) -> str:
    """A short reason for a connection-level failure, without a traceback."""
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return _reply(exc.code, exc.message)
    if isinstance(exc, TimeoutError):
        return "timed out"
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

    def __init__(self, cfg: SmtpConfig, password: Secret | None, *, sender: str = "") -> None:
        self.cfg = cfg
        self.password = password
        self.sender = sender  # envelope sender; default: the message's From address
        self.port = smtp_port(cfg)
        self.where = f"{cfg.host}:{self.port}"
        self.concurrency = cfg.max_connections
        self._idle: list[_Connection] = []
        self._slots: asyncio.Semaphore | None = None
        self._rate = _RateLimit(cfg.max_per_second)
        self._tls: ssl.SSLContext | None = None

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

    async def send(self, message: email.message.EmailMessage, recipient: str) -> DeliveryResult:
        sender = self.sender or envelope_sender(message)
        data = message.as_bytes(policy=email.policy.SMTP)
        last_reason = ""
        ever_connected = False
        attempts = self.cfg.retries + 1
        for attempt in range(attempts):
            if attempt:
                await asyncio.sleep(self._backoff(attempt))
            await self._rate.wait()
            try:
                reply = await self._attempt(sender, recipient, data)
            except _Permanent as exc:
                log.warning("%s: %s refused: %s", self.where, recipient, exc.reply)
                return DeliveryResult(recipient, "failed", exc.reply)
            except _Transient as exc:
                last_reason = exc.reason
                ever_connected = ever_connected or exc.connected
                log.info(
                    "%s: %s: attempt %d of %d failed (%s)",
                    self.where,
                    recipient,
                    attempt + 1,
                    attempts,
                    exc.reason,
                )
                continue
            log.debug("%s: %s accepted: %s", self.where, recipient, reply)
            return DeliveryResult(recipient, "sent", reply)
        if not ever_connected:
            raise UserError(
                f"{self.where}: cannot open an SMTP session after {attempts} attempts "
                f"({last_reason}); check [smtp] host, port and security and that the server "
                f"is reachable."
            )
        return DeliveryResult(recipient, "retry", last_reason)

    def _backoff(self, retry: int) -> float:
        delay: float = min(BACKOFF_CAP_SECONDS, self.cfg.retry_base_seconds * 2.0 ** (retry - 1))
        # Jitter keeps concurrent tasks that failed together from retrying in lockstep.
        return delay * random.uniform(0.5, 1.0)

    async def _attempt(self, sender: str, recipient: str, data: bytes) -> str:
        if self._slots is None:
            raise RuntimeError("SmtpTransport is used outside `async with`")
        async with self._slots:
            conn = await self._checkout()
            reusable = False
            try:
                conn.transactions += 1
                response = await self._transaction(conn.client, sender, recipient, data)
                reusable = True
                return _reply(response.code, response.message)
            except aiosmtplib.SMTPResponseException as exc:
                reply = _reply(exc.code, exc.message)
                if exc.code == 530:
                    raise UserError(
                        f"{self.where}: the server requires authentication ({reply}); set "
                        f"[smtp] username and DIGEST_SMTP_PASSWORD."
                    ) from None
                if 500 <= exc.code < 600:
                    # The session is fine; only this transaction was refused.
                    reusable = await self._reset(conn.client)
                    raise _Permanent(reply) from None
                raise _Transient(reply, connected=True) from None
            except (aiosmtplib.SMTPException, OSError) as exc:
                raise _Transient(_describe(exc), connected=True) from None
            finally:
                await self._checkin(conn, reusable)

    @staticmethod
    async def _transaction(
        client: aiosmtplib.SMTP, sender: str, recipient: str, data: bytes
    ) -> aiosmtplib.SMTPResponse:
        await client.mail(sender)
        await client.rcpt(recipient)
        return await client.data(data)

    @staticmethod
    async def _reset(client: aiosmtplib.SMTP) -> bool:
        """RSET after a refused transaction; False when the session is no longer usable."""
        try:
            response = await client.rset()
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
        return _Connection(await self._connect())

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
                await client.quit(timeout=_QUIT_TIMEOUT)
        client.close()

    async def _connect(self, steps: list[str] | None = None) -> aiosmtplib.SMTP:
        """A ready session: connected, TLS as configured, authenticated if configured."""
        cfg = self.cfg
        client = aiosmtplib.SMTP(
            hostname=cfg.host,
            port=self.port,
            timeout=cfg.timeout,
            use_tls=cfg.security == "tls",
            start_tls=False,  # done below, so a server without STARTTLS is an error
            tls_context=self._tls,
        )
        try:
            greeting = await client.connect()
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
        except UserError:
            client.close()
            raise
        except (aiosmtplib.SMTPException, OSError) as exc:
            client.close()
            self._raise_for_connect(exc)
        return client

    def _raise_for_connect(self, exc: BaseException) -> None:
        """Turn a failure to open a session into UserError (fatal) or _Transient."""
        cert = _cert_error(exc)
        if cert is not None:
            raise UserError(
                f"{self.where}: the server's TLS certificate cannot be verified "
                f"({cert.verify_message}); if it is signed by a private CA, point [smtp] "
                f"ca_file at that CA's certificate."
            ) from None
        if isinstance(exc, aiosmtplib.SMTPResponseException) and 500 <= exc.code < 600:
            raise UserError(
                f"{self.where}: the server refused the session "
                f"({_reply(exc.code, exc.message)}); check [smtp] host, port and security."
            ) from None
        raise _Transient(_describe(exc), connected=False) from None

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
