"""How well notes are read, measured: `.venv/bin/python bench/quality.py`.

Runs ../shared/eval/score.py (hand-made expectations for the monthly digest on
three real note histories, see ../shared/eval/README.md) with this checkout's
`digest`, and prints one table line per corpus: the share of checks a maintainer
would agree with, the checks that failed, and how many items the digest called
resolved that are not (the worst mistake). The baseline is the figure measured
before notes were read by kind (issue 9), on the same expectations. `-v` prints
every failing check with the note lines that show it.

Skipped, saying why, where ../shared is absent.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCORE = ROOT.parent / "shared" / "eval" / "score.py"
# Measured with the digest of commit c29d40a (before issue 9), same expectations.
BASELINE = {"ember": 52.6, "nodejs": 25.3, "sklearn": 34.2}
TARGET = 90.0
_LINE = re.compile(r"^(\w+): (\d+)/(\d+) = ([\d.]+)%, wrongly resolved (\d+)$")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="print every failing check")
    args = parser.parse_args()
    if not SCORE.is_file():
        print(f"skipped: {SCORE} is absent (the development set lives in ../shared/eval)")
        return 0
    digest = Path(sys.executable).with_name("digest")
    run = subprocess.run(
        [sys.executable, str(SCORE), "--digest", str(digest)],
        capture_output=True,
        text=True,
        check=False,
    )
    if args.verbose:
        print(run.stdout, end="")
    print(f"{'corpus':<9} {'checks':>9} {'score':>7} {'baseline':>9} {'wrongly resolved':>17}")
    worst = 0
    for line in run.stdout.splitlines():
        m = _LINE.match(line)
        if not m:
            continue
        name, ok, total, pct, wrong = m.groups()
        worst = max(worst, int(wrong))
        base = BASELINE.get(name)
        shown = f"{base:.1f}%" if base is not None else "-"
        print(f"{name:<9} {ok + '/' + total:>9} {float(pct):>6.1f}% {shown:>9} {wrong:>17}")
    print(f"target: >= {TARGET:.0f}% on each corpus, 0 wrongly resolved")
    return 0 if run.returncode == 0 and worst == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
