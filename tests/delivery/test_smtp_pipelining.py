"""PIPELINING (RFC 2920) when the server offers it, the plain dialogue when it does not,
and the EHLO name looked up once per process (a slow resolver once cost seconds per
connection)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from typing import Any

import pytest
from smtp_server import Faults, SMTPTestServer
from test_smtp import send_all, smtp_config

import digest.delivery.smtp
from digest.delivery.smtp import SmtpTransport

READERS = [f"reader{i:02d}@example.test" for i in range(30)]


def _forbid(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    async def forbidden(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"SmtpTransport.{name} was used")

    monkeypatch.setattr(SmtpTransport, name, staticmethod(forbidden))


def test_pipelined_transactions_deliver_each_message_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _forbid(monkeypatch, "_transaction")  # every transaction goes through the pipeline
    faults = Faults(rcpt_tempfail={"reader03@example.test": 1}, rcpt_permfail={"gone@example.test"})
    with SMTPTestServer(pipelining=True, faults=faults) as server:
        cfg = smtp_config(server, max_connections=2, messages_per_connection=7)
        results = asyncio.run(send_all(cfg, [*READERS, "gone@example.test"]))
        server.wait_for(len(READERS))
        server.wait_idle()
    by_reader = {r.recipient: r for r in results}
    assert by_reader.pop("gone@example.test").reply.startswith("550 5.1.1")
    assert {r.status for r in by_reader.values()} == {"sent"}
    assert server.count_by_recipient() == {r: 1 for r in READERS}
    # A refused RCPT did not cost the session: sessions are renewed every 7 messages.
    assert server.connections <= 2 + len(READERS) // 7 + 2
    assert server.messages[0].message["Subject"] == "Digest — März 2026: 3 open items"


def test_faults_in_a_pipelined_session_lose_and_duplicate_nothing() -> None:
    faults = Faults(reject_connect_times=1, drop_in_data_times=2, stall_seconds=30, stall_times=1)
    with SMTPTestServer(pipelining=True, faults=faults) as server:
        cfg = smtp_config(server, max_connections=3, retries=4, timeout=0.5)
        results = asyncio.run(send_all(cfg, READERS))
        server.wait_for(len(READERS))
        server.wait_idle()
    assert {r.status for r in results} == {"sent"}
    assert server.count_by_recipient() == {r: 1 for r in READERS}


def test_without_pipelining_offered_each_command_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    _forbid(monkeypatch, "_pipelined")
    with SMTPTestServer(pipelining=False) as server:
        results = asyncio.run(send_all(smtp_config(server), READERS[:5]))
        server.wait_for(5)
    assert {r.status for r in results} == {"sent"}


def test_pipelining_false_waits_for_each_reply(monkeypatch: pytest.MonkeyPatch) -> None:
    _forbid(monkeypatch, "_pipelined")
    with SMTPTestServer(pipelining=True) as server:
        results = asyncio.run(send_all(smtp_config(server, pipelining=False), READERS[:5]))
        server.wait_for(5)
    assert {r.status for r in results} == {"sent"}


def test_the_ehlo_name_is_looked_up_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """aiosmtplib calls socket.getfqdn() for each connection it opens. Where the resolver
    has no record for the host, each call waits for its timeout: with a new connection
    every `messages_per_connection` messages, a 100k run once took 406 s instead of 136."""
    calls: list[float] = []
    lock = threading.Lock()

    def slow_getfqdn(name: str = "") -> str:
        with lock:
            calls.append(time.monotonic())
        time.sleep(0.2)  # a resolver waiting for its timeout (seconds, in real life)
        return "digest-host.example.test"

    monkeypatch.setattr(socket, "getfqdn", slow_getfqdn)
    monkeypatch.setattr(digest.delivery.smtp, "_LOCAL_HOSTNAME", None)
    with SMTPTestServer() as server:
        cfg = smtp_config(server, max_connections=2, messages_per_connection=2)
        results = asyncio.run(send_all(cfg, READERS[:20]))
        server.wait_for(20)
    assert {r.status for r in results} == {"sent"}
    assert server.connections >= 10
    assert len(calls) <= 2  # the first two sessions may ask at the same time; then never
    assert set(server.ehlo_names) == {"digest-host.example.test"}
