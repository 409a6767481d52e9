"""Subscribers' monthly messages: one email a month with the series each reader chose.

After `digest send` has frozen every series' digest of a month, the active (not
paused) subscribers are grouped by the series they get (all, when they never
chose). Each group gets one **bundle**: a digest row of kind "bundle" (id
"subscribers: A + B|2026-10"), composed once from the frozen series digests
(digest.mail.bundle) and frozen itself, with one ledger row per subscriber. The
plan — every bundle of the month and its recipients — is written in one
transaction, together with a `bundle_plans` row for the month; from then on it
is fixed, exactly like a series digest's recipients:

- a re-run or a resume after SIGKILL mails the same bundles to the same people,
  only those not yet sent (the ledger key stays digest × recipient);
- a reader who changes their series after the plan gets the new choice next
  month (never a second message this month); one who unsubscribes or pauses
  before their message left is cancelled;
- someone who confirms after the plan gets next month's.

A subscriber who already got something of the month (a series digest mailed the
old way, before the upgrade) is left out of the plan: nobody gets a month twice.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from digest.app.terminal import progress_bar
from digest.mail.bundle import Part, bundle_subject, compose_bundle
from digest.mail.message import message_id, message_ids
from digest.mail.render import RenderedDigest
from digest.mail.tokens import archive_url
from digest.model import DigestId
from digest.periods import Period
from digest.state import ledger
from digest.state.db import transaction
from digest.state.ledger import Recipient, StoredDigest
from digest.state.subscribers import MAILED_ADDRESSES, mailed_choices

if TYPE_CHECKING:
    from digest.app.send import SendRun

log = logging.getLogger("digest.send")

BUNDLE_PREFIX = "subscribers: "


def series_slug(series: str) -> str:
    from digest.mail.archive import series_slug as slug

    return slug(series)


def bundle_id(parts: Sequence[str], period: Period) -> DigestId:
    return DigestId(BUNDLE_PREFIX + " + ".join(parts), period)


def chosen_series(series: Sequence[str] | None, available: Sequence[str]) -> list[str]:
    """The month's series a subscriber who chose `series` gets, in the month's order
    (None: every series)."""
    if series is None:
        return list(available)
    wanted = {s.casefold() for s in series}
    return [s for s in available if s.casefold() in wanted]


def _parts(run: SendRun, period: Period, names: Sequence[str]) -> list[Part]:
    parts = []
    for name in names:
        stored = run.frozen[DigestId(name, period)]
        parts.append(
            Part(
                series=name,
                subject=stored.subject,
                text=stored.text,
                html=stored.html,
                archive_url=archive_url(run.cfg, str(period), series_slug(name)),
            )
        )
    return parts


def _month_parts(run: SendRun, period: Period) -> list[str] | None:
    """The month's series that have something to say, or None while some series of the
    month has no digest yet (a run limited by --series): bundles wait for all."""
    available = []
    for name in sorted(run.followed.series):
        id_ = DigestId(name, period)
        # A month frozen under an earlier name of the series (renamed since) is its digest.
        earlier = ledger.digest_of(run.db, period, run.followed.names_of(name))
        if earlier is not None and earlier != id_ and earlier in run.frozen:
            run.frozen[id_] = run.frozen[earlier]
        if id_ in run.frozen:
            available.append(name)
            continue
        stored = ledger.load_stored(run.db, earlier or id_)
        if stored is None:
            return None
        if stored.status != "skipped":
            run.frozen[id_] = RenderedDigest(stored.subject, stored.text, stored.html)
            available.append(name)
    return available


def _groups(
    run: SendRun, period: Period, available: Sequence[str]
) -> dict[tuple[str, ...], list[str]]:
    already = ledger.mailed_in_period(run.db, period)
    groups: dict[tuple[str, ...], list[str]] = {}
    for address, series in mailed_choices(run.db):
        if address in already:
            continue
        names = chosen_series(series, available)
        if names:
            groups.setdefault(tuple(names), []).append(address)
    return groups


def plan_bundles(run: SendRun, period: Period) -> list[StoredDigest]:
    """The month's bundles: planned and frozen now (once), or as planned before."""
    db, cfg = run.db, run.cfg
    if ledger.bundles_planned(db, period):
        return ledger.bundles_of(db, period)
    available = _month_parts(run, period)
    if available is None:
        if run.report.held_back:
            log.info(
                "%s: subscribers get the month once every series' digest is built "
                "(a source could not be read; the next run tries again)",
                period,
            )
        else:
            log.info(
                "%s: subscribers get the month once every series' digest is built "
                "(run `digest send --period %s` without --series)",
                period,
                period,
            )
        return []
    groups = _groups(run, period, available)
    month = period.name
    with transaction(db):
        for names, addresses in sorted(groups.items()):
            id_ = bundle_id(names, period)
            rendered = compose_bundle(cfg.digest.title, month, _parts(run, period, names))
            stored = ledger.store_digest(
                db,
                id_,
                subject=rendered.subject,
                text=rendered.text,
                html=rendered.html,
                json_body=json.dumps({"bundle": list(names)}, ensure_ascii=False),
                now=run.now,
                parts=names,
            )
            ledger.prepare_ledger(
                db,
                stored,
                [Recipient(a, "subscriber") for a in sorted(addresses)],
                message_id=message_ids(id_, cfg.mail.sender),
                resend=False,
                now=run.now,
            )
        ledger.record_bundle_plan(db, period, run.now)
    bundles = ledger.bundles_of(db, period)
    if bundles:
        log.info(
            "%s: %d subscriber message(s) planned in %d bundle(s) of series",
            period,
            sum(len(a) for a in groups.values()),
            len(bundles),
        )
    return bundles


def _cancel_gone(run: SendRun, stored: StoredDigest) -> None:
    """The bundle's planned readers who unsubscribed or paused since are cancelled
    (--resend: everyone still subscribed is pending again), in SQL: no list of every
    reader is read for it."""
    ledger.keep_planned(run.db, stored.id, MAILED_ADDRESSES, resend=run.options.resend, now=run.now)


def send_bundles(run: SendRun, period: Period) -> None:
    """Plan (once) and mail the month's subscriber bundles."""
    from digest.app.send import MessageFactory, PlannedMessage, deliver, nothing_left_sentence
    from digest.mail.message import subject_line

    db, cfg, options = run.db, run.cfg, run.options
    if options.dry_run:
        if ledger.bundles_planned(db, period):
            for stored in ledger.bundles_of(db, period):
                statuses = ledger.delivery_statuses(db, stored.id)
                subject = subject_line(stored.subject, cfg.mail.subject_prefix)
                for address, status in sorted(statuses.items()):
                    if status == "pending" or options.resend:
                        run.report.planned.append(
                            PlannedMessage(
                                stored.id,
                                address,
                                subject,
                                message_id(stored.id, address, cfg.mail.sender),
                            )
                        )
            return
        available = _month_parts(run, period)
        if available is None:
            return
        for names, addresses in sorted(_groups(run, period, available).items()):
            id_ = bundle_id(names, period)
            subject = subject_line(
                bundle_subject(cfg.digest.title, period.name, _parts(run, period, names)),
                cfg.mail.subject_prefix,
            )
            for address in sorted(addresses):
                run.report.planned.append(
                    PlannedMessage(id_, address, subject, message_id(id_, address, cfg.mail.sender))
                )
        return
    for stored in plan_bundles(run, period):
        if run.report.stopped:
            return  # the circuit breaker or [smtp] run_timeout: the rest wait, pending
        id_ = stored.id
        _cancel_gone(run, stored)
        pending = ledger.pending_deliveries(db, id_)
        run.report.already_sent += ledger.count_sent(db, id_)
        if not pending:
            ledger.settle_digest(db, id_)
            refused = ledger.permanent_failures(db, id_)
            bounced = ledger.permanent_failures(db, id_, bounced=True)
            if refused or bounced:
                log.warning(nothing_left_sentence(id_.series, period, refused, bounced))
            else:
                log.info("%s %s: everyone has it already", id_.series, period)
            continue
        ledger.mark_sending(db, id_)
        run.report.digests.append(id_)
        if run.report.outbox is not None:
            from digest.app.send import _files, shown
            from digest.delivery.outbox import batch_folder

            folder = run.report.outbox / batch_folder(period, id_.series)
            run.report.folders.append(folder)
            log.info(
                "%s %s: writing %s to %s", id_.series, period, _files(len(pending)), shown(folder)
            )
        else:
            log.info("%s %s: mailing %d subscriber(s)", id_.series, period, len(pending))
        rendered = RenderedDigest(subject=stored.subject, text=stored.text, html=stored.html)
        factory = MessageFactory(run, rendered, id_)
        with progress_bar(options.progress, len(pending), f"{id_.series} {period}") as advance:
            asyncio.run(deliver(run, factory, pending, advance=advance))
        log.info("%s %s: %s", id_.series, period, ledger.settle_digest(db, id_))
