"""`digest send`: the ledger that makes mailing idempotent and resumable.

For each (series, period) the digest is rendered once and stored in `digests`;
from then on it is frozen: a resumed or repeated run mails the stored body, never
a re-computed one. One `deliveries` row per recipient is written (pending) in one
transaction before the first message leaves. Results are committed in small
groups by a writer thread (LedgerGroup), never more than LEDGER_GROUP of them
uncommitted, so after a crash at most LEDGER_GROUP + one message per open
connection can have been accepted by the server without the ledger knowing (they
are mailed again by the next run); everyone else is mailed exactly once.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import email.policy
import gc
import itertools
import json
import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING

from digest.app.digests import (
    Followed,
    Unread,
    load_followed,
    load_series_meetings,
    local_today,
    match_series,
    unread_sources,
)
from digest.app.terminal import Advance, progress_bar
from digest.config.secrets import require_token_secret
from digest.delivery.base import DeliveryResult, DeliveryStopped, make_transport
from digest.delivery.bounces import is_hard_bounce
from digest.delivery.outbox import batch_folder
from digest.errors import UserError
from digest.mail.message import (
    MessageTemplate,
    add_dkim_signature,
    build_message,
    dot_stuff,
    message_id,
    message_ids,
    subject_line,
    token_shape,
    with_dkim_signature,
)
from digest.mail.tokens import link_tokens, preferences_url, unsubscribe_links
from digest.model import DigestId, StaleSource
from digest.periods import Period, last_complete
from digest.state import ledger
from digest.state.db import StateDB, open_db, state_lock, transaction
from digest.state.ledger import Recipient, StoredDigest
from digest.state.subscribers import (
    InvalidAddress,
    current_recipients,
    link_id,
    link_ids,
    mark_bounced,
    normalize_address,
)

if TYPE_CHECKING:
    from digest.config.schema import Config
    from digest.delivery.dkim import DkimSigner
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


@dataclass(frozen=True)
class NotTried:
    """Recipients of a digest the run never tried: it stopped first (see SendReport.stopped)."""

    digest_id: DigestId
    count: int


@dataclass(frozen=True)
class HeldBack:
    """A digest not built in this run: a source that feeds its series could not be read."""

    digest_id: DigestId
    sources: list[str]  # the unread sources it waits for


@dataclass(frozen=True)
class SkippedDigest:
    """A digest not mailed because it has nothing to say, and why."""

    digest_id: DigestId
    reason: str  # "no meetings and no late notes"


@dataclass
class SendReport:
    sent: int = 0
    already_sent: int = 0  # skipped: mailed by an earlier run
    failures: list[Failure] = field(default_factory=list)
    not_tried: list[NotTried] = field(default_factory=list)  # pending, never tried
    # Why the run stopped mailing (the SMTP circuit breaker, [smtp] run_timeout): one
    # sentence; everything not mailed is pending for the next run.
    stopped: str | None = None
    unread: list[StaleSource] = field(default_factory=list)  # sources the sync could not read
    unknown_feeds: list[str] = field(default_factory=list)  # of those, feeding unknown series
    held_back: list[HeldBack] = field(default_factory=list)  # not built: a source is unread
    built_stale: list[HeldBack] = field(default_factory=list)  # --allow-stale built them anyway
    allow_stale: bool = False
    skipped_digests: list[SkippedDigest] = field(default_factory=list)
    digests: list[DigestId] = field(default_factory=list)  # digests mailed in this run
    planned: list[PlannedMessage] = field(default_factory=list)  # --dry-run
    elapsed: float = 0.0
    # The outbox folder when [mail] transport = "outbox" (nothing is mailed), and the
    # digest folders written in it by this run.
    outbox: Path | None = None
    folders: list[Path] = field(default_factory=list)

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
        """Everything due was mailed, from notes read in full (or --allow-stale said so)."""
        fresh = self.allow_stale or not self.unread
        return not self.failures and self.stopped is None and fresh


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
    db: StateDB,
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


# ---- the run ----------------------------------------------------------------------


@dataclass(frozen=True)
class SendOptions:
    period: Period | None = None
    series: str | None = None
    dry_run: bool = False
    resend: bool = False
    to: str | None = None
    progress: bool = True
    allow_stale: bool = False  # build digests even when a source feeding them failed


@dataclass
class SendRun:
    """One `digest send`: its settings, the open state and what it found so far.

    Each step takes the run instead of a long list of arguments. The meetings, items
    and threads are loaded and built once, after the sync, for every due month.
    """

    cfg: Config
    db: StateDB
    options: SendOptions
    now: datetime
    test_to: str | None  # --to, normalized: a test send outside the ledger
    secret: str | None = None  # signs subscribers' unsubscribe links
    report: SendReport = field(default_factory=SendReport)
    # time.monotonic() at which mailing stops ([smtp] run_timeout), from the first message.
    deadline: float | None = None
    _followed: Followed | None = None
    _unread: Unread | None = None
    # Each series digest of this run as frozen (or, in a dry run, as it would be):
    # what the subscribers' bundles are made of (digest.app.bundles).
    frozen: dict[DigestId, RenderedDigest] = field(default_factory=dict)

    @property
    def followed(self) -> Followed:
        if self._followed is None:
            self._followed = load_followed(self.cfg, self.db, self.options.series)
        return self._followed

    @property
    def unread(self) -> Unread:
        """The sources the run's sync could not read, and the series they feed."""
        if self._unread is None:
            failed = self.report.unread
            meetings = load_series_meetings(self.db)[0] if failed else []
            self._unread = unread_sources(self.cfg, failed, meetings)
        return self._unread


def run_send(cfg: Config, options: SendOptions, *, now: datetime | None = None) -> SendReport:
    """Sync, work out the due periods, freeze their digests and mail them."""
    started = time.monotonic()
    now = now or datetime.now(UTC)
    test_to = _checked_to(options.to)
    report = SendReport(allow_stale=options.allow_stale)
    if not test_to and not cfg.mail.list_address and not cfg.mail.subscribers:
        raise UserError(
            f"{cfg.path}: [mail] names no recipients; set list_address or subscribers = true."
        )
    if options.period is not None:
        _check_requested_period(cfg, options.period, now)
    with state_lock(cfg.state_dir, "send"):
        run = SendRun(cfg, open_db(cfg.db_path), options, now, test_to, report=report)
        if cfg.mail.transport == "outbox":
            run.report.outbox = cfg.outbox_dir
        try:
            # The arguments are checked before the secret: a typo is the thing to fix first.
            _check_requested_series(run.db, options.series)
            if cfg.mail.subscribers:
                run.secret = require_token_secret(cfg, "[mail] subscribers = true")
                if not (
                    cfg.web.base_url or cfg.mail.unsubscribe_url or cfg.mail.unsubscribe_mailto
                ):
                    raise UserError(
                        f"{cfg.path}: [mail] subscribers = true needs [web] base_url (or "
                        f"[mail] unsubscribe_url or unsubscribe_mailto), so every reader can "
                        f"leave."
                    )
            from digest.app.sync import sync

            # Fresh or nothing: a digest is built only from a sync that read every source
            # feeding its series; the others wait for the next run (or --allow-stale).
            report.unread = sync(cfg, run.db).unread()
            if report.unread:
                report.unknown_feeds = run.unread.unknown
            for period in _periods(run):
                if run.report.stopped:
                    break  # the months left are due again at the next run
                _send_period(run, period)
        finally:
            run.db.conn.close()
    run.report.elapsed = time.monotonic() - started
    return run.report


def _check_requested_period(cfg: Config, period: Period, now: datetime) -> None:
    """--period must be a month that is over: a digest covers a whole month."""
    if period >= Period.of(local_today(cfg, now)):
        raise UserError(
            f"{period} is not over yet; a digest covers a whole month (use "
            f"`digest preview --period {period}` to look at it so far)."
        )


def _check_requested_series(db: StateDB, wanted: str | None) -> None:
    """--series must match a known series (before a first sync none is known yet)."""
    from digest.app.digests import known_series

    known = known_series(db)
    if wanted and known:
        match_series(known, wanted)


def _checked_to(to: str | None) -> str | None:
    if not to:
        return None
    try:
        return normalize_address(to)
    except InvalidAddress as exc:
        raise UserError(f"--to: {exc}.") from None


def _periods(run: SendRun) -> list[Period]:
    from digest.tracking.schedule import due_periods

    if run.options.period is not None:
        return [run.options.period]
    today = local_today(run.cfg, run.now)
    if run.options.to:
        # A test send without --period: the last complete month.
        return [last_complete(today)]
    finished = ledger.finished_periods(
        run.db, run.followed.series, run.followed.renamed, bundles=run.cfg.mail.subscribers
    )
    due = due_periods(
        now=datetime.combine(today, run.now.timetz()),
        start=run.cfg.schedule.start,
        sent=finished,
    )
    if not due:
        log.info("nothing is due: every complete month has been sent or skipped")
    return due


def _send_period(run: SendRun, period: Period) -> None:
    followed, cfg = run.followed, run.cfg
    built_at = ledger.built_at(run.db, followed.renamed)
    digests = followed.digests(
        cfg, period, built_at=built_at, keep_empty=run.options.series is not None
    )
    # Series with nothing that month have no digest. With skip_if_no_new_notes they
    # are recorded as skipped (so the schedule does not offer the period again);
    # without it, their (empty) digest is built and mailed like any other.
    by_series: dict[str, Digest | None] = {d.series: d for d in digests}
    for name in followed.series:
        if name not in by_series:
            by_series[name] = None
            if not cfg.schedule.skip_if_no_new_notes:
                found = followed.digests(
                    cfg, period, built_at=built_at, series=[name], keep_empty=True
                )
                by_series[name] = next((d for d in found if d.series == name), None)
    for name in sorted(by_series):
        if run.report.stopped:
            return
        # A month already stored under an earlier name of the series (renamed since)
        # is that digest: resumed or left alone, never built and mailed a second time.
        stored = ledger.digest_of(run.db, period, followed.names_of(name))
        _send_one(run, stored or DigestId(name, period), by_series[name])
    if cfg.mail.subscribers and not run.test_to and not run.report.stopped:
        if run.options.series is not None:
            # The run sees only some series: a plan now would leave the others out of
            # every subscriber's message for good. A run without --series makes it.
            log.info(
                "%s: subscribers get the month from a run without --series, once every "
                "series' digest is built",
                period,
            )
            return
        from digest.app.bundles import send_bundles

        send_bundles(run, period)


def _send_one(run: SendRun, id_: DigestId, digest: Digest | None) -> None:
    from digest.tracking.schedule import should_skip

    cfg, db, options, report = run.cfg, run.db, run.options, run.report
    series, period = id_.series, id_.period
    stored = ledger.load_stored(db, id_)
    if stored is not None and stored.status == "skipped" and not options.resend:
        log.debug("%s %s: skipped earlier, nothing to send", series, period)
        return
    if stored is None or stored.status == "skipped":
        stale = run.unread.of(series) if report.unread else []
        names = [s.source for s in stale]
        if stale and not options.allow_stale:
            # Neither built nor recorded as skipped: both would freeze a month whose
            # notes were not all read. The next run (the source back) builds it.
            log.warning(
                "%s %s: not built: %s could not be read",
                series,
                period,
                ", ".join(f'source "{n}"' for n in names),
            )
            report.held_back.append(HeldBack(id_, names))
            return
        if stale and digest is not None:
            digest = dataclasses.replace(digest, stale=stale)
            report.built_stale.append(HeldBack(id_, names))
            log.warning(
                "%s %s: built with --allow-stale although %s could not be read; its footer says so",
                series,
                period,
                ", ".join(f'source "{n}"' for n in names),
            )
        reason = (
            "no meetings and no late notes"
            if digest is None
            else should_skip(digest, skip_if_no_new_notes=cfg.schedule.skip_if_no_new_notes)
        )
        if digest is None and run.test_to:
            log.info("%s %s: nothing to send to %s (%s)", series, period, run.test_to, reason)
            return
        if reason and not run.test_to:
            # One line per digest only with -v: a folder of many series skips dozens
            # of months; skip_lines() sums them up, one line per reason.
            log.debug("skipping %s %s: %s", series, period, reason)
            report.skipped_digests.append(SkippedDigest(id_, reason))
            if not options.dry_run:
                ledger.record_skipped(db, id_, reason, now=run.now)
            return
        assert digest is not None
        rendered = _render(cfg, digest, run.now, id_)
        if not options.dry_run and not run.test_to:
            stored = ledger.store_digest(
                db,
                id_,
                subject=rendered.subject,
                text=rendered.text,
                html=rendered.html,
                json_body=_digest_json(digest),
                now=run.now,
            )
    else:
        rendered = _rendered(stored)
    run.frozen[id_] = rendered

    factory = MessageFactory(run, rendered, id_)
    if run.test_to:
        _send_test(run, factory, run.test_to)
        return
    recipients = current_recipients(cfg, db)
    if options.dry_run:
        report.planned += _plan(run, stored, factory, recipients)
        return
    assert stored is not None
    ledger.prepare_ledger(
        db,
        stored,
        recipients,
        message_id=lambda address: message_id(id_, address, cfg.mail.sender),
        resend=options.resend,
        now=run.now,
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
        elif not recipients:
            # No list address: the subscribers get it in their monthly message.
            log.debug("%s %s: frozen for the subscribers' messages", series, period)
        else:
            log.info("%s %s: everyone has it already", series, period)
        return
    ledger.mark_sending(db, id_)
    report.digests.append(id_)
    if report.outbox is not None:
        folder = report.outbox / batch_folder(period, series)
        report.folders.append(folder)
        log.info("%s %s: writing %s to %s", series, period, _files(len(pending)), shown(folder))
    else:
        log.info("%s %s: mailing %s", series, period, _recipients(len(pending)))
    with progress_bar(options.progress, len(pending), f"{series} {period}") as advance:
        asyncio.run(deliver(run, factory, pending, advance=advance))
    status = ledger.settle_digest(db, id_)
    # "sent" is what the summary says for everyone; anything else is worth a line.
    log.log(
        logging.DEBUG if status == "sent" else logging.INFO, "%s %s: %s", series, period, status
    )


def _send_test(run: SendRun, factory: MessageFactory, address: str) -> None:
    """--to: mail one address, outside the ledger (the real recipients are not affected)."""
    recipient = Recipient(address, "test")
    if run.options.dry_run:
        msg = factory.build(recipient)
        run.report.planned.append(
            PlannedMessage(factory.id, address, str(msg["Subject"]), str(msg["Message-ID"]))
        )
        return
    if run.report.outbox is not None:
        run.report.folders.append(
            run.report.outbox / batch_folder(factory.id.period, factory.id.series)
        )
    asyncio.run(deliver(run, factory, [recipient], record=False))


def _plan(
    run: SendRun,
    stored: StoredDigest | None,
    factory: MessageFactory,
    recipients: Sequence[Recipient],
) -> list[PlannedMessage]:
    """Who a real run would mail now, without writing anything."""
    targets = [r.address for r in recipients]
    if stored is not None and not run.options.resend:
        statuses = ledger.delivery_statuses(run.db, factory.id)
        if statuses:
            targets = [a for a in targets if statuses.get(a) in ("pending", "cancelled")]
    subject = subject_line(factory.rendered.subject, run.cfg.mail.subject_prefix)
    sender = run.cfg.mail.sender
    return [
        PlannedMessage(factory.id, a, subject, message_id(factory.id, a, sender)) for a in targets
    ]


# ---- mailing ----------------------------------------------------------------------


LINK_IDS = 500  # readers whose link ids are looked up in one query (MessageFactory.recipients)


class MessageFactory:
    """Builds each recipient's message on demand from the digest rendered once.

    A subscriber's message is made from a MessageTemplate (digest.mail.message): the
    digest's message flattened once and each reader's To, Message-ID and link token
    filled in, the same bytes as building it in full. The list copy, a --to test
    send, and a reader whose token has an unusual shape are built in full.
    """

    def __init__(self, run: SendRun, rendered: RenderedDigest, id_: DigestId) -> None:
        self.cfg = run.cfg
        self.db = run.db
        self.secret = run.secret
        self.now = run.now
        self.rendered = rendered
        self.id = id_
        self.signer: DkimSigner | None = None
        if run.cfg.dkim.domain:
            # Imported only when signing: dkimpy and its DNS library take 0.05 s to load.
            from digest.delivery.dkim import DkimSigner

            self.signer = DkimSigner.from_config(run.cfg)
        self._templates: dict[tuple[int, ...], MessageTemplate | None] = {}  # by token shape
        self._message_id = message_ids(id_, run.cfg.mail.sender)
        self._sign = link_tokens("s", run.secret) if run.secret is not None else None
        # The link ids of the readers being mailed, looked up LINK_IDS at a time (recipients).
        self._link_ids: dict[str, str | None] = {}

    def recipients(self, recipients: Iterable[Recipient]) -> Iterator[Recipient]:
        """The recipients one at a time, their link ids looked up LINK_IDS at a time in one
        query, not one query a message; only those of the readers taken last are kept."""
        taken = iter(recipients)
        while chunk := list(itertools.islice(taken, LINK_IDS)):
            if self._sign is not None:
                subscribers = [r.address for r in chunk if r.kind == "subscriber"]
                self._link_ids = link_ids(self.db, subscribers)
            yield from chunk
        self._link_ids = {}

    def _token(self, recipient: Recipient) -> str | None:
        """The reader's opaque link token, never their address (None for the list)."""
        if recipient.kind == "list" or self._sign is None:
            return None
        address = recipient.address
        sid = self._link_ids[address] if address in self._link_ids else link_id(self.db, address)
        return self._sign(sid) if sid else None

    def _message(self, address: str, token: str | None, *, personal: bool) -> EmailMessage:
        url, mailto = unsubscribe_links(self.cfg, token)
        return build_message(
            self.rendered,
            self.cfg,
            digest_id=self.id,
            recipient=address,
            unsubscribe_url=url,
            unsubscribe_mailto=mailto,
            now=self.now,
            personal=personal,
            preferences_url=preferences_url(self.cfg, token),
            archive_url=f"{self.cfg.web.base_url}archive/" if self.cfg.web.base_url else None,
        )

    def build(self, recipient: Recipient) -> EmailMessage:
        """The recipient's message, built in full (signed when [dkim] is set)."""
        message = self._message(
            recipient.address, self._token(recipient), personal=recipient.kind != "list"
        )
        if self.signer is not None:
            add_dkim_signature(message, self.signer.signature(message))
        return message

    def data(self, recipient: Recipient) -> bytes:
        """The recipient's message as DATA carries it: CRLF line ends, dot-stuffed."""
        token = self._token(recipient)
        if token is not None and recipient.kind == "subscriber":
            template = self._template(token)
            if template is not None:
                mid = self._message_id(recipient.address)
                signed = self.signer is not None
                data = template.fill(recipient.address, mid, token, dot_stuffed=not signed)
                if data is not None and self.signer is not None:
                    # Signed as the reader's server will see it: before dot-stuffing.
                    data = dot_stuff(with_dkim_signature(data, self.signer.signature(data)))
                if data is not None:
                    return data
        data = self.build(recipient).as_bytes(policy=email.policy.SMTP)
        return dot_stuff(data if data.endswith(b"\r\n") else data + b"\r\n")

    def _template(self, token: str) -> MessageTemplate | None:
        shape = token_shape(token)
        if shape not in self._templates:
            template = MessageTemplate.make(
                lambda address, token: self._message(address, token, personal=True),
                token=token,
                message_id=self._message_id,
            )
            if template is None:
                log.debug("%s: every message is built in full (no template)", self.id)
            self._templates[shape] = template
        return self._templates[shape]


# Results are committed to the ledger in groups: one fsync per group, not per message,
# by a thread with its own connection, so mailing goes on while a group is written. A
# group is started LEDGER_GROUP_SECONDS after its first result or when it holds
# LEDGER_GROUP // 2, and never more than LEDGER_GROUP results wait (the one being
# written included): after a crash at most LEDGER_GROUP + max_connections messages
# are mailed twice (docs/explanation/exactly-once.md).
LEDGER_GROUP = 100
LEDGER_GROUP_SECONDS = 0.05

_Waiting = list[tuple[Recipient, DeliveryResult, datetime]]


class LedgerGroup:
    """One digest's results, committed in groups by a writer thread, and at the end.

    A group is started LEDGER_GROUP_SECONDS after the first result waiting, or once
    LEDGER_GROUP // 2 wait, whichever comes first; while one is being written the next
    one gathers, and `add` waits for the writer rather than let more than LEDGER_GROUP
    results be uncommitted. The report (sent, failures, bounces) is updated when a
    group is committed, so it never says more than the ledger does. record=False (a
    --to test send): nothing is written, the report is updated at once.
    """

    def __init__(self, run: SendRun, id_: DigestId, *, record: bool = True) -> None:
        self.run = run
        self.id = id_
        self.record = record
        self.waiting: _Waiting = []
        self._timer: asyncio.TimerHandle | None = None
        self._due = False  # the timer fired while a group was being written
        self._failed: BaseException | None = None  # a commit from the loop that failed
        self._writing: tuple[concurrent.futures.Future[set[str]], _Waiting] | None = None
        self._writer: concurrent.futures.ThreadPoolExecutor | None = None
        self._db: StateDB | None = None  # the writer thread's connection
        self._path = Path()  # the state database's file

    def add(self, recipient: Recipient, result: DeliveryResult) -> None:
        if self._failed is not None:
            raise self._failed  # the state cannot be written: stop mailing
        self.waiting.append((recipient, result, datetime.now(UTC)))
        if not self.record:
            self.commit()
        elif len(self.waiting) >= LEDGER_GROUP // 2:
            self._start()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(
                LEDGER_GROUP_SECONDS, self._start_later
            )

    def _start_later(self) -> None:
        self._timer = None
        self._due = True
        try:
            self._start()
        except Exception as exc:  # raised to the workers by the next add()
            self._failed = exc

    def _start(self) -> None:
        """Hand the waiting results to the writer thread (once it is free)."""
        if self._writing is not None:
            if len(self.waiting) + len(self._writing[1]) < LEDGER_GROUP:
                return  # _written starts them when the group before is committed
            self._wait_written()  # never more than LEDGER_GROUP results uncommitted
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._due = False
        batch, self.waiting = self.waiting, []
        future = self._executor().submit(self._write, batch)
        self._writing = (future, batch)
        loop = asyncio.get_running_loop()
        future.add_done_callback(lambda done: loop.call_soon_threadsafe(self._written, done))

    def _written(self, future: concurrent.futures.Future[set[str]]) -> None:
        """In the event loop, once the writer is done with a group."""
        if self._writing is None or self._writing[0] is not future:
            return  # taken care of by a wait for it
        try:
            self._wait_written()
            if self.waiting and (self._due or len(self.waiting) >= LEDGER_GROUP // 2):
                self._start()
        except Exception as exc:  # raised to the workers by the next add()
            self._failed = exc

    def _wait_written(self) -> None:
        """Wait for the group being written; on failure its results wait again."""
        assert self._writing is not None
        future, batch = self._writing
        self._writing = None
        try:
            bounced = future.result()
        except BaseException:
            self.waiting[:0] = batch
            raise
        self._report(batch, bounced)

    def commit(self) -> None:
        """Write every result not committed yet, and wait for it. They stay waiting when
        it fails, so a later commit (the one at the end of the digest) can still write
        them."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._writing is not None:
            self._wait_written()
        batch, self.waiting = self.waiting, []
        if not batch:
            return
        if not self.record:
            self._report(batch, set())
            return
        try:
            bounced = self._executor().submit(self._write, batch).result()
        except BaseException:
            self.waiting[:0] = batch
            raise
        self._report(batch, bounced)

    def close(self) -> None:
        """Stop the writer thread and close its connection (after commit)."""
        if self._writer is not None:
            if self._db is not None:
                self._writer.submit(self._db.conn.close).result()
                self._db = None
            self._writer.shutdown()
            self._writer = None

    def _executor(self) -> concurrent.futures.ThreadPoolExecutor:
        if self._writer is None:
            # The run's own state database, wherever it was opened from.
            self._path = Path(self.run.db.conn.execute("PRAGMA database_list").fetchone()[2])
            self._writer = concurrent.futures.ThreadPoolExecutor(1, "digest-ledger")
        return self._writer

    def _write(self, waiting: _Waiting) -> set[str]:
        """In the writer thread: one transaction; returns the addresses marked bounced."""
        if self._db is None:
            self._db = open_db(self._path)
        db = self._db
        bounced: set[str] = set()
        with transaction(db):
            sent = [(r.address, x.reply, at) for r, x, at in waiting if x.status == "sent"]
            ledger.record_sent(db, self.id, sent)
            for recipient, result, now in waiting:
                if result.status == "sent":
                    continue
                if record_delivery(db, self.id, recipient, result, now):
                    bounced.add(recipient.address)
        return bounced

    def _report(self, waiting: _Waiting, bounced: set[str]) -> None:
        report = self.run.report
        for recipient, result, _ in waiting:
            if recipient.address in bounced:
                log.warning(bounce_sentence(recipient.address, result.reply))
            if result.status == "sent":
                report.sent += 1
            else:
                report.failures.append(
                    Failure(
                        self.id,
                        recipient.address,
                        result.reply,
                        result.status == "retry",
                        recipient.address in bounced,
                    )
                )


async def deliver(
    run: SendRun,
    factory: MessageFactory,
    recipients: Sequence[Recipient],
    *,
    advance: Advance = lambda: None,
    record: bool = True,
) -> None:
    """Mail each recipient, up to the transport's concurrency at once, committing the
    results to the ledger in small groups (LedgerGroup; record=False: a --to test send).

    When the transport stops (its circuit breaker opened, or [smtp] run_timeout
    passed), the workers take no one else; everyone not tried stays pending, and the
    run stops after this digest (report.stopped)."""
    # What is alive now (modules, templates, the config, the readers to mail) lives
    # until the end: out of the collector's sight, a collection while mailing looks
    # only at what the mailing made, not at some 40,000 objects and each reader again.
    gc.freeze()
    if run.deadline is None:
        run.deadline = time.monotonic() + run.cfg.smtp.run_timeout
    transport = make_transport(
        run.cfg,
        batch=batch_folder(factory.id.period, factory.id.series),
        deadline=run.deadline,
    )
    queue = factory.recipients(recipients)
    report = run.report
    results = LedgerGroup(run, factory.id, record=record)
    tried = 0

    def done(recipient: Recipient, result: DeliveryResult) -> None:
        nonlocal tried
        tried += 1
        results.add(recipient, result)
        advance()

    async def worker() -> None:
        # All workers share one iterator: each takes the next recipient when its session
        # is ready for one, and the message is made only then (never all up front).
        messages = ((r, r.address, factory.data(r)) for r in queue)
        try:
            await transport.send_all(messages, done)
        except DeliveryStopped:
            return  # the recipient taken last, and the rest, stay pending

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
    finally:
        try:
            results.commit()  # also when interrupted: every result received is recorded
        finally:
            results.close()
    if transport.stopped:
        report.stopped = transport.stopped
        if record and len(recipients) > tried:
            report.not_tried.append(NotTried(factory.id, len(recipients) - tried))


def _rendered(stored: StoredDigest) -> RenderedDigest:
    from digest.mail.render import RenderedDigest

    return RenderedDigest(subject=stored.subject, text=stored.text, html=stored.html)


def _render(cfg: Config, digest: Digest, now: datetime, id_: DigestId) -> RenderedDigest:
    from digest.mail.archive import series_slug
    from digest.mail.render import render_digest
    from digest.mail.tokens import archive_url

    page = archive_url(cfg, str(id_.period), series_slug(id_.series))
    return render_digest(digest, cfg, now=now, archive_url=page)


def _digest_json(digest: Digest) -> str:
    from digest.mail.jsonout import digest_to_json

    return json.dumps(digest_to_json(digest), ensure_ascii=False, sort_keys=True)


def _files(n: int) -> str:
    return f"{n} file{'s' if n != 1 else ''}"


def shown(path: Path) -> str:
    """A folder as a user would type it: relative to the working directory when inside
    it, with a trailing slash."""
    try:
        text = str(path.relative_to(Path.cwd()))
    except ValueError:
        text = str(path)
    return text.rstrip("/") + "/"


def skip_lines(report: SendReport, *, dry_run: bool = False) -> list[str]:
    """One line per reason a digest was skipped, however many digests share it."""
    verb = "would skip" if dry_run else "skipped"
    by_reason: dict[str, list[DigestId]] = {}
    for skipped in report.skipped_digests:
        by_reason.setdefault(skipped.reason, []).append(skipped.digest_id)
    lines = []
    for reason, ids in by_reason.items():
        if len(ids) == 1:
            lines.append(f"{verb} {ids[0].series} {ids[0].period}: {reason}")
        else:
            lines.append(f"{verb} {len(ids)} digests: {reason} (-v lists them)")
    return lines


def summary_lines(report: SendReport) -> list[str]:
    """The final summary: skips, counts, time, rate, then each failure with its reply."""
    bounced = f" ({report.bounced} bounced)" if report.bounced else ""
    if report.outbox is not None:
        folders = sorted(set(report.folders))
        where = shown(folders[0]) if len(folders) == 1 else shown(report.outbox)
        lines = [
            f"wrote {_files(report.sent)} to {where}, failed {report.failed}, skipped "
            f"{report.already_sent} (already written) in {report.elapsed:.1f} s; nothing was "
            'mailed ([mail] transport = "outbox")'
        ]
    else:
        lines = [
            f"sent {report.sent}, failed {report.failed}{bounced}, skipped "
            f"{report.already_sent} (already sent) in {report.elapsed:.1f} s "
            f"({report.rate:.1f} msgs/s)"
        ]
    lines = skip_lines(report) + lines
    for f in report.failures:
        if f.bounced:
            when = "bounced: no further digests go there"
        else:
            when = "will be retried by the next run" if f.pending else "not retried"
        lines.append(f"  {f.recipient} ({f.digest_id}): {f.reply} [{when}]")
    for n in report.not_tried:
        lines.append(
            f"  {_recipients(n.count)} not tried ({n.digest_id}) [will be mailed by the next run]"
        )
    if report.stopped:
        lines.append(report.stopped)
    lines += unread_lines(report)
    return lines


def _digest_names(ids: Sequence[DigestId]) -> str:
    return ", ".join(f"{i.series} {i.period}" for i in ids)


def unread_lines(report: SendReport) -> list[str]:
    """One sentence per source the sync could not read: what it held back, what to do."""
    lines = []
    for src in report.unread:
        why = f'source "{src.source}" could not be read ({src.reason})'
        if src.source in report.unknown_feeds:
            why += "; no note of it is stored yet, so any series may need it"
        held = [h.digest_id for h in report.held_back if src.source in h.sources]
        built = [h.digest_id for h in report.built_stale if src.source in h.sources]
        if built:
            lines.append(
                f"{why}; built without it (--allow-stale), their footer saying so: "
                f"{_digest_names(built)}."
            )
        elif held:
            lines.append(
                f"{why}; not built, nothing frozen: {_digest_names(held)}; the next "
                f"`digest send` builds them once the source can be read, or `digest send "
                f"--allow-stale` mails them now, their footer saying a source was missing."
            )
        else:
            lines.append(f"{why}; no digest due in this run needed it, but the next may.")
    return lines


def plan_lines(report: SendReport) -> list[str]:
    """--dry-run's stdout: recipient, subject and Message-ID of every message due."""
    return [f"{p.recipient}\t{p.subject}\t{p.message_id}" for p in report.planned]
