"""The embedded default: the README's main flow on the shipped config and sample notes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from digest.model import Digest

REPO = Path(__file__).resolve().parents[1]
SEPTEMBER_NOTE = "2026-09-03-lanternfish-maintainers.md"


def copy_project(root: Path, *, leave_out: str | None = None) -> Path:
    """config.toml and examples/notes as shipped, in a tmp folder (state, outbox there too)."""
    shutil.copy(REPO / "config.toml", root / "config.toml")
    shutil.copytree(
        REPO / "examples" / "notes",
        root / "examples" / "notes",
        ignore=shutil.ignore_patterns(leave_out) if leave_out else None,
    )
    return root


def digest(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # No secret and no credentials: the quick start must run on a fresh machine as is.
    env = dict(os.environ)
    for name in ("DIGEST_CONFIG", "STATE_DIRECTORY", "CREDENTIALS_DIRECTORY", "DIGEST_SECRET"):
        env.pop(name, None)
    run = subprocess.run(
        [sys.executable, "-m", "digest", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    return run


def october(root: Path) -> dict[str, Any]:
    data = json.loads(digest(root, "preview", "--period", "2026-10", "--format", "json").stdout)
    return {d["series"]: d for d in data}


def test_main_flow_fills_every_bucket(tmp_path: Path) -> None:
    root = copy_project(tmp_path)
    digest(root, "send")  # the README quick start: mails into ./outbox
    sent = sorted(p.parent.name for p in (root / "outbox").glob("*/*.eml"))
    assert "2026-10-lanternfish-maintainers" in sent
    assert "2026-10-lanternfish-community-call" in sent
    assert (root / "state" / "state.db").is_file()

    digests = october(root)
    assert sorted(digests) == [
        "Lanternfish Community Call",
        "Lanternfish Docs Team",
        "Lanternfish Maintainers",
        "Lanternfish Stand-up",
    ]
    for series, data in digests.items():
        assert data["compared_to"] == "2026-09"
        # The stand-up and the docs team show conventions (tests/test_example_conventions.py)
        for bucket in ("highlights", "new", "pending", "resolved", "quiet"):
            if series in ("Lanternfish Community Call", "Lanternfish Maintainers"):
                assert data[bucket], f"{series}: {bucket} is empty"
        assert data["late"] == []  # nothing arrived after its digest

    maintainers = digests["Lanternfish Maintainers"]
    resolved = " ".join(str(e["title"]) for e in maintainers["resolved"])
    assert "Disk spool for back-pressure" in resolved  # a roadmap row, in progress -> Done in 1.4
    assert "Move CI" in resolved
    pending = " ".join(str(e["title"]) for e in maintainers["pending"])
    assert "Kubernetes metadata enrichment" in pending
    # the roadmap row that was already done in July appears nowhere
    everything = json.dumps({b: maintainers[b] for b in Digest.BUCKETS})
    assert "Loki output" not in everything


def test_a_note_committed_after_its_digest_arrives_late(tmp_path: Path) -> None:
    root = copy_project(tmp_path, leave_out=SEPTEMBER_NOTE)
    digest(root, "send", "--period", "2026-09")  # September's digest goes out without it
    note = root / "examples" / "notes" / SEPTEMBER_NOTE
    shutil.copy(REPO / "examples" / "notes" / SEPTEMBER_NOTE, note)
    later = time.time() + 3600  # written down (and seen) after that digest was built
    os.utime(note, (later, later))

    late = october(root)["Lanternfish Maintainers"]["late"]
    assert late, "the September notes did not reach October's digest"
    assert all(e["source"]["path"] == SEPTEMBER_NOTE for e in late)
    assert all(e["late"] is True for e in late)


@pytest.mark.parametrize("name", sorted(p.name for p in (REPO / "examples" / "notes").glob("*.md")))
def test_sample_notes_are_our_own_project(name: str) -> None:
    """The samples are about the invented Lanternfish project, never copied from a real one."""
    text = (REPO / "examples" / "notes" / name).read_text()
    assert "Lanternfish" in text
    assert "falco" not in text.lower()


def test_a_send_limited_to_one_series_leaves_the_others_due(tmp_path: Path) -> None:
    root = copy_project(tmp_path)
    digest(root, "send", "--series", "maintainers")
    sent = sorted(p.parent.name for p in (root / "outbox").glob("*/*.eml"))
    assert sent and all(name.endswith("lanternfish-maintainers") for name in sent)

    # The next scheduled run still owes the Community Call every month since start.
    digest(root, "send")
    calls = sorted(
        p.parent.name for p in (root / "outbox").glob("*-lanternfish-community-call/*.eml")
    )
    assert calls == [
        "2026-08-lanternfish-community-call",
        "2026-09-lanternfish-community-call",
        "2026-10-lanternfish-community-call",
    ]


def test_the_list_copy_says_how_to_leave_the_list(tmp_path: Path) -> None:
    import email
    import email.policy

    root = copy_project(tmp_path)
    digest(root, "send", "--period", "2026-10", "--series", "maintainers")
    (path,) = (root / "outbox" / "2026-10-lanternfish-maintainers").glob("*.eml")
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    # A post to a list: its unsubscribing is the list manager's (it adds List-Unsubscribe).
    assert message["List-Unsubscribe"] is None
    text = " ".join(message.get_body(("plain",)).get_content().split())  # type: ignore[union-attr]
    html = " ".join(message.get_body(("html",)).get_content().split())  # type: ignore[union-attr]
    for body in (text, html):
        assert "you subscribed" not in body
        assert "because you are on the mailing list" in body
    assert "lanternfish-dev@lists.example.org. To stop, leave the list." in text
    assert "digest-unsubscribe@" not in text + html  # no mailbox that cannot remove anyone
