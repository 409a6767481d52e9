"""`digest send`: the ledger that makes mailing idempotent and resumable.

For each (series, period) the digest is rendered once and stored in `digests`;
from then on it is frozen: a resumed or repeated run mails the stored body, never
a re-computed one. One `deliveries` row per recipient is written (pending) in one
transaction before the first message leaves. Each result is committed on its own
the moment the transport returns it, so after a crash at most one message per
open connection can have been accepted by the server without the ledger knowing
(it is mailed again by the next run); everyone else is mailed exactly once.
"""

from __future__ import annotations

import asyncio
import email.message
import json
import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import sqlite_utils

from digest.app.terminal import Advance, progress_bar
from digest.config.secrets import require_token_secret
from digest.delivery.base import DeliveryResult, Transport, make_transport
from digest.delivery.bounces import is_hard_bounce
from digest.delivery.outbox import batch_folder
from digest.errors import UserError
from digest.mail.message import build_message, message_id, one_line
from digest.mail.tokens import make_token, unsubscribe_links
from digest.model import DigestId
from digest.periods import Period, last_complete
from digest.state import ledger
from digest.state.db import open_db, state_lock, transaction
from digest.state.ledger import Recipient, StoredDigest
from digest.state.subscribers import (
    InvalidAddress,
    current_recipients,
    mark_bounced,
    normalize_address,
)

if TYPE_CHECKING:
    from digest.config.schema import Config
    from digest.mail.render import RenderedDigest
    from digest.model import Digest

log = logging.getLogger("digest.send")


@dataclass(frozen=True)
class Failure:
    digest_id: DigestId
    recipient: str
    reply: str
    pending: bool  # a transient failure: the next run tries again
    bounced: bool = False  # a hard bounce: the subscriber was marked bounced


@dataclass(frozen=True)
class PlannedMessage:
    """One line of a dry run: who would get what."""

    digest_id: DigestId
    recipient: str
    subject: str
    message_id: str


@dataclass
class SendReport:
    sent: int = 0
    already_sent: int = 0  # skipped: mailed by an earlier run
    failures: list[Failure] = field(default_factory=list)
    skipped_digests: list[str] = field(default_factory=list)  # "series|period: reason"
    digests: list[DigestId] = field(default_factory=list)  # digests mailed in this run
    planned: list[PlannedMessage] = field(default_factory=list)  # --dry-run
    elapsed: float = 0.0

    @property
    def failed(self) -> int:
        return len(self.failures)

    @property
    def bounced(self) -> int:
        return sum(f.bounced for f in self.failures)

    @property
    def rate(self) -> float:
        return self.sent / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def ok(self) -> bool:
        return not self.failures


def _shown(refused: Sequence[tuple[str, str]]) -> str:
    shown = "; ".join(f"{address}: {reply}" for address, reply in refused[:3])
    if len(refused) > 3:
        shown += f"; and {len(refused) - 3} more"
    return shown


def _recipients(n: int) -> str:
    return f"{n} recipient{'s' if n != 1 else ''}"


def nothing_left_sentence(
    series: str,
    period: Period,
    refused: Sequence[tuple[str, str]],
    bounced: Sequence[tuple[str, str]] = (),
) -> str:
    """A run with no one left to mail, although some recipients never got the digest.

    refused: failed permanently, mailed again by --resend; bounced: failed with a
    hard bounce and marked bounced, so mailed again only once re-activated.
    """
    parts = []
    if refused:
        parts.append(f"{_recipients(len(refused))} failed permanently ({_shown(refused)})")
    if bounced:
        parts.append(f"{_recipients(len(bounced))} bounced ({_shown(bounced)})")
    hints = []
    if refused:
        hints.append(f"`digest send --period {period} --resend` mails everyone again")
    if bounced:
        hints.append("`digest subscribers add ADDRESS` re-activates a bounced address")
    return f"{series} {period}: nothing left to send; {'; '.join(parts)}; {'; '.join(hints)}."


def record_delivery(
    db: sqlite_utils.Database,
    id_: DigestId,
    recipient: Recipient,
    result: DeliveryResult,
    now: datetime,
) -> bool:
    """Commit one result; a subscriber's hard bounce marks them bounced in the same
    transaction, so the ledger and the subscriber list never disagree. True: bounced."""
    status = "pending" if result.status == "retry" else result.status
    with transaction(db):
        ledger.record_result(db, id_, recipient.address, status, result.reply, now)
        # Only subscribers: the list address is config (fix it there), and a --to test
        # send is never recorded.
        if recipient.kind == "subscriber" and status == "failed" and is_hard_bounce(result.reply):
            return mark_bounced(db, recipient.address, now=now)
    return False


def bounce_sentence(address: str, reply: str) -> str:
    """The log line of a subscriber marked bounced."""
    shown = reply if len(reply) <= 120 else reply[:119] + "…"
    return (
        f"{address} bounced ({shown}); no further digests go there; "
        f"`digest subscribers add {address}` re-activates"
    )


# ---- sending --------------------------------------------------------------------


class MessageFactory:
    """Builds each recipient's message on demand from the digest rendered once."""

    def __init__(
        self,
        cfg: Config,
        rendered: RenderedDigest,
        id_: DigestId,
        secret: str | None,
        now: datetime,
    ) -> None:
        self.cfg = cfg
        self.rendered = rendered
        self.id = id_
        self.secret = secret
        self.now = now

    def build(self, recipient: Recipient) -> email.message.EmailMessage:
        token = None
        if recipient.kind != "list" and self.secret is not None:
            token = make_token(recipient.address, self.secret)
        url, mailto = unsubscribe_links(self.cfg, token)
        return build_message(
            self.rendered,
            self.cfg,
            digest_id=self.id,
            recipient=recipient.address,
            unsubscribe_url=url,
            unsubscribe_mailto=mailto,
            now=self.now,
            personal=recipient.kind != "list",
        )


async def deliver(
    db: sqlite_utils.Database,
    transport: Transport,
    factory: MessageFactory,
    recipients: Sequence[Recipient],
    *,
    report: SendReport,
    advance: Advance = lambda: None,
    record: bool = True,
) -> None:
    """Mail each recipient, up to transport.concurrency at once, committing each result."""
    queue: Iterator[Recipient] = iter(recipients)

    async def worker() -> None:
        # All workers share one iterator: each takes the next recipient when it is free,
        # and the message is built only then (never all messages up front).
        for recipient in queue:
            message = factory.build(recipient)
            result = await transport.send(message, recipient.address)
            now = datetime.now(UTC)
            bounced = False
            if record:
                bounced = record_delivery(db, factory.id, recipient, result, now)
            if bounced:
                log.warning(bounce_sentence(recipient.address, result.reply))
            if result.status == "sent":
                report.sent += 1
            else:
                report.failures.append(
                    Failure(
                        factory.id,
                        recipient.address,
                        result.reply,
                        result.status == "retry",
                        bounced,
                    )
                )
            advance()

    workers = max(1, min(transport.concurrency, len(recipients)))
    try:
        async with transport, asyncio.TaskGroup() as group:
            for _ in range(workers):
                group.create_task(worker())
    except BaseExceptionGroup as errors:
        # A UserError (authentication refused, server unreachable) stops every worker;
        # show its sentence rather than a group traceback.
        user_errors = errors.subgroup(UserError)
        if user_errors is not None:
            first = user_errors.exceptions[0]
            while isinstance(first, BaseExceptionGroup):
                first = first.exceptions[0]
            raise first from None
        raise


# ---- the command ------------------------------------------------------------------


@dataclass(frozen=True)
class SendOptions:
    period: Period | None = None
    series: str | None = None
    dry_run: bool = False
    resend: bool = False
    to: str | None = None
    progress: bool = True


def run_send(cfg: Config, options: SendOptions, *, now: datetime | None = None) -> SendReport:
    """Sync, work out the due periods, freeze their digests and mail them."""
    started = time.monotonic()
    now = now or datetime.now(UTC)
    report = SendReport()
    test_to = _checked_to(options.to)
    if not test_to and not cfg.mail.list_address and not cfg.mail.subscribers:
        raise UserError(
            f"{cfg.path}: [mail] names no recipients; set list_address or subscribers = true."
        )
    if options.period is not None:
        _check_requested_period(cfg, options.period, now)
    secret = None
    with state_lock(cfg.state_dir, "send"):
        db = open_db(cfg.db_path)
        try:
            # The arguments are checked before the secret: a typo is the thing to fix first.
            _check_requested_series(db, options.series)
            if cfg.mail.subscribers:
                secret = require_token_secret(cfg, "[mail] subscribers = true")
                if not (cfg.mail.unsubscribe_url or cfg.mail.unsubscribe_mailto):
                    raise UserError(
                        f"{cfg.path}: [mail] subscribers = true needs unsubscribe_url or "
                        f"unsubscribe_mailto, so every reader can leave."
                    )
            from digest.app.sync import sync

            sync(cfg, db)
            for period in _periods(cfg, db, options, now):
                _send_period(cfg, db, period, options, test_to, secret, now, report)
        finally:
            db.conn.close()
    report.elapsed = time.monotonic() - started
    return report


def _check_requested_period(cfg: Config, period: Period, now: datetime) -> None:
    """--period must be a month that is over: a digest covers a whole month."""
    from digest.app.digests import local_today

    if period >= Period.of(local_today(cfg, now)):
        raise UserError(
            f"{period} is not over yet; a digest covers a whole month (use "
            f"`digest preview --period {period}` to look at it so far)."
        )


def _check_requested_series(db: sqlite_utils.Database, wanted: str | None) -> None:
    """--series must match a known series (before a first sync none is known yet)."""
    from digest.app.digests import match_series
    from digest.state.notes import list_series

    known = list_series(db)
    if wanted and known:
        match_series(known, wanted)


def _checked_to(to: str | None) -> str | None:
    if not to:
        return None
    try:
        return normalize_address(to)
    except InvalidAddress as exc:
        raise UserError(f"--to: {exc}.") from None


def _periods(
    cfg: Config, db: sqlite_utils.Database, options: SendOptions, now: datetime
) -> list[Period]:
    from digest.app.digests import local_today
    from digest.tracking.schedule import due_periods

    if options.period is not None:
        return [options.period]
    if options.to:
        # A test send without --period: the last complete month.
        return [last_complete(local_today(cfg, now))]
    local_now = datetime.combine(local_today(cfg, now), now.timetz())
    from digest.app.digests import match_series
    from digest.state.notes import list_series

    series = match_series(list_series(db), options.series)
    finished = ledger.finished_periods(db, series)
    due = due_periods(now=local_now, start=cfg.schedule.start, sent=finished)
    if not due:
        log.info("nothing is due: every complete month has been sent or skipped")
    return due


def _send_period(
    cfg: Config,
    db: sqlite_utils.Database,
    period: Period,
    options: SendOptions,
    test_to: str | None,
    secret: str | None,
    now: datetime,
    report: SendReport,
) -> None:
    from digest.app.digests import compute_digests, match_series
    from digest.state.notes import list_series

    digests = compute_digests(cfg, db, period=period, series=options.series, now=now)
    # compute_digests leaves out series with nothing that month. With skip_if_no_new_notes
    # they are recorded as skipped (so the schedule does not offer the period again);
    # without it, their (empty) digest is computed and mailed like any other.
    by_series: dict[str, Digest | None] = {d.series: d for d in digests}
    for name in match_series(list_series(db), options.series):
        if name not in by_series:
            by_series[name] = None
            if not cfg.schedule.skip_if_no_new_notes:
                found = compute_digests(cfg, db, period=period, series=name, now=now)
                by_series[name] = next((d for d in found if d.series == name), None)
    for name in sorted(by_series):
        _send_one(cfg, db, name, period, by_series[name], options, test_to, secret, now, report)


def _send_one(
    cfg: Config,
    db: sqlite_utils.Database,
    series: str,
    period: Period,
    digest: Digest | None,
    options: SendOptions,
    test_to: str | None,
    secret: str | None,
    now: datetime,
    report: SendReport,
) -> None:
    from digest.tracking.schedule import should_skip

    id_ = DigestId(series, period)
    stored = ledger.load_stored(db, id_)
    if stored is not None and stored.status == "skipped" and not options.resend:
        log.debug("%s %s: skipped earlier, nothing to send", series, period)
        return
    if stored is None or stored.status == "skipped":
        reason = (
            f"no meetings of {series} in {period} and no late notes"
            if digest is None
            else should_skip(digest, skip_if_no_new_notes=cfg.schedule.skip_if_no_new_notes)
        )
        if digest is None and test_to:
            log.info("%s %s: nothing to send to %s (%s)", series, period, test_to, reason)
            return
        if reason and not test_to:
            log.info("skipping %s %s: %s", series, period, reason)
            report.skipped_digests.append(f"{id_}: {reason}")
            if not options.dry_run:
                ledger.record_skipped(db, id_, reason, now=now)
            return
        assert digest is not None
        rendered = _render(cfg, digest, now)
        if not options.dry_run and not test_to:
            stored = ledger.store_digest(
                db,
                id_,
                subject=rendered.subject,
                text=rendered.text,
                html=rendered.html,
                json_body=_digest_json(digest),
                now=now,
            )
    else:
        rendered = _rendered(stored)

    factory = MessageFactory(cfg, rendered, id_, secret, now)
    if test_to:
        _send_test(cfg, db, factory, test_to, options, report)
        return
    sender = cfg.mail.sender
    recipients = current_recipients(cfg, db)
    if options.dry_run:
        report.planned += _plan(db, stored, id_, recipients, rendered, cfg, options.resend)
        return
    assert stored is not None
    ledger.prepare_ledger(
        db,
        stored,
        recipients,
        message_id=lambda address: message_id(id_, address, sender),
        resend=options.resend,
        now=now,
    )
    pending = ledger.pending_deliveries(db, id_)
    report.already_sent += ledger.count_sent(db, id_)
    if not pending:
        ledger.settle_digest(db, id_)  # e.g. the last pending reader unsubscribed: now sent
        refused = ledger.permanent_failures(db, id_)
        bounced = ledger.permanent_failures(db, id_, bounced=True)
        if refused or bounced:
            # Not "everyone has it": say who never got it and how to try them again.
            log.warning(nothing_left_sentence(series, period, refused, bounced))
        else:
            log.info("%s %s: everyone has it already", series, period)
        return
    ledger.mark_sending(db, id_)
    report.digests.append(id_)
    transport = make_transport(cfg, batch=batch_folder(period, series))
    log.info("%s %s: mailing %d recipient(s)", series, period, len(pending))
    with progress_bar(options.progress, len(pending), f"{series} {period}") as advance:
        asyncio.run(deliver(db, transport, factory, pending, report=report, advance=advance))
    status = ledger.settle_digest(db, id_)
    log.info("%s %s: %s", series, period, status)


def _send_test(
    cfg: Config,
    db: sqlite_utils.Database,
    factory: MessageFactory,
    address: str,
    options: SendOptions,
    report: SendReport,
) -> None:
    """--to: mail one address, outside the ledger (the real recipients are not affected)."""
    recipient = Recipient(address, "test")
    if options.dry_run:
        msg = factory.build(recipient)
        report.planned.append(
            PlannedMessage(factory.id, address, str(msg["Subject"]), str(msg["Message-ID"]))
        )
        return
    transport = make_transport(cfg, batch=batch_folder(factory.id.period, factory.id.series))
    asyncio.run(deliver(db, transport, factory, [recipient], report=report, record=False))


def _plan(
    db: sqlite_utils.Database,
    stored: StoredDigest | None,
    id_: DigestId,
    recipients: Sequence[Recipient],
    rendered: RenderedDigest,
    cfg: Config,
    resend: bool,
) -> list[PlannedMessage]:
    """Who a real run would mail now, without writing anything."""
    targets = [r.address for r in recipients]
    if stored is not None and not resend:
        statuses = ledger.delivery_statuses(db, id_)
        if statuses:
            targets = [a for a in targets if statuses.get(a) in ("pending", "cancelled")]
    subject = build_subject(cfg, rendered)
    return [PlannedMessage(id_, a, subject, message_id(id_, a, cfg.mail.sender)) for a in targets]


def build_subject(cfg: Config, rendered: RenderedDigest) -> str:
    """The Subject header build_message writes."""
    return one_line(f"{cfg.mail.subject_prefix} {rendered.subject}")


def _rendered(stored: StoredDigest) -> RenderedDigest:
    from digest.mail.render import RenderedDigest

    return RenderedDigest(subject=stored.subject, text=stored.text, html=stored.html)


def _render(cfg: Config, digest: Digest, now: datetime) -> RenderedDigest:
    from digest.mail.render import render_digest

    return render_digest(digest, cfg, now=now)


def _digest_json(digest: Digest) -> str:
    from digest.mail.jsonout import digest_to_json

    return json.dumps(digest_to_json(digest), ensure_ascii=False, sort_keys=True)


def summary_lines(report: SendReport) -> list[str]:
    """The final summary: counts, time, rate, then each failure with its reply."""
    bounced = f" ({report.bounced} bounced)" if report.bounced else ""
    lines = [
        f"sent {report.sent}, failed {report.failed}{bounced}, skipped {report.already_sent} "
        f"(already sent) in {report.elapsed:.1f} s ({report.rate:.1f} msgs/s)"
    ]
    for f in report.failures:
        if f.bounced:
            when = "bounced: no further digests go there"
        else:
            when = "will be retried by the next run" if f.pending else "not retried"
        lines.append(f"  {f.recipient} ({f.digest_id}): {f.reply} [{when}]")
    return lines


def plan_lines(report: SendReport) -> list[str]:
    lines = [f"{p.recipient}\t{p.subject}\t{p.message_id}" for p in report.planned]
    lines += [f"skip {s}" for s in report.skipped_digests]
    return lines
