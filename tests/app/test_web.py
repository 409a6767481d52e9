"""The unsubscribe page, over real HTTP on 127.0.0.1 against a real state database.

What a reader relies on: a link preview or mail scanner (GET) never unsubscribes
anyone, the button or the mail client's one-click POST does (once, and harmlessly
again), and a changed link unsubscribes nobody. What the operator relies on: no
token and no full address in the log, nothing hostile rendered as HTML.
"""

from __future__ import annotations

import http.client
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from pathlib import Path
from urllib.parse import urlsplit
from wsgiref.simple_server import WSGIServer

import pytest

from digest.app.web import (
    app_from_env,
    make_app,
    make_unsubscribe_server,
    mask_address,
    request_token,
)
from digest.config.schema import Config, DigestConfig, MailConfig
from digest.errors import UserError
from digest.mail.message import build_message
from digest.mail.render import RenderedDigest
from digest.mail.tokens import make_token, unsubscribe_links
from digest.model import DigestId
from digest.periods import Period
from digest.state.db import open_db
from digest.state.subscribers import add_subscriber, get_subscriber

SECRET = "a-long-random-secret-for-the-tests"
QUERY_URL = "https://digest.quillwort.example.org/unsubscribe?token={token}"
PATH_URL = "https://quillwort.example.org/digest/leave/{token}/"


def _config(tmp_path: Path, url: str = QUERY_URL, title: str = "Quillwort digest") -> Config:
    return Config(
        path=tmp_path / "config.toml",
        digest=DigestConfig(title=title, state_dir=str(tmp_path / "state")),
        mail=MailConfig(
            sender="Quillwort digest <digest@quillwort.example.org>",
            subscribers=True,
            unsubscribe_url=url,
        ),
    )


@dataclass
class Reply:
    status: int
    headers: Message
    text: str


@dataclass
class Page:
    """A running server for one config, and a way to talk to it."""

    cfg: Config
    port: int

    def link(self, address: str) -> str:
        """The reader's link as mailed, pointed at this server (as the TLS proxy would)."""
        url, _ = unsubscribe_links(self.cfg, make_token(address, SECRET))
        assert url is not None
        parts = urlsplit(url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def request(
        self,
        method: str,
        target: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, target, body=body, headers=headers or {})
            response = conn.getresponse()
            text = response.read().decode("utf-8")
            return Reply(response.status, response.msg, text)
        finally:
            conn.close()

    def one_click(self, target: str) -> Reply:
        """What a mail client sends for RFC 8058 one-click unsubscribe."""
        return self.request(
            "POST",
            target,
            b"List-Unsubscribe=One-Click",
            {"Content-Type": "application/x-www-form-urlencoded"},
        )

    def status_of(self, address: str) -> str | None:
        db = open_db(self.cfg.db_path)
        try:
            subscriber = get_subscriber(db, address)
        finally:
            db.conn.close()
        return subscriber.status if subscriber else None


def _wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the unsubscribe server did not answer in time")
        time.sleep(0.01)


def _answers(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        conn.request("GET", "/")
        ok = conn.getresponse().status == 400  # no token: the page answers, refusing
        conn.close()
        return ok
    except OSError:
        return False


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Config], Page]]:
    monkeypatch.setenv("DIGEST_SECRET", SECRET)
    running: list[tuple[WSGIServer, threading.Thread]] = []

    def start(cfg: Config) -> Page:
        server = make_unsubscribe_server(make_app(cfg), "127.0.0.1", 0)
        # A short poll interval makes shutdown() at teardown quick.
        thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
        thread.start()
        running.append((server, thread))
        _wait_until(lambda: _answers(server.server_port))
        return Page(cfg, server.server_port)

    yield start
    for server, thread in running:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def page(serve: Callable[[Config], Page], tmp_path: Path) -> Page:
    cfg = _config(tmp_path)
    page = serve(cfg)
    db = open_db(cfg.db_path)
    add_subscriber(db, "ana@example.org", "Ana")
    db.conn.close()
    return page


def test_get_shows_a_confirmation_and_unsubscribes_nobody(page: Page) -> None:
    reply = page.request("GET", page.link("ana@example.org"))
    assert reply.status == 200
    assert "a***@example.org" in reply.text
    assert "ana@example.org" not in reply.text
    assert '<form method="post">' in reply.text
    assert "<script" not in reply.text and "http" not in reply.text  # nothing loaded from afar
    assert page.status_of("ana@example.org") == "active"
    # A scanner that only asks for the headers changes nothing either.
    assert page.request("HEAD", page.link("ana@example.org")).status == 200
    assert page.status_of("ana@example.org") == "active"


def test_every_response_carries_the_security_headers(page: Page) -> None:
    for reply in (
        page.request("GET", page.link("ana@example.org")),
        page.request("GET", "/unsubscribe?token=nonsense"),
        page.request("PUT", page.link("ana@example.org"), b""),
    ):
        assert reply.headers["Content-Security-Policy"].startswith("default-src 'none';")
        assert reply.headers["X-Content-Type-Options"] == "nosniff"
        assert reply.headers["Referrer-Policy"] == "no-referrer"
        assert reply.headers["Cache-Control"] == "no-store"
        assert reply.headers["Content-Type"] == "text/html; charset=utf-8"


def test_one_click_post_unsubscribes_and_a_second_one_is_harmless(page: Page) -> None:
    link = page.link("ana@example.org")
    first = page.one_click(link)
    assert first.status == 200
    assert "a***@example.org is unsubscribed" in first.text
    assert page.status_of("ana@example.org") == "unsubscribed"
    second = page.one_click(link)
    assert second.status == 200
    assert "a***@example.org was already unsubscribed" in second.text
    assert page.status_of("ana@example.org") == "unsubscribed"


def test_the_confirmation_button_unsubscribes(page: Page) -> None:
    link = page.link("ana@example.org")
    assert 'name="confirm" value="yes"' in page.request("GET", link).text
    reply = page.request(
        "POST", link, b"confirm=yes", {"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert reply.status == 200
    assert page.status_of("ana@example.org") == "unsubscribed"


def test_a_never_subscribed_address_is_recorded_so_no_import_adds_it(page: Page) -> None:
    assert page.one_click(page.link("bob@example.org")).status == 200
    assert page.status_of("bob@example.org") == "unsubscribed"


def test_a_forged_or_damaged_token_is_refused_in_one_sentence(page: Page) -> None:
    forged = make_token("ana@example.org", "another-secret")
    damaged = page.link("ana@example.org")[:-3]
    for target in (f"/unsubscribe?token={forged}", damaged, "/unsubscribe"):
        for reply in (page.request("GET", target), page.one_click(target)):
            assert reply.status == 400
            paragraphs = re.findall(r"<p>(.*?)</p>", reply.text)
            assert paragraphs == [
                "This unsubscribe link is not valid: it was cut short or changed, so copy "
                "the whole link from your latest digest."
            ]
    assert page.status_of("ana@example.org") == "active"


def test_a_big_body_is_refused_unread(page: Page) -> None:
    reply = page.request(
        "POST",
        page.link("ana@example.org"),
        b"List-Unsubscribe=One-Click&" + b"x" * 8192,
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert reply.status == 413
    assert page.status_of("ana@example.org") == "active"


def test_other_methods_are_not_allowed(page: Page) -> None:
    for method in ("PUT", "DELETE", "OPTIONS"):
        reply = page.request(method, page.link("ana@example.org"), b"")
        assert reply.status == 405
        assert reply.headers["Allow"] == "GET, HEAD, POST"
    assert page.status_of("ana@example.org") == "active"


def test_a_hostile_address_and_title_are_shown_as_text(
    serve: Callable[[Config], Page], tmp_path: Path
) -> None:
    page = serve(_config(tmp_path, title='<b onmouseover="x()">Quill</b>'))
    hostile = "a@<script>alert(1)</script>.example.org"
    reply = page.request("GET", page.link(hostile))
    assert reply.status == 200
    assert "<script>" not in reply.text and "<b " not in reply.text
    assert "a***@&lt;script&gt;alert(1)&lt;/script&gt;.example.org" in reply.text
    assert "&lt;b onmouseover=&quot;x()&quot;&gt;Quill&lt;/b&gt;" in reply.text
    # Validly signed, but no address anyone could be mailed at: nothing is recorded.
    assert page.one_click(page.link(hostile)).status == 400


def test_the_token_can_live_in_the_path(serve: Callable[[Config], Page], tmp_path: Path) -> None:
    page = serve(_config(tmp_path, url=PATH_URL))
    link = page.link("ana@example.org")
    assert link.startswith("/digest/leave/") and "?" not in link
    assert page.request("GET", link).status == 200
    # Behind a proxy that strips the leading path the token is still found.
    stripped = link.removeprefix("/digest")
    assert page.one_click(stripped).status == 200
    assert page.status_of("ana@example.org") == "unsubscribed"


def test_the_log_has_one_line_per_request_without_token_or_address(
    page: Page, capfd: pytest.CaptureFixture[str]
) -> None:
    records: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: records.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger("digest.unsubscribe_web")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        link = page.link("ana@example.org")
        page.request("GET", link)
        page.one_click(link)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    assert records == [
        "unsubscribe page: GET 200 a***@example.org confirmation shown",
        "unsubscribe page: POST 200 a***@example.org unsubscribed (one-click)",
    ]
    token = make_token("ana@example.org", SECRET)
    err = capfd.readouterr().err  # wsgiref's own request log would name the token
    assert token not in err and "ana@example.org" not in err


def test_the_link_in_a_built_message_works_against_the_server(page: Page) -> None:
    """End to end: the https link a subscriber's mail client finds in List-Unsubscribe."""
    address = "ana@example.org"
    url, mailto = unsubscribe_links(page.cfg, make_token(address, SECRET))
    msg = build_message(
        RenderedDigest(subject="Quillwort Sync — October 2026", text="Hi.\n", html="<p>Hi.</p>\n"),
        page.cfg,
        digest_id=DigestId("Quillwort Sync", Period(2026, 10)),
        recipient=address,
        unsubscribe_url=url,
        unsubscribe_mailto=mailto,
        now=datetime(2026, 11, 1, 6, 30, tzinfo=UTC),
    )
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    (https_link,) = re.findall(r"<(https://[^>]+)>", str(msg["List-Unsubscribe"]))
    parts = urlsplit(https_link)
    assert parts.netloc == "digest.quillwort.example.org"
    # The reverse proxy terminates TLS for that host and forwards the path and query.
    target = f"{parts.path}?{parts.query}"
    assert page.request("GET", target).status == 200
    assert page.status_of(address) == "active"
    assert page.one_click(target).status == 200
    assert page.status_of(address) == "unsubscribed"


def test_without_a_secret_the_page_does_not_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DIGEST_SECRET", raising=False)
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    with pytest.raises(UserError, match="the unsubscribe page needs a secret"):
        make_app(_config(tmp_path))


def test_a_busy_port_is_one_sentence(page: Page) -> None:
    with pytest.raises(UserError, match=rf"cannot listen on 127.0.0.1 port {page.port} \("):
        make_unsubscribe_server(make_app(page.cfg), "127.0.0.1", page.port)


def test_app_from_env_reads_the_config_named_by_digest_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[digest]\nstate_dir = "state"\n[mail]\nunsubscribe_url = "{QUERY_URL}"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("DIGEST_CONFIG", str(config))
    monkeypatch.setenv("DIGEST_SECRET", SECRET)
    app = app_from_env()
    token = make_token("ana@example.org", SECRET)
    seen: list[str] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: object = None
    ) -> None:
        seen.append(status)

    body = app(
        {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": "/unsubscribe",
            "QUERY_STRING": f"token={token}",
            "wsgi.input": None,
        },
        start_response,  # type: ignore[arg-type]
    )
    assert seen == ["200 OK"]
    assert b"a***@example.org" in b"".join(body)


@pytest.mark.parametrize(
    ("url", "path", "query", "expected"),
    [
        (QUERY_URL, "/unsubscribe", "token=TOK.SIG", "TOK.SIG"),
        (QUERY_URL, "/anywhere", "utm_source=x&token=TOK.SIG", "TOK.SIG"),
        ("https://x.org/u?list=dev&t=pre-{token}", "/u", "list=dev&t=pre-TOK.SIG", "TOK.SIG"),
        ("https://x.org/u?t={token}", "/u", "token=TOK.SIG", None),
        ("", "/", "token=TOK.SIG", "TOK.SIG"),
        (PATH_URL, "/digest/leave/TOK.SIG/", "", "TOK.SIG"),
        (PATH_URL, "/leave/TOK.SIG", "", "TOK.SIG"),
        ("https://x.org/u/{token}.html", "/u/TOK.SIG.html", "", "TOK.SIG"),
        (PATH_URL, "/", "", None),
        (QUERY_URL, "/unsubscribe", "", None),
    ],
)
def test_request_token_follows_the_configured_url(
    tmp_path: Path, url: str, path: str, query: str, expected: str | None
) -> None:
    assert request_token(_config(tmp_path, url=url), path, query) == expected


def test_mask_address() -> None:
    assert mask_address("ana@example.org") == "a***@example.org"
    assert mask_address("a@example.org") == "a***@example.org"
    assert mask_address("nobody") == "***"


def test_digest_serve_unsubscribe_serves_until_interrupted(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[digest]\nstate_dir = "state"\n[mail]\nunsubscribe_url = "{QUERY_URL}"\n',
        encoding="utf-8",
    )
    digest = Path(sys.executable).parent / "digest"
    if not digest.exists():
        pytest.skip(f"the digest script is not installed next to {sys.executable}")
    env = {**os.environ, "DIGEST_SECRET": SECRET}
    env.pop("INVOCATION_ID", None)
    env.pop("JOURNAL_STREAM", None)
    process = subprocess.Popen(
        [str(digest), "--config", str(config), "serve-unsubscribe", "--port", "0"],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stderr is not None
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(process.stderr or []), daemon=True)
        reader.start()
        _wait_until(lambda: any("serving the unsubscribe page" in line for line in lines), 20)
        (port,) = re.findall(r"http://127\.0\.0\.1:(\d+)/", "".join(lines))
        page = Page(Config(path=config), int(port))
        reply = page.request("GET", f"/unsubscribe?token={make_token('ana@example.org', SECRET)}")
        assert reply.status == 200 and "a***@example.org" in reply.text
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
        reader.join(timeout=5)
        assert lines[-1].strip() == "stopped."
        assert "unsubscribe page: GET 200 a***@example.org confirmation shown\n" in lines
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
