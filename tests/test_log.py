"""What the operator reads: terminal lines, journal priorities, and no secrets."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from digest.config.secrets import SMTP_PASSWORD, find_secret
from digest.log import REDACTED, register_secret, setup_logging

log = logging.getLogger("digest.test")


@pytest.fixture
def stream(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    monkeypatch.delenv("INVOCATION_ID", raising=False)
    monkeypatch.delenv("JOURNAL_STREAM", raising=False)
    out = io.StringIO()
    yield out
    logging.getLogger("digest").handlers.clear()


def test_terminal_lines_are_plain_with_a_word_for_problems(stream: io.StringIO) -> None:
    setup_logging(0, stream)
    log.info("synced 3 notes")
    log.warning("config.toml: unknown key prot; did you mean port?")
    log.error("smtp.example.org refused the login")
    log.debug("not shown without -v")
    assert stream.getvalue().splitlines() == [
        "synced 3 notes",
        "warning: config.toml: unknown key prot; did you mean port?",
        "error: smtp.example.org refused the login",
    ]


def test_verbose_shows_debug_and_quiet_only_problems(stream: io.StringIO) -> None:
    setup_logging(1, stream)
    log.debug("detail")
    setup_logging(-1, stream)
    log.info("routine")
    log.warning("problem")
    assert stream.getvalue().splitlines() == ["detail", "warning: problem"]


def test_under_systemd_each_event_is_one_line_with_a_journal_priority(
    stream: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOURNAL_STREAM", "8:12345")
    setup_logging(1, stream)
    log.error("first line\nsecond line")
    log.warning("w")
    log.info("i")
    log.debug("d")
    assert stream.getvalue().splitlines() == ["<3>first line second line", "<4>w", "<6>i", "<7>d"]


def test_invocation_id_alone_also_means_systemd(
    stream: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INVOCATION_ID", "0123456789abcdef")
    setup_logging(0, stream)
    log.info("sent 2026-04")
    assert stream.getvalue() == "<6>sent 2026-04\n"


def test_a_registered_secret_is_redacted_in_messages_arguments_and_tracebacks(
    stream: io.StringIO,
) -> None:
    setup_logging(0, stream)
    register_secret("hunter2-registered")
    log.info("login with hunter2-registered failed")
    log.warning("password was %s", "hunter2-registered")
    try:
        raise RuntimeError("auth hunter2-registered rejected")
    except RuntimeError:
        log.exception("smtp failed")
    out = stream.getvalue()
    assert "hunter2-registered" not in out
    assert out.startswith(
        f"login with {REDACTED} failed\nwarning: password was {REDACTED}\nerror: smtp failed\n"
    )
    assert "RuntimeError: auth [redacted] rejected" in out


def test_a_secret_loaded_from_the_environment_is_never_logged(
    stream: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIGEST_SMTP_PASSWORD", "s3cret-from-env")
    secret = find_secret(SMTP_PASSWORD)
    assert secret is not None
    register_secret(secret.value)  # what every loader of a secret does
    setup_logging(0, stream)
    log.warning("server said: 535 bad credentials for s3cret-from-env")
    assert stream.getvalue() == "warning: server said: 535 bad credentials for [redacted]\n"
