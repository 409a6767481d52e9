"""`digest send` against a real SMTP server: failures, retries, the frozen digest, the lock."""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from notes_project import SECRET, make_project, run_digest
from smtp_server import Faults, SMTPTestServer

from digest.state.db import state_lock

POLICY_REFUSAL = "550 5.7.1 Message rejected as spam by content filtering"


def _ledger(config: Path) -> dict[str, tuple[str, int, str]]:
    with sqlite3.connect(config.parent / "state" / "state.db") as conn:
        rows = conn.execute(
            # The list's copy is the series digest's; subscribers get their bundle.
            "SELECT recipient, status, attempts, reply FROM deliveries "
            "WHERE digest_id IN ('Quillwort Sync|2026-10', 'subscribers: Quillwort Sync|2026-10')"
        ).fetchall()
    return {r: (s, a, reply or "") for r, s, a, reply in rows}


def _digest_status(config: Path) -> str:
    with sqlite3.connect(config.parent / "state" / "state.db") as conn:
        row = (
            conn.execute(
                "SELECT status FROM digests WHERE id = 'subscribers: Quillwort Sync|2026-10'"
            ).fetchone()
            or conn.execute(
                "SELECT status FROM digests WHERE id = 'Quillwort Sync|2026-10'"
            ).fetchone()
        )
    return str(row[0])


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGEST_SECRET", SECRET)


def _subscribe(config: Path, *addresses: str) -> None:
    for address in addresses:
        assert run_digest(config, "subscribers", "add", address).code == 0


def test_a_refused_recipient_fails_the_run_with_its_reply(tmp_path: Path) -> None:
    # A policy refusal: permanent, but not a bounce (tests/delivery/test_bounces.py has those).
    faults = Faults(rcpt_replies={"gone@example.org": POLICY_REFUSAL})
    with SMTPTestServer(faults=faults) as server:
        config = make_project(tmp_path, smtp_port=server.port)
        _subscribe(config, "ann@example.org", "gone@example.org")
        run = run_digest(config, "send", "--period", "2026-10")
        assert run.code == 1
        assert "sent 2, failed 1, skipped 0 (already sent)" in run.err
        assert (
            f"  gone@example.org (subscribers: Quillwort Sync|2026-10): {POLICY_REFUSAL} "
            "[not retried]" in run.err
        )
        assert sorted(server.count_by_recipient()) == [
            "ann@example.org",
            "quillwort-dev@lists.example.org",
        ]
        assert _ledger(config)["gone@example.org"][0] == "failed"
        assert _digest_status(config) == "partial"

        # A permanent failure is not retried by the next run: no one is mailed twice.
        again = run_digest(config, "send", "--period", "2026-10")
        assert again.code == 0
        assert "sent 0, failed 0, skipped 2 (already sent)" in again.err
        # ...and it does not claim everyone has it: it names who never got it.
        assert "subscribers: Quillwort Sync 2026-10: everyone has it already" not in again.err
        assert (
            "subscribers: Quillwort Sync 2026-10: nothing left to send; 1 recipient failed "
            "permanently "
            f"(gone@example.org: {POLICY_REFUSAL}); "
            "`digest send --period 2026-10 --resend` mails everyone again." in again.err
        )
        assert len(server.messages) == 2


def test_a_transient_failure_stays_pending_and_the_next_run_delivers_it(tmp_path: Path) -> None:
    faults = Faults(rcpt_tempfail={"busy@example.org"})  # 451 every time, for now
    with SMTPTestServer(faults=faults) as server:
        config = make_project(tmp_path, smtp_port=server.port)
        _subscribe(config, "ann@example.org", "busy@example.org")
        run = run_digest(config, "send")
        assert run.code == 1
        assert "busy@example.org (subscribers: Quillwort Sync|2026-10): 451" in run.err
        assert "[will be retried by the next run]" in run.err
        assert _ledger(config)["busy@example.org"][0] == "pending"

        faults.rcpt_tempfail = set()  # the mailbox is back
        again = run_digest(config, "send")  # no --period: the schedule resumes 2026-10
        assert again.code == 0, again.err
        # busy@ was pending for both due months, 2026-09 and 2026-10.
        assert "sent 2, failed 0, skipped 4 (already sent)" in again.err
        assert _ledger(config)["busy@example.org"][0] == "sent"
        assert _digest_status(config) == "sent"
        delivered = Counter(
            (r, str(m.message["Message-ID"])) for m in server.messages for r in m.rcpt_tos
        )
        assert len(delivered) == 6 and set(delivered.values()) == {1}


def test_a_stored_digest_is_frozen_and_follows_its_recipient_set(tmp_path: Path) -> None:
    faults = Faults(rcpt_tempfail={"late@example.org"})
    with SMTPTestServer(faults=faults) as server:
        config = make_project(tmp_path, smtp_port=server.port)
        _subscribe(config, "ann@example.org", "late@example.org", "leaving@example.org")
        faults.rcpt_permfail = set()
        run_digest(config, "send", "--period", "2026-10")
        first_subject = server.messages[0].message["Subject"]

        # Between runs: the notes change, one reader leaves, one joins.
        note = config.parent / "notes" / "2026-10-07-quillwort-sync.md"
        note.write_text(note.read_text() + "- [ ] [kim] an item added after sending\n")
        run_digest(config, "unsubscribe", "leaving@example.org")
        _subscribe(config, "newcomer@example.org")
        faults.rcpt_tempfail = set()
        before = len(server.messages)
        run_digest(config, "send", "--period", "2026-10")

        resumed = server.messages[before:]
        assert [m.rcpt_tos for m in resumed] == [["late@example.org"]]
        assert resumed[0].message["Subject"] == first_subject  # the stored body, not a new one
        assert "an item added after sending" not in resumed[0].data.decode()
        ledger = _ledger(config)
        assert "newcomer@example.org" not in ledger  # gets the next digest
        assert ledger["leaving@example.org"][0] in ("sent", "cancelled")


def test_someone_who_unsubscribes_before_a_resume_is_not_mailed(tmp_path: Path) -> None:
    faults = Faults(rcpt_tempfail={"leaving@example.org"})
    with SMTPTestServer(faults=faults) as server:
        config = make_project(tmp_path, smtp_port=server.port)
        _subscribe(config, "leaving@example.org")
        run_digest(config, "send", "--period", "2026-10")
        run_digest(config, "unsubscribe", "leaving@example.org")
        faults.rcpt_tempfail = set()
        run = run_digest(config, "send", "--period", "2026-10")
        assert run.code == 0
        assert server.count_by_recipient()["leaving@example.org"] == 0
        assert _ledger(config)["leaving@example.org"][0] == "cancelled"
        assert _digest_status(config) == "sent"


def test_wrong_smtp_password_stops_with_one_sentence_and_sends_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with SMTPTestServer(auth={"digest": "right"}) as server:
        config = make_project(tmp_path, smtp_port=server.port, smtp_extra='username = "digest"')
        monkeypatch.setenv("DIGEST_SMTP_PASSWORD", "wrong")
        run = run_digest(config, "send", "--period", "2026-10")
        assert run.code == 1
        assert run.err.startswith("digest: ") and "authentication failed" in run.err
        assert "wrong" not in run.err
        assert server.messages == []
        assert _ledger(config)["quillwort-dev@lists.example.org"][0] == "pending"


def test_subscribers_without_a_secret_is_a_clear_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DIGEST_SECRET")
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    config = make_project(tmp_path)
    run = run_digest(config, "send")
    assert run.code == 1
    assert run.err.startswith(
        "digest: [mail] subscribers = true needs a secret to sign unsubscribe links: "
        "set DIGEST_SECRET, [digest] secret_file in "
    )


def test_a_month_without_meetings_is_skipped_and_recorded(tmp_path: Path) -> None:
    config = make_project(tmp_path, subscribers=False)
    run = run_digest(config, "send", "--period", "2026-08")
    assert run.code == 0
    assert "skipped Quillwort Sync 2026-08: no meetings and no late notes" in run.err
    with sqlite3.connect(config.parent / "state" / "state.db") as conn:
        assert conn.execute("SELECT id, status FROM digests").fetchall() == [
            ("Quillwort Sync|2026-08", "skipped")
        ]
    assert not (config.parent / "outbox").exists()


def test_a_second_send_while_one_runs_exits_75_with_the_lock_sentence(tmp_path: Path) -> None:
    config = make_project(tmp_path, subscribers=False)
    with state_lock(config.parent / "state", "send"):
        run = run_digest(config, "send")
    assert run.code == 75
    assert run.err.startswith("digest: another digest is already running on ")
    assert run.err.endswith("this send did nothing.")


def test_a_server_that_hangs_up_every_time_is_named_and_history_counts_the_pending(
    tmp_path: Path,
) -> None:
    with SMTPTestServer(faults=Faults(drop_in_data_times=1000)) as server:
        config = make_project(tmp_path, smtp_port=server.port, subscribers=False)
        run = run_digest(config, "send", "--period", "2026-10")
    assert run.code == 1
    assert "sent 0, failed 1, skipped 0 (already sent)" in run.err
    assert (
        "  quillwort-dev@lists.example.org (Quillwort Sync|2026-10): the server closed the "
        "connection [will be retried by the next run]" in run.err
    )
    assert "Unexpected EOF" not in run.err
    history = run_digest(config, "history")
    assert history.out.splitlines()[0].split() == [
        *("PERIOD", "SERIES", "STATUS", "RECIPIENTS", "SENT", "FAILED", "PENDING"),
        *("BUILT", "LAST", "DELIVERY"),
    ]
    row = history.out.splitlines()[1]
    assert row.startswith("2026-10  Quillwort Sync  partial  1           0     0       1  ")


def test_a_bad_period_is_named_before_a_missing_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DIGEST_SECRET")
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    config = make_project(tmp_path)
    run = run_digest(config, "send", "--period", "abc")
    assert run.code == 1
    assert run.err == 'digest: --period must be a month like "2026-10", got "abc".'
    assert run_digest(config, "sync").code == 0  # the series are known from here on
    run = run_digest(config, "send", "--period", "2026-10", "--series", "nope")
    assert run.code == 1
    assert run.err == "digest: no series matches 'nope'; known: Quillwort Sync."


def test_a_schedule_start_send_cannot_read_is_refused_when_the_config_loads(
    tmp_path: Path,
) -> None:
    """ "2026-8" passed the config check (and doctor), then send ended in a traceback."""
    config = make_project(tmp_path)
    text = config.read_text(encoding="utf-8").replace('start = "2026-09"', 'start = "2026-9"')
    config.write_text(text, encoding="utf-8")
    run = run_digest(config, "send")
    assert run.code == 1
    assert run.err == (
        f'digest: {config}: [schedule] start must be a month like "2026-01", got "2026-9".'
    )


@pytest.mark.parametrize("when", ["2030-01", "this month"])
def test_a_month_not_over_yet_is_refused_with_a_pointer_to_preview(
    tmp_path: Path, when: str
) -> None:
    config = make_project(tmp_path, subscribers=False)  # [digest] timezone: UTC
    period = datetime.now(UTC).strftime("%Y-%m") if when == "this month" else when
    run = run_digest(config, "send", "--period", period)
    assert run.code == 1
    assert run.err == (
        f"digest: {period} is not over yet; a digest covers a whole month (use "
        f"`digest preview --period {period}` to look at it so far)."
    )
    assert not (config.parent / "state" / "state.db").exists()  # nothing recorded as skipped


def test_a_catch_up_of_several_months_places_each_meeting_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every due month used to recompute all threads from scratch (0.4 s a month on
    the Falco history); the kept threads are brought up to each month from the one
    before, so each meeting is placed once in the whole run, and never again after."""
    from digest.app.send import SendOptions, run_send
    from digest.config.load import load_config
    from digest.tracking.threads import SeriesTracker

    placed: list[str] = []
    real = SeriesTracker.add

    def counting(self: SeriesTracker, batch: Any, *rest: Any) -> Any:
        placed.append(batch[0].meeting_id)
        return real(self, batch, *rest)

    monkeypatch.setattr(SeriesTracker, "add", counting)
    cfg = load_config(make_project(tmp_path, subscribers=False))
    report = run_send(cfg, SendOptions(progress=False), now=datetime(2027, 2, 1, 6, tzinfo=UTC))
    assert [str(d.period) for d in report.digests] == ["2026-09", "2026-10"]
    assert report.ok and report.sent == 2
    assert len(placed) == 2 and len(set(placed)) == 2
    run_send(cfg, SendOptions(progress=False), now=datetime(2027, 3, 1, 6, tzinfo=UTC))
    assert len(placed) == 2


def test_skips_are_one_line_per_reason_and_listed_with_v(tmp_path: Path) -> None:
    """A folder of many series skips dozens of digests a month: one line says so."""
    config = make_project(tmp_path, subscribers=False)
    for name in ("Alder Sync", "Birch Triage", "Cedar Docs"):
        slug = name.lower().replace(" ", "-")
        (tmp_path / "notes" / f"2026-09-03-{slug}.md").write_text(
            f"# 2026-09-03 {name}\n\n## Action items\n\n- [ ] [ann] write the {slug} plan\n"
        )
    run = run_digest(config, "send", "--period", "2026-10", "--dry-run")
    assert run.code == 0, run.err
    assert [line.split("\t")[0] for line in run.out.splitlines()] == [
        "quillwort-dev@lists.example.org"
    ]
    assert run.err.splitlines() == [
        "would skip 3 digests: no meetings and no late notes (-v lists them)",
        "1 message(s) would be sent.",
    ]
    verbose = run_digest(config, "-v", "send", "--period", "2026-10", "--dry-run")
    for name in ("Alder Sync", "Birch Triage", "Cedar Docs"):
        assert f"skipping {name} 2026-10: no meetings and no late notes" in verbose.err
    real = run_digest(config, "send", "--period", "2026-10")
    assert real.code == 0, real.err
    assert [line for line in real.err.splitlines() if "no late notes" in line] == [
        "skipped 3 digests: no meetings and no late notes (-v lists them)"
    ]


def test_a_renamed_series_is_not_mailed_again_for_months_sent_under_its_old_name(
    tmp_path: Path,
) -> None:
    config = make_project(tmp_path)  # outbox transport; [schedule] start = "2026-09"
    for note in (config.parent / "notes").glob("*.md"):
        text = note.read_text(encoding="utf-8")
        note.write_text(text.replace("Quillwort Sync", "Quillwort Linter Foundation Sync"))
    first = run_digest(config, "send")
    assert first.code == 0, first.err
    written = sorted(config.parent.glob("outbox/**/*.eml"))
    assert [p.parent.name for p in written] == [
        "2026-09-quillwort-linter-foundation-sync",
        "2026-10-quillwort-linter-foundation-sync",
    ]

    # The team renames its meeting: every earlier note now belongs to the new name.
    (config.parent / "notes" / "2026-11-04-quillwort-linter-sync.md").write_text(
        "# 2026-11-04 Quillwort Linter Sync\n\n## Action items\n\n"
        "- [ ] [lin] propose a plugin interface for custom rules\n",
        encoding="utf-8",
    )
    assert run_digest(config, "sync").code == 0
    series = run_digest(config, "items", "-f", "json").out
    assert '"series": "Quillwort Linter Sync"' in series
    assert '"series": "Quillwort Linter Foundation Sync"' not in series

    again = run_digest(config, "send")
    assert again.code == 0, again.err
    assert "nothing is due" in again.err
    assert sorted(config.parent.glob("outbox/**/*.eml")) == written
    # Asked for a sent month by its new name, it is the digest already sent, not a new one.
    resend = run_digest(config, "send", "--period", "2026-10", "--series", "Linter Sync")
    assert resend.code == 0, resend.err
    assert sorted(config.parent.glob("outbox/**/*.eml")) == written


def test_a_renamed_series_mails_its_subscribers_no_second_month_either(tmp_path: Path) -> None:
    """Subscribers' monthly messages are planned once per month, whatever the series is
    called later: a rename does not make the months already mailed due again."""
    config = make_project(tmp_path)
    assert run_digest(config, "subscribers", "add", "ann@example.org").code == 0
    for note in (config.parent / "notes").glob("*.md"):
        text = note.read_text(encoding="utf-8")
        note.write_text(text.replace("Quillwort Sync", "Quillwort Linter Foundation Sync"))
    assert run_digest(config, "send").code == 0

    def ann() -> list[str]:
        found = config.parent.glob("outbox/**/ann@example.org.eml")
        return sorted(p.parent.name for p in found)

    mailed = ann()
    assert mailed == [
        "2026-09-subscribers-quillwort-linter-foundation-sync",
        "2026-10-subscribers-quillwort-linter-foundation-sync",
    ]
    (config.parent / "notes" / "2026-11-04-quillwort-linter-sync.md").write_text(
        "# 2026-11-04 Quillwort Linter Sync\n\n## Action items\n\n"
        "- [ ] [lin] propose a plugin interface for custom rules\n",
        encoding="utf-8",
    )
    again = run_digest(config, "send")
    assert again.code == 0, again.err
    assert "nothing is due" in again.err
    assert ann() == mailed


def test_a_month_frozen_under_an_earlier_name_is_still_part_of_the_subscribers_message(
    tmp_path: Path,
) -> None:
    """October's digest of a series is frozen, the subscribers' message waits for the
    other series (a run limited by --series), and then the series is renamed: the
    message is made from the digest frozen under the earlier name, not held forever."""
    config = make_project(tmp_path)
    assert run_digest(config, "subscribers", "add", "ann@example.org").code == 0
    notes = config.parent / "notes"
    for note in notes.glob("*.md"):
        text = note.read_text(encoding="utf-8")
        note.write_text(text.replace("Quillwort Sync", "Quillwort Linter Foundation Sync"))
    (notes / "2026-10-20-quillwort-docs.md").write_text(
        "# 2026-10-20 Quillwort Docs\n\n## Action items\n\n"
        "- [ ] [mia] rewrite the getting-started page\n",
        encoding="utf-8",
    )
    first = run_digest(config, "send", "--period", "2026-10", "--series", "Foundation")
    assert first.code == 0, first.err
    assert not list(config.parent.glob("outbox/**/ann@example.org.eml"))  # waits for Docs
    (notes / "2026-11-04-quillwort-linter-sync.md").write_text(
        "# 2026-11-04 Quillwort Linter Sync\n\n## Action items\n\n"
        "- [ ] [lin] propose a plugin interface for custom rules\n",
        encoding="utf-8",
    )
    second = run_digest(config, "send", "--period", "2026-10")
    assert second.code == 0, second.err
    (message,) = config.parent.glob("outbox/**/ann@example.org.eml")
    text = message.read_text(encoding="utf-8")
    assert "QUILLWORT LINTER FOUNDATION SYNC" in text  # the part frozen under the old name
    assert "QUILLWORT DOCS" in text


def test_results_are_committed_a_group_at_a_time_or_soon(tmp_path: Path) -> None:
    """Half of LEDGER_GROUP results, or LEDGER_GROUP_SECONDS after the first waiting one,
    start a commit in the writer thread: one fsync per group instead of one per message,
    and never more than LEDGER_GROUP results uncommitted (a bounded window after a
    crash), however slow the writer is."""
    import asyncio
    import threading

    from digest.app.send import LEDGER_GROUP, LedgerGroup, SendOptions, SendRun
    from digest.config.schema import Config
    from digest.delivery.base import DeliveryResult
    from digest.model import DigestId
    from digest.periods import Period
    from digest.state import ledger
    from digest.state.db import open_db
    from digest.state.ledger import Recipient

    db = open_db(tmp_path / "state.db")
    id_ = DigestId("Quillwort Sync", Period(2026, 10))
    now = datetime(2026, 11, 1, tzinfo=UTC)
    stored = ledger.store_digest(db, id_, subject="s", text="t", html="h", json_body="{}", now=now)
    readers = [Recipient(f"r{i:03d}@example.org", "subscriber") for i in range(3 * LEDGER_GROUP)]
    ledger.prepare_ledger(db, stored, readers, message_id=str, resend=False, now=now)
    run = SendRun(Config(path=tmp_path / "config.toml"), db, SendOptions(), now, None)
    half = LEDGER_GROUP // 2
    real = ledger.record_sent
    writer_may_go = threading.Event()
    writing = threading.Event()

    def held(*args: Any) -> None:  # a writer that waits (a slow disk) until let go
        writing.set()
        assert writer_may_go.wait(10)
        real(*args)

    def sent() -> int:
        return ledger.count_sent(db, id_)

    async def until(what: Callable[[], bool]) -> None:
        async with asyncio.timeout(5):
            while not what():
                await asyncio.sleep(0.01)

    def add(group: LedgerGroup, reader: Recipient) -> None:
        group.add(reader, DeliveryResult(reader.address, "sent", "250 OK"))

    async def mail() -> None:
        group = LedgerGroup(run, id_)
        for reader in readers[: half - 1]:
            add(group, reader)
        assert sent() == 0 and run.report.sent == 0  # waiting, and the report says so too
        add(group, readers[half - 1])  # half a group: its commit starts at once
        await until(lambda: sent() == half)
        await until(lambda: run.report.sent == half)
        # A few more are committed LEDGER_GROUP_SECONDS after the first of them.
        for reader in readers[half : half + 5]:
            add(group, reader)
        await until(lambda: run.report.sent == half + 5)
        # A slow writer: results gather while a group is written, up to LEDGER_GROUP
        # uncommitted; the next add waits for the writer instead of going past it.
        ledger.record_sent = held  # type: ignore[assignment]
        at = half + 5
        for reader in readers[at : at + half]:
            add(group, reader)
        assert writing.wait(5)
        for reader in readers[at + half : at + LEDGER_GROUP - 1]:
            add(group, reader)
        assert sent() == at and group.waiting  # the writer holds half, the rest wait
        threading.Timer(0.2, writer_may_go.set).start()
        add(group, readers[at + LEDGER_GROUP - 1])  # the LEDGER_GROUP-th: waits for the writer
        assert writer_may_go.is_set() and sent() >= at + half
        ledger.record_sent = real
        for reader in readers[at + LEDGER_GROUP :]:
            add(group, reader)
        group.commit()
        group.close()
        assert sent() == len(readers)

    try:
        asyncio.run(mail())
    finally:
        ledger.record_sent = real
    assert run.report.sent == len(readers)


def test_a_failed_group_commit_stops_the_mailing_and_loses_no_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from digest.app.send import LedgerGroup, SendOptions, SendRun
    from digest.config.schema import Config
    from digest.delivery.base import DeliveryResult
    from digest.model import DigestId
    from digest.periods import Period
    from digest.state import ledger
    from digest.state.db import open_db
    from digest.state.ledger import Recipient

    db = open_db(tmp_path / "state.db")
    id_ = DigestId("Quillwort Sync", Period(2026, 10))
    now = datetime(2026, 11, 1, tzinfo=UTC)
    stored = ledger.store_digest(db, id_, subject="s", text="t", html="h", json_body="{}", now=now)
    readers = [Recipient(f"r{i}@example.org", "subscriber") for i in range(3)]
    ledger.prepare_ledger(db, stored, readers, message_id=str, resend=False, now=now)
    run = SendRun(Config(path=tmp_path / "config.toml"), db, SendOptions(), now, None)
    real = ledger.record_sent

    def disk_full(*args: Any) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    async def mail() -> LedgerGroup:
        group = LedgerGroup(run, id_)
        monkeypatch.setattr(ledger, "record_sent", disk_full)
        for reader in readers[:2]:
            group.add(reader, DeliveryResult(reader.address, "sent", "250 OK"))
        async with asyncio.timeout(5):  # the timer's commit fails ...
            while group._failed is None:
                await asyncio.sleep(0.01)
        with pytest.raises(sqlite3.OperationalError):  # ... and the next result stops
            group.add(readers[2], DeliveryResult(readers[2].address, "sent", "250 OK"))
        return group

    group = asyncio.run(mail())
    monkeypatch.setattr(ledger, "record_sent", real)
    group.commit()  # the commit at the end of the digest writes what waited
    group.close()
    assert ledger.count_sent(db, id_) == 2 and run.report.sent == 2


def test_link_ids_looked_up_a_chunk_at_a_time_make_the_same_tokens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MessageFactory.recipients looks the readers' link ids up LINK_IDS at a time: each
    reader's token is the one made from their own link id, looked up alone."""
    from digest.app import send
    from digest.app.send import MessageFactory, SendOptions, SendRun
    from digest.config.schema import Config
    from digest.mail.render import RenderedDigest
    from digest.mail.tokens import make_link_token
    from digest.model import DigestId
    from digest.periods import Period
    from digest.state.db import open_db
    from digest.state.ledger import Recipient
    from digest.state.subscribers import link_id, upsert_subscriber

    monkeypatch.setattr(send, "LINK_IDS", 3)
    db = open_db(tmp_path / "state.db")
    readers = [Recipient(f"r{i}@example.org", "subscriber") for i in range(8)]
    for reader in readers:
        upsert_subscriber(db, reader.address)
    readers.insert(4, Recipient("gone@example.org", "subscriber"))  # not a subscriber
    readers.append(Recipient("list@lists.example.org", "list"))
    now = datetime(2026, 11, 1, tzinfo=UTC)
    run = SendRun(Config(path=tmp_path / "config.toml"), db, SendOptions(), now, None)
    run.secret = SECRET
    factory = MessageFactory(
        run, RenderedDigest("s", "t", "h"), DigestId("subscribers: Q", Period(2026, 10))
    )
    tokens = [factory._token(r) for r in factory.recipients(readers)]
    expected = []
    for reader in readers:
        sid = link_id(db, reader.address) if reader.kind == "subscriber" else None
        expected.append(make_link_token("s", sid, SECRET) if sid else None)
    assert tokens == expected
    assert tokens[4] is None and tokens[-1] is None and None not in tokens[:4]
    assert factory._token(readers[0]) == expected[0]  # after the run: looked up alone
