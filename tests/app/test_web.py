"""`digest serve`, over real HTTP (waitress on 127.0.0.1) against a real state database,
with confirmation mails caught by a real SMTP server (aiosmtpd).

What a reader relies on: subscribing needs the link mailed to them (nothing is active
before), the answer never tells whether an address is subscribed, a link preview or
mail scanner (GET) never changes anything, one-click unsubscribes, and a changed,
expired or replayed link does nothing. What the operator relies on: CSRF on every
form, throttling per client and per address, bounded bodies, strict headers, and no
address or token in any response or log line.
"""

from __future__ import annotations

import http.client
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from smtp_server import SMTPTestServer
from web_server import stop_server

from digest.app.web import (
    MAX_BODY_BYTES,
    RateLimiter,
    WebApp,
    app_from_env,
    make_app,
    make_server,
    mask_address,
    request_token,
)
from digest.config.schema import Config, DigestConfig, MailConfig, SmtpConfig, WebConfig
from digest.errors import UserError
from digest.mail.tokens import make_link_token, make_token
from digest.state.db import open_db
from digest.state.subscribers import add_subscriber, get_subscriber

SECRET = "a-long-random-secret-for-the-tests"
BASE = "https://digest.quillwort.example.org/"
QUERY_URL = "https://digest.quillwort.example.org/unsubscribe?token={token}"
PATH_URL = "https://quillwort.example.org/digest/leave/{token}/"
SERIES = ["Quillwort Docs", "Quillwort Sync"]


def _config(
    tmp_path: Path,
    *,
    url: str = QUERY_URL,
    title: str = "Quillwort digest",
    smtp_port: int = 0,
    trusted: list[str] | None = None,
) -> Config:
    return Config(
        path=tmp_path / "config.toml",
        digest=DigestConfig(title=title, state_dir=str(tmp_path / "state")),
        mail=MailConfig(
            sender="Quillwort digest <digest@quillwort.example.org>",
            subscribers=True,
            unsubscribe_url=url,
            transport="smtp",
        ),
        smtp=SmtpConfig(host="127.0.0.1", port=smtp_port, security="none", retries=0),
        web=WebConfig(
            base_url=BASE,
            trusted_proxies=["127.0.0.1"] if trusted is None else trusted,
        ),
    )


@dataclass
class Reply:
    status: int
    headers: Message
    text: str

    def csrf(self) -> str:
        found = re.search(r'name="csrf" value="([^"]+)"', self.text)
        assert found, self.text
        return found.group(1)


@dataclass
class Site:
    """A running server for one config, and a browser-like client with a cookie jar."""

    cfg: Config
    port: int
    app: WebApp
    cookies: dict[str, str] = field(default_factory=dict)
    bodies: list[str] = field(default_factory=list)  # every response, for the privacy test

    def request(
        self,
        method: str,
        target: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        *,
        cookies: bool = True,
    ) -> Reply:
        sent = dict(headers or {})
        if cookies and self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, target, body=body, headers=sent)
            response = conn.getresponse()
            text = response.read().decode("utf-8")
        finally:
            conn.close()
        for value in response.msg.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        self.bodies.append(text + str(response.msg))
        return Reply(response.status, response.msg, text)

    def post(self, target: str, fields: dict[str, Any], **kwargs: Any) -> Reply:
        return self.request(
            "POST",
            target,
            urlencode(fields, doseq=True).encode(),
            {"Content-Type": "application/x-www-form-urlencoded", **kwargs.pop("headers", {})},
            **kwargs,
        )

    def one_click(self, target: str) -> Reply:
        """What a mail client sends for RFC 8058 one-click unsubscribe: no cookie."""
        return self.request(
            "POST",
            target,
            b"List-Unsubscribe=One-Click",
            {"Content-Type": "application/x-www-form-urlencoded"},
            cookies=False,
        )

    def subscribe(self, address: str, series: list[str] | None = None, **kwargs: Any) -> Reply:
        csrf = self.request("GET", "/").csrf()
        # A browser sends the boxes ticked: all of them, as the form shows it.
        fields = {"address": address, "csrf": csrf, "series": SERIES if series is None else series}
        return self.post("/subscribe", fields, **kwargs)

    def legacy_link(self, address: str) -> str:
        url = self.cfg.mail.unsubscribe_url.replace("{token}", make_token(address, SECRET))
        parts = urlsplit(url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def subscriber(self, address: str) -> Any:
        db = open_db(self.cfg.db_path)
        try:
            return get_subscriber(db, address)
        finally:
            db.conn.close()

    def status_of(self, address: str) -> str | None:
        found = self.subscriber(address)
        return found.status if found else None

    def link_of(self, address: str, page: str) -> str:
        found = self.subscriber(address)
        return f"/{page}/{make_link_token('s', found.sid, SECRET)}"


def _wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the server did not answer in time")
        time.sleep(0.01)


def _answers(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        conn.request("GET", "/nothing-here")
        conn.getresponse().read()
        conn.close()
        return True
    except OSError:
        return False


@pytest.fixture
def smtp() -> Iterator[SMTPTestServer]:
    with SMTPTestServer() as server:
        yield server


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Site]]:
    monkeypatch.setenv("DIGEST_SECRET", SECRET)
    running: list[tuple[Any, threading.Thread]] = []

    def start(cfg: Config, now: Callable[[], datetime] | None = None) -> Site:
        app = make_app(cfg)
        if now is not None:
            app.now = now
        app._series = (time.monotonic(), list(SERIES))  # as if these series had met
        server = make_server(app, "127.0.0.1", 0)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        running.append((server, thread))
        _wait_until(lambda: _answers(server.effective_port))
        return Site(cfg, server.effective_port, app)

    yield start
    for server, thread in running:
        stop_server(server, thread)


@pytest.fixture
def site(serve: Callable[..., Site], smtp: SMTPTestServer, tmp_path: Path) -> Site:
    cfg = _config(tmp_path, smtp_port=smtp.port)
    started = serve(cfg)
    db = open_db(cfg.db_path)
    add_subscriber(db, "ana@example.org", "Ana")
    db.conn.close()
    return started


def _mailed_link(smtp: SMTPTestServer, n: int, page: str) -> str:
    smtp.wait_for(n)
    text = smtp.messages[n - 1].message.get_content()
    (link,) = re.findall(rf"{re.escape(BASE)}({page}/\S+)", text)
    return "/" + link


# ---- subscribing: double opt-in -------------------------------------------------------


def test_subscribing_needs_the_mailed_link_and_stores_nothing_active_before(
    site: Site, smtp: SMTPTestServer
) -> None:
    form = site.request("GET", "/")
    assert form.status == 200
    assert 'name="csrf"' in form.text and 'type="email"' in form.text
    assert all(f'value="{s}" checked' in form.text for s in SERIES)
    assert "SameSite=Strict" in form.headers["Set-Cookie"]

    reply = site.subscribe("Bo@Example.org", ["Quillwort Sync"])
    assert reply.status == 200 and "Check your inbox" in reply.text
    assert site.status_of("bo@example.org") is None  # nothing active (or stored) yet
    link = _mailed_link(smtp, 1, "confirm")
    message = smtp.messages[0].message
    assert message["To"] == "bo@example.org" and message["List-Id"] is None
    assert "bo@example.org" not in link

    shown = site.request("GET", link)  # a mail scanner opening the link changes nothing
    assert shown.status == 200 and "Confirm" in shown.text
    assert site.status_of("bo@example.org") is None
    confirmed = site.post(link, {"confirm": "yes", "csrf": shown.csrf()})
    assert confirmed.status == 200 and "You are subscribed" in confirmed.text
    subscriber = site.subscriber("bo@example.org")
    assert subscriber.status == "active" and subscriber.series == ("Quillwort Sync",)
    pattern = r'href="https://digest\.quillwort\.example\.org(/p/[^"]+)"'
    (prefs,) = re.findall(pattern, confirmed.text)
    assert site.request("GET", prefs).status == 200

    # Replayed: used once, then gone.
    replay = site.post(link, {"confirm": "yes", "csrf": shown.csrf()})
    assert replay.status == 410


def test_the_answer_never_tells_whether_an_address_is_subscribed(
    site: Site, smtp: SMTPTestServer
) -> None:
    fresh = site.subscribe("new@example.org")
    known = site.subscribe("ana@example.org")  # already active
    assert (fresh.status, fresh.text) == (known.status, known.text)
    smtp.wait_for(2)
    reminder = smtp.messages[1].message
    assert reminder["To"] == "ana@example.org"
    assert "already is" in reminder.get_content()  # a link to the preferences, no new sign-up
    assert site.status_of("ana@example.org") == "active"


def test_an_expired_confirmation_link_is_refused(
    serve: Callable[..., Site], smtp: SMTPTestServer, tmp_path: Path
) -> None:
    clock = [datetime(2026, 11, 1, tzinfo=UTC)]
    site = serve(_config(tmp_path, smtp_port=smtp.port), now=lambda: clock[0])
    site.subscribe("late@example.org")
    link = _mailed_link(smtp, 1, "confirm")
    clock[0] += timedelta(days=8)  # confirm_days is 7
    shown = site.request("GET", link)
    reply = site.post(link, {"confirm": "yes", "csrf": shown.csrf()})
    assert reply.status == 410 and "expired" in reply.text
    assert site.status_of("late@example.org") is None


def test_forged_damaged_and_misused_tokens_are_refused(site: Site) -> None:
    good = site.link_of("ana@example.org", "u")
    sid = site.subscriber("ana@example.org").sid
    forged = f"/u/{make_link_token('s', sid, 'another-secret')}"
    damaged = good[:-2] + ("AA" if not good.endswith("AA") else "BB")
    wrong_kind = f"/u/{make_link_token('c', sid, SECRET)}"  # a confirmation token
    unknown = f"/u/{make_link_token('s', 'nobody-has-this-id', SECRET)}"
    for target in (forged, damaged, wrong_kind, unknown):
        for reply in (site.request("GET", target), site.one_click(target)):
            assert reply.status == 400, target
    for page in ("p", "confirm"):
        assert site.request("GET", f"/{page}/{forged.rsplit('/', 1)[1]}").status == 400
    assert site.status_of("ana@example.org") == "active"


def test_forged_tokens_change_nothing_when_posted_with_a_valid_form(
    site: Site, smtp: SMTPTestServer
) -> None:
    """A POST with a good CSRF token but a forged link token: the forms refuse it too."""
    csrf = site.request("GET", "/").csrf()
    sid = site.subscriber("ana@example.org").sid
    forged = make_link_token("s", sid, "another-secret")
    for target, fields in (
        (f"/p/{forged}", {"series": ["Quillwort Docs"], "paused": "yes"}),
        (f"/u/{forged}", {"confirm": "yes"}),
        (f"/confirm/{make_link_token('c', 'made-up', SECRET)}", {"confirm": "yes"}),
        (f"/confirm/{make_link_token('c', 'made-up', 'another-secret')}", {"confirm": "yes"}),
    ):
        reply = site.post(target, {**fields, "csrf": csrf})
        assert reply.status in (400, 410), target
    ana = site.subscriber("ana@example.org")
    assert ana.status == "active" and not ana.paused and ana.series is None


def test_a_used_confirmation_link_cannot_bring_back_someone_who_left(
    site: Site, smtp: SMTPTestServer
) -> None:
    site.subscribe("dora@example.org")
    link = _mailed_link(smtp, 1, "confirm")
    shown = site.request("GET", link)
    assert site.post(link, {"confirm": "yes", "csrf": shown.csrf()}).status == 200
    assert site.one_click(site.link_of("dora@example.org", "u")).status == 200
    replay = site.post(link, {"confirm": "yes", "csrf": shown.csrf()})
    assert replay.status == 410
    assert site.status_of("dora@example.org") == "unsubscribed"


# ---- unsubscribing ------------------------------------------------------------------


def test_a_get_never_unsubscribes_and_one_click_does(site: Site) -> None:
    link = site.link_of("ana@example.org", "u")
    for method in ("GET", "HEAD", "GET"):
        assert site.request(method, link).status == 200
    assert site.status_of("ana@example.org") == "active"
    first = site.one_click(link)
    assert first.status == 200 and "a***@example.org is unsubscribed" in first.text
    assert site.status_of("ana@example.org") == "unsubscribed"
    again = site.one_click(link)
    assert again.status == 200 and "already unsubscribed" in again.text


def test_a_get_carrying_the_one_click_field_still_changes_nothing(site: Site) -> None:
    """A scanner that follows the link with the RFC 8058 field in the query string."""
    link = site.link_of("ana@example.org", "u")
    for target in (f"{link}?List-Unsubscribe=One-Click", f"{link}?confirm=yes&csrf=x"):
        reply = site.request("GET", target)
        assert reply.status == 200 and "Unsubscribe from" in reply.text
    assert site.status_of("ana@example.org") == "active"


def test_the_page_button_unsubscribes_with_its_csrf_token(site: Site) -> None:
    link = site.link_of("ana@example.org", "u")
    shown = site.request("GET", link)
    assert site.post(link, {"confirm": "yes"}).status == 403  # no CSRF token: refused
    assert site.status_of("ana@example.org") == "active"
    assert site.post(link, {"confirm": "yes", "csrf": shown.csrf()}).status == 200
    assert site.status_of("ana@example.org") == "unsubscribed"


# ---- preferences --------------------------------------------------------------------


def test_preferences_choose_series_and_pause(site: Site) -> None:
    link = site.link_of("ana@example.org", "p")
    shown = site.request("GET", link)
    assert shown.status == 200 and "a***@example.org" in shown.text
    assert all(f'value="{s}" checked' in shown.text for s in SERIES)
    saved = site.post(link, {"series": ["Quillwort Docs"], "csrf": shown.csrf()})
    assert saved.status == 200 and "Saved" in saved.text
    assert site.subscriber("ana@example.org").series == ("Quillwort Docs",)
    assert 'value="Quillwort Sync">' in saved.text  # unticked now
    paused = site.post(link, {"series": SERIES, "paused": "yes", "csrf": saved.csrf()})
    assert paused.status == 200
    found = site.subscriber("ana@example.org")
    assert found.paused and found.series is None  # every series (and new ones) again
    none = site.post(link, {"csrf": paused.csrf()})
    assert none.status == 400 and "Choose at least one series" in none.text


def test_a_series_name_from_the_notes_is_shown_as_text_never_as_markup(
    site: Site, smtp: SMTPTestServer
) -> None:
    hostile = '<img src=x onerror="alert(1)">Core'
    site.app._series = (time.monotonic(), [*SERIES, hostile])
    form = site.request("GET", "/")
    assert "<img" not in form.text
    assert 'value="&lt;img src=x onerror=&quot;alert(1)&quot;&gt;Core"' in form.text
    site.subscribe("gil@example.org", [hostile])
    link = _mailed_link(smtp, 1, "confirm")
    message = smtp.messages[0].message
    assert message.get_content_type() == "text/plain"  # the name is text in the mail too
    shown = site.request("GET", link)
    confirmed = site.post(link, {"confirm": "yes", "csrf": shown.csrf()})
    (prefs,) = re.findall(
        r'href="https://digest\.quillwort\.example\.org(/p/[^"]+)"', confirmed.text
    )
    page = site.request("GET", prefs)
    assert "<img" not in page.text and "&lt;img src=x" in page.text


# ---- CSRF, throttling, sizes --------------------------------------------------------


def test_every_form_refuses_a_post_without_its_csrf_token(site: Site, smtp: SMTPTestServer) -> None:
    site.request("GET", "/")  # the browser has the cookie, but the form field is missing
    prefs = site.link_of("ana@example.org", "p")
    site.subscribe("fay@example.org")  # a pending subscription, to confirm without CSRF
    confirm = _mailed_link(smtp, 1, "confirm")
    attempts = [
        (confirm, {"confirm": "yes"}),
        ("/subscribe", {"address": "eve@example.org"}),
        ("/subscribe", {"address": "eve@example.org", "csrf": "forged"}),
        (prefs, {"paused": "yes"}),
        (site.link_of("ana@example.org", "u"), {"confirm": "yes"}),
    ]
    for target, fields in attempts:
        assert site.post(target, fields).status == 403, target
    # A valid field with another browser's cookie is refused too.
    csrf = site.request("GET", "/").csrf()
    site.cookies["digest_csrf"] = "x" * 24
    assert site.post("/subscribe", {"address": "eve@example.org", "csrf": csrf}).status == 403
    assert len(smtp.messages) == 1  # fay's confirmation mail, and nothing since
    assert not site.subscriber("ana@example.org").paused
    assert site.status_of("eve@example.org") is None
    assert site.status_of("fay@example.org") is None  # not confirmed by the forged POST


def test_a_thousand_subscribe_requests_from_one_client_are_throttled(
    serve: Callable[..., Site], smtp: SMTPTestServer, tmp_path: Path
) -> None:
    site = serve(_config(tmp_path, smtp_port=smtp.port, trusted=[]))
    csrf = site.request("GET", "/").csrf()
    cookie = "; ".join(f"{k}={v}" for k, v in site.cookies.items())
    conn = http.client.HTTPConnection("127.0.0.1", site.port, timeout=10)
    statuses = []
    for i in range(1000):
        fields = {"address": f"r{i}@example.org", "csrf": csrf, "series": SERIES}
        body = urlencode(fields, doseq=True).encode()
        # A client that is not behind a trusted proxy cannot dodge the limit by
        # making up X-Forwarded-For.
        conn.request(
            "POST",
            "/subscribe",
            body,
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": cookie,
                "X-Forwarded-For": f"198.51.100.{i % 250}",
            },
        )
        response = conn.getresponse()
        response.read()
        statuses.append(response.status)
        if response.will_close:
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", site.port, timeout=10)
    conn.close()
    limit = site.cfg.web.subscribe_per_ip
    assert statuses[:limit] == [200] * limit
    assert statuses[limit:] == [429] * (1000 - limit)
    smtp.wait_for(limit)
    assert len(smtp.messages) == limit


def test_a_trusted_proxy_names_the_client(
    serve: Callable[..., Site], smtp: SMTPTestServer, tmp_path: Path
) -> None:
    site = serve(_config(tmp_path, smtp_port=smtp.port))  # 127.0.0.1 is the proxy
    limit = site.cfg.web.subscribe_per_ip
    for i in range(limit):
        assert site.subscribe(f"a{i}@example.org", headers={"X-Forwarded-For": "203.0.113.7"})
    blocked = site.subscribe("z@example.org", headers={"X-Forwarded-For": "203.0.113.7"})
    assert blocked.status == 429 and blocked.headers["Retry-After"] == "3600"
    other = site.subscribe("y@example.org", headers={"X-Forwarded-For": "203.0.113.8"})
    assert other.status == 200


def test_confirmation_mails_to_one_address_are_limited(site: Site, smtp: SMTPTestServer) -> None:
    replies = [
        site.subscribe("victim@example.org", headers={"X-Forwarded-For": f"203.0.113.{i}"})
        for i in range(6)
    ]
    assert {r.status for r in replies} == {200}
    assert len({r.text for r in replies}) == 1  # the same answer every time
    smtp.wait_for(site.cfg.web.subscribe_per_address)
    assert len(smtp.messages) == site.cfg.web.subscribe_per_address


def test_a_ten_megabyte_body_is_refused_unread(site: Site) -> None:
    with socket.create_connection(("127.0.0.1", site.port), timeout=10) as sock:
        sock.sendall(
            b"POST /subscribe HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 10485760\r\n\r\n" + b"a" * 65536
        )
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 413"), answer[:80]
    small_but_too_big = site.post("/subscribe", {"address": "x" * (MAX_BODY_BYTES + 10)})
    assert small_but_too_big.status == 413


def test_other_methods_are_not_allowed(site: Site) -> None:
    for method in ("PUT", "DELETE", "OPTIONS"):
        reply = site.request(method, site.link_of("ana@example.org", "u"), b"")
        assert reply.status == 405
        assert reply.headers["Allow"] == "GET, HEAD, POST"
    assert site.status_of("ana@example.org") == "active"


def test_every_response_carries_the_security_headers(site: Site) -> None:
    for reply in (
        site.request("GET", "/"),
        site.request("GET", site.link_of("ana@example.org", "u")),
        site.request("GET", "/u/nonsense"),
        site.request("GET", "/archive/"),
        site.request("PUT", "/", b""),
    ):
        assert reply.headers["Content-Security-Policy"].startswith("default-src 'none';")
        assert "frame-ancestors 'none'" in reply.headers["Content-Security-Policy"]
        assert reply.headers["X-Content-Type-Options"] == "nosniff"
        assert reply.headers["Referrer-Policy"] == "no-referrer"
        assert reply.headers["Cache-Control"] == "no-store"
        assert reply.headers["Strict-Transport-Security"] == "max-age=31536000"
        assert reply.headers["Content-Type"].startswith(("text/html", "application/atom+xml"))


def test_no_response_or_log_line_names_an_address_or_token(
    site: Site, smtp: SMTPTestServer, capfd: pytest.CaptureFixture[str]
) -> None:
    records: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: records.append(record.getMessage())  # type: ignore[method-assign]
    # The "digest" logger: a CLI run earlier in this process may have set it not to
    # propagate (digest.log.setup_logging), and to a quieter level.
    root = logging.getLogger("digest")
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        site.subscribe("carla@example.org")
        link = _mailed_link(smtp, 1, "confirm")
        shown = site.request("GET", link)
        confirmed = site.post(link, {"confirm": "yes", "csrf": shown.csrf()})
        (prefs,) = re.findall(r"(/p/[^\"]+)", confirmed.text)
        shown = site.request("GET", prefs)
        saved = site.post(prefs, {"series": SERIES, "csrf": shown.csrf()})
        site.subscribe("ana@example.org")
        site.one_click(prefs.replace("/p/", "/u/"))
        site.request("GET", site.legacy_link("ana@example.org"))
        site.subscribe("not-an-address")
        # Refused requests name no one either: no CSRF token, a body too big.
        site.post("/subscribe", {"address": "carla@example.org"})
        site.post("/subscribe", {"address": "carla@example.org", "pad": "x" * MAX_BODY_BYTES})
        assert saved.status == 200
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    web_lines = [r for r in records if r.startswith("web: ")]
    assert len(web_lines) >= 10
    assert any("confirmation mailed" in r for r in web_lines)
    tokens = [link.rsplit("/", 1)[1], prefs.rsplit("/", 1)[1]]
    tokens.append(make_token("ana@example.org", SECRET))
    logged = "\n".join(records) + capfd.readouterr().err
    everything = logged + "\n".join(site.bodies)
    for address in ("carla@example.org", "ana@example.org", "carla"):
        assert address not in everything, address
    for token in tokens:  # a page may show its reader their own link; a log never does
        assert token not in logged, token


# ---- links mailed before the change (signed addresses) ---------------------------------


def test_an_old_link_works_during_the_migration_window_then_stops(
    serve: Callable[..., Site], smtp: SMTPTestServer, tmp_path: Path
) -> None:
    clock = [datetime.now(UTC)]
    site = serve(_config(tmp_path, smtp_port=smtp.port), now=lambda: clock[0])
    db = open_db(site.cfg.db_path)
    add_subscriber(db, "ana@example.org")
    add_subscriber(db, "ben@example.org")
    db.conn.close()
    link = site.legacy_link("ana@example.org")
    shown = site.request("GET", link)
    assert shown.status == 200 and "a***@example.org" in shown.text
    assert site.status_of("ana@example.org") == "active"
    assert site.one_click(link).status == 200
    assert site.status_of("ana@example.org") == "unsubscribed"
    forged = site.request("GET", f"/unsubscribe?token={make_token('ben@example.org', 'x')}")
    assert forged.status == 400
    clock[0] += timedelta(days=181)  # LEGACY_TOKEN_DAYS is 180
    late = site.one_click(site.legacy_link("ben@example.org"))
    assert late.status == 410 and "latest digest" in late.text
    assert site.status_of("ben@example.org") == "active"


def test_the_old_token_can_live_in_the_path(
    serve: Callable[..., Site], smtp: SMTPTestServer, tmp_path: Path
) -> None:
    site = serve(_config(tmp_path, url=PATH_URL, smtp_port=smtp.port))
    link = site.legacy_link("ana@example.org")
    assert link.startswith("/digest/leave/") and "?" not in link
    assert site.request("GET", link).status == 200
    # Behind a proxy that strips the leading path the token is still found.
    assert site.one_click(link.removeprefix("/digest")).status == 200
    assert site.status_of("ana@example.org") == "unsubscribed"


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


# ---- the pieces ---------------------------------------------------------------------


def test_mask_address() -> None:
    assert mask_address("ana@example.org") == "a***@example.org"
    assert mask_address("a@example.org") == "a***@example.org"
    assert mask_address("nobody") == "***"


def test_the_rate_limiter_forgets_after_its_window() -> None:
    now = [0.0]
    limiter = RateLimiter(limit=2, window=60, max_keys=2, clock=lambda: now[0])
    assert [limiter.allow("a") for _ in range(3)] == [True, True, False]
    now[0] = 61
    assert limiter.allow("a")
    limiter.allow("b")
    limiter.allow("c")  # only two keys are kept: the oldest ("a") is forgotten
    assert len(limiter._events) == 2 and "a" not in limiter._events


def test_without_a_secret_the_pages_do_not_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DIGEST_SECRET", raising=False)
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    with pytest.raises(UserError, match="`digest serve` needs a secret"):
        make_app(_config(tmp_path))


def test_a_busy_port_is_one_sentence(site: Site) -> None:
    with pytest.raises(UserError, match=rf"cannot listen on 127.0.0.1 port {site.port} \("):
        make_server(site.app, "127.0.0.1", site.port)


def test_app_from_env_reads_the_config_named_by_digest_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[digest]\nstate_dir = "state"\n[web]\nbase_url = "{BASE}"\n', encoding="utf-8"
    )
    monkeypatch.setenv("DIGEST_CONFIG", str(config))
    monkeypatch.setenv("DIGEST_SECRET", SECRET)
    app = app_from_env()
    seen: list[str] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: object = None
    ) -> None:
        seen.append(status)

    body = app(
        {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "QUERY_STRING": "", "wsgi.input": None},
        start_response,  # type: ignore[arg-type]
    )
    assert seen == ["200 OK"]
    assert b"Subscribe to Meeting notes digest" in b"".join(body)


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as a shell does for a background job


@pytest.mark.parametrize(
    ("command", "sigint_ignored"),
    [("serve", False), ("serve-unsubscribe", False), ("serve", True)],
)
def test_digest_serve_serves_until_interrupted(
    tmp_path: Path, command: str, sigint_ignored: bool
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[digest]\nstate_dir = "state"\n[mail]\nunsubscribe_url = "{QUERY_URL}"\n'
        f'[web]\nbase_url = "{BASE}"\n',
        encoding="utf-8",
    )
    digest = Path(sys.executable).parent / "digest"
    if not digest.exists():
        pytest.skip(f"the digest script is not installed next to {sys.executable}")
    env = {**os.environ, "DIGEST_SECRET": SECRET}
    env.pop("INVOCATION_ID", None)
    env.pop("JOURNAL_STREAM", None)
    process = subprocess.Popen(
        [str(digest), "--config", str(config), command, "--port", "0"],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        # Started with SIGINT ignored, Python raises no KeyboardInterrupt on it:
        # serve must stop on it all the same.
        preexec_fn=_ignore_sigint if sigint_ignored else None,
    )
    try:
        assert process.stderr is not None
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(process.stderr or []), daemon=True)
        reader.start()
        _wait_until(lambda: any("serving the subscription pages" in line for line in lines), 20)
        if command == "serve-unsubscribe":
            assert any("deprecated" in line for line in lines)
        (port,) = re.findall(r"http://127\.0\.0\.1:(\d+)/", "".join(lines))
        conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=10)
        conn.request("GET", f"/unsubscribe?token={make_token('ana@example.org', SECRET)}")
        response = conn.getresponse()
        assert response.status == 200 and b"a***@example.org" in response.read()
        conn.close()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
        reader.join(timeout=5)
        assert lines[-1].strip() == "stopped."
        assert "web: GET (legacy link) 200 legacy confirmation shown\n" in lines
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
