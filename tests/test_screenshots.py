"""scripts/screenshots.py, which makes the documentation's pictures, still runs.

It builds the sample digest with the real command and captures it in Debian's
headless Chromium; skipped, saying why, where Chromium is not installed.
"""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.chromium


def test_the_screenshot_script_writes_light_and_dark_pngs(tmp_path: Path) -> None:
    if not Path("/usr/bin/chromium").is_file():
        pytest.skip("Chromium is not installed at /usr/bin/chromium")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "screenshots.py"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr
    for scheme in ("light", "dark"):
        data = (tmp_path / f"digest-{scheme}.png").read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack(">II", data[16:24]) == (390, 1200)
        # the committed pictures are the same kind and size
        committed = (ROOT / "docs" / "images" / f"digest-{scheme}.png").read_bytes()
        assert struct.unpack(">II", committed[16:24]) == (390, 1200)
