"""A real `digest send` process killed mid-run, then re-run: nobody is lost, and at most
LEDGER_GROUP + max_connections messages are mailed twice (the results not committed
yet, and the message in flight on each connection; docs/explanation/exactly-once.md).
And two sends at once never mail anyone twice."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from notes_project import SECRET, make_project, run_digest
from smtp_server import Faults, SMTPTestServer

from digest.app.send import LEDGER_GROUP

MAX_CONNECTIONS = 2
SUBSCRIBERS = 500
# The documented bound on messages mailed twice after a SIGKILL.
BOUND = LEDGER_GROUP + MAX_CONNECTIONS


def _project(root: Path, port: int, subscribers: int) -> Path:
    config = make_project(root, smtp_port=port, smtp_extra=f"max_connections = {MAX_CONNECTIONS}")
    csv_file = root / "subscribers.csv"
    csv_file.write_text(
        "".join(f"reader{i:03d}@example.org\n" for i in range(subscribers)), encoding="utf-8"
    )
    assert run_digest(config, "subscribers", "import", str(csv_file)).code == 0
    return config


def _start_send(config: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "DIGEST_SECRET": SECRET}
    return subprocess.Popen(
        [sys.executable, "-m", "digest", "--config", str(config), "send", "--period", "2026-10"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _ledger_statuses(config: Path) -> dict[str, int]:
    with sqlite3.connect(config.parent / "state" / "state.db") as conn:
        return dict(conn.execute("SELECT status, COUNT(*) FROM deliveries GROUP BY status"))


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGEST_SECRET", SECRET)


@pytest.mark.parametrize(("pipelining", "kill_after"), [(False, 100), (True, 250)])
def test_sigkill_mid_send_then_rerun_mails_everyone_once(
    tmp_path: Path, pipelining: bool, kill_after: int
) -> None:
    # A slow server, so the kill lands while messages are in flight on every connection.
    faults = Faults(delay_per_message=0.01)
    with SMTPTestServer(faults=faults, pipelining=pipelining) as server:
        config = _project(tmp_path, server.port, SUBSCRIBERS)
        first = _start_send(config)
        try:
            server.wait_for(kill_after, timeout=60)
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=30)
        assert first.returncode == -signal.SIGKILL
        server.wait_idle()  # the kernel closed the killed process's connections
        accepted = len(server.messages)  # everything the first run got the server to take
        assert accepted < SUBSCRIBERS + 1, "the run finished before it was killed"
        recorded = _ledger_statuses(config).get("sent", 0)
        # What the ledger is behind by: results not yet committed, messages in flight.
        assert 0 <= accepted - recorded <= BOUND

        second = _start_send(config)
        _, err = second.communicate(timeout=120)
        assert second.returncode == 0, err

        everyone = {f"reader{i:03d}@example.org" for i in range(SUBSCRIBERS)}
        everyone.add("quillwort-dev@lists.example.org")
        counts = server.count_by_recipient()
        assert set(counts) == everyone  # nobody lost
        duplicates = sum(n - 1 for n in counts.values())
        # Exactly the messages the server accepted before the ledger committed their
        # result go twice: at most a group of results plus one per open connection.
        assert duplicates == accepted - recorded <= BOUND
        assert _ledger_statuses(config) == {"sent": SUBSCRIBERS + 1}


def test_two_sends_at_once_mail_each_reader_once_and_one_waits_out(tmp_path: Path) -> None:
    with SMTPTestServer(faults=Faults(delay_per_message=0.01)) as server:
        config = _project(tmp_path, server.port, 150)
        runs = [_start_send(config), _start_send(config)]
        results = [(p.communicate(timeout=120)[1], p.returncode) for p in runs]
        results = [(code, err) for err, code in results]

        assert sorted(code for code, _ in results) == [0, 75], results
        locked_err = next(err for code, err in results if code == 75)
        assert locked_err.startswith("digest: another digest is already running on ")
        assert locked_err.rstrip().endswith("this send did nothing.")
        counts = server.count_by_recipient()
        assert len(counts) == 151 and set(counts.values()) == {1}
