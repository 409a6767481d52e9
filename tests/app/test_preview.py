"""`digest preview`: the real command on a copy of the sample notes, every format."""

from __future__ import annotations

import email
import email.policy
import html
import json
import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from digest.app.preview import run_preview
from digest.config.load import load_config
from digest.model import Digest
from digest.periods import Period

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's config.toml and sample notes, copied; state and outbox in tmp.

    Shared by the tests of this file (previews never change what a later one shows).
    """
    root = tmp_path_factory.mktemp("lanternfish")
    shutil.copy(REPO / "config.toml", root / "config.toml")
    shutil.copytree(REPO / "examples" / "notes", root / "examples" / "notes")
    return root


def preview(project: Path, **options: Any) -> None:
    """run_preview in this process (fast); the CLI itself is run by the tests below."""
    if isinstance(options.get("period"), str):
        options["period"] = Period.parse(options["period"])
    run_preview(load_config(project / "config.toml"), now=NOW, **options)


def digest(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DIGEST_SECRET": "preview-test-secret-0123456789"}
    env.pop("DIGEST_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "digest", "--config", str(project / "config.toml"), *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_text_preview_shows_every_series(project: Path) -> None:
    run = digest(project, "preview", "--period", "2026-10")
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "LANTERNFISH MAINTAINERS — OCTOBER 2026" in out
    assert "LANTERNFISH COMMUNITY CALL — OCTOBER 2026" in out
    assert "=" * 72 in out  # series are separated
    assert "\x1b[" not in out  # not a terminal: plain text, no colour codes
    assert not (project / "outbox").exists()  # a preview mails no one


def test_json_preview_is_an_array_for_several_series(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    preview(project, output_format="json")  # the default period: October 2026
    data = json.loads(capsys.readouterr().out)
    assert [d["series"] for d in data] == [
        "Lanternfish Community Call",
        "Lanternfish Docs Team",
        "Lanternfish Maintainers",
        "Lanternfish Stand-up",
    ]
    assert all(d["period"] == "2026-10" and d["schema"] == 1 for d in data)


def test_json_preview_of_one_series_to_a_file(project: Path) -> None:
    out = project / "digest.json"
    preview(project, period="2026-10", series="maint", output_format="json", output=out)
    data = json.loads(out.read_text())
    assert data["series"] == "Lanternfish Maintainers"
    assert data["compared_to"] == "2026-09"


def test_html_preview_writes_one_file_per_series(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    preview(project, output_format="html", output=project / "digest.html")
    paths = sorted(Path(p) for p in capsys.readouterr().out.split())
    assert [p.name for p in paths] == [
        "digest-lanternfish-community-call.html",
        "digest-lanternfish-docs-team.html",
        "digest-lanternfish-maintainers.html",
        "digest-lanternfish-stand-up.html",
    ]
    page = paths[2].read_text()
    assert page.startswith("<!DOCTYPE html>") and "Lanternfish Maintainers — October 2026" in page


def test_eml_preview_is_the_message_for_the_list(project: Path) -> None:
    out = project / "digest.eml"
    preview(project, series="maint", output_format="eml", output=out)
    msg = email.message_from_bytes(out.read_bytes(), policy=email.policy.default)
    assert msg["To"] == "lanternfish-dev@lists.example.org"
    assert msg["Subject"].startswith("Lanternfish Maintainers digest — October 2026:")
    assert msg.get_content_type() == "multipart/alternative"
    kinds = [part.get_content_type() for part in msg.iter_parts()]
    assert kinds == ["text/plain", "text/html"]
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "STILL PENDING" in text


def plain_words(text: str) -> str:
    return " ".join(re.sub(r"https?://\S+|[\[\]()*`_]", " ", text).split())


def test_eml_text_and_html_parts_carry_the_same_entries(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    preview(project, series="maint", output_format="json")
    data = json.loads(capsys.readouterr().out)
    out = project / "same-entries.eml"
    preview(project, series="maint", output_format="eml", output=out)
    msg = email.message_from_bytes(out.read_bytes(), policy=email.policy.default)
    text = plain_words(msg.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    html_part = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    html_words = plain_words(html.unescape(re.sub(r"<[^>]+>", " ", html_part)))
    entries = [e for bucket in Digest.BUCKETS for e in data[bucket]]
    assert len(entries) >= 10
    for entry in entries:
        # The first words of each title, markup stripped, are in both parts.
        words = " ".join(plain_words(entry["title"]).split()[:4])
        assert words in text, f"{words!r} missing from the text part"
        assert words in html_words, f"{words!r} missing from the HTML part"


def test_a_month_without_meetings_is_said_not_failed(project: Path) -> None:
    run = digest(project, "preview", "--period", "2026-03")
    assert run.returncode == 0, run.stderr
    assert "no series has meetings in March 2026" in run.stderr


def test_json_of_a_month_without_meetings_is_an_empty_array(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    preview(project, period="2026-03", output_format="json")
    assert json.loads(capsys.readouterr().out) == []


def test_a_bad_period_is_one_sentence(project: Path) -> None:
    run = digest(project, "preview", "--period", "October")
    assert run.returncode != 0
    assert "Traceback" not in run.stderr
    assert "October" in run.stderr


def test_eml_of_several_series_on_stdout_is_an_mbox(
    project: Path, capsysbinary: pytest.CaptureFixture[bytes], tmp_path: Path
) -> None:
    import mailbox

    preview(project, output_format="eml")
    path = tmp_path / "digests.mbox"
    path.write_bytes(capsysbinary.readouterr().out)
    messages = list(mailbox.mbox(str(path)))
    subjects = sorted(str(m["Subject"]).split(" digest")[0] for m in messages)
    assert subjects == [
        "Lanternfish Community Call",
        "Lanternfish Docs Team",
        "Lanternfish Maintainers",
        "Lanternfish Stand-up",
    ]
    for message in messages:
        assert message.get_content_type() == "multipart/alternative"


def test_a_month_not_over_yet_is_previewed_with_a_note(
    project: Path, caplog: pytest.LogCaptureFixture
) -> None:
    period = NOW.strftime("%Y-%m")
    with caplog.at_level("INFO", logger="digest"):
        preview(project, period=period, output_format="json")
    assert f"{period}: month not over; this preview shows it so far." in caplog.messages
