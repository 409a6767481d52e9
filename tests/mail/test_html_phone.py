"""The HTML digest on a phone: no horizontal scrolling at 360 and 390 CSS pixels.

Digests are built by the real pipeline (`digest preview -f html`) from notes full
of what breaks narrow layouts: long bare URLs, long links, long words and file
names, arrows, a long series name, more entries than `max_entries` (so the
compact list shows too), and an item gone quiet. Headless Chromium emulates a
phone (scripts/chromium.py: a real mobile viewport, `<meta name="viewport">`
applied) and measures the page; light and dark screenshots of each width are kept
in build/test-artefacts/ (or $DIGEST_TEST_ARTEFACTS) for a person to look at.
"""

from __future__ import annotations

import os
import shutil
import struct
from pathlib import Path
from typing import Any

import pytest
from chromium_driver import chromium
from notes_project import run_digest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.chromium


SERIES = "Observability and Instrumentation Working Session of the Kubernetes Special Interest"
LONG_DOC = (
    "https://docs.google.com/document/d/1xQ9vRk2LmN8pZa7Tb3Cc4Dd5Ee6Ff7Gg8Hh9Ii0Jj/"
    "edit?tab=t.0#heading=h.4f8zq2x9kd1m"
)
LONG_BLOB = (
    "https://github.com/kubernetes-sigs/instrumentation-tools/blob/"
    "5f3c0e1a9b8d7c6e5f4a3b2c1d0e9f8a7b6c5d4e/docs/proposals/"
    "0042-structured-logging-migration-plan.md#L120-L188"
)
PROM = "https://prometheus.io/docs/instrumenting/writing_exporters/#metrics-naming-and-labels"
OTEL = "https://opentelemetry.io/docs/specs/otel/logs/data-model-appendix/#elastic-common-schema"

NOTES = {
    "2026-08-05-observability-working-session.md": f"""\
# 2026-08-05 {SERIES}

## Action items

- [ ] [wojciech-przybyszewski] migrate the remaining klog calls, plan: {LONG_BLOB}
- [ ] [ana] write up the metrics-stability-framework-deprecation-policy-for-alpha-metrics
- [ ] [ben] review the dashboards -> in progress
""",
    "2026-09-02-observability-working-session.md": f"""\
# 2026-09-02 {SERIES}

## Action items

- [ ] [wojciech-przybyszewski] migrate the remaining klog calls -> in progress, see {LONG_BLOB}
- [ ] [ben] review the dashboards -> in progress
- [ ] [carla] benchmark `--logging-format=json-with-very-long-option-name-for-testing` output
""",
    "2026-10-07-observability-working-session.md": f"""\
# 2026-10-07 {SERIES}

## Highlights

- The structured logging KEP reached beta; the design notes are in {LONG_DOC}

## Action items

- [x] [wojciech-przybyszewski] migrate the remaining klog calls -> done, {LONG_BLOB}
- [ ] [ben] review the dashboards -> in progress
- [ ] [carla] benchmark `--logging-format=json-with-very-long-option-name-for-testing` output
- [ ] [dmitri] compare {PROM}-in-depth with our rules
- [ ] [eun-ji] read {OTEL}-mapping-for-everything
- [ ] [fatima] Supercalifragilisticexpialidociouslylongidentifiernamethatneverbreaks -> TBD
- [ ] [gustavo] link {LONG_DOC} from the KEP
""",
}


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """HTML digests of the long-URL notes and of the shipped sample notes (2026-10)."""
    if not chromium.available():
        pytest.skip(f"Chromium is not installed at {chromium.CHROMIUM}")
    root = tmp_path_factory.mktemp("phone")
    notes = root / "notes"
    notes.mkdir()
    for name, text in NOTES.items():
        (notes / name).write_text(text, encoding="utf-8")
    config = root / "config.toml"
    config.write_text(
        """\
[digest]
title = "A digest with a rather long name for a phone"
state_dir = "state"
max_entries = 2

[[sources]]
name = "observability-working-session-notes"
kind = "dir"
path = "notes"
web_url = "https://git.example.org/kubernetes-sigs/instrumentation/src/branch/main/{path}#L{line}"

[mail]
list_address = "kubernetes-sig-instrumentation-working-session@lists.example.org"
unsubscribe_mailto = "kubernetes-sig-instrumentation-working-session-leave@lists.example.org"
""",
        encoding="utf-8",
    )
    long_html = root / "long.html"
    run = run_digest(config, "preview", "--period", "2026-10", "-f", "html", "-o", str(long_html))
    assert run.code == 0, run.err
    sample = root / "sample"
    sample.mkdir()
    shutil.copy(ROOT / "config.toml", sample / "config.toml")
    shutil.copytree(ROOT / "examples", sample / "examples")
    out = sample / "digest.html"
    run = run_digest(
        sample / "config.toml", "preview", "--period", "2026-10", "-f", "html", "-o", str(out)
    )
    assert run.code == 0, run.err
    built = [long_html, *sorted(sample.glob("digest-*.html"))]
    assert len(built) == 5, built
    return built


# The elements that stick out past the right edge, innermost first, for the message.
MEASURE = """(() => {
  const width = %d, out = [];
  for (const e of document.querySelectorAll('body *')) {
    const r = e.getBoundingClientRect();
    if (r.width > 0 && r.right > width + 0.5 && !e.querySelector('*'))
      out.push(`${e.tagName.toLowerCase()}.${e.className} ${Math.round(r.right)}px: ` +
               (e.textContent || '').trim().slice(0, 60));
  }
  return {width: document.documentElement.scrollWidth, wide: out.slice(0, 5)};
})()"""


def artefacts() -> Path:
    folder = Path(os.environ.get("DIGEST_TEST_ARTEFACTS", ROOT / "build" / "test-artefacts"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.parametrize("width", [360, 390])
def test_no_digest_scrolls_sideways_on_a_phone(pages: list[Path], width: int) -> None:
    with chromium.Chromium() as browser:
        for page in pages:
            found: dict[str, Any] = browser.open(page.as_uri(), width=width).evaluate(
                MEASURE % width
            )
            assert found["width"] <= width, (page.name, found)


@pytest.mark.parametrize("width", [360, 390])
def test_light_and_dark_screenshots_at_phone_width(pages: list[Path], width: int) -> None:
    """Kept as artefacts; the dark one is dark, both as wide as the phone."""
    long_html = pages[0]
    with chromium.Chromium() as browser:
        for scheme in ("light", "dark"):
            page = browser.open(long_html.as_uri(), width=width, dark=scheme == "dark")
            background = page.evaluate(
                "getComputedStyle(document.querySelector('.card')).backgroundColor"
            )
            assert background == ("rgb(22, 27, 34)" if scheme == "dark" else "rgb(255, 255, 255)")
            png = page.screenshot(artefacts() / f"phone-{width}-{scheme}.png")
            found_width, height = png_size(png.read_bytes())
            assert found_width == width and height > 800
