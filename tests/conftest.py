"""Shared fixtures. The real Falco corpus is read from ../shared when it is there."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import settings

# CI runs the property tests with fixed examples, so a run fails only for a change
# made since the last one; a developer's run keeps exploring new examples.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

REPO_ROOT = Path(__file__).resolve().parents[1]
FALCO_BUNDLE = REPO_ROOT.parent / "shared" / "corpus" / "falco-community-notes.bundle"


@pytest.fixture(autouse=True)
def _no_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test asks the internet's DNS: `digest doctor` (also in a subprocess) skips
    its SPF/DMARC checks; tests of them pass a lookup of their own."""
    monkeypatch.setenv("DIGEST_NO_DNS", "1")


@pytest.fixture(scope="session")
def falco_bundle() -> Path:
    """The bundle of the real Falco meeting-notes history, or skip saying why."""
    if not FALCO_BUNDLE.is_file():
        pytest.skip(f"the Falco corpus is not at {FALCO_BUNDLE} (../shared is absent)")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    return FALCO_BUNDLE


@pytest.fixture(scope="session")
def falco_clone(falco_bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A read-only working clone of the bundle (shared by the session: do not modify)."""
    dest = tmp_path_factory.mktemp("falco") / "falco-notes"
    subprocess.run(
        ["git", "clone", "-q", str(falco_bundle), str(dest)],
        check=True,
        capture_output=True,
    )
    return dest
