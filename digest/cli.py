"""The `digest` command line (typer). Thin: each command parses its arguments, calls
one function of digest.app (the orchestration), and prints what it returns.

Imports happen inside the commands so `digest --help` stays fast: it loads typer
and none of the pipeline.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from digest.errors import UserError

if TYPE_CHECKING:
    from digest.config.schema import Config
    from digest.periods import Period

app = typer.Typer(
    help="Turn a project's meeting notes into a monthly email digest.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
subscribers_app = typer.Typer(help="Manage the digest's own subscribers.", no_args_is_help=True)
app.add_typer(subscribers_app, name="subscribers")


# --series, as every command that reads digests takes it.
SeriesOption = Annotated[
    str | None,
    typer.Option(help="Only the series whose name contains TEXT (case-insensitive)."),
]


class Globals:
    config: Path | None = None
    verbosity: int = 0
    db_path: Path | None = None  # set by load(): names the state in a database error


@app.callback()
def _globals(
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="Config file (default: $DIGEST_CONFIG, else ./config.toml).",
            show_default=False,
        ),
    ] = None,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="More detail.")] = 0,
    quiet: Annotated[int, typer.Option("--quiet", "-q", count=True, help="Only problems.")] = 0,
) -> None:
    Globals.config = config
    Globals.verbosity = verbose - quiet
    from digest.log import setup_logging

    setup_logging(Globals.verbosity)


def _period(text: str | None, option: str = "--period") -> Period | None:
    """A month option as a Period, or one sentence saying what a period looks like."""
    from digest.periods import Period, PeriodError

    if text is None:
        return None
    try:
        return Period.parse(text)
    except PeriodError as exc:
        raise UserError(exc.sentence(option, example="2026-10")) from None


def load() -> Config:
    """The validated config; its warnings are logged once."""
    import logging

    from digest.config.load import load_config

    cfg = load_config(Globals.config)
    Globals.db_path = cfg.db_path
    for warning in cfg.warnings:
        logging.getLogger("digest").warning(warning)
    return cfg


# ---- commands: each calls the digest.app function named in its body ---------


@app.command()
def sync(
    full: Annotated[
        bool,
        typer.Option("--full", help="Read every note again (e.g. after upgrading notes-digest)."),
    ] = False,
) -> None:
    """Read what is new in every source (git, folder, feed) into the state."""
    import logging

    from digest.app.sync import run_sync

    cfg = load()
    report = run_sync(cfg, full=full)
    # Warnings were logged as they happened; the summary counts them.
    logging.getLogger("digest").info(report.summary())
    if cfg.sources and len(report.failed) == len(cfg.sources):
        raise typer.Exit(1)  # nothing could be read: let a timer/cron see the failure


@app.command()
def preview(
    period: Annotated[
        str | None,
        typer.Option(help="Month to preview, YYYY-MM (default: the last complete month)."),
    ] = None,
    series: SeriesOption = None,
    output_format: Annotated[
        Literal["text", "html", "json", "eml"],
        typer.Option(
            "--format",
            "-f",
            help="text (terminal), html (a file), json (for scripts) or eml (the message).",
        ),
    ] = "text",
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to FILE (html: default a temp file)."),
    ] = None,
    open_browser: Annotated[
        bool, typer.Option("--open", help="Open the HTML preview in a web browser.")
    ] = False,
) -> None:
    """See the digest before anything is sent: in the terminal, as HTML, JSON or .eml."""
    from digest.app.preview import run_preview

    run_preview(
        load(),
        period=_period(period),
        series=series,
        output_format=output_format,
        output=output,
        open_browser=open_browser,
    )


@app.command()
def send(
    period: Annotated[
        str | None,
        typer.Option(help="Month to send, YYYY-MM (default: every month that is due)."),
    ] = None,
    series: SeriesOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List who would get what; store and mail nothing.")
    ] = False,
    resend: Annotated[
        bool, typer.Option("--resend", help="Mail everyone again, even those who have it.")
    ] = False,
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            metavar="ADDRESS",
            help="Mail only ADDRESS (a test send, not recorded in the ledger).",
        ),
    ] = None,
    allow_stale: Annotated[
        bool,
        typer.Option(
            "--allow-stale",
            help="Build digests even when a source feeding them could not be read "
            "(their footer says so).",
        ),
    ] = False,
) -> None:
    """Mail the digest; running it twice never mails anyone twice."""
    from digest.app.send import SendOptions, plan_lines, run_send, summary_lines, unread_lines

    report = run_send(
        load(),
        SendOptions(
            period=_period(period),
            series=series,
            dry_run=dry_run,
            resend=resend,
            to=to,
            allow_stale=allow_stale,
        ),
    )
    if dry_run:
        for line in plan_lines(report):
            typer.echo(line)
        typer.echo(f"{len(report.planned)} message(s) would be sent.", err=True)
        for line in unread_lines(report):
            typer.echo(line, err=True)
        if not report.ok:
            raise typer.Exit(1)  # a real run would not build everything due
        return
    for line in summary_lines(report):
        typer.echo(line, err=True)
    if not report.ok:
        raise typer.Exit(1)


@subscribers_app.command("add")
def subscribers_add(
    address: Annotated[str, typer.Argument(help="The email address.")],
    name: Annotated[str | None, typer.Option(help="The subscriber's name.")] = None,
) -> None:
    """Add a subscriber (or make an unsubscribed one active again)."""
    from digest.app import subscribers

    typer.echo(subscribers.add(load(), address, name))


@subscribers_app.command("remove")
def subscribers_remove(address: Annotated[str, typer.Argument(help="The email address.")]) -> None:
    """Forget a subscriber entirely (to keep them from being re-imported, use unsubscribe)."""
    from digest.app import subscribers

    typer.echo(subscribers.remove(load(), address))


@subscribers_app.command("list")
def subscribers_list(
    status: Annotated[
        Literal["active", "unsubscribed", "bounced"] | None,
        typer.Option(help="Only subscribers with this status."),
    ] = None,
) -> None:
    """List subscribers: address, name, status (tab-separated)."""
    from digest.app import subscribers

    found = subscribers.listing(load(), status)
    for s in found:
        typer.echo(f"{s.address}\t{s.name}\t{s.status}")
    typer.echo(f"{len(found)} subscriber(s).", err=True)


@subscribers_app.command("import")
def subscribers_import(
    file: Annotated[Path, typer.Argument(help="CSV: address[,name][,status], header optional.")],
) -> None:
    """Import subscribers from CSV; invalid rows are reported by line and skipped."""
    from digest.app import subscribers

    report = subscribers.import_file(load(), file)
    for line, reason in report.invalid:
        typer.echo(f"{file}:{line}: {reason}; skipped.", err=True)
    typer.echo(
        f"{file}: added {report.added}, updated {report.updated}, unchanged "
        f"{report.unchanged}, invalid {len(report.invalid)}."
    )
    if report.invalid:
        raise typer.Exit(1)


@subscribers_app.command("export")
def subscribers_export() -> None:
    """Write every subscriber as CSV (address,name,status) to stdout."""
    from digest.app import subscribers

    sys.stdout.write(subscribers.export(load()))


@app.command()
def unsubscribe(
    who: Annotated[
        str, typer.Argument(metavar="ADDRESS|TOKEN", help="An address, a token or its URL.")
    ],
) -> None:
    """Unsubscribe an address, or the reader an unsubscribe token (or link) belongs to."""
    from digest.app import subscribers

    typer.echo(subscribers.unsubscribe(load(), who))


@app.command("serve-unsubscribe")
def serve_unsubscribe(
    host: Annotated[
        str, typer.Option(help="Address to listen on (keep it local; a TLS proxy faces the web).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="TCP port to listen on.")] = 8025,
) -> None:
    """Serve the unsubscribe page of [mail] unsubscribe_url (plain HTTP, for a reverse proxy)."""
    from digest.app.web import serve

    serve(load(), host, port)


items_app = typer.Typer(
    help="The items followed from meeting to meeting: status, owners, age, history.",
    invoke_without_command=True,
)
app.add_typer(items_app, name="items")


@items_app.callback(invoke_without_command=True)
def items(
    ctx: typer.Context,
    series: SeriesOption = None,
    only_open: Annotated[
        bool, typer.Option("--open", help="Only items still open (or followed without status).")
    ] = False,
    owner: Annotated[
        str | None, typer.Option(help="Only items owned by this handle or name.")
    ] = None,
    output_format: Annotated[
        Literal["table", "json"],
        typer.Option("--format", "-f", help="table (terminal) or json (for scripts)."),
    ] = "table",
    explain: Annotated[
        str | None,
        typer.Option(
            "--explain",
            metavar="ID",
            help="Show one item's mentions: what kind of line each is and why they were joined.",
        ),
    ] = None,
    lines: Annotated[
        str | None,
        typer.Option(
            "--lines",
            metavar="YYYY-MM",
            help="Every line of that month's notes with its kind and why (followed or not).",
        ),
    ] = None,
    hidden: Annotated[
        bool, typer.Option("--hidden", help="List the items hidden with `digest items hide`.")
    ] = False,
) -> None:
    """The items followed from meeting to meeting: kind, status, owners, age, history.

    `digest items hide ID` drops an item a maintainer does not want followed; `digest
    items unhide ID` brings it back.
    """
    if ctx.invoked_subcommand:
        return
    from digest.app.items import run_items

    run_items(
        load(),
        series=series,
        only_open=only_open,
        owner=owner,
        output_format=output_format,
        explain=explain,
        lines=_period(lines, "--lines"),
        hidden=hidden,
    )


@items_app.command("hide")
def items_hide(
    item: Annotated[str, typer.Argument(metavar="ID", help="The id `digest items` shows.")],
) -> None:
    """Hide an item from every digest built from now on (and from `digest items`)."""
    from digest.app.items import hide_item

    typer.echo(hide_item(load(), item))


@items_app.command("unhide")
def items_unhide(
    item: Annotated[
        str, typer.Argument(metavar="ID", help="The id `digest items --hidden` shows.")
    ],
) -> None:
    """Bring back an item hidden with `digest items hide`."""
    from digest.app.items import unhide_item

    typer.echo(unhide_item(load(), item))


@app.command()
def doctor() -> None:
    """Check config, sources, state, templates, SMTP and secrets; send nothing.

    One PASS/FAIL line per check, with the fix on failure; exits 1 if any failed.
    """
    from digest.app.doctor import format_results, run_doctor

    results = run_doctor(Globals.config)
    typer.echo(format_results(results))
    if not all(r.ok for r in results):
        raise typer.Exit(1)


@app.command()
def init(
    path: Annotated[
        Path | None,
        typer.Argument(
            help="File to write (default: --config, else $DIGEST_CONFIG, else ./config.toml).",
            show_default=False,
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented starter config to edit."""
    from digest.config.load import config_path
    from digest.config.starter import write_starter_config

    target = write_starter_config(path or config_path(Globals.config), force=force)
    typer.echo(f"Wrote {target}: edit the [[sources]] and [mail] tables, then run `digest doctor`.")


@app.command()
def history(
    output_format: Annotated[
        Literal["table", "json"],
        typer.Option("--format", "-f", help="table (terminal) or json (for scripts)."),
    ] = "table",
    series: SeriesOption = None,
) -> None:
    """List the digests built and sent: period, series, status, recipients, deliveries."""
    from digest.app.history import run_history

    typer.echo(run_history(load(), series=series, output_format=output_format))


def _interrupted(exc: BaseException) -> bool:
    """True when this exit was caused by Ctrl-C (typer turns it into a silent Exit(130))."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, KeyboardInterrupt):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _say(sentence: str) -> None:
    """Print one user-facing sentence: secrets redacted, terminal controls removed."""
    from digest.log import printable, redact

    print(f"digest: {printable(redact(sentence))}", file=sys.stderr)


def main() -> None:
    import sqlite3

    from digest.errors import database_error

    try:
        app()
    except UserError as exc:
        # One sentence, no traceback: the user can fix this.
        _say(str(exc))
        sys.exit(exc.exit_code)
    except sqlite3.Error as exc:
        # A damaged or read-only state database is found at the first page SQLite
        # touches, anywhere in a command: name the file, not the line of code.
        _say(str(database_error(Globals.db_path or Path("state.db"), exc)))
        sys.exit(1)
    except KeyboardInterrupt:
        _say("interrupted; the state is consistent, run the command again.")
        sys.exit(130)
    except SystemExit as exc:
        if exc.code == 130 and _interrupted(exc):
            _say("interrupted; the state is consistent, run the command again.")
        raise
