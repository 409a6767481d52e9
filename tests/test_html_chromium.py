"""The HTML digest in a real browser engine: headless Chromium renders a non-blank page."""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from test_render import NOW, config, full_digest

from digest.render import render_digest

CHROMIUM = "/usr/bin/chromium"

pytestmark = pytest.mark.chromium


def png_pixels(data: bytes) -> tuple[int, int, bytes]:
    """(width, height, decompressed scanlines) of a PNG, with the stdlib only."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos = 8
    width = height = 0
    idat = bytearray()
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    return width, height, zlib.decompress(bytes(idat))


def screenshot(page: Path, png: Path, profile: Path) -> None:
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            f"--screenshot={png}",
            "--window-size=800,1200",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=60,
        check=False,
    )


def test_the_digest_renders_in_chromium(tmp_path: Path) -> None:
    if not Path(CHROMIUM).is_file() or shutil.which(CHROMIUM) is None:
        pytest.skip(f"Chromium is not installed at {CHROMIUM}")
    page = tmp_path / "digest.html"
    rendered = render_digest(full_digest(), config(tmp_path), now=NOW)
    page.write_text(rendered.personalize("https://lanternfish.example.org/u?token=t")[1])
    png = tmp_path / "digest.png"
    screenshot(page, png, tmp_path / "profile")
    assert png.is_file(), "Chromium wrote no screenshot"
    width, height, pixels = png_pixels(png.read_bytes())
    assert (width, height) == (800, 1200)
    # Each scanline starts with a filter byte; a blank page is one colour everywhere,
    # so after the first row its bytes barely vary. A rendered digest has many values.
    assert len(set(pixels)) > 16, "the screenshot is blank"
