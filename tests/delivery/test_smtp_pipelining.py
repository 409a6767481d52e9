"""PIPELINING (RFC 2920) when the server offers it, the plain dialogue when it does not,
a stream of messages with one write and one wait each (SmtpTransport.send_all), and
the EHLO name looked up once per process (a slow resolver once cost seconds per
connection)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import pytest
from smtp_server import Faults, SMTPTestServer
from test_smtp import digest_message, send_all, smtp_config

import digest.delivery.smtp
from digest.config.schema import SmtpConfig
from digest.delivery.base import DeliveryResult
from digest.delivery.smtp import SmtpTransport, _Pipeline, dot_stuff, wire_bytes

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


# ---- a stream of messages (send_all): one write and one wait per message


def _data(recipient: str) -> bytes:
    """The reader's message, dot-stuffed (an address no header can hold gets the
    message of another: only the envelope is under test then)."""
    if any(ch in recipient for ch in "\r\n"):
        recipient = "someone@example.test"
    return dot_stuff(wire_bytes(digest_message(recipient)))


async def stream_all(cfg: SmtpConfig, recipients: Sequence[str]) -> dict[str, list[DeliveryResult]]:
    """Send like the send loop does: `concurrency` workers, each a send_all stream taking
    from one shared iterator; every result given to `done`, by recipient."""
    results: dict[str, list[DeliveryResult]] = {}

    def done(key: str, result: DeliveryResult) -> None:
        assert key == result.recipient
        results.setdefault(key, []).append(result)

    async with SmtpTransport(cfg, None) as transport:
        queue = iter(recipients)

        async def worker() -> None:
            messages = ((r, r, _data(r)) for r in queue)
            await transport.send_all(messages, done)

        async with asyncio.TaskGroup() as group:
            for _ in range(transport.concurrency):
                group.create_task(worker())
    return results


def _statuses(results: dict[str, list[DeliveryResult]]) -> dict[str, list[str]]:
    return {r: [x.status for x in rs] for r, rs in results.items()}


def _each_message_went_to_its_reader(server: SMTPTestServer) -> None:
    """Each message the server took carries the To of the recipient it was sent for."""
    for received in server.messages:
        assert [str(received.message["To"])] == received.rcpt_tos


def test_a_stream_sends_each_message_with_the_next_ones_commands(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    writes: list[bytes] = []
    write = _Pipeline.write

    def counted(self: _Pipeline, data: bytes) -> None:
        writes.append(data)
        write(self, data)

    monkeypatch.setattr(_Pipeline, "write", counted)
    with SMTPTestServer(pipelining=True) as server:
        results = asyncio.run(stream_all(smtp_config(server, max_connections=1), READERS))
        server.wait_for(len(READERS))
        server.wait_idle()
    assert _statuses(results) == {r: ["sent"] for r in READERS}
    assert server.count_by_recipient() == dict.fromkeys(READERS, 1)
    _each_message_went_to_its_reader(server)
    # The first MAIL, RCPT, DATA; then each message with the next one's; then QUIT.
    assert len(writes) == len(READERS) + 2
    assert writes[1].endswith(
        b"\r\n.\r\nMAIL FROM:<digest@example.test>\r\nRCPT TO:<reader01@example.test>\r\nDATA\r\n"
    )
    assert writes[-2].endswith(b"\r\n.\r\n") and writes[-1] == b"QUIT\r\n"


def test_refusals_in_a_stream_belong_to_the_message_they_answer() -> None:
    readers = [*READERS[:10], "gone@example.test", *READERS[10:20]]
    faults = Faults(
        rcpt_permfail={"gone@example.test"},
        rcpt_tempfail={"reader03@example.test": 1},
        data_replies={
            "reader05@example.test": ["554 5.7.1 content rejected"],
            "reader07@example.test": ["451 4.3.0 try again later"],
            "reader12@example.test": ["452 4.3.1 out of storage", "452 4.3.1 out of storage"],
        },
    )
    with SMTPTestServer(pipelining=True, faults=faults) as server:
        cfg = smtp_config(server, max_connections=2, messages_per_connection=6)
        results = asyncio.run(stream_all(cfg, readers))
        server.wait_for(len(readers) - 2)
        server.wait_idle()
    assert all(len(rs) == 1 for rs in results.values()) and set(results) == set(readers)
    replies = {r: rs[0] for r, rs in results.items()}
    assert replies.pop("gone@example.test").reply.startswith("550 5.1.1 <gone@example.test>")
    assert replies.pop("reader05@example.test").reply == "554 5.7.1 content rejected"
    assert {r.status for r in replies.values()} == {"sent"}  # 03, 07 and 12 on a retry
    assert server.count_by_recipient() == dict.fromkeys(replies, 1)
    _each_message_went_to_its_reader(server)


def test_faults_in_a_stream_lose_and_duplicate_nothing() -> None:
    faults = Faults(
        reject_connect_times=1,
        drop_in_data_times=2,
        stall_seconds=30,
        stall_times=1,
        hang_after_data_times=1,
        hang_rcpt_of={"reader20@example.test": 1},
    )
    with SMTPTestServer(pipelining=True, faults=faults) as server:
        cfg = smtp_config(server, max_connections=3, retries=4, timeout=0.5)
        results = asyncio.run(stream_all(cfg, READERS))
        server.wait_for(len(READERS))
        server.wait_idle()
    assert _statuses(results) == {r: ["sent"] for r in READERS}
    assert server.count_by_recipient() == dict.fromkeys(READERS, 1)
    _each_message_went_to_its_reader(server)


def test_an_address_that_cannot_be_written_in_a_command_is_refused_in_a_stream() -> None:
    evil = "rené@example.test"  # no SMTPUTF8 here: refused before a word is sent
    # A line break in an address would end the command: never sent, nor "repaired"
    # into a shorter address the ledger does not know.
    injected = "x@example.test>\r\nRCPT TO:<victim@example.test"
    with SMTPTestServer(pipelining=True) as server:
        cfg = smtp_config(server, max_connections=1)
        readers = [*READERS[:3], evil, *READERS[3:6], injected]
        results = asyncio.run(stream_all(cfg, readers))
        server.wait_for(6)
        server.wait_idle()
    assert results.pop(evil)[0].reply.startswith("501 'rené@example.test' cannot be sent")
    assert results.pop(injected)[0].reply.startswith("501 'x@example.test>\\r\\nRCPT")
    assert _statuses(results) == {r: ["sent"] for r in READERS[:6]}
    assert server.count_by_recipient() == dict.fromkeys(READERS[:6], 1)


@pytest.mark.parametrize("pipelining", [False, True])
def test_an_address_quoting_would_change_is_refused_one_message_at_a_time(
    pipelining: bool,
) -> None:
    """send(), with or without PIPELINING: the same refusal as in a stream."""
    injected = "x@example.test>\r\nRCPT TO:<victim@example.test"

    async def send_each(cfg: SmtpConfig) -> list[DeliveryResult]:
        async with SmtpTransport(cfg, None) as transport:
            return [await transport.send(_data(r), r, dot_stuffed=True) for r in readers]

    readers = [READERS[0], injected, READERS[1]]
    with SMTPTestServer(pipelining=pipelining) as server:
        results = asyncio.run(send_each(smtp_config(server, max_connections=1)))
        server.wait_for(2)
        server.wait_idle()
    by_reader = {r.recipient: r for r in results}
    assert by_reader[injected].status == "failed"
    assert by_reader[injected].reply.startswith("501 ")
    assert server.count_by_recipient() == dict.fromkeys(READERS[:2], 1)


@pytest.mark.parametrize("offered", [False, True])
def test_a_stream_without_pipelining_waits_for_each_reply(
    monkeypatch: pytest.MonkeyPatch, offered: bool
) -> None:
    _forbid(monkeypatch, "_pipelined")

    def no_pipeline(self: _Pipeline, data: bytes) -> None:
        raise AssertionError("commands were pipelined")

    monkeypatch.setattr(_Pipeline, "write", no_pipeline)
    with SMTPTestServer(pipelining=offered) as server:
        cfg = smtp_config(server, max_connections=2)
        if offered:
            cfg = replace(cfg, pipelining=False)
        results = asyncio.run(stream_all(cfg, READERS[:8]))
        server.wait_for(8)
    assert _statuses(results) == {r: ["sent"] for r in READERS[:8]}
