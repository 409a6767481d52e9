"""Take the documentation's screenshots of a digest, from the shipped sample notes.

    .venv/bin/python scripts/screenshots.py            # writes docs/images/*.png
    .venv/bin/python scripts/screenshots.py --out DIR

Builds the October 2026 digest of the sample "Lanternfish Maintainers" series
(config.toml and examples/notes/, copied to a temporary folder so no state or
outbox is left behind) with `digest preview -f html`, then captures it in headless
Chromium (Debian's /usr/bin/chromium, driven by scripts/chromium.py) at a phone's
width, in the light and the dark colour scheme: digest-light.png, digest-dark.png.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from chromium import CHROMIUM, Chromium, available

ROOT = Path(__file__).resolve().parents[1]
PERIOD, SERIES = "2026-10", "maintainers"
WIDTH, HEIGHT = 390, 1200  # a phone's width; the top of the digest


def build_digest(folder: Path) -> Path:
    """The sample digest as HTML, built by the real command in `folder`."""
    shutil.copy(ROOT / "config.toml", folder / "config.toml")
    shutil.copytree(ROOT / "examples", folder / "examples")
    page = folder / "digest.html"
    digest = [sys.executable, "-m", "digest", "--config", str(folder / "config.toml"), "-q"]
    subprocess.run(
        [*digest, "preview", "--period", PERIOD, "--series", SERIES, "-f", "html", "-o", str(page)],
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=120,
    )
    return page


def take(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory(prefix="digest-screenshots-") as tmp:
        page = build_digest(Path(tmp))
        with Chromium() as browser:
            for scheme in ("light", "dark"):
                tab = browser.open(page.as_uri(), width=WIDTH, height=HEIGHT, dark=scheme == "dark")
                written.append(tab.screenshot(out / f"digest-{scheme}.png", full_page=False))
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    args = parser.parse_args()
    if not available():
        print(f"screenshots: Chromium is not installed at {CHROMIUM}.", file=sys.stderr)
        return 1
    for path in take(args.out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
