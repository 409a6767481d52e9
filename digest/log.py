"""Logging set-up: readable in a terminal, one line per event under systemd.

Under systemd ($INVOCATION_ID or $JOURNAL_STREAM set) each line starts with a
sd-daemon level prefix ("<4>") that journald turns into the entry's priority.

Secrets never reach a log line: whatever loads one (digest.config.secrets) passes its
value to `register_secret`, and `SecretRedactor`, attached to every handler set
up here, replaces it with "[redacted]" in the message, its arguments and any
traceback text.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
from typing import TextIO

REDACTED = "[redacted]"

# Characters that act on a terminal (or reorder what it shows) instead of being shown:
# C0 controls but tab and newline (ESC starts ANSI sequences, BEL, CR overwrites a
# line), DEL, C1 controls (CSI), and the bidi embeddings/overrides/isolates that make
# "gnp.exe" read as "exe.png" (Trojan Source). Note text and file names are untrusted.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_secrets: set[str] = set()
_secrets_lock = threading.Lock()


def register_secret(value: str) -> None:
    """Never log this value (a password, a token key) from now on."""
    if value:
        with _secrets_lock:
            _secrets.add(value)


def redact(text: str) -> str:
    """`text` with every registered secret replaced by [redacted]."""
    with _secrets_lock:
        # Longest first, so a secret containing another is hidden whole.
        values = sorted(_secrets, key=len, reverse=True)
    for value in values:
        if value in text:
            text = text.replace(value, REDACTED)
    return text


def printable(text: str) -> str:
    """`text` safe to write to a terminal or the journal: each control character is a "?"."""
    return CONTROL_CHARACTERS.sub("?", text)


class SecretRedactor(logging.Filter):
    """Rewrites a record so no registered secret appears in what it formats to."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not _secrets:
            return True
        message = record.getMessage()  # merges args, so a secret in an arg is caught too
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
            record.exc_info = None  # keep formatters from re-rendering the raw traceback
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


_SD_LEVELS = {
    logging.CRITICAL: 2,
    logging.ERROR: 3,
    logging.WARNING: 4,
    logging.INFO: 6,
    logging.DEBUG: 7,
}


class JournalFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        level = _SD_LEVELS.get(record.levelno, 6)
        text = printable(super().format(record)).replace("\n", " ")  # one line per event
        return f"<{level}>{text}"


class TerminalFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        text = printable(super().format(record))
        if record.levelno >= logging.ERROR:
            return f"error: {text}"
        if record.levelno >= logging.WARNING:
            return f"warning: {text}"
        return text


def under_systemd() -> bool:
    return bool(os.environ.get("INVOCATION_ID") or os.environ.get("JOURNAL_STREAM"))


def setup_logging(verbosity: int = 0, stream: TextIO | None = None) -> None:
    """Log digest's events to stderr: -v (verbosity 1) adds debug, -q (-1) keeps
    warnings and errors, -qq (-2) only errors."""
    level = logging.INFO
    if verbosity > 0:
        level = logging.DEBUG
    elif verbosity == -1:
        level = logging.WARNING
    elif verbosity < -1:
        level = logging.ERROR
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.addFilter(SecretRedactor())
    handler.setFormatter(
        JournalFormatter("%(message)s") if under_systemd() else TerminalFormatter("%(message)s")
    )
    root = logging.getLogger("digest")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
