"""Errors a user can cause: each carries one sentence, shown without a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite3


class UserError(Exception):
    """A problem the user can fix (config, source, server, input); str() is the sentence."""

    exit_code = 1


class LockedError(UserError):
    """Another `digest` process holds the lock for this state directory."""

    exit_code = 75  # EX_TEMPFAIL: a timer firing twice is not a failure of the job


def database_error(path: Path, exc: OSError | sqlite3.Error) -> UserError:
    """The one sentence for a state database that cannot be used, opened or mid-run.

    SQLite reports damage and permissions lazily (at the first page it reads or
    writes), so this is used both by `open_db` and for errors raised later.
    """
    if isinstance(exc, OSError):
        return UserError(f"state database {path} cannot be opened: {exc.strerror or exc}.")
    reason = str(exc)
    if "malformed" in reason or "not a database" in reason:
        return UserError(
            f"state database {path} is damaged ({reason}); restore it from a backup, or move "
            "it away to start afresh (digests already sent would then be sent again)."
        )
    if "readonly" in reason or "unable to open" in reason:
        return UserError(
            f"state database {path} cannot be used ({reason}); run digest as a user that "
            f"can read and write it and its folder {path.parent}."
        )
    return UserError(f"state database {path} failed: {reason}.")
