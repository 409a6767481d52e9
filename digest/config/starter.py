"""`digest init`: write a commented starter config.toml.

The starter loads without a warning and sends nothing: the outbox transport
writes .eml files until [mail] transport = "smtp" is set. Every key it shows is
documented in docs/reference/configuration.md.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from digest.errors import UserError

STARTER_CONFIG = """\
# notes-digest configuration. Every key is listed in the docs' configuration
# reference (docs/reference/configuration.md); keys left out take their defaults.
# Check it with `digest doctor`, look at last month's digest with
# `digest preview`, and mail it with `digest send`.
#
# Secrets never go in this file: the SMTP password comes from
# $DIGEST_SMTP_PASSWORD, [smtp] password_file or the systemd credential
# "smtp-password"; the unsubscribe-link secret from $DIGEST_SECRET,
# [digest] secret_file or the credential "digest-secret".

[digest]
title = "Meeting notes digest"
timezone = "UTC"              # months begin and end in this time zone
# state_dir = "/var/lib/notes-digest"  # default: $STATE_DIRECTORY, else ~/.local/state

# Where the notes are. Repeat [[sources]] for more than one place.
[[sources]]
name = "community"
kind = "git"                  # "git" (path or clone URL), "dir" (folder) or "feed" (RSS/Atom)
url = "https://github.com/your-org/community.git"
glob = ["meeting-notes/**/*.md"]
# branch = "main"             # default: the remote's default branch
# Links in the digest point at the exact line of the note:
web_url = "https://github.com/your-org/community/blob/{commit}/{path}#L{line}"
# repo = "your-org/your-project"  # a bare "#123" in the notes is an issue of this repository

# A folder of notes instead:
# [[sources]]
# name = "notes"
# kind = "dir"
# path = "notes"              # relative to this file
# glob = ["*.md"]

[tracking]
similarity = 85               # 0-100: how alike two texts must be to be the same item
quiet_after = 2               # months the series met without mentioning an open item: "gone quiet"
forget_after = 6              # such months before it is no longer listed
# done_words = ["shipped"]    # extra words that close an item, added to the defaults

[schedule]
# start = "2026-01"           # first month to send; default: the month before the first run
skip_if_no_new_notes = true   # a month without meetings is recorded as skipped, not mailed

[mail]
from = "Meeting digest <digest@example.org>"
list_address = "dev@lists.example.org"
subscribers = false           # also mail each subscriber added with `digest subscribers add`
# unsubscribe_url = "https://example.org/digest/unsubscribe?token={token}"
# unsubscribe_mailto = "digest-unsubscribe@example.org"
transport = "outbox"          # "outbox" writes .eml files; "smtp" really sends

[outbox]
path = "outbox"               # relative to this file

[smtp]
host = "smtp.example.org"
security = "starttls"         # "starttls" (port 587), "tls" (465) or "none" (25)
# port = 587
# username = "digest@example.org"
"""


def write_starter_config(path: Path, *, force: bool = False) -> Path:
    """Write the starter config to `path`; refuse to replace a file unless `force`."""
    if path.is_dir():
        raise UserError(f"{path} is a folder; give the path of the config file to write.")
    if path.exists() and not force:
        raise UserError(f"{path} already exists; pass --force to overwrite it.")
    folder = path.parent if str(path.parent) else Path(".")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # Written beside the target and renamed: an interrupted init never leaves half a file.
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(STARTER_CONFIG)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise UserError(f"{path} cannot be written ({exc.strerror}).") from None
    return path
