"""The HTML digest in a real browser engine: headless Chromium renders a non-blank page."""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from chromium_driver import chromium
from test_render import NOW, config, full_digest

from digest.mail.render import render_digest

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


def top_rows(data: bytes, count: int) -> list[bytes]:
    """The first `count` rows of an 8-bit RGB/RGBA PNG as RGB(A) bytes, unfiltered.

    PNG rows are filtered (each byte stored relative to its left/upper neighbours);
    undoing it needs only the rows above, so decoding the top of a page stays cheap.
    """
    width, height, raw = png_pixels(data)
    depth, colour = data[24], data[25]
    assert depth == 8 and colour in (2, 6), f"unexpected PNG format {depth}/{colour}"
    bpp = 3 if colour == 2 else 4
    stride = width * bpp
    rows: list[bytes] = []
    above = bytearray(stride)
    for y in range(min(count, height)):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for x in range(stride):
            left = line[x - bpp] if x >= bpp else 0
            up = above[x]
            if kind == 1:
                line[x] = (line[x] + left) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + up) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 0xFF
            elif kind == 4:
                corner = above[x - bpp] if x >= bpp else 0
                guess = left + up - corner
                pl, pu, pc = abs(guess - left), abs(guess - up), abs(guess - corner)
                best = left if pl <= pu and pl <= pc else up if pu <= pc else corner
                line[x] = (line[x] + best) & 0xFF
        rows.append(bytes(line))
        above = line
    if bpp == 4:  # drop alpha
        rows = [bytes(b for i, b in enumerate(row) if i % 4 != 3) for row in rows]
    return rows


def mean_brightness(rows: list[bytes]) -> float:
    """Average of all R, G and B values: 0 is black, 255 is white."""
    return sum(sum(row) for row in rows) / sum(len(row) for row in rows)


def screenshot(page: Path, png: Path, profile: Path, *flags: str) -> None:
    subprocess.run(
        [
            CHROMIUM,
            # The driver's flags, but a one-shot screenshot instead of a DevTools pipe.
            *(f for f in chromium.FLAGS if f != "--remote-debugging-pipe"),
            f"--user-data-dir={profile}",
            f"--screenshot={png}",
            "--window-size=800,1200",
            *flags,
            page.as_uri(),
        ],
        capture_output=True,
        timeout=60,
        check=False,
    )


def need_chromium() -> None:
    if not Path(CHROMIUM).is_file() or shutil.which(CHROMIUM) is None:
        pytest.skip(f"Chromium is not installed at {CHROMIUM}")


def test_the_digest_renders_in_chromium(tmp_path: Path) -> None:
    need_chromium()
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
    assert mean_brightness(top_rows(png.read_bytes(), 200)) > 180, "light mode is not light"


def test_the_digest_is_dark_in_dark_mode(tmp_path: Path) -> None:
    """A reader whose system is in dark mode gets light text on a dark page."""
    need_chromium()
    page = tmp_path / "digest.html"
    rendered = render_digest(full_digest(), config(tmp_path), now=NOW)
    page.write_text(rendered.personalize(None)[1])
    png = tmp_path / "dark.png"
    # Headless Chromium follows --force-dark-mode for prefers-color-scheme; the blink
    # setting (0 = dark) says the same to versions that only honour that one.
    screenshot(
        page,
        png,
        tmp_path / "profile",
        "--force-dark-mode",
        "--blink-settings=preferredColorScheme=0",
    )
    assert png.is_file(), "Chromium wrote no screenshot"
    width, height, pixels = png_pixels(png.read_bytes())
    assert (width, height) == (800, 1200)
    assert len(set(pixels)) > 16, "the dark screenshot is blank"
    rows = top_rows(png.read_bytes(), 200)
    assert mean_brightness(rows) < 60, "the page is not dark in dark mode"
    # the header's text is drawn light on it: some pixels are near white
    assert any(min(row[i : i + 3]) > 200 for row in rows for i in range(0, len(row), 3))
