"""Drive Debian's headless Chromium over the DevTools protocol, with the stdlib only.

`--screenshot` alone cannot show a phone: headless windows are at least 500 px wide,
and it has no way to emulate one. Over `--remote-debugging-pipe` (file descriptors
3 and 4, one JSON message per NUL-terminated chunk) the page gets a real phone
viewport (`Emulation.setDeviceMetricsOverride` with `mobile: true`, so `<meta
name="viewport">` applies), the light or dark colour scheme, and can be measured
with JavaScript and captured at full height.

Used by scripts/screenshots.py (the documentation's pictures) and by
tests/mail/test_html_chromium.py (no horizontal overflow at phone widths).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

CHROMIUM = "/usr/bin/chromium"

# As the probe of this machine runs it: no sandbox (root), no GPU, and none of the
# background connections a closed network would refuse.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
)


def available(binary: str = CHROMIUM) -> bool:
    return Path(binary).is_file() and shutil.which(binary) is not None


class ChromiumError(RuntimeError):
    pass


class Chromium:
    """One headless Chromium; `with Chromium() as browser: browser.open(...)`."""

    def __init__(self, binary: str = CHROMIUM, timeout: float = 60.0) -> None:
        self.timeout = timeout
        self._profile = tempfile.TemporaryDirectory(prefix="digest-chromium-")
        to_child, self._to_browser = os.pipe()
        self._from_browser, from_child = os.pipe()

        def fds_3_and_4() -> None:  # in the child, before exec: its pipe ends as 3 and 4
            high_in = os.dup(to_child)
            high_out = os.dup(from_child)
            os.dup2(high_in, 3)
            os.dup2(high_out, 4)

        self._proc = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={self._profile.name}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            # Python's own descriptors are close-on-exec (PEP 446); only the two
            # dup2'd above are inherited.
            close_fds=False,
            preexec_fn=fds_3_and_4,
        )
        os.close(to_child)
        os.close(from_child)
        self._next_id = 0
        self._buffer = b""
        self._events: list[dict[str, Any]] = []

    # ---- the protocol ----------------------------------------------------------------

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        """Send one command and wait for its answer (events that come first are kept)."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        while True:
            answer = self._read()
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise ChromiumError(f"{method}: {answer['error'].get('message')}")
                result: dict[str, Any] = answer.get("result", {})
                return result
            if "method" in answer:
                self._events.append(answer)

    def wait_for(self, method: str, session: str | None = None) -> dict[str, Any]:
        """The next event `method` (of `session`), waiting at most `timeout` seconds."""
        while True:
            for event in self._events:
                if event["method"] == method and event.get("sessionId") == session:
                    self._events.remove(event)
                    return event
            self._events.append(self._read())

    def _read(self) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._from_browser], [], [], max(left, 0))
            if not ready:
                raise ChromiumError(f"Chromium did not answer within {self.timeout:.0f} s")
            chunk = os.read(self._from_browser, 1 << 20)
            if not chunk:
                raise ChromiumError("Chromium closed the DevTools pipe (did it start?)")
            self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        parsed: dict[str, Any] = json.loads(raw)
        return parsed

    # ---- pages -----------------------------------------------------------------------

    def open(
        self, url: str, *, width: int, height: int = 800, dark: bool = False, mobile: bool = True
    ) -> Page:
        """A new tab at `width` x `height` CSS pixels showing `url`, once it has loaded."""
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        page = Page(self, session, width, height, mobile)
        self.call("Page.enable", session)
        page.resize(height)
        scheme = "dark" if dark else "light"
        self.call(
            "Emulation.setEmulatedMedia",
            session,
            features=[{"name": "prefers-color-scheme", "value": scheme}],
        )
        self.call("Page.navigate", session, url=url)
        self.wait_for("Page.loadEventFired", session)
        return page

    def close(self) -> None:
        try:
            if self._proc.poll() is None:
                with contextlib.suppress(ChromiumError, OSError):
                    self.call("Browser.close")
                try:
                    self._proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self._proc.kill()
                    self._proc.wait(timeout=10)
        finally:
            os.close(self._to_browser)
            os.close(self._from_browser)
            self._profile.cleanup()

    def __enter__(self) -> Chromium:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class Page:
    def __init__(self, browser: Chromium, session: str, width: int, height: int, mobile: bool):
        self.browser, self.session = browser, session
        self.width, self.height, self.mobile = width, height, mobile

    def resize(self, height: int) -> None:
        self.height = height
        self.browser.call(
            "Emulation.setDeviceMetricsOverride",
            self.session,
            width=self.width,
            height=height,
            deviceScaleFactor=1,
            mobile=self.mobile,
        )

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (JSON-serializable)."""
        answer = self.browser.call(
            "Runtime.evaluate", self.session, expression=expression, returnByValue=True
        )
        if "exceptionDetails" in answer:
            raise ChromiumError(f"{expression[:60]}…: {answer['exceptionDetails'].get('text')}")
        return answer["result"].get("value")

    def screenshot(self, png: Path, *, full_page: bool = True) -> Path:
        """Write a PNG of the page (the whole height, at the page's width)."""
        if full_page:
            height = int(self.evaluate("document.documentElement.scrollHeight"))
            self.resize(max(height, 1))
        data = self.browser.call("Page.captureScreenshot", self.session, format="png")["data"]
        png.write_bytes(base64.b64decode(data))
        return png
