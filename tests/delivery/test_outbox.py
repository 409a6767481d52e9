"""The outbox transport and `digest send` with it: .eml files, never twice."""

from __future__ import annotations

import asyncio
import email
import email.policy
import sqlite3
from email.message import EmailMessage
from pathlib import Path

import pytest
from notes_project import SECRET, make_project, run_digest

from digest.delivery.outbox import OutboxTransport, batch_folder, outbox_filename


def _message(subject: str) -> EmailMessage:
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["Subject"] = subject
    msg.set_content("body\n")
    return msg


def test_outbox_writes_one_file_per_recipient_atomically(tmp_path: Path) -> None:
    async def go() -> None:
        async with OutboxTransport(tmp_path / "outbox", batch_folder("2026-10", "Core Sync!")) as t:
            result = await t.send(_message("first"), "Ann@Example.org")
            assert result.status == "sent"
            assert result.reply == str(tmp_path / "outbox/2026-10-core-sync/ann@example.org.eml")
            await t.send(_message("second"), "ann@example.org")

    asyncio.run(go())
    folder = tmp_path / "outbox" / "2026-10-core-sync"
    assert [p.name for p in folder.iterdir()] == ["ann@example.org.eml"]  # no temp files left
    data = (folder / "ann@example.org.eml").read_bytes()
    assert b"Subject: second\r\n" in data


def test_outbox_file_names_cannot_escape_the_folder() -> None:
    assert outbox_filename("../../etc/passwd@x.org") == "_.._etc_passwd@x.org.eml"
    assert outbox_filename("a/b@x.org") == "a_b@x.org.eml"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DIGEST_SECRET", SECRET)
    config = make_project(tmp_path)
    for address in ("ann@example.org", "ben@example.org"):
        assert run_digest(config, "subscribers", "add", address).code == 0
    return config


def _emls(config: Path) -> dict[str, EmailMessage]:
    out = config.parent / "outbox"
    found: dict[str, EmailMessage] = {}
    for path in sorted(out.rglob("*.eml")):
        parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        found[str(path.relative_to(out))] = parsed
    return found


def _ledger(config: Path) -> list[tuple[str, str, str, int]]:
    with sqlite3.connect(config.parent / "state" / "state.db") as conn:
        return conn.execute(
            "SELECT digest_id, recipient, status, attempts FROM deliveries ORDER BY 1, 2"
        ).fetchall()


def test_send_writes_one_eml_per_recipient_and_period(project: Path) -> None:
    run = run_digest(project, "send", "--period", "2026-10")
    assert run.code == 0, run.err
    assert (
        f"wrote 3 files to {project.parent / 'outbox'}/, failed 0, skipped 0 (already written) in "
    ) in run.err
    assert 'nothing was mailed ([mail] transport = "outbox")' in run.err
    assert "\nQuillwort Sync 2026-10: writing 1 file to " in "\n" + run.err
    assert "subscribers: Quillwort Sync 2026-10: writing 2 files to " in run.err
    assert "mailing" not in run.err and "sent 3" not in run.err
    emls = _emls(project)
    # The list gets the series' digest; each subscriber one message of the series they chose.
    assert sorted(emls) == [
        "2026-10-quillwort-sync/quillwort-dev@lists.example.org.eml",
        "2026-10-subscribers-quillwort-sync/ann@example.org.eml",
        "2026-10-subscribers-quillwort-sync/ben@example.org.eml",
    ]
    ann = emls["2026-10-subscribers-quillwort-sync/ann@example.org.eml"]
    assert ann["To"] == "ann@example.org"
    assert str(ann["Subject"]).startswith("Quillwort Sync digest — October 2026")
    assert "token=s1." in str(ann["List-Unsubscribe"])
    assert "ann" not in str(ann["List-Unsubscribe"])  # an opaque token, not the address
    the_list = emls["2026-10-quillwort-sync/quillwort-dev@lists.example.org.eml"]
    # A post to a list: the list manager adds its own List-* headers.
    assert the_list["List-Unsubscribe"] is None and the_list["List-Id"] is None
    assert the_list["Auto-Submitted"] is None and the_list["Precedence"] is None
    assert all(status == "sent" for _, _, status, _ in _ledger(project))


def test_a_second_send_mails_no_one_twice(project: Path) -> None:
    assert run_digest(project, "send").code == 0  # due: 2026-09 and 2026-10
    first = {name: msg["Message-ID"] for name, msg in _emls(project).items()}
    assert len(first) == 6
    outbox = project.parent / "outbox"
    stamps = {p: p.stat().st_mtime_ns for p in outbox.rglob("*.eml")}

    again = run_digest(project, "send")
    assert again.code == 0
    assert "nothing is due" in again.err
    explicit = run_digest(project, "send", "--period", "2026-10")
    assert "wrote 0 files to" in explicit.err and "skipped 3 (already written)" in explicit.err
    assert {p: p.stat().st_mtime_ns for p in outbox.rglob("*.eml")} == stamps
    assert [a for *_, a in _ledger(project)] == [1] * 6


def test_resend_mails_everyone_again(project: Path) -> None:
    run_digest(project, "send", "--period", "2026-10")
    run = run_digest(project, "send", "--period", "2026-10", "--resend")
    assert "wrote 3 files to" in run.err and "failed 0" in run.err
    assert [a for *_, a in _ledger(project)] == [2, 2, 2]


def test_dry_run_lists_who_gets_what_and_changes_nothing(project: Path) -> None:
    run = run_digest(project, "send", "--period", "2026-10", "--dry-run")
    assert run.code == 0, run.err
    lines = [line.split("\t") for line in run.out.splitlines()]
    assert [line[0] for line in lines] == [
        "quillwort-dev@lists.example.org",
        "ann@example.org",
        "ben@example.org",
    ]
    assert all(line[1].startswith("Quillwort Sync digest — October 2026") for line in lines)
    assert all(
        line[2].startswith("<") and line[2].endswith("@quillwort.example.org>") for line in lines
    )
    assert not (project.parent / "outbox").exists()
    with sqlite3.connect(project.parent / "state" / "state.db") as conn:
        assert conn.execute("SELECT COUNT(*) FROM digests").fetchone() == (0,)
        assert conn.execute("SELECT COUNT(*) FROM deliveries").fetchone() == (0,)
    # The message ids are those the real send then uses.
    run_digest(project, "send", "--period", "2026-10")
    ids = {str(m["To"]): str(m["Message-ID"]) for m in _emls(project).values()}
    assert {line[0]: line[2] for line in lines} == ids


def test_test_send_to_one_address_leaves_the_ledger_alone(project: Path) -> None:
    run = run_digest(project, "send", "--period", "2026-10", "--to", "Me@Example.org")
    assert run.code == 0, run.err
    assert sorted(_emls(project)) == ["2026-10-quillwort-sync/me@example.org.eml"]
    assert _ledger(project) == []
    assert "wrote 3 files" in run_digest(project, "send", "--period", "2026-10").err
