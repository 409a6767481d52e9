"""The outbox transport: each message an .eml file (the default; nothing leaves the host)."""

from __future__ import annotations

import contextlib
import email.message
import email.policy
import email.utils
import os
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from digest.delivery.base import DeliveryResult, K
from digest.errors import UserError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from digest.periods import Period

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
    stopped: str | None = None  # it never gives up on a run

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

    async def send(
        self,
        message: email.message.EmailMessage | bytes,
        recipient: str,
        *,
        dot_stuffed: bool = False,
    ) -> DeliveryResult:
        target = self.folder / outbox_filename(recipient)
        try:
            if isinstance(message, bytes):
                data = message.replace(b"\r\n..", b"\r\n.") if dot_stuffed else message
                if dot_stuffed and data[:2] == b"..":
                    data = data[1:]
            else:
                data = message.as_bytes(policy=email.policy.SMTP)
            _write_atomically(target, data)
        except OSError as exc:
            return DeliveryResult(recipient, "failed", f"{target}: {exc.strerror or exc}")
        return DeliveryResult(recipient, "sent", str(target))

    async def send_all(
        self,
        messages: Iterator[tuple[K, str, bytes]],
        done: Callable[[K, DeliveryResult], None],
    ) -> None:
        for key, recipient, data in messages:
            done(key, await self.send(data, recipient, dot_stuffed=True))


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
