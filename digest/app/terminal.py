"""What only a terminal shows: progress bars on stderr and the styled preview.

Everything here is a no-op (or plain text) when the stream is not a terminal, so
a timer's journal and a pipe get the same words without escapes. rich is imported
only when a bar or a styled text is really drawn.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any

Advance = Callable[[], None]


class TerminalProgress:
    """A rich progress bar on stderr, shown only when stderr is a terminal and work is long."""

    MIN_TOTAL = 20

    def __init__(self, description: str = "syncing notes") -> None:
        self.description = description
        self._bar: Any = None
        self._task: Any = None
        self._streams: list[tuple[logging.StreamHandler[Any], Any]] = []

    def __call__(self, done: int, total: int) -> None:
        if self._bar is None:
            if total < self.MIN_TOTAL or not sys.stderr.isatty():
                return
            from rich.console import Console
            from rich.progress import Progress as RichProgress

            self._bar = RichProgress(console=Console(stderr=True), transient=True)
            self._bar.start()
            self._task = self._bar.add_task(self.description, total=total)
            # While the bar is live, sys.stderr is rich's proxy that prints above the
            # bar: point the log handlers at it so warnings do not garble the bar.
            for handler in logging.getLogger("digest").handlers:
                if isinstance(handler, logging.StreamHandler):
                    self._streams.append((handler, handler.setStream(sys.stderr)))
        self._bar.update(self._task, completed=done, total=total)

    def __enter__(self) -> TerminalProgress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for handler, stream in self._streams:
            handler.setStream(stream)
        if self._bar is not None:
            self._bar.stop()


@contextmanager
def progress_bar(enabled: bool, total: int, description: str) -> Iterator[Advance]:
    """A rich progress bar on stderr, only when stderr is a terminal."""
    if not enabled or total == 0 or not sys.stderr.isatty():
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task(description, total=total)
        yield lambda: progress.advance(task)


_HEADING = re.compile(r"^[A-Z0-9][A-Z0-9 —–&'’.,:()-]+ \(\d+\)$|^MEETINGS$")
_NOTE_MARK = re.compile(r"\[\d+\]")


def terminal_text(text: str) -> Any:
    """The plain-text digest as a rich Text: headings bold, bullets and links coloured.

    Styles are applied to the rendered text (not a second template), so what the
    terminal shows is word for word what the plain-text mail says.
    """
    from rich.text import Text

    out = Text()
    lines = text.split("\n")
    in_footnotes = False
    for number, line in enumerate(lines):
        styled = Text(line)
        if number == 1:
            styled.stylize("bold")
        elif line == "--":
            in_footnotes = True
        elif in_footnotes and line.startswith("["):
            styled.stylize("blue", line.find("]") + 2)
        elif _HEADING.match(line):
            styled.stylize("bold cyan")
        elif line.startswith("  * "):
            styled.stylize("bold yellow", 2, 3)
        for m in _NOTE_MARK.finditer(line):
            styled.stylize("blue", m.start(), m.end())
        out.append_text(styled)
        if number < len(lines) - 1:
            out.append("\n")
    return out
