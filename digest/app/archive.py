"""`digest archive build OUT/` and the archive `digest serve` answers: every sent digest
on the web.

The files: `index.html` (by month, then series), one page per digest
(`2026-10/core-maintainers.html`: the frozen HTML as mailed, without the paragraph
about who receives it), `feed.atom` (every series) and `feeds/<series>.atom`.
Built from the state's frozen digests by digest.mail.archive; the web app serves
the same bytes from the same function.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from digest.errors import UserError
from digest.mail.archive import Published, atom_feed, feed_path, index_page
from digest.mail.render import RenderedDigest
from digest.periods import month_name
from digest.state import ledger

if TYPE_CHECKING:
    from digest.config.schema import Config
    from digest.state.db import StateDB

HTML = "text/html; charset=utf-8"
ATOM_TYPE = "application/atom+xml; charset=utf-8"


def published_digests(db: StateDB) -> list[Published]:
    return [
        Published(
            series=id_.series,
            period=str(id_.period),
            month=month_name(id_.period),
            subject=subject,
            built_at=built,
            html=RenderedDigest(subject, "", page).public(),
        )
        for id_, subject, page, built in ledger.published(db)
    ]


def _feed_base(cfg: Config) -> str:
    return f"{cfg.web.base_url}archive/" if cfg.web.base_url else ""


def archive_files(cfg: Config, db: StateDB) -> dict[str, tuple[str, str]]:
    """path -> (content, content type) of every file of the archive."""
    digests = published_digests(db)
    title = cfg.digest.title
    base = _feed_base(cfg)
    files: dict[str, tuple[str, str]] = {
        "index.html": (index_page(title, digests), HTML),
        feed_path(None): (atom_feed(title, digests, base_url=base), ATOM_TYPE),
    }
    for series in sorted({d.series for d in digests}):
        files[feed_path(series)] = (
            atom_feed(title, digests, base_url=base, series=series),
            ATOM_TYPE,
        )
    for d in digests:
        files[d.path] = (d.html, HTML)
    return files


def archive_file(cfg: Config, db: StateDB, path: str) -> tuple[str, str] | None:
    """One file of the archive for the web app, or None."""
    return archive_files(cfg, db).get(path)


def build_archive(cfg: Config, out: Path) -> int:
    """`digest archive build OUT`: write the archive as static files; returns how many digests."""
    from digest.state.db import open_db

    if not cfg.db_path.exists():
        raise UserError(
            f"there is no state at {cfg.db_path} yet, so no digest to publish; run "
            "`digest send` first."
        )
    db = open_db(cfg.db_path)
    try:
        files = archive_files(cfg, db)
    finally:
        db.conn.close()
    try:
        for relative, (content, _) in files.items():
            target = out / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(
                "w", encoding="utf-8", dir=target.parent, delete=False, suffix=".tmp"
            ) as handle:
                handle.write(content)
            os.chmod(handle.name, 0o644)
            os.replace(handle.name, target)
    except OSError as exc:
        raise UserError(
            f"cannot write the archive to {out} ({exc.strerror or exc}); choose a folder "
            "this user can write."
        ) from None
    return sum(1 for path in files if path.endswith(".html") and path != "index.html")
