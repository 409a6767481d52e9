"""`digest preview`: sync, compute the digests, and show them without mailing anyone.

text -> the terminal (styled by rich when stdout is a terminal, plain otherwise);
html -> a file (a temp file unless --output), optionally opened in a browser;
json -> stdout or --output (one object, or an array when there are several series);
eml  -> the exact message `digest send` would mail to the list address (or, without
        one, to the first active subscriber), built by digest.mail.message.build_message.

Text and HTML previews show what the list address receives (the "how to leave the
list" footer); eml shows the footer of the chosen recipient.

When a source feeding a series could not be read, its digest carries that source
(Digest.stale): text and HTML show a notice at the top, JSON a "stale" field, and
every format the footer `digest send --allow-stale` would mail.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import sys
import tempfile
import webbrowser
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from digest.app.terminal import terminal_text
from digest.config.schema import Config
from digest.errors import UserError
from digest.mail.render import RenderedDigest, render_digest
from digest.model import Digest
from digest.periods import Period, last_complete

OutputFormat = Literal["text", "html", "json", "eml"]
_SEPARATOR = "=" * 72

log = logging.getLogger("digest")


def series_slug(series: str) -> str:
    """A file-name-safe form of a series name: "Core Maintainers" -> "core-maintainers"."""
    return re.sub(r"[^a-z0-9]+", "-", series.lower()).strip("-") or "series"


def output_paths(output: Path, digests: Sequence[Digest]) -> list[Path]:
    """One file per digest: FILE itself for one, FILE-<series>.ext for several."""
    if len(digests) == 1:
        return [output]
    return [
        output.with_name(f"{output.stem}-{series_slug(d.series)}{output.suffix}") for d in digests
    ]


@contextmanager
def _quiet_sync_logging() -> Iterator[None]:
    """The preview's own sync reports only problems (warnings), not its progress."""
    logger = logging.getLogger("digest")
    level = logger.level
    if logger.getEffectiveLevel() < logging.WARNING:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def collect_digests(
    cfg: Config, *, period: Period | None, series: str | None, now: datetime
) -> list[Digest]:
    """Sync the sources (quietly), then compute one digest per matching series, each
    with the sources that feed it and could not be read (Digest.stale)."""
    from digest.app.digests import compute_digests, load_notes, unread_sources
    from digest.app.sync import sync
    from digest.state.db import open_db, state_lock

    db = open_db(cfg.db_path)
    try:
        with state_lock(cfg.state_dir, "preview"):
            with _quiet_sync_logging():
                failed = sync(cfg, db).unread()
            digests = compute_digests(cfg, db, period=period, series=series, now=now)
            if failed:
                unread = unread_sources(cfg, failed, load_notes(db)[0])
                digests = [dataclasses.replace(d, stale=unread.of(d.series)) for d in digests]
            return digests
    finally:
        db.close()


def stale_notice(digest: Digest) -> list[str]:
    """The sentences a preview shows first when a source of the series could not be read."""
    return [
        f'Source "{s.source}" could not be read ({s.reason}), so this preview may miss its '
        f"newest notes; `digest send` builds this digest only once it can be read (or with "
        f"--allow-stale, saying so in the footer)."
        for s in digest.stale
    ]


def run_preview(
    cfg: Config,
    *,
    period: Period | None = None,
    series: str | None = None,
    output_format: OutputFormat = "text",
    output: Path | None = None,
    open_browser: bool = False,
    now: datetime | None = None,
) -> None:
    now = now or datetime.now(UTC)
    digests = collect_digests(cfg, period=period, series=series, now=now)
    if period is not None:
        from digest.app.digests import local_today

        if period >= Period.of(local_today(cfg, now)):
            # `digest send` refuses such a month; a preview shows it so far.
            log.info("%s: month not over; this preview shows it so far.", period)
    if output_format == "json":
        from digest.mail.jsonout import dumps

        _write_text(dumps(digests), output)
        return
    if not digests:
        # Without a --series filter, series with no meetings in the period have no digest.
        from digest.app.digests import local_today

        month = (period or last_complete(local_today(cfg, now))).name
        log.warning("no series has meetings in %s: there is nothing to preview.", month)
        return
    # The notice is for whoever previews; the message (eml) has only the footer's note.
    rendered = [
        render_digest(d, cfg, now=now, notice=stale_notice(d) if output_format != "eml" else [])
        for d in digests
    ]
    if output_format == "text":
        _show_text(digests, rendered, output)
    elif output_format == "html":
        _write_html(digests, rendered, output, open_browser)
    else:
        _write_eml(cfg, digests, rendered, output, now)


def _write_text(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    _write_file(output, text.encode("utf-8"))
    log.info("wrote %s", output)


def _write_file(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror}.") from None


def _show_text(
    digests: Sequence[Digest], rendered: Sequence[RenderedDigest], output: Path | None
) -> None:
    bodies = [r.personalize(None)[0] for r in rendered]
    if output is not None:
        _write_text(f"\n{_SEPARATOR}\n\n".join(bodies), output)
        return
    if not sys.stdout.isatty():
        sys.stdout.write(f"\n{_SEPARATOR}\n\n".join(bodies))
        return
    from rich.console import Console

    console = Console(highlight=False, soft_wrap=True)
    for i, (digest, body) in enumerate(zip(digests, bodies, strict=True)):
        if i:
            console.rule(digest.series)
        console.print(terminal_text(body), end="")


def _write_html(
    digests: Sequence[Digest],
    rendered: Sequence[RenderedDigest],
    output: Path | None,
    open_browser: bool,
) -> None:
    paths: list[Path]
    if output is not None:
        paths = output_paths(output, digests)
    else:
        folder = Path(tempfile.mkdtemp(prefix="digest-preview-"))
        paths = [folder / f"{d.period}-{series_slug(d.series)}.html" for d in digests]
    for path, page in zip(paths, rendered, strict=True):
        _write_file(path, page.personalize(None)[1].encode("utf-8"))
        # The path on stdout, so `xdg-open "$(digest preview -f html)"` works.
        print(path)
        if open_browser:
            webbrowser.open(path.resolve().as_uri())


def preview_recipient(cfg: Config) -> tuple[str, str | None]:
    """(address, token) of the recipient the eml preview is built for.

    The list address when there is one (no token: the list handles leaving);
    else the first active subscriber, with the token `digest send` would use.
    """
    if cfg.mail.list_address:
        return cfg.mail.list_address, None
    if cfg.mail.subscribers:
        from digest.config.secrets import require_token_secret
        from digest.mail.tokens import make_token
        from digest.state.db import open_db
        from digest.state.subscribers import active_addresses

        db = open_db(cfg.db_path)
        try:
            addresses = active_addresses(db)
        finally:
            db.close()
        if addresses:
            secret = require_token_secret(cfg, "digest preview --format eml")
            return addresses[0], make_token(addresses[0], secret)
    raise UserError(
        f"{cfg.path}: there is no one to build a message for: set [mail] list_address, "
        "or [mail] subscribers = true and add one with `digest subscribers add`."
    )


def _stored(cfg: Config, digest: Digest) -> RenderedDigest | None:
    """The frozen body of a digest `digest send` already built: that is what it mails."""
    from digest.state.db import open_db
    from digest.state.ledger import load_stored

    db = open_db(cfg.db_path)
    try:
        stored = load_stored(db, digest.id)
    finally:
        db.close()
    if stored is None:
        return None
    return RenderedDigest(subject=stored.subject, text=stored.text, html=stored.html)


def _write_eml(
    cfg: Config,
    digests: Sequence[Digest],
    rendered: Sequence[RenderedDigest],
    output: Path | None,
    now: datetime,
) -> None:
    from digest.mail.message import build_message
    from digest.mail.tokens import unsubscribe_links

    recipient, token = preview_recipient(cfg)
    url, mailto = unsubscribe_links(cfg, token)
    messages: list[bytes] = []
    for digest, fresh in zip(digests, rendered, strict=True):
        body = _stored(cfg, digest) or fresh
        message = build_message(
            body,
            cfg,
            digest_id=digest.id,
            recipient=recipient,
            unsubscribe_url=url,
            unsubscribe_mailto=mailto,
            now=now,
            personal=token is not None,
        )
        messages.append(message.as_bytes())
    if output is not None:
        for path, data in zip(output_paths(output, digests), messages, strict=True):
            _write_file(path, data)
            print(path)
        return
    sys.stdout.flush()
    if len(messages) == 1:
        sys.stdout.buffer.write(messages[0])
    else:
        # Several messages in one stream: an mbox, which mail clients open (mutt -f).
        sys.stdout.buffer.write(to_mbox(messages, now))
    sys.stdout.buffer.flush()


def to_mbox(messages: Sequence[bytes], now: datetime) -> bytes:
    """Messages as one mboxrd file: "From " separators, body "From " lines quoted."""
    stamp = now.strftime("%a %b %d %H:%M:%S %Y").encode()
    out: list[bytes] = []
    for data in messages:
        out.append(b"From notes-digest " + stamp + b"\n")
        for line in data.replace(b"\r\n", b"\n").split(b"\n"):
            if line.lstrip(b">").startswith(b"From "):
                line = b">" + line
            out.append(line + b"\n")
        out.append(b"\n")
    return b"".join(out)
