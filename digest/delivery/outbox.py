"""How a built message leaves: the Transport protocol and the outbox transport.

The send loop (digest.send) only knows this protocol. Two transports implement it:
OutboxTransport here (writes .eml files, the default, safe to run anywhere) and
digest.smtp.SmtpTransport (real delivery; imported lazily so the outbox path never
pays for it).
"""

from __future__ import annotations

import contextlib
import email.message
import email.policy
import email.utils
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from digest.errors import UserError

if TYPE_CHECKING:
    from digest.config.schema import Config
    from digest.periods import Period

DeliveryStatus = Literal["sent", "failed", "retry"]


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

    `send` is called from up to `concurrency` asyncio tasks at once; after each
    result the caller commits it to the ledger before that task sends again.
    `send` reports failures as results; it raises only for a problem that stops
    all delivery (bad credentials, unreachable server) — as a UserError.
    """

    concurrency: int  # how many send() calls may run at once

    async def __aenter__(self) -> Transport: ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def send(self, message: email.message.EmailMessage, recipient: str) -> DeliveryResult: ...


_UNSAFE_IN_FILENAME = re.compile(r"[^A-Za-z0-9@._+-]")


def outbox_filename(recipient: str) -> str:
    """A file name for a recipient's message: the address, with anything odd replaced."""
    name = _UNSAFE_IN_FILENAME.sub("_", recipient.lower()).lstrip(".")
    return f"{name or 'recipient'}.eml"


def slug(text: str) -> str:
    """A lower-case, dash-separated folder name part ("Core Maintainers" -> "core-maintainers")."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "digest"


def batch_folder(period: Period, series: str) -> str:
    """The outbox folder of one digest: "<period>-<series-slug>"."""
    return f"{period}-{slug(series)}"


class OutboxTransport:
    """Writes each message to <outbox>/<batch>/<recipient>.eml.

    Each file is written to a temporary name, flushed to disk and renamed into
    place, so a crash never leaves a half-written message that looks finished.
    """

    concurrency = 1  # local file writes: parallelism buys nothing

    def __init__(self, outbox_dir: Path, batch: str = "") -> None:
        self.folder = outbox_dir / batch if batch else outbox_dir

    async def __aenter__(self) -> OutboxTransport:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(
                f"outbox folder {self.folder} cannot be created ({exc.strerror}); "
                f"check [outbox] path."
            ) from None
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def send(self, message: email.message.EmailMessage, recipient: str) -> DeliveryResult:
        target = self.folder / outbox_filename(recipient)
        try:
            data = message.as_bytes(policy=email.policy.SMTP)
            _write_atomically(target, data)
        except OSError as exc:
            return DeliveryResult(recipient, "failed", f"{target}: {exc.strerror or exc}")
        return DeliveryResult(recipient, "sent", str(target))


def _write_atomically(target: Path, data: bytes) -> None:
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".eml")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


def make_transport(cfg: Config, *, batch: str = "") -> Transport:
    """The transport [mail] transport names: "outbox" (default) or "smtp".

    `batch` is the outbox sub-folder for one digest (see batch_folder); SMTP ignores it.
    SmtpTransport is built as SmtpTransport(cfg.smtp, password): password is the
    digest.secrets.Secret, or None when no password is configured anywhere.
    """
    if cfg.mail.transport == "smtp":
        from digest.config.secrets import SMTP_PASSWORD, find_secret
        from digest.delivery.smtp import SmtpTransport

        secret = find_secret(SMTP_PASSWORD, cfg.smtp.password_file, "[smtp] password_file")
        envelope_sender = email.utils.parseaddr(cfg.mail.sender)[1]
        transport: Transport = SmtpTransport(cfg.smtp, secret, sender=envelope_sender)
        return transport
    return OutboxTransport(cfg.outbox_dir, batch)
