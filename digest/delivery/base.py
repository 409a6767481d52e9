"""How a built message leaves: the Transport protocol, its result, and the factory.

The send loop (digest.app.send) only knows this protocol. Two transports implement
it: digest.delivery.outbox.OutboxTransport (writes .eml files, the default, safe to
run anywhere) and digest.delivery.smtp.SmtpTransport (real delivery; imported
lazily so the outbox path never pays for aiosmtplib).
"""

from __future__ import annotations

import email.message
import email.utils
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol, TypeVar

from digest.errors import UserError

if TYPE_CHECKING:
    from digest.config.schema import Config

DeliveryStatus = Literal["sent", "failed", "retry"]
K = TypeVar("K")  # what the caller of send_all knows a message by


class DeliveryStopped(UserError):
    """The transport opens no more sessions in this run (its circuit breaker opened, or
    the run's deadline passed). Raised by `send` for a recipient it did not try: that
    recipient, like everyone not mailed yet, stays pending for the next run."""


@dataclass(frozen=True)
class DeliveryResult:
    """What happened to one message for one recipient."""

    recipient: str
    # sent: accepted (SMTP 250 / file written); failed: permanent (5xx), do not retry;
    # retry: transient trouble, the transport gave up for now and the next run retries.
    status: DeliveryStatus
    # The SMTP reply ("250 2.0.0 Ok: queued as X", "550 5.1.1 no such user") or the
    # outbox file path; stored in the ledger and shown in the failure summary.
    reply: str


class Transport(Protocol):
    """An async context manager that delivers messages one recipient at a time.

    `send` (or `send_all`, which the send loop uses) is called from up to `concurrency`
    asyncio tasks at once. The message is
    an EmailMessage or its bytes as email.policy.SMTP flattens it (CRLF line ends);
    dot_stuffed=True: bytes with every line that starts with a dot given one more,
    as DATA carries them (digest.mail.message.dot_stuff). The caller records each
    result in the ledger, in small groups (digest.app.send.LedgerGroup).
    `send` reports failures as results; it raises only for a problem that stops
    all delivery (bad credentials, unreachable server) — as a UserError, or as
    DeliveryStopped when the transport gave up for this run (then `stopped` says why).
    """

    concurrency: int  # how many send() calls may run at once
    # Why the transport stopped opening sessions for this run, once it did; else None.
    stopped: str | None

    async def __aenter__(self) -> Transport: ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def send(
        self,
        message: email.message.EmailMessage | bytes,
        recipient: str,
        *,
        dot_stuffed: bool = False,
    ) -> DeliveryResult: ...

    async def send_all(
        self,
        messages: Iterator[tuple[K, str, bytes]],
        done: Callable[[K, DeliveryResult], None],
    ) -> None:
        """Send each (key, recipient, dot-stuffed bytes) taken from `messages`, calling
        done(key, result) as each result is known (not necessarily in order); a message
        is taken only when the transport is ready to send it. Raises like `send`: after
        DeliveryStopped, the message taken last and not given to `done` was not tried."""
        ...


def make_transport(cfg: Config, *, batch: str = "", deadline: float | None = None) -> Transport:
    """The transport [mail] transport names: "outbox" (default) or "smtp".

    `batch` is the outbox sub-folder for one digest (see batch_folder); SMTP ignores it.
    `deadline` (a time.monotonic() value) is when SMTP starts no more attempts: the
    end of the run's [smtp] run_timeout; the outbox ignores it.
    SmtpTransport is built as SmtpTransport(cfg.smtp, password): password is the
    digest.config.secrets.Secret, or None when no password is configured anywhere.
    """
    if cfg.mail.transport == "smtp":
        from digest.config.secrets import SMTP_PASSWORD, find_secret
        from digest.delivery.smtp import SmtpTransport

        secret = find_secret(SMTP_PASSWORD, cfg.smtp.password_file, "[smtp] password_file")
        envelope_sender = email.utils.parseaddr(cfg.mail.sender)[1]
        transport: Transport = SmtpTransport(
            cfg.smtp, secret, sender=envelope_sender, deadline=deadline
        )
        return transport
    from digest.delivery.outbox import OutboxTransport

    return OutboxTransport(cfg.outbox_dir, batch)
