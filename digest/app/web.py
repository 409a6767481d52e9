"""The unsubscribe page behind [mail] unsubscribe_url: a small WSGI app, standard library only.

GET shows a confirmation page with one button and changes nothing: mail scanners
and link previews fetch every link in a message, and must not unsubscribe anyone.
POST unsubscribes, whether it comes from that button or straight from a mail
client (RFC 8058 one-click, body "List-Unsubscribe=One-Click"); the signed token
is the only authorization, so any POST with a valid token counts.

The token is read where [mail] unsubscribe_url puts it: the query parameter that
holds {token} (else `token`), or the path segment that does. Unsubscribing goes
through digest.state.subscribers.unsubscribe_address, like `digest unsubscribe`, so an
address that was never a subscriber is recorded as unsubscribed and no later
import adds it back.

Each request is logged as one line with the address masked (a***@example.org)
and never the token. `digest serve-unsubscribe` runs the app with wsgiref for
small set-ups behind a TLS-terminating proxy; `app_from_env()` builds it for any
other WSGI server from $DIGEST_CONFIG.
"""

from __future__ import annotations

import html
import logging
import socket
import sqlite3
from dataclasses import dataclass
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, parse_qsl, urlsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from digest.errors import UserError

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from digest.config.schema import Config

log = logging.getLogger("digest.unsubscribe_web")

# A one-click POST is 26 bytes and the form's a few more: anything big is not ours.
MAX_BODY_BYTES = 4096
DEFAULT_TOKEN_PARAMETER = "token"
ALLOWED_METHODS = ("GET", "HEAD", "POST")

SECURITY_HEADERS = [
    # No scripts, images, fonts or frames; inline style only; the form posts to us.
    (
        "Content-Security-Policy",
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'",
    ),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    # The page's URL holds the token: never pass it on, never keep a copy.
    ("Referrer-Policy", "no-referrer"),
    ("Cache-Control", "no-store"),
]

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;"
    "padding:0 1rem;line-height:1.5;color:#222}"
    "button{font-size:1rem;padding:.5rem 1.2rem;cursor:pointer}"
)

_INVALID_LINK = (
    "This unsubscribe link is not valid: it was cut short or changed, so copy the whole "
    "link from your latest digest."
)


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
    """The token of one request, found where [mail] unsubscribe_url puts {token}.

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

    # Served at the configured path: strip the template as `digest unsubscribe` does.
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


def render_page(title: str, heading: str, paragraphs: list[str], *, button: str = "") -> bytes:
    """A whole HTML page; every argument is plain text and is escaped here."""
    e = html.escape
    body = "".join(f"<p>{e(p)}</p>" for p in paragraphs)
    if button:
        # No action attribute: the form posts back to this very URL, token included.
        body += (
            '<form method="post">'
            '<input type="hidden" name="confirm" value="yes">'
            f'<button type="submit">{e(button)}</button></form>'
        )
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex, nofollow">'
        f"<title>{e(heading)} — {e(title)}</title><style>{_STYLE}</style></head>"
        f"<body><h1>{e(heading)}</h1>{body}</body></html>\n"
    )
    return page.encode("utf-8")


# ---- the WSGI application ---------------------------------------------------


@dataclass(frozen=True)
class Response:
    status: str  # "200 OK"
    body: bytes
    note: str  # for the log line: what happened, with the address masked
    headers: tuple[tuple[str, str], ...] = ()


class UnsubscribeApp:
    """The WSGI callable; thread-safe (each POST opens its own state connection)."""

    def __init__(self, cfg: Config, secret: str) -> None:
        self.cfg = cfg
        self._secret = secret
        self.title = cfg.digest.title or "the digest"

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        try:
            response = self._respond(method, environ)
        except Exception:
            log.error("unsubscribe page: %s failed", method[:10], exc_info=True)
            response = self._error(
                "500 Internal Server Error",
                "Unsubscribing failed on our side; please try the link again later.",
                "internal error",
            )
        log.info("unsubscribe page: %s %s %s", method[:10], response.status[:3], response.note)
        start_response(
            response.status,
            [
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Length", str(len(response.body))),
                *SECURITY_HEADERS,
                *response.headers,
            ],
        )
        return [] if method == "HEAD" else [response.body]

    def _error(
        self, status: str, sentence: str, note: str, headers: tuple[tuple[str, str], ...] = ()
    ) -> Response:
        heading = status.split(" ", 1)[1]
        return Response(status, render_page(self.title, heading, [sentence]), note, headers)

    def _respond(self, method: str, environ: WSGIEnvironment) -> Response:
        if method not in ALLOWED_METHODS:
            return self._error(
                "405 Method Not Allowed",
                "This page only answers GET (to show it) and POST (to unsubscribe).",
                "method not allowed",
                (("Allow", ", ".join(ALLOWED_METHODS)),),
            )
        length_text = str(environ.get("CONTENT_LENGTH") or "0").strip()
        length = int(length_text) if length_text.isascii() and length_text.isdigit() else -1
        if length < 0:
            return self._error("400 Bad Request", "The request is malformed.", "bad length")
        if length > MAX_BODY_BYTES:
            # Not read: closing the connection is cheaper than draining it.
            return self._error(
                "413 Content Too Large",
                "The request is too large for an unsubscribe page.",
                f"body of {length} bytes refused",
            )
        form = environ["wsgi.input"].read(length) if method == "POST" and length else b""

        path = str(environ.get("SCRIPT_NAME", "")) + str(environ.get("PATH_INFO", ""))
        token = request_token(self.cfg, path, str(environ.get("QUERY_STRING", "")))
        from digest.mail.tokens import verify_token

        address = verify_token(token, self._secret) if token else None
        if address is None:
            note = "forged or damaged token" if token else "no token"
            return self._error("400 Bad Request", _INVALID_LINK, note)
        masked = mask_address(address)
        if method in ("GET", "HEAD"):
            page = render_page(
                self.title,
                f"Unsubscribe from {self.title}?",
                [f"{masked} will get no more {self.title} messages."],
                button="Unsubscribe",
            )
            return Response("200 OK", page, f"{masked} confirmation shown")
        return self._unsubscribe(address, masked, "one-click" if b"One-Click" in form else "form")

    def _unsubscribe(self, address: str, masked: str, how: str) -> Response:
        from digest.errors import database_error
        from digest.state.db import open_db
        from digest.state.subscribers import InvalidAddress, normalize_address, unsubscribe_address

        try:
            normalize_address(address)
        except InvalidAddress:
            # Signed with our secret, yet no address that can be recorded.
            return self._error("400 Bad Request", _INVALID_LINK, "unusable address")
        try:
            db = open_db(self.cfg.db_path)
            try:
                outcome = unsubscribe_address(db, address)
            finally:
                db.conn.close()
        except sqlite3.Error as exc:
            log.error("unsubscribe page: %s", database_error(self.cfg.db_path, exc))
            return self._server_failed(masked)
        except UserError as exc:  # the state database cannot be opened or used
            log.error("unsubscribe page: %s", exc)
            return self._server_failed(masked)
        already = outcome == "unchanged"
        sentence = (
            f"{masked} was already unsubscribed from {self.title}."
            if already
            else f"{masked} is unsubscribed and will get no more {self.title} messages."
        )
        page = render_page(self.title, "Unsubscribed", [sentence])
        note = f"{masked} {'already unsubscribed' if already else 'unsubscribed'} ({how})"
        return Response("200 OK", page, note)

    def _server_failed(self, masked: str) -> Response:
        return self._error(
            "503 Service Unavailable",
            "Unsubscribing failed on our side; please try the link again in a few minutes.",
            f"{masked} not unsubscribed (state database)",
        )


def make_app(cfg: Config) -> WSGIApplication:
    """The unsubscribe page for this config; UserError when no token secret is set."""
    from digest.config.secrets import require_token_secret

    secret = require_token_secret(cfg, "the unsubscribe page")
    url = cfg.mail.unsubscribe_url
    if not url:
        log.warning(
            "%s: [mail] unsubscribe_url is not set, so no digest links to this page; "
            "it reads the token from ?%s=",
            cfg.path,
            DEFAULT_TOKEN_PARAMETER,
        )
    elif "{token}" not in url:
        log.warning(
            "%s: [mail] unsubscribe_url has no {token}, so every reader gets the same "
            "link and this page cannot tell them apart; add ?token={token}",
            cfg.path,
        )
    elif not url.startswith("https://"):
        log.warning(
            "%s: [mail] unsubscribe_url is not https://, so messages carry no "
            "List-Unsubscribe-Post and mail clients offer no one-click unsubscribe",
            cfg.path,
        )
    return UnsubscribeApp(cfg, secret)


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


# ---- a small server for `digest serve-unsubscribe` --------------------------


class _QuietHandler(WSGIRequestHandler):
    # A client that stops sending cannot hold a thread for long.
    timeout = 30

    def log_message(self, format: str, *args: object) -> None:
        """Silent: the request line holds the token; the app logs each request itself."""


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _ThreadingServer6(_ThreadingServer):
    address_family = socket.AF_INET6


def make_unsubscribe_server(app: WSGIApplication, host: str, port: int) -> WSGIServer:
    """A listening, threaded wsgiref server (port 0: any free port); UserError if it cannot bind."""
    server_class = _ThreadingServer6 if ":" in host else _ThreadingServer
    try:
        return make_server(host, port, app, server_class=server_class, handler_class=_QuietHandler)
    except OSError as exc:
        raise UserError(
            f"cannot listen on {host} port {port} ({exc.strerror or exc}); "
            "choose another --host or --port."
        ) from None


def serve(cfg: Config, host: str, port: int) -> None:
    """`digest serve-unsubscribe`: serve the page until Ctrl-C or SIGTERM."""
    server = make_unsubscribe_server(make_app(cfg), host, port)
    logging.getLogger("digest").info(
        "serving the unsubscribe page on http://%s:%d/ (Ctrl-C stops it)",
        host if ":" not in host else f"[{host}]",
        server.server_port,
    )
    with server:
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            logging.getLogger("digest").info("stopped.")
