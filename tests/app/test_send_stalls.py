"""`digest send` against a relay that stops answering: the run ends within its bound,
the ledger says who is still owed the digest, and a re-run against a healthy server
mails everyone exactly once.

The server (tests/smtp_server.py) stalls for real: it keeps the connection open and
answers nothing until the client hangs up. The client's `timeout` is short, so each
bound below is a few seconds; the same arithmetic with the defaults (timeout 30 s,
retries 5, max_connections 2) gives about 3 x 30 s, whatever the number of readers.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from notes_project import SECRET, make_project, run_digest
from smtp_server import Faults, SMTPTestServer

TIMEOUT = 0.5  # [smtp] timeout
RETRIES = 2  # make_project's [smtp] retries: the breaker opens after 3 failures in a row
MAX_CONNECTIONS = 2
READERS = [f"reader{i:02d}@example.org" for i in range(20)]
EVERYONE = set(READERS)
# Subscribers get one message a month of the series they chose (digest.app.bundles):
# with no list address, that message is the only one mailed.
SERIES_DIGEST = "Quillwort Sync|2026-10"
DIGEST = "subscribers: Quillwort Sync|2026-10"
# Sync, render and process start-up are well under this on any machine we run on.
OVERHEAD = 5.0


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGEST_SECRET", SECRET)


def _project(root: Path, port: int, extra: str = "") -> Path:
    config = make_project(
        root,
        list_address="",
        smtp_port=port,
        smtp_timeout=TIMEOUT,
        smtp_extra=f"max_connections = {MAX_CONNECTIONS}\n{extra}",
    )
    csv_file = root / "readers.csv"
    csv_file.write_text("".join(f"{r}\n" for r in READERS), encoding="utf-8")
    assert run_digest(config, "subscribers", "import", str(csv_file)).code == 0
    return config


def _deliveries(config: Path, digest: str = DIGEST) -> dict[str, tuple[str, int]]:
    with sqlite3.connect(config.parent / "state" / "state.db") as conn:
        rows = conn.execute(
            "SELECT recipient, status, attempts FROM deliveries WHERE digest_id = ?", [digest]
        ).fetchall()
    return {r: (s, a) for r, s, a in rows}


def _digests(config: Path) -> dict[str, str]:
    with sqlite3.connect(config.parent / "state" / "state.db") as conn:
        return dict(conn.execute("SELECT id, status FROM digests").fetchall())


STALLS = {
    # fault -> (what the client was waiting for, as the ledger and summary say it)
    "greeting": "timed out before the greeting",
    "rcpt": "timed out after RCPT TO",
    "in_data": "timed out in DATA (the message may or may not have been accepted)",
    "after_data": "timed out in DATA (the message may or may not have been accepted)",
}


@pytest.mark.parametrize("pipelining", [False, True])
@pytest.mark.parametrize("stall", list(STALLS))
def test_a_relay_that_stalls_ends_the_run_within_its_bound_and_a_rerun_mails_everyone_once(
    tmp_path: Path, stall: str, pipelining: bool
) -> None:
    faults = Faults(**{f"hang_{stall}_times": 1_000_000})  # every time, until healed
    with SMTPTestServer(faults=faults, pipelining=pipelining) as server:
        config = _project(tmp_path, server.port)
        started = time.monotonic()
        run = run_digest(config, "send", "--period", "2026-10")
        elapsed = time.monotonic() - started

        # Bounded: 3 failures in a row open the breaker; two sessions fail side by side,
        # so two rounds of one timeout each. Before, every reader was tried 3 times.
        assert elapsed < (RETRIES + 1) * TIMEOUT + OVERHEAD, elapsed
        assert sum(faults.stalls.values()) <= RETRIES + MAX_CONNECTIONS, faults.stalls
        assert run.code == 1
        where = f"127.0.0.1:{server.port}"
        last = run.err.strip().splitlines()[-1]
        if stall == "greeting":  # no session ever opened: the settings may be wrong
            assert last == (
                f"{where}: cannot open an SMTP session after 3 attempts ({STALLS[stall]}); "
                "check [smtp] host, port and security and that the server is reachable."
            )
        else:
            assert last == (
                f"{where}: 3 connection failures or timeouts in a row (the last: "
                f"{STALLS[stall]}); no more sessions are opened in this run, and everyone "
                "not mailed stays pending for the next `digest send`."
            )
        # The ledger: nobody sent or failed, everybody pending; the few tried say why.
        ledger = _deliveries(config)
        assert set(ledger) == EVERYONE
        assert {status for status, _ in ledger.values()} == {"pending"}
        tried = [r for r, (_, attempts) in ledger.items() if attempts]
        assert len(tried) <= MAX_CONNECTIONS
        assert f"not tried ({DIGEST}) [will be mailed by the next run]" in run.err
        assert _digests(config) == {SERIES_DIGEST: "sent", DIGEST: "partial"}
        history = run_digest(config, "history").out
        (line,) = [line for line in history.splitlines() if "subscribers:" in line]
        assert line.split()[:9] == [
            "2026-10",
            "subscribers:",
            "Quillwort",
            "Sync",
            "partial",
            "20",
            "0",
            "0",
            "20",
        ]  # recipients, sent, failed, pending
        assert server.messages == []

        faults.heal()
        again = run_digest(config, "send", "--period", "2026-10")
        assert again.code == 0, again.err
        assert server.count_by_recipient() == dict.fromkeys(EVERYONE, 1)
        assert {status for status, _ in _deliveries(config).values()} == {"sent"}
        assert _digests(config) == {SERIES_DIGEST: "sent", DIGEST: "sent"}


def test_a_stall_stops_the_whole_run_and_the_months_left_are_sent_next_time(
    tmp_path: Path,
) -> None:
    """Without --period both 2026-09 and 2026-10 are due: after the breaker opens on the
    first, the run opens no session for the second, and does not even build it."""
    faults = Faults(hang_rcpt_times=1_000_000)
    with SMTPTestServer(faults=faults) as server:
        config = _project(tmp_path, server.port)
        started = time.monotonic()
        run = run_digest(config, "send")
        elapsed = time.monotonic() - started
        assert run.code == 1
        assert elapsed < (RETRIES + 1) * TIMEOUT + OVERHEAD, elapsed
        assert sum(faults.stalls.values()) <= RETRIES + MAX_CONNECTIONS
        assert _digests(config) == {
            "Quillwort Sync|2026-09": "sent",  # no list: nobody to mail but the subscribers
            "subscribers: Quillwort Sync|2026-09": "partial",
        }

        faults.heal()
        again = run_digest(config, "send")
        assert again.code == 0, again.err
        digests = _digests(config)  # later months, once over, are only skipped: no notes
        assert digests["subscribers: Quillwort Sync|2026-09"] == "sent"
        assert digests["subscribers: Quillwort Sync|2026-10"] == "sent"
        delivered = {(r, str(m.message["Subject"])) for m in server.messages for r in m.rcpt_tos}
        assert len(server.messages) == len(delivered) == 2 * len(EVERYONE)


@pytest.mark.parametrize("pipelining", [False, True])
def test_run_timeout_ends_a_slow_run_and_the_rest_is_mailed_next_time(
    tmp_path: Path, pipelining: bool
) -> None:
    # A relay that answers, slowly: the breaker never opens, the run deadline does.
    faults = Faults(delay_per_message=0.1)
    run_timeout = 0.5
    with SMTPTestServer(faults=faults, pipelining=pipelining) as server:
        config = _project(tmp_path, server.port, f"run_timeout = {run_timeout}")
        started = time.monotonic()
        run = run_digest(config, "send", "--period", "2026-10")
        elapsed = time.monotonic() - started
        assert run.code == 1
        # Mailing stops at run_timeout; an attempt under way may finish, within `timeout`.
        assert elapsed < run_timeout + TIMEOUT + OVERHEAD, elapsed
        assert run.err.strip().splitlines()[-1] == (
            f"127.0.0.1:{server.port}: the mailing reached [smtp] run_timeout (0.5 s) and "
            "stopped; everyone not mailed stays pending for the next `digest send` (if the "
            "list needs longer, raise run_timeout, and TimeoutStartSec= in digest.service "
            "with it)."
        )
        ledger = _deliveries(config)
        sent = {r for r, (status, _) in ledger.items() if status == "sent"}
        pending = {r for r, (status, _) in ledger.items() if status == "pending"}
        assert sent and pending and sent | pending == EVERYONE
        assert set(server.count_by_recipient()) == sent  # the ledger knows every accepted one

        faults.heal()
        config.write_text(config.read_text().replace("run_timeout = 0.5", "run_timeout = 60"))
        again = run_digest(config, "send", "--period", "2026-10")
        assert again.code == 0, again.err
        assert server.count_by_recipient() == dict.fromkeys(EVERYONE, 1)
