"""A reader's whole subscription, in a real browser: headless Chromium, driven over the
DevTools protocol (scripts/chromium.py), against `digest serve`'s app on waitress, with
every mail caught by a real SMTP server (aiosmtpd) and `digest send` run as the
monthly timer runs it.

Subscribe through the form -> follow the confirmation link from the mail -> confirm ->
choose one series on the preferences page -> the next digest has only that series ->
one-click unsubscribe (RFC 8058, as a mail client sends it) -> nothing more. Then the
archive: its pages show without a console error, and feedparser reads its feeds back.

No page may log a console error or an exception (a Content-Security-Policy that
blocked something the page needs would show here). Screenshots of each step go to
build/test-artefacts/ (or $DIGEST_TEST_ARTEFACTS) for a person to look at.
"""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import feedparser
import pytest
from chromium_driver import chromium
from notes_project import make_project
from smtp_server import SMTPTestServer
from web_server import stop_server

from digest.app.web import make_app, make_server
from digest.config.load import load_config

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.chromium

DOCS_NOTES = {
    "2026-10-14-quillwort-docs.md": """\
# 2026-10-14 Quillwort Docs

## Action items

- [ ] [mia] rewrite the getting-started page for the 2.0 rule format
- [x] [dana] move the rule reference to the new docs site
""",
}
SYNC, DOCS = "Quillwort Sync", "Quillwort Docs"
READER = "reader@example.org"
OTHER = "other@example.org"  # added by the operator: every series


SECRET = "a-long-random-secret-for-the-browser-test"


def digest(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`digest --config CONFIG ARGS...` as its own process, as the operator or a timer runs it."""
    return subprocess.run(
        [sys.executable, "-m", "digest", "--config", str(config), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "DIGEST_SECRET": SECRET},
        timeout=120,
    )


def _artefacts() -> Path:
    folder = Path(os.environ.get("DIGEST_TEST_ARTEFACTS", ROOT / "build" / "test-artefacts"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _wait_until(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


class Tab:
    """One browser tab: navigate, click, fill in, read; console errors collected."""

    def __init__(self, browser: Any) -> None:
        self.browser = browser
        self.page = browser.open("about:blank", width=420, height=900)
        self.session = self.page.session
        for domain in ("Runtime.enable", "Log.enable"):
            browser.call(domain, self.session)

    def _loaded(self) -> None:
        self.browser.wait_for("Page.loadEventFired", self.session)

    def go(self, url: str) -> None:
        self.browser.call("Page.navigate", self.session, url=url)
        self._loaded()

    def click(self, selector: str) -> None:
        """Click an element that loads a new page (a form's button, a link)."""
        clicked = self.page.evaluate(
            f"(() => {{ const e = document.querySelector({selector!r}); "
            "if (!e) return false; e.click(); return true; })()"
        )
        assert clicked, f"no {selector} on {self.url()}: {self.text()[:400]}"
        self._loaded()

    def fill(self, selector: str, value: str) -> None:
        assert self.page.evaluate(
            f"(() => {{ const e = document.querySelector({selector!r}); "
            f"if (!e) return false; e.value = {value!r}; return true; }})()"
        ), selector

    def tick(self, label: str, on: bool) -> None:
        """Tick or untick the checkbox whose label reads `label`."""
        found = self.page.evaluate(
            "(() => { for (const l of document.querySelectorAll('label')) {"
            f" if (l.textContent.trim() === {label!r}) {{"
            " const box = l.querySelector('input[type=checkbox]');"
            f" box.checked = {'true' if on else 'false'}; return true; }} }}"
            " return false; })()"
        )
        assert found, f"no box labelled {label!r}: {self.text()[:400]}"

    def text(self) -> str:
        return str(self.page.evaluate("document.body.innerText"))

    def url(self) -> str:
        return str(self.page.evaluate("location.href"))

    def shot(self, name: str) -> None:
        self.page.screenshot(_artefacts() / f"journey-{name}.png")

    def console_errors(self) -> list[str]:
        """Console errors, exceptions and error log entries seen so far in this tab."""
        errors = []
        for event in self.browser._events:
            if event.get("sessionId") != self.session:
                continue
            params = event.get("params", {})
            if event["method"] == "Runtime.exceptionThrown":
                errors.append(str(params.get("exceptionDetails", {}).get("text")))
            elif event["method"] == "Runtime.consoleAPICalled" and params.get("type") == "error":
                errors.append(str(params.get("args")))
            elif event["method"] == "Log.entryAdded" and params["entry"]["level"] == "error":
                errors.append(f"{params['entry'].get('url')}: {params['entry']['text']}")
        return errors


@pytest.fixture
def browser() -> Iterator[Any]:
    if not chromium.available():
        pytest.skip(f"Chromium is not installed at {chromium.CHROMIUM} (apt-get install chromium)")
    with chromium.Chromium() as running:
        yield running


@pytest.fixture
def smtp() -> Iterator[SMTPTestServer]:
    with SMTPTestServer() as server:
        yield server


def _project(tmp_path: Path, smtp_port: int) -> Path:
    config = make_project(tmp_path, list_address="", smtp_port=smtp_port)
    for name, text in DOCS_NOTES.items():
        (tmp_path / "notes" / name).write_text(text, encoding="utf-8")
    return config


@pytest.fixture
def site(
    tmp_path: Path, smtp: SMTPTestServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Path, str]]:
    """The project synced, and its pages served on a free loopback port; [web] base_url
    in config.toml is that address, so `digest send` links to it as well."""
    monkeypatch.setenv("DIGEST_SECRET", SECRET)
    config = _project(tmp_path, smtp.port)
    assert digest(config, "sync").returncode == 0
    cfg = load_config(config)
    app = make_app(cfg)
    server = make_server(app, "127.0.0.1", 0)
    base = f"http://127.0.0.1:{server.effective_port}/"
    cfg.web.base_url = base  # the running app's links
    with config.open("a", encoding="utf-8") as f:  # and every later command's
        f.write(f'\n[web]\nbase_url = "{base}"\n')
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield config, base
    finally:
        stop_server(server, thread)


def _mails_to(smtp: SMTPTestServer, address: str) -> list[EmailMessage]:
    return [m.message for m in smtp.messages if address in m.rcpt_tos]


def _status(config: Path, address: str) -> str | None:
    for line in digest(config, "subscribers", "list").stdout.splitlines():
        fields = line.split("\t")
        if fields[0] == address:
            return fields[-1]
    return None


def _text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def _one_click(url: str) -> tuple[int, str]:
    """The POST a mail client sends for RFC 8058 one-click unsubscribe: no cookie, no page."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        conn.request(
            "POST",
            parts.path,
            b"List-Unsubscribe=One-Click",
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8")
    finally:
        conn.close()


def test_a_reader_subscribes_chooses_a_series_gets_only_it_and_leaves_in_one_click(
    browser: Any, site: tuple[Path, str], smtp: SMTPTestServer, tmp_path: Path
) -> None:
    config, base = site
    assert digest(config, "subscribers", "add", OTHER).returncode == 0
    tab = Tab(browser)

    # 1. The subscribe form: an address and the series, all ticked.
    tab.go(base)
    assert "Subscribe to Quillwort digest" in tab.text()
    assert tab.page.evaluate("document.querySelectorAll('input[name=series]:checked').length") == 2
    tab.shot("1-subscribe")
    tab.fill("#address", READER)
    tab.click("button[type=submit]")
    assert "Check your inbox" in tab.text()
    assert _status(config, READER) is None  # nothing stored as a subscriber yet

    # 2. The confirmation mail, caught by aiosmtpd; its link shows a button.
    _wait_until(lambda: bool(_mails_to(smtp, READER)), "the confirmation mail")
    (confirmation,) = _mails_to(smtp, READER)
    assert confirmation["Subject"] == "Confirm your subscription to Quillwort digest"
    (link,) = re.findall(rf"{re.escape(base)}confirm/\S+", _text_of(confirmation))
    assert READER not in link
    tab.go(link)
    assert "Confirm your subscription" in tab.text()
    assert _status(config, READER) is None  # opening the link changed nothing
    tab.shot("2-confirm")
    tab.click("button[type=submit]")
    assert "You are subscribed" in tab.text()
    assert _status(config, READER) == "active"

    # 3. Preferences: only Quillwort Docs.
    tab.click("a[href*='/p/']")
    assert "r***@example.org gets, once a month:" in tab.text()
    tab.tick(SYNC, on=False)
    tab.shot("3-preferences")
    tab.click("form:not([action]) button[type=submit]")
    assert "Saved. Your next digest follows these choices." in tab.text()
    assert not tab.page.evaluate(f"document.querySelector('input[value=\"{SYNC}\"]').checked")

    # 4. The month's digest: one message each; the reader's has only the series chosen.
    sent = digest(config, "send", "--period", "2026-10")
    assert sent.returncode == 0, sent.stderr
    (monthly,) = [m for m in _mails_to(smtp, READER) if m is not confirmation]
    text = _text_of(monthly)
    assert DOCS.upper() in text and "rewrite the getting-started page" in text
    assert SYNC.upper() not in text and "plugin interface" not in text
    assert str(monthly["Subject"]).startswith(f"{DOCS} digest")
    (other,) = _mails_to(smtp, OTHER)
    assert SYNC.upper() in _text_of(other) and DOCS.upper() in _text_of(other)
    (unsubscribe,) = re.findall(r"<(https?://[^>]+)>", str(monthly["List-Unsubscribe"]))
    assert unsubscribe.startswith(f"{base}u/s1.") and READER not in unsubscribe
    assert f"{base}p/s1." in text  # the preferences page, from every digest
    html_part = monthly.get_body(("html",))
    assert html_part is not None
    page_file = tmp_path / "monthly.html"
    page_file.write_text(str(html_part.get_content()), encoding="utf-8")
    mail_view = Tab(browser)
    mail_view.go(page_file.as_uri())
    assert "Choose your series or pause" in mail_view.text()
    mail_view.shot("4-monthly-message")
    # "View in browser" and List-Archive lead to the archive, which shows the same digest.
    assert monthly["List-Archive"] == f"<{base}archive/>"
    page_link = f"{base}archive/2026-10/quillwort-docs.html"
    assert f"View in browser: {page_link}" in text
    tab.go(page_link)
    assert "rewrite the getting-started page" in tab.text()

    # 5. Opening the unsubscribe link shows a button (a scanner changes nothing) ...
    tab.go(unsubscribe)
    assert "Unsubscribe from Quillwort digest?" in tab.text()
    tab.shot("5-unsubscribe")
    assert _status(config, READER) == "active"
    # ... and the mail client's one-click POST unsubscribes.
    status, page = _one_click(unsubscribe)
    assert status == 200 and "r***@example.org is unsubscribed" in page
    assert _status(config, READER) == "unsubscribed"

    # 6. Next month's run mails the other reader, not this one.
    before = len(_mails_to(smtp, READER))
    again = digest(config, "send", "--period", "2026-10", "--resend")
    assert again.returncode == 0, again.stderr
    assert len(_mails_to(smtp, READER)) == before

    assert tab.console_errors() == []


def test_the_archive_shows_without_errors_and_its_feeds_read_back(
    browser: Any, site: tuple[Path, str], smtp: SMTPTestServer, tmp_path: Path
) -> None:
    config, base = site
    assert digest(config, "subscribers", "add", OTHER).returncode == 0
    assert digest(config, "send", "--period", "2026-10").returncode == 0

    tab = Tab(browser)
    tab.go(f"{base}archive/")
    index = tab.text()
    assert "October 2026" in index and SYNC in index and DOCS in index
    tab.shot("6-archive")
    tab.click("a[href$='quillwort-docs.html']")
    assert "rewrite the getting-started page" in tab.text()
    assert "plugin interface" not in tab.text()  # one page per series digest
    assert tab.console_errors() == []

    # The feeds, served and built, as a feed reader reads them.
    feed = feedparser.parse(f"{base}archive/feed.atom")
    assert not feed.bozo, feed.bozo_exception
    assert feed.feed.title == "Quillwort digest"
    assert sorted(e.title for e in feed.entries) == [
        "Quillwort Docs — October 2026",
        "Quillwort Sync — October 2026",
    ]
    assert all(e.link.startswith(f"{base}archive/2026-10/") for e in feed.entries)
    out = tmp_path / "site"
    built = digest(config, "archive", "build", str(out))
    assert built.returncode == 0, built.stderr
    docs = feedparser.parse((out / "feeds" / "quillwort-docs.atom").read_bytes())
    assert not docs.bozo, docs.bozo_exception
    assert [e.title for e in docs.entries] == ["Quillwort Docs — October 2026"]
    assert "rewrite the getting-started page" in docs.entries[0].content[0].value
