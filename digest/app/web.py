"""`digest serve`: the readers' web pages, one WSGI app served by waitress.

Pages (under [web] base_url, plain HTTP behind the operator's TLS proxy):

  GET  /                    the subscribe form: an address and the series to get
  POST /subscribe           mails a confirmation link (double opt-in); the answer is
                            the same whatever the address's state, so it never tells
                            whether someone is subscribed
  GET  /confirm/TOKEN       a button (mail scanners open links: a GET changes nothing)
  POST /confirm/TOKEN       the subscription becomes active; link to the preferences
  GET  /p/TOKEN, POST       preferences: which series, pause
  GET  /u/TOKEN             a button to unsubscribe (a GET changes nothing)
  POST /u/TOKEN             unsubscribes: the button, or RFC 8058 one-click
  GET  /archive/...         the web archive (digest.app.archive): the same pages and
                            Atom feeds as `digest archive build`

Tokens are opaque (digest.mail.tokens): a random id and a MAC, never the address.
Links mailed before schema v3 carry a signed address and keep working for
LEGACY_TOKEN_DAYS after the upgrade, on the path [mail] unsubscribe_url gives
them (any path that is not one of the above).

Abuse: every form POST needs a CSRF token bound to a SameSite=Strict cookie
(RFC 8058's one-click POST needs none: the unguessable link is its authority);
subscribe requests are limited per client address (X-Forwarded-For is believed
only from [web] trusted_proxies) and confirmation mails per address; bodies over
MAX_BODY_BYTES are refused by waitress before the app reads them; every
response carries strict security headers. Log lines name the route and the
outcome, never a token or an address.

Why waitress: a maintained, production WSGI server in pure Python (no compiled
parts, so MemoryDenyWriteExecute= holds), with bounded request sizes, a fixed
thread pool and its own slow-client handling; the app stays a plain WSGI
callable, tested without any server.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import html
import logging
import secrets
import signal
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

from digest.errors import UserError

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from digest.config.schema import Config
    from digest.state.db import StateDB
    from digest.state.subscribers import Subscriber

log = logging.getLogger("digest.web")

# The largest form (the preferences of a project with many series) is a few KiB.
MAX_BODY_BYTES = 16 * 1024
DEFAULT_TOKEN_PARAMETER = "token"
ALLOWED_METHODS = ("GET", "HEAD", "POST")
CSRF_COOKIE = "digest_csrf"
SERIES_CACHE_SECONDS = 300


def security_headers(https: bool) -> list[tuple[str, str]]:
    headers = [
        # No scripts, images, fonts or frames; inline style only; forms post to us.
        (
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'",
        ),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        # Page URLs hold tokens: never pass them on, never keep a copy.
        ("Referrer-Policy", "no-referrer"),
        ("Cache-Control", "no-store"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Cross-Origin-Resource-Policy", "same-origin"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    ]
    if https:
        headers.append(("Strict-Transport-Security", "max-age=31536000"))
    return headers


_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;"
    "padding:0 1rem;line-height:1.5;color:#222;background:#fff}"
    "button{font-size:1rem;padding:.5rem 1.2rem;cursor:pointer}"
    "input[type=email]{font-size:1rem;padding:.4rem;width:100%;box-sizing:border-box}"
    "label{display:block;margin:.3rem 0}fieldset{border:1px solid #ccc;margin:1rem 0}"
    "form{margin:1rem 0}a{color:#0a58ca}"
    "@media (prefers-color-scheme: dark){body{background:#0d1117;color:#e6edf3}"
    "a{color:#79b8ff}}"
)

_INVALID_LINK = (
    "This unsubscribe link is not valid: it was cut short or changed, so copy the whole "
    "link from your latest digest."
)
_INVALID_PAGE_LINK = (
    "This link is not valid: it was cut short or changed, so copy the whole link from "
    "your latest digest."
)
_OLD_LINK = (
    "This link comes from a digest mailed before the links changed and no longer works; "
    "use the link in your latest digest."
)
_FORM_EXPIRED = "This form has expired; open the page again and resend it."


# ---- pure helpers -----------------------------------------------------------


def mask_address(address: str) -> str:
    """Enough of an address to recognise it, not to harvest it: a***@example.org."""
    local, at, domain = address.rpartition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}"


def _strip(text: str, prefix: str, suffix: str) -> str | None:
    if text.startswith(prefix) and text.endswith(suffix) and len(text) > len(prefix + suffix):
        return text[len(prefix) : len(text) - len(suffix)]
    return None


def request_token(cfg: Config, path: str, query: str) -> str | None:
    """The token of a legacy request, found where [mail] unsubscribe_url puts {token}.

    path is the whole request path (SCRIPT_NAME + PATH_INFO), query the raw
    query string. None when the request carries no token.
    """
    template = urlsplit(cfg.mail.unsubscribe_url)
    if "{token}" in template.path:
        return _path_token(cfg, template.scheme, template.netloc, template.path, path)
    name, prefix, suffix = DEFAULT_TOKEN_PARAMETER, "", ""
    for key, value in parse_qsl(template.query, keep_blank_values=True):
        if "{token}" in value:
            name = key
            prefix, _, suffix = value.partition("{token}")
            break
    values = parse_qs(query, keep_blank_values=True).get(name)
    if not values:
        return None
    return _strip(values[0], prefix, suffix) if prefix or suffix else values[0] or None


def _path_token(cfg: Config, scheme: str, netloc: str, template_path: str, path: str) -> str | None:
    from digest.mail.tokens import token_from_url

    query = urlsplit(cfg.mail.unsubscribe_url).query
    whole = f"{scheme}://{netloc}{path}" + (f"?{query}" if query else "")
    found = token_from_url(cfg, whole)
    if found != whole:
        return found
    # A proxy that strips or changes the leading path: the token is still the
    # same segment counted from the end.
    wanted = template_path.rstrip("/").split("/")
    given = path.rstrip("/").split("/")
    index = next(i for i, segment in enumerate(wanted) if "{token}" in segment)
    from_end = len(wanted) - index
    if len(given) < from_end:
        return None
    prefix, _, suffix = wanted[index].partition("{token}")
    return _strip(given[len(given) - from_end], prefix, suffix)


def render_page(title: str, heading: str, paragraphs: list[str], *, body: str = "") -> bytes:
    """A whole HTML page: title, heading and paragraphs are plain text, escaped here;
    body is HTML built by this module (forms), added after them."""
    e = html.escape
    text = "".join(f"<p>{e(p)}</p>" for p in paragraphs)
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex, nofollow">'
        f"<title>{e(heading)} — {e(title)}</title><style>{_STYLE}</style></head>"
        f"<body><h1>{e(heading)}</h1>{text}{body}</body></html>\n"
    )
    return page.encode("utf-8")


def _button_form(label: str, csrf: str = "", action: str = "") -> str:
    e = html.escape
    target = f' action="{e(action)}"' if action else ""
    hidden = f'<input type="hidden" name="csrf" value="{e(csrf)}">' if csrf else ""
    return (
        f'<form method="post"{target}>'
        f'<input type="hidden" name="confirm" value="yes">{hidden}'
        f'<button type="submit">{e(label)}</button></form>'
    )


def _series_boxes(known: list[str], chosen: tuple[str, ...] | None) -> str:
    e = html.escape
    wanted = None if chosen is None else {c.casefold() for c in chosen}
    boxes = "".join(
        f'<label><input type="checkbox" name="series" value="{e(name)}"'
        f"{' checked' if wanted is None or name.casefold() in wanted else ''}> {e(name)}</label>"
        for name in known
    )
    return f"<fieldset><legend>Series</legend>{boxes}</fieldset>" if known else ""


class _HideAddresses(logging.Filter):
    """Masks the addresses a request of this thread is mailing in every log line (the
    SMTP transport names its recipients: fine for `digest send`, not for these pages)."""

    local = threading.local()

    def filter(self, record: logging.LogRecord) -> bool:
        hidden: set[str] = getattr(self.local, "addresses", set())
        if hidden:
            message = record.getMessage()
            for address in hidden:
                message = message.replace(address, mask_address(address))
            record.msg, record.args = message, ()
        return True


_HIDE = _HideAddresses()


@contextmanager
def _hidden(address: str) -> Iterator[None]:
    _HideAddresses.local.addresses = {address}
    try:
        yield
    finally:
        _HideAddresses.local.addresses = set()


# ---- rate limits ------------------------------------------------------------


@dataclass
class RateLimiter:
    """At most `limit` events per `window` seconds per key (a sliding window), in memory.

    One process serves the pages, so memory is the right place; the number of keys
    is bounded (the oldest are forgotten first).
    """

    limit: int
    window: float
    max_keys: int = 100_000
    clock: Callable[[], float] = time.monotonic
    _events: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def allow(self, key: str) -> bool:
        now = self.clock()
        with self._lock:
            events = self._events.pop(key, None) or deque()
            while events and events[0] <= now - self.window:
                events.popleft()
            allowed = len(events) < self.limit
            if allowed:
                events.append(now)
            self._events[key] = events  # re-inserted: the dict is oldest-used first
            while len(self._events) > self.max_keys:
                del self._events[next(iter(self._events))]
            return allowed


# ---- the WSGI application ---------------------------------------------------


@dataclass(frozen=True)
class Response:
    status: str  # "200 OK"
    body: bytes
    note: str  # for the log line: what happened (never an address or a token)
    headers: tuple[tuple[str, str], ...] = ()
    content_type: str = "text/html; charset=utf-8"


@dataclass
class Request:
    method: str
    route: str  # the path below the base URL: "/", "/u/TOKEN", ...
    full_path: str
    query: str
    form: dict[str, list[str]]
    cookies: dict[str, str]
    client: str
    https: bool

    def field(self, name: str) -> str:
        values = self.form.get(name)
        return values[0] if values else ""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class WebApp:
    """The WSGI callable; thread-safe (each request opens its own state connection)."""

    def __init__(
        self,
        cfg: Config,
        secret: str,
        *,
        send_mail: Callable[[Any, str], None] | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.cfg = cfg
        self._secret = secret
        self.title = cfg.digest.title or "the digest"
        self.now = now
        self._send_mail = send_mail or self._deliver
        self.prefix = urlsplit(cfg.web.base_url).path.rstrip("/") if cfg.web.base_url else ""
        self.per_ip = RateLimiter(cfg.web.subscribe_per_ip, 3600.0)
        self._series: tuple[float, list[str]] | None = None
        self._series_lock = threading.Lock()
        for name in ("digest.smtp", "digest.outbox", "digest.delivery"):
            if _HIDE not in logging.getLogger(name).filters:
                logging.getLogger(name).addFilter(_HIDE)

    # ---- WSGI

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()[:10]
        route_name = "?"
        try:
            request = self._request(environ, method)
            if isinstance(request, Response):
                response = request
            else:
                route_name = _route_name(request.route)
                response = self._respond(request)
        except Exception:
            log.error("web: %s %s failed", method, route_name, exc_info=True)
            response = self._error(
                "500 Internal Server Error",
                "Something failed on our side; please try again later.",
                "internal error",
            )
        log.info("web: %s %s %s %s", method, route_name, response.status[:3], response.note)
        https = self.cfg.web.base_url.startswith("https://")
        start_response(
            response.status,
            [
                ("Content-Type", response.content_type),
                ("Content-Length", str(len(response.body))),
                *security_headers(https),
                *response.headers,
            ],
        )
        return [] if method == "HEAD" else [response.body]

    def _request(self, environ: WSGIEnvironment, method: str) -> Request | Response:
        if method not in ALLOWED_METHODS:
            return self._error(
                "405 Method Not Allowed",
                "This page only answers GET and POST.",
                "method not allowed",
                (("Allow", ", ".join(ALLOWED_METHODS)),),
            )
        length_text = str(environ.get("CONTENT_LENGTH") or "0").strip()
        length = int(length_text) if length_text.isascii() and length_text.isdigit() else -1
        if length < 0:
            return self._error("400 Bad Request", "The request is malformed.", "bad length")
        if length > MAX_BODY_BYTES:
            return self._error(
                "413 Content Too Large",
                "The request is too large for these pages.",
                f"body of {length} bytes refused",
            )
        raw = environ["wsgi.input"].read(length) if method == "POST" and length else b""
        form = parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)
        path = str(environ.get("SCRIPT_NAME", "")) + str(environ.get("PATH_INFO", ""))
        route = path
        if self.prefix and (path == self.prefix or path.startswith(self.prefix + "/")):
            route = path[len(self.prefix) :] or "/"
        cookies: dict[str, str] = {}
        try:
            jar = SimpleCookie(str(environ.get("HTTP_COOKIE", "")))
            cookies = {k: m.value for k, m in jar.items()}
        except Exception:  # a malformed Cookie header is no cookie
            cookies = {}
        return Request(
            method=method,
            route=route,
            full_path=path,
            query=str(environ.get("QUERY_STRING", "")),
            form=form,
            cookies=cookies,
            client=self._client(environ),
            https=str(environ.get("HTTP_X_FORWARDED_PROTO", "")).lower() == "https"
            or environ.get("wsgi.url_scheme") == "https",
        )

    def _client(self, environ: WSGIEnvironment) -> str:
        """The client's address: X-Forwarded-For only when the peer is a trusted proxy."""
        peer = str(environ.get("REMOTE_ADDR", ""))
        forwarded = str(environ.get("HTTP_X_FORWARDED_FOR", ""))
        if forwarded and peer in self.cfg.web.trusted_proxies:
            hops = [h.strip() for h in forwarded.split(",") if h.strip()]
            for hop in reversed(hops):
                if hop not in self.cfg.web.trusted_proxies:
                    return hop
        return peer

    def _error(
        self, status: str, sentence: str, note: str, headers: tuple[tuple[str, str], ...] = ()
    ) -> Response:
        heading = status.split(" ", 1)[1]
        return Response(status, render_page(self.title, heading, [sentence]), note, headers)

    def _page(
        self,
        heading: str,
        paragraphs: list[str],
        note: str,
        *,
        body: str = "",
        status: str = "200 OK",
    ) -> Response:
        return Response(status, render_page(self.title, heading, paragraphs, body=body), note)

    # ---- routing

    def _respond(self, request: Request) -> Response:
        route, method = request.route, request.method
        if route == "/" or route == "":
            return self._subscribe_form(request)
        if route == "/subscribe":
            if method == "POST":
                return self._subscribe(request)
            return self._subscribe_form(request)
        for prefix, handler in (
            ("/confirm/", self._confirm),
            ("/p/", self._preferences),
            ("/u/", self._unsubscribe),
        ):
            if route.startswith(prefix):
                return handler(request, route[len(prefix) :].strip("/"))
        if route == "/archive" or route.startswith("/archive/"):
            return self._archive(route.removeprefix("/archive").lstrip("/"))
        return self._legacy(request)

    # ---- CSRF

    def _csrf_value(self, cookie: str) -> str:
        mac = hmac.new(self._secret.encode(), f"csrf|{cookie}".encode(), hashlib.sha256)
        return _b64(mac.digest()[:18])

    def _csrf_for(self, request: Request) -> tuple[str, tuple[tuple[str, str], ...]]:
        """(the form's hidden value, Set-Cookie header when the browser has no cookie yet)."""
        cookie = request.cookies.get(CSRF_COOKIE, "")
        headers: tuple[tuple[str, str], ...] = ()
        if not (16 <= len(cookie) <= 64):
            cookie = secrets.token_urlsafe(18)
            secure = (
                "; Secure" if request.https or self.cfg.web.base_url.startswith("https") else ""
            )
            headers = (
                (
                    "Set-Cookie",
                    f"{CSRF_COOKIE}={cookie}; Path=/; HttpOnly; SameSite=Strict{secure}",
                ),
            )
        return self._csrf_value(cookie), headers

    def _csrf_ok(self, request: Request) -> bool:
        cookie = request.cookies.get(CSRF_COOKIE, "")
        given = request.field("csrf")
        return bool(cookie and given) and hmac.compare_digest(given, self._csrf_value(cookie))

    def _csrf_refused(self) -> Response:
        return self._error("403 Forbidden", _FORM_EXPIRED, "csrf token missing or wrong")

    # ---- state

    @contextmanager
    def _db(self) -> Iterator[StateDB]:
        from digest.state.db import open_db

        db = open_db(self.cfg.db_path)
        try:
            yield db
        finally:
            db.conn.close()

    def _known_series(self) -> list[str]:
        with self._series_lock:
            if self._series and time.monotonic() - self._series[0] < SERIES_CACHE_SECONDS:
                return self._series[1]
        from digest.app.digests import known_series

        try:
            with self._db() as db:
                names = known_series(db)
        except (sqlite3.Error, UserError):
            names = []
        with self._series_lock:
            self._series = (time.monotonic(), names)
        return names

    def _token(self, kind: str, token: str) -> str | None:
        from digest.mail.tokens import read_link_token

        return read_link_token(token, self._secret, kind)  # type: ignore[arg-type]

    def _subscriber(self, token: str) -> Subscriber | None:
        from digest.state.subscribers import get_by_sid

        sid = self._token("s", token)
        if sid is None:
            return None
        with self._db() as db:
            return get_by_sid(db, sid)

    # ---- subscribe

    def _subscribe_form(self, request: Request, *, note: str = "form shown") -> Response:
        csrf, cookie = self._csrf_for(request)
        known = self._known_series()
        body = (
            f'<form method="post" action="{html.escape(self.prefix)}/subscribe">'
            '<label for="address">Your email address</label>'
            '<input type="email" id="address" name="address" required maxlength="254" '
            'autocomplete="email">'
            f"{_series_boxes(known, None)}"
            f'<input type="hidden" name="csrf" value="{html.escape(csrf)}">'
            '<button type="submit">Subscribe</button></form>'
        )
        intro = [
            f"Get {self.title} by email: one message a month with the series you choose. "
            "We mail you a link to confirm; nothing is sent before you click it."
        ]
        page = self._page(f"Subscribe to {self.title}", intro, note, body=body)
        return Response(page.status, page.body, page.note, cookie)

    def _chosen(self, request: Request, known: list[str]) -> tuple[str, ...] | str | None:
        """The series ticked: None for all of them, or a sentence when none is."""
        ticked = [s for s in request.form.get("series", []) if s in known]
        if known and not ticked:
            return "Choose at least one series."
        if not known or set(ticked) == set(known):
            return None
        return tuple(ticked)

    def _subscribe(self, request: Request) -> Response:
        from digest.state.subscribers import (
            InvalidAddress,
            create_confirmation,
            get_subscriber,
            normalize_address,
            recent_confirmations,
        )

        if not self._csrf_ok(request):
            return self._csrf_refused()
        if not self.per_ip.allow(request.client):
            return self._error(
                "429 Too Many Requests",
                "Too many subscribe requests from your network; please try again in an hour.",
                "rate limited (client)",
                (("Retry-After", "3600"),),
            )
        try:
            address = normalize_address(request.field("address")[:254])
        except InvalidAddress:
            return self._error(
                "400 Bad Request",
                "That is not an email address we can mail; check it and try again.",
                "invalid address",
            )
        known = self._known_series()
        chosen = self._chosen(request, known)
        if isinstance(chosen, str):
            return self._error("400 Bad Request", chosen, "no series chosen")
        now = self.now()
        with self._db() as db:
            subscriber = get_subscriber(db, address)
            if recent_confirmations(db, address, now - timedelta(days=1)) >= (
                self.cfg.web.subscribe_per_address
            ):
                note = "not mailed (address limit)"
            elif subscriber is not None and subscriber.status == "active":
                self._mail_already(db, subscriber)
                note = "reminder mailed"
            else:
                ident = create_confirmation(
                    db, address, chosen, days=self.cfg.web.confirm_days, now=now
                )
                self._mail_confirmation(address, ident, chosen)
                note = "confirmation mailed"
        # The same answer whatever happened: it never tells whether someone is subscribed.
        return self._page(
            "Check your inbox",
            [
                "If the address can receive mail, a message with a confirmation link is on "
                f"its way. The link is valid for {self.cfg.web.confirm_days} days; nothing "
                "is sent to you before you confirm.",
            ],
            note,
        )

    def _link(self, page: str, token: str) -> str:
        return f"{self.cfg.web.base_url}{page}/{token}"

    def _mail_confirmation(self, address: str, ident: str, chosen: tuple[str, ...] | None) -> None:
        from digest.mail.message import build_notice
        from digest.mail.tokens import make_link_token

        link = self._link("confirm", make_link_token("c", ident, self._secret))
        series = "every series" if chosen is None else ", ".join(chosen)
        text = (
            f"Someone, probably you, asked to receive {self.title} at this address "
            f"({series}).\n\nTo confirm, open this link within {self.cfg.web.confirm_days} "
            f"days and press the button:\n\n{link}\n\nIf it was not you, ignore this "
            "message: nothing will be sent to you.\n"
        )
        message = build_notice(
            self.cfg, address, f"Confirm your subscription to {self.title}", text, self.now()
        )
        self._send_mail(message, address)

    def _mail_already(self, db: StateDB, subscriber: Subscriber) -> None:
        from digest.mail.message import build_notice
        from digest.mail.tokens import make_link_token
        from digest.state.subscribers import ensure_sid

        sid = subscriber.sid or ensure_sid(db, subscriber.address)
        link = self._link("p", make_link_token("s", sid, self._secret))
        text = (
            f"Someone, probably you, asked to subscribe this address to {self.title}. It "
            f"already is.\n\nTo choose your series, pause or unsubscribe:\n\n{link}\n"
        )
        message = build_notice(
            self.cfg, subscriber.address, f"You are subscribed to {self.title}", text, self.now()
        )
        self._send_mail(message, subscriber.address)

    def _deliver(self, message: Any, address: str) -> None:
        """Mail one notice through [mail] transport (SMTP or the outbox)."""
        from digest.delivery.base import make_transport
        from digest.delivery.dkim import DkimSigner
        from digest.mail.message import add_dkim_signature

        signer = DkimSigner.from_config(self.cfg)
        if signer is not None:
            add_dkim_signature(message, signer.signature(message))

        async def send() -> str:
            transport = make_transport(self.cfg, batch="notices")
            async with transport:
                result = await transport.send(message, address)
            return result.status

        with _hidden(address):
            status = asyncio.run(send())
        if status != "sent":
            raise UserError("the confirmation mail could not be sent")

    # ---- confirm

    def _confirm(self, request: Request, token: str) -> Response:
        from digest.mail.tokens import make_link_token
        from digest.state.subscribers import confirm_subscription

        ident = self._token("c", token)
        if ident is None:
            return self._error("400 Bad Request", _INVALID_PAGE_LINK, "bad confirmation token")
        if request.method in ("GET", "HEAD"):
            csrf, cookie = self._csrf_for(request)
            page = self._page(
                "Confirm your subscription",
                [f"Press the button to start receiving {self.title}."],
                "confirmation page shown",
                body=_button_form("Confirm", csrf),
            )
            return Response(page.status, page.body, page.note, cookie)
        if not self._csrf_ok(request):
            return self._csrf_refused()
        with self._db() as db:
            outcome, sid = confirm_subscription(db, ident, now=self.now())
        if outcome == "expired":
            return self._error(
                "410 Gone",
                "This confirmation link has expired; subscribe again to get a new one.",
                "confirmation expired",
            )
        if outcome == "unknown" or sid is None:
            return self._error(
                "410 Gone",
                "This confirmation link was already used or has expired; your latest digest "
                "has a link to your preferences, or subscribe again.",
                "confirmation unknown or used",
            )
        prefs = self._link("p", make_link_token("s", sid, self._secret))
        body = f'<p><a href="{html.escape(prefs)}">Choose your series or pause</a></p>'
        return self._page(
            "You are subscribed",
            [f"You will receive {self.title} once a month, starting with the next one."],
            "subscription confirmed",
            body=body,
        )

    # ---- preferences

    def _preferences(self, request: Request, token: str) -> Response:
        from digest.state.subscribers import set_preferences

        subscriber = self._subscriber(token)
        if subscriber is None or subscriber.status != "active":
            note = "bad token" if subscriber is None else "not active"
            return self._error("400 Bad Request", _INVALID_PAGE_LINK, note)
        known = self._known_series()
        saved: list[str] = []
        if request.method == "POST":
            if not self._csrf_ok(request):
                return self._csrf_refused()
            chosen = self._chosen(request, known)
            if isinstance(chosen, str):
                return self._error("400 Bad Request", chosen, "no series chosen")
            paused = request.field("paused") == "yes"
            with self._db() as db:
                set_preferences(db, subscriber.sid, series=chosen, paused=paused, now=self.now())
            subscriber = self._subscriber(token)
            assert subscriber is not None
            saved = ["Saved. Your next digest follows these choices."]
        csrf, cookie = self._csrf_for(request)
        e = html.escape
        unsubscribe = f"{self.prefix}/u/{token}"
        body = (
            f'<form method="post"><p>{e(mask_address(subscriber.address))} gets, once a month:</p>'
            f"{_series_boxes(known, subscriber.series)}"
            '<label><input type="checkbox" name="paused" value="yes"'
            f"{' checked' if subscriber.paused else ''}> Pause: send nothing until I untick "
            "this</label>"
            f'<input type="hidden" name="csrf" value="{e(csrf)}">'
            '<button type="submit">Save</button></form>'
            f"<p>Or leave for good:</p>{_button_form('Unsubscribe', csrf, unsubscribe)}"
        )
        page = self._page(
            "Your subscription",
            saved,
            "preferences saved" if saved else "preferences shown",
            body=body,
        )
        return Response(page.status, page.body, page.note, cookie)

    # ---- unsubscribe

    def _unsubscribe(self, request: Request, token: str) -> Response:
        subscriber = self._subscriber(token)
        if subscriber is None:
            return self._error("400 Bad Request", _INVALID_LINK, "bad token")
        return self._unsubscribe_address(request, subscriber.address)

    def _legacy(self, request: Request) -> Response:
        """Links mailed before schema v3: a signed address at [mail] unsubscribe_url."""
        from digest.mail.tokens import LEGACY_TOKEN_DAYS, verify_token
        from digest.state.db import meta_value

        token = request_token(self.cfg, request.full_path, request.query)
        if token and token.startswith("s1."):  # a new token at the old unsubscribe_url
            return self._unsubscribe(request, token)
        address = verify_token(token, self._secret) if token else None
        if address is None:
            if not token and request.method == "GET" and not self.cfg.mail.unsubscribe_url:
                return self._error("404 Not Found", "There is no such page.", "not found")
            return self._error(
                "400 Bad Request", _INVALID_LINK, "forged or damaged token" if token else "no token"
            )
        with self._db() as db:
            since = meta_value(db, "legacy_tokens_since")
        if since and self.now() > datetime.fromisoformat(since) + timedelta(days=LEGACY_TOKEN_DAYS):
            return self._error("410 Gone", _OLD_LINK, "legacy token past its window")
        return self._unsubscribe_address(request, address, legacy=True)

    def _unsubscribe_address(
        self, request: Request, address: str, *, legacy: bool = False
    ) -> Response:
        from digest.errors import database_error
        from digest.state.subscribers import InvalidAddress, normalize_address, unsubscribe_address

        masked = mask_address(address)
        kind = "legacy " if legacy else ""
        if request.method in ("GET", "HEAD"):
            csrf, cookie = self._csrf_for(request)
            page = self._page(
                f"Unsubscribe from {self.title}?",
                [f"{masked} will get no more {self.title} messages."],
                f"{kind}confirmation shown",
                body=_button_form("Unsubscribe", "" if legacy else csrf),
            )
            return Response(page.status, page.body, page.note, cookie)
        one_click = request.field("List-Unsubscribe") == "One-Click"
        # RFC 8058: a mail client's POST has no cookie; the unguessable link is enough.
        # The page's own button carries a CSRF token (links mailed before v3 did not).
        if not one_click and not legacy and not self._csrf_ok(request):
            return self._csrf_refused()
        try:
            normalize_address(address)
        except InvalidAddress:
            return self._error("400 Bad Request", _INVALID_LINK, "unusable address")
        try:
            with self._db() as db:
                outcome = unsubscribe_address(db, address, now=self.now())
        except sqlite3.Error as exc:
            log.error("web: %s", database_error(self.cfg.db_path, exc))
            return self._server_failed()
        except UserError as exc:
            log.error("web: %s", exc)
            return self._server_failed()
        already = outcome == "unchanged"
        sentence = (
            f"{masked} was already unsubscribed from {self.title}."
            if already
            else f"{masked} is unsubscribed and will get no more {self.title} messages."
        )
        how = "one-click" if one_click else "form"
        note = f"{kind}{'already unsubscribed' if already else 'unsubscribed'} ({how})"
        return self._page("Unsubscribed", [sentence], note)

    def _server_failed(self) -> Response:
        return self._error(
            "503 Service Unavailable",
            "Unsubscribing failed on our side; please try the link again in a few minutes.",
            "not unsubscribed (state database)",
        )

    # ---- archive

    def _archive(self, path: str) -> Response:
        from digest.app.archive import archive_file

        with self._db() as db:
            found = archive_file(self.cfg, db, path or "index.html")
        if found is None:
            return self._error(
                "404 Not Found", "There is no such page in the archive.", "not found"
            )
        content, content_type = found
        return Response("200 OK", content.encode("utf-8"), "archive", content_type=content_type)


def _route_name(route: str) -> str:
    """The route for log lines: never the token in it."""
    for prefix in ("/confirm/", "/p/", "/u/"):
        if route.startswith(prefix):
            return prefix + "…"
    if route.startswith("/archive"):
        return route[:80]
    if route in ("/", "/subscribe"):
        return route
    return "(legacy link)"


def make_app(cfg: Config) -> WebApp:
    """The pages for this config; UserError when no token secret is set."""
    from digest.config.secrets import require_token_secret

    secret = require_token_secret(cfg, "`digest serve`")
    if not cfg.web.base_url:
        log.warning(
            "%s: [web] base_url is not set, so no digest links to these pages; set it to "
            "the https:// address your proxy serves them at",
            cfg.path,
        )
    elif not cfg.web.base_url.startswith("https://"):
        log.warning(
            "%s: [web] base_url is not https://, so messages carry no "
            "List-Unsubscribe-Post and mail clients offer no one-click unsubscribe",
            cfg.path,
        )
    return WebApp(cfg, secret)


def app_from_env() -> WSGIApplication:
    """For another WSGI server: `gunicorn 'digest.app.web:app_from_env()'`.

    Reads the config named by $DIGEST_CONFIG (else ./config.toml) and the secret
    from $DIGEST_SECRET, [digest] secret_file or $CREDENTIALS_DIRECTORY.
    """
    from digest.config.load import load_config
    from digest.log import setup_logging

    if not logging.getLogger("digest").handlers:  # keep a host's own logging set-up
        setup_logging()
    cfg = load_config()
    for warning in cfg.warnings:
        log.warning(warning)
    return make_app(cfg)


# ---- the server: waitress ------------------------------------------------------


def make_server(app: WSGIApplication, host: str, port: int, *, threads: int = 8) -> Any:
    """A listening waitress server (port 0: any free port); UserError if it cannot bind.

    Requests are read whole by waitress before the app sees them, bounded in size
    (a bigger body gets 413 unread) and in time (a silent client is dropped).
    """
    from waitress.server import create_server

    try:
        return create_server(
            app,
            host=host,
            port=port,
            threads=threads,
            max_request_body_size=MAX_BODY_BYTES,
            max_request_header_size=16 * 1024,
            channel_timeout=30,
            connection_limit=200,
            expose_tracebacks=False,
            ident="notes-digest",
            clear_untrusted_proxy_headers=False,
        )
    except OSError as exc:
        raise UserError(
            f"cannot listen on {host} port {port} ({exc.strerror or exc}); "
            "choose another --host or --port."
        ) from None


def serve(cfg: Config, host: str, port: int) -> None:
    """`digest serve`: serve the pages until Ctrl-C or SIGTERM."""
    server = make_server(make_app(cfg), host, port)
    logging.getLogger("digest").info(
        "serving the subscription pages and archive on http://%s:%s/ (Ctrl-C stops it)",
        host if ":" not in host else f"[{host}]",
        server.effective_port,
    )

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    # systemd's SIGTERM stops it as cleanly as Ctrl-C; and Ctrl-C (SIGINT) stops it
    # even when it was started with SIGINT ignored, as a shell's background job is,
    # where Python would not turn it into KeyboardInterrupt.
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        server.run()  # returns on Ctrl-C (waitress catches KeyboardInterrupt)
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    logging.getLogger("digest").info("stopped.")
