"""Which monthly periods are due: pure functions, the clock is passed in.

A period is a calendar month (digest.periods.Period). A period is complete once the
month after it has begun (in the digest's time zone), and only complete periods
are ever due. `digest send` asks `due_periods` what to do, so

- a second firing of the timer in the same month finds nothing due (a no-op);
- months missed while the host was off are all due at the next run, oldest first;
- a month recorded as skipped (no new notes) is never reconsidered.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from digest.model import Digest
from digest.periods import Period, last_complete


def due_periods(
    *,
    now: datetime,
    start: Period | None,
    sent: Collection[Period],
    skipped: Collection[Period] = (),
) -> list[Period]:
    """Complete periods still to send, oldest first.

    From `start` (the config's [schedule] start) through the last complete
    month before `now`, minus those already sent or skipped. With no start, the
    first run sends only the last complete month, and later runs catch up from
    the oldest period ever sent or skipped: the state remembers where we began,
    so nothing from before the first run is mailed out of the blue.
    """
    last = last_complete(now)
    done = set(sent) | set(skipped)
    if start is not None:
        first = start
    elif done:
        first = min(done)
    else:
        first = last
    due: list[Period] = []
    period = first
    while period <= last:
        if period not in done:
            due.append(period)
        period = period.next()
    return due


def should_skip(digest: Digest, *, skip_if_no_new_notes: bool = True) -> str | None:
    """Why this digest is not worth mailing, or None to send it.

    A period with no meeting in it and no late note has nothing new to say;
    with [schedule] skip_if_no_new_notes (the default) it is recorded as
    "skipped" instead of mailing an empty digest. A period with only late notes
    is sent, since those notes would otherwise reach nobody.
    """
    if not skip_if_no_new_notes:
        return None
    if digest.meetings or digest.late:
        return None
    return "no meetings and no late notes"
