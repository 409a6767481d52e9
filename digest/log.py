"""Logging set-up: readable in a terminal, one line per event under systemd.

Under systemd ($INVOCATION_ID or $JOURNAL_STREAM set) each line starts with a
sd-daemon level prefix ("<4>") that journald turns into the entry's priority.
"""

from __future__ import annotations

import logging
import os
import sys

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
        text = super().format(record).replace("\n", " ")  # one line per event
        return f"<{level}>{text}"


class TerminalFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if record.levelno >= logging.ERROR:
            return f"error: {text}"
        if record.levelno >= logging.WARNING:
            return f"warning: {text}"
        return text


def under_systemd() -> bool:
    return bool(os.environ.get("INVOCATION_ID") or os.environ.get("JOURNAL_STREAM"))


def setup_logging(verbosity: int = 0) -> None:
    level = logging.INFO
    if verbosity > 0:
        level = logging.DEBUG
    elif verbosity < 0:
        level = logging.WARNING
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JournalFormatter("%(message)s") if under_systemd() else TerminalFormatter("%(message)s")
    )
    root = logging.getLogger("digest")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
