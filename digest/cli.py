"""The `digest` command line (typer). Thin: each command parses its arguments, calls
one function of digest.app (the orchestration), and prints what it returns.

Imports happen inside the commands so `digest --help` stays fast: it loads typer
and none of the pipeline. No `from __future__ import annotations` here: typer reads
every command's signature at each start, and annotations kept as strings are
evaluated again each time (0.02 s of `digest --help`).
"""

import copy
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from typer.core import TyperCommand

from digest.errors import UserError
from digest.launch import Globals, completing, load, set_globals, sync_command

if TYPE_CHECKING:
    from digest.periods import Period

# Help is plain text (rich_markup_mode=None): typer's rich help shows a value
# placeholder after every flag ("--dry-run <bool>", "-v <int>") and reads "[mail]"
# in a docstring as markup, and importing rich makes `digest --help` 2.5 times slower.
app = typer.Typer(
    help="Turn a project's meeting notes into a monthly email digest.",
    epilog=(
        "Start with `digest init` and `digest doctor`; `digest COMMAND --help` shows "
        "each command with examples."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
subscribers_app = typer.Typer(
    help="Manage the digest's own subscribers.", no_args_is_help=True, rich_markup_mode=None
)
app.add_typer(
    subscribers_app,
    name="subscribers",
    short_help="Manage the digest's own subscribers.",
    epilog=(
        "Examples:\n\n\b\n  digest subscribers add ana@example.org --name Ana\n"
        "      add a subscriber\n  digest subscribers list\n      who gets the digest"
    ),
)


def _examples(*lines: tuple[str, str]) -> str:
    """A command's help epilog: typical invocations, each with what it does.

    Click keeps a paragraph that starts with \\b as written (no re-wrapping).
    """
    body = "\n".join(f"  {command}\n      {what}" for command, what in lines)
    return f"Examples:\n\n\b\n{body}"


class _Command(TyperCommand):
    """A command whose arguments read as their names in help.

    Typer writes an argument as "{ADDRESS}" in the usage line and "ADDRESS <str>"
    in its row; here it is "ADDRESS" (or "[PATH]" when optional) in both.
    """

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                name = _argument_name(param)
                pieces.append(name if param.required else f"[{name}]")
            else:
                pieces += param.get_usage_pieces(ctx)
        return pieces

    def format_options(self, ctx: Any, formatter: Any) -> None:
        arguments: list[tuple[str, str]] = []
        options: list[tuple[str, str]] = []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "argument":
                arguments.append((_argument_name(param), record[1]))
            else:
                options.append(record)
        for title, rows in (("Arguments", arguments), ("Options", options)):
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


def _argument_name(param: Any) -> str:
    return str(param.metavar or (param.name or "").upper())


# --series, as every command that reads digests takes it.
SeriesOption = Annotated[
    str | None,
    typer.Option(
        metavar="TEXT", help="Only the series whose name contains TEXT (case-insensitive)."
    ),
]


def _version(value: bool) -> None:
    """--version: the installed package's version (pyproject.toml's), then exit."""
    if not value:
        return
    from importlib.metadata import PackageNotFoundError, version

    import digest

    try:
        number = version("notes-digest")
    except PackageNotFoundError:  # run from a source tree that was never installed
        number = digest.__version__
    typer.echo(f"digest (notes-digest) {number}")
    raise typer.Exit()


@app.callback()
def _globals(
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            metavar="PATH",
            help="Config file (default: $DIGEST_CONFIG, else ./config.toml).",
            show_default=False,
        ),
    ] = None,
    verbose: Annotated[
        int,
        typer.Option(
            "--verbose",
            "-v",
            count=True,
            show_default=False,
            help="More detail: each skipped digest, and debug lines.",
        ),
    ] = 0,
    quiet: Annotated[
        int,
        typer.Option(
            "--quiet",
            "-q",
            count=True,
            show_default=False,
            help="Only warnings and errors (-qq: only errors).",
        ),
    ] = 0,
    _show_version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    set_globals(config, verbose - quiet)


def _period(text: str | None, option: str = "--period") -> "Period | None":
    """A month option as a Period, or one sentence saying what a period looks like."""
    from digest.periods import Period, PeriodError

    if text is None:
        return None
    try:
        return Period.parse(text)
    except PeriodError as exc:
        raise UserError(exc.sentence(option, example="2026-10")) from None


# ---- commands: each calls the digest.app function named in its body ---------


@app.command(
    short_help="Read what is new in every source into the state.",
    epilog=_examples(
        ("digest sync", "read what is new in every source"),
        ("digest sync --full", "read every note again (after upgrading notes-digest)"),
    ),
)
def sync(
    full: Annotated[
        bool,
        typer.Option("--full", help="Read every note again (e.g. after upgrading notes-digest)."),
    ] = False,
) -> None:
    """Read what is new in every source (git, folder, feed) into the state.

    `digest preview` and `digest send` sync first, so run it by hand before
    `digest items`, or to see the warnings about the notes.
    """
    status = sync_command(full)
    if status:
        raise typer.Exit(status)


@app.command(
    short_help="Show a digest without sending it.",
    epilog=_examples(
        ("digest preview --period 2026-10", "October's digests, in the terminal"),
        ("digest preview -f html --open", "last month's digests in a web browser"),
        ("digest preview -f eml --series maint > digest.eml", "the message `send` would mail"),
    ),
)
def preview(
    period: Annotated[
        str | None,
        typer.Option(
            metavar="YYYY-MM", help="Month to preview (default: the last complete month)."
        ),
    ] = None,
    series: SeriesOption = None,
    output_format: Annotated[
        Literal["text", "html", "json", "eml"],
        typer.Option(
            "--format",
            "-f",
            metavar="[text|html|json|eml]",
            help="text (terminal), html (a file), json (for scripts) or eml (the message).",
        ),
    ] = "text",
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", metavar="FILE", help="Write to FILE (html: default a temp file)."
        ),
    ] = None,
    open_browser: Annotated[
        bool, typer.Option("--open", help="Open the HTML preview in a web browser.")
    ] = False,
) -> None:
    """Show the digest before anything is sent: in the terminal, as HTML, JSON or .eml.

    It syncs the sources first, then builds one digest per series for the month;
    nothing is stored or mailed.
    """
    from digest.app.preview import run_preview

    run_preview(
        load(),
        period=_period(period),
        series=series,
        output_format=output_format,
        output=output,
        open_browser=open_browser,
    )


@app.command(
    short_help="Mail what is due; never mails anyone twice.",
    epilog=_examples(
        ("digest send --dry-run", "who would get what; stores and mails nothing"),
        ("digest send", "mail every month that is due (what a monthly timer runs)"),
    ),
)
def send(
    period: Annotated[
        str | None,
        typer.Option(metavar="YYYY-MM", help="Month to send (default: every month that is due)."),
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
    """Mail the digests that are due; running it twice never mails anyone twice.

    It syncs the notes, freezes each digest, records every recipient in a ledger
    and mails those not mailed yet. With [mail] transport = "outbox" (the default)
    the messages are written as .eml files instead.
    """
    from digest.app.send import (
        SendOptions,
        plan_lines,
        run_send,
        skip_lines,
        summary_lines,
        unread_lines,
    )

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
        for line in skip_lines(report, dry_run=True):
            typer.echo(line, err=True)
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


@subscribers_app.command(
    "add",
    cls=_Command,
    epilog=_examples(
        ("digest subscribers add ana@example.org --name Ana", "add Ana (or re-activate her)"),
        ('digest subscribers add "Ana Lima <ana@example.org>"', "the name taken from the address"),
    ),
)
def subscribers_add(
    address: Annotated[
        str, typer.Argument(metavar="ADDRESS", help='The email address ("Name <addr>" too).')
    ],
    name: Annotated[str | None, typer.Option(metavar="NAME", help="The subscriber's name.")] = None,
) -> None:
    """Add a subscriber (or make an unsubscribed one active again)."""
    from digest.app import subscribers

    typer.echo(subscribers.add(load(), address, name))


@subscribers_app.command(
    "remove",
    cls=_Command,
    short_help="Forget a subscriber entirely.",
    epilog=_examples(("digest subscribers remove ana@example.org", "a later import may add her")),
)
def subscribers_remove(
    address: Annotated[str, typer.Argument(metavar="ADDRESS", help="The email address.")],
) -> None:
    """Forget a subscriber entirely (to keep them from being re-imported, use unsubscribe)."""
    from digest.app import subscribers

    typer.echo(subscribers.remove(load(), address))


@subscribers_app.command(
    "list",
    epilog=_examples(
        ("digest subscribers list", "everyone, with their status"),
        ("digest subscribers list --status bounced", "the addresses that hard-bounced"),
    ),
)
def subscribers_list(
    status: Annotated[
        Literal["active", "unsubscribed", "bounced"] | None,
        typer.Option(
            metavar="[active|unsubscribed|bounced]", help="Only subscribers with this status."
        ),
    ] = None,
) -> None:
    """List subscribers: address, name, status (tab-separated)."""
    from digest.app import subscribers

    found = subscribers.listing(load(), status)
    for s in found:
        typer.echo(f"{s.address}\t{s.name}\t{s.status}")
    typer.echo(f"{len(found)} subscriber(s).", err=True)


@subscribers_app.command(
    "import",
    cls=_Command,
    short_help="Import subscribers from a CSV file.",
    epilog=_examples(
        ("digest subscribers import people.csv", "address[,name][,status] rows"),
    ),
)
def subscribers_import(
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE",
            help='CSV: address[,name][,status], header optional; "Name <addr>" cells too.',
        ),
    ],
) -> None:
    """Import subscribers from CSV; invalid rows are reported by line and skipped."""
    from digest.app import subscribers

    report = subscribers.import_file(load(), file)
    for line, reason in report.invalid:
        typer.echo(f"{file}:{line}: {reason}; skipped.", err=True)
    for line, reason in report.suspect:
        typer.echo(f"{file}:{line}: {reason}; imported anyway.", err=True)
    typer.echo(
        f"{file}: added {report.added}, updated {report.updated}, unchanged "
        f"{report.unchanged}, invalid {len(report.invalid)}."
    )
    if report.invalid:
        raise typer.Exit(1)


@subscribers_app.command(
    "export",
    short_help="Write every subscriber as CSV to stdout.",
    epilog=_examples(("digest subscribers export > people.csv", "a CSV that imports back")),
)
def subscribers_export() -> None:
    """Write every subscriber as CSV (address,name,status) to stdout."""
    from digest.app import subscribers

    sys.stdout.write(subscribers.export(load()))


@app.command(
    cls=_Command,
    short_help="Unsubscribe an address, or a token's reader.",
    epilog=_examples(
        ("digest unsubscribe ana@example.org", "Ana gets no further digests"),
        ("digest unsubscribe 'https://example.org/u?token=…'", "the reader of that link"),
    ),
)
def unsubscribe(
    who: Annotated[
        str, typer.Argument(metavar="ADDRESS|TOKEN", help="An address, a token or its URL.")
    ],
) -> None:
    """Unsubscribe an address, or the reader an unsubscribe token (or link) belongs to."""
    from digest.app import subscribers

    typer.echo(subscribers.unsubscribe(load(), who))


HostOption = Annotated[
    str,
    typer.Option(
        metavar="ADDRESS", help="Address to listen on (keep it local; a TLS proxy faces the web)."
    ),
]
PortOption = Annotated[
    int, typer.Option(metavar="PORT", min=0, max=65535, help="TCP port to listen on.")
]
DEFAULT_PORT = 8947  # not 8025 (Mailpit and MailHog's web UI) nor 8000/8080/8888


@app.command(
    "serve",
    short_help="Serve the subscribe and preferences pages and the archive.",
    epilog=_examples(
        ("digest serve", "on 127.0.0.1:8947, behind a TLS reverse proxy"),
        ("digest serve --port 9000", "another port (say the same in the proxy)"),
    ),
)
def serve_pages(host: HostOption = "127.0.0.1", port: PortOption = DEFAULT_PORT) -> None:
    """Serve the subscribe, preferences and unsubscribe pages and the archive (plain HTTP,
    for a TLS reverse proxy)."""
    from digest.app.web import serve

    serve(load(), host, port)


@app.command(
    "serve-unsubscribe",
    hidden=True,
    short_help="Deprecated: `digest serve`.",
    epilog=_examples(("digest serve-unsubscribe", "now `digest serve`: same options, same links")),
)
def serve_unsubscribe(host: HostOption = "127.0.0.1", port: PortOption = DEFAULT_PORT) -> None:
    """Deprecated: `digest serve` (it also answers the old unsubscribe links)."""
    import logging

    from digest.app.web import serve

    logging.getLogger("digest").warning(
        "`digest serve-unsubscribe` is deprecated and will be removed in the next release; "
        "use `digest serve` (same options, same links)"
    )
    serve(load(), host, port)


archive_app = typer.Typer(
    help="The web archive of sent digests.", no_args_is_help=True, rich_markup_mode=None
)
app.add_typer(
    archive_app,
    name="archive",
    epilog=_examples(("digest archive build site/", "every sent digest as a static site")),
)


@archive_app.command(
    "build",
    cls=_Command,
    short_help="Write every sent digest as a static site.",
    epilog=_examples(
        ("digest archive build site/", "index.html, one page per digest, Atom feeds"),
    ),
)
def archive_build(
    out: Annotated[Path, typer.Argument(metavar="OUT", help="Folder to write the site to.")],
) -> None:
    """Write every sent digest as a static site: index by month, pages, Atom feeds."""
    from digest.app.archive import build_archive

    count = build_archive(load(), out)
    typer.echo(f"{out}: {count} digest page(s), index.html and Atom feeds written.")


bounces_app = typer.Typer(
    help="Bounces reported after the relay accepted a message.", rich_markup_mode=None
)
app.add_typer(
    bounces_app,
    name="bounces",
    no_args_is_help=True,
    epilog=_examples(("digest bounces import bounces.mbox", "DSNs the MTA kept, as mbox")),
)


@bounces_app.command(
    "import",
    cls=_Command,
    short_help="Mark the subscribers that bounce messages name as bounced.",
    epilog=_examples(
        ("digest bounces import bounces.mbox", "read the DSNs; mark hard bounces `bounced`"),
    ),
)
def bounces_import(
    file: Annotated[
        Path, typer.Argument(metavar="FILE", help="An mbox file of bounce messages (DSNs).")
    ],
) -> None:
    """Mark the subscribers that bounce messages (DSNs) report as failed for good
    `bounced`: no further digests go there. Only active subscribers are marked, as
    `digest send` does with [mail] subscribers = true."""
    from digest.app import subscribers

    report = subscribers.import_bounces(load(), file)
    for address in report.bounced:
        typer.echo(f"{address}: bounced; no further digests go there.")
    typer.echo(
        f"{file}: {report.messages} message(s) read, {len(report.bounced)} subscriber(s) "
        f"marked bounced, {report.unknown} other address(es) left alone.",
        err=True,
    )


items_app = typer.Typer(
    help="The items followed from meeting to meeting: status, owners, age, history.",
    invoke_without_command=True,
    rich_markup_mode=None,
)
app.add_typer(
    items_app,
    name="items",
    short_help="The items followed from meeting to meeting.",
    epilog=_examples(
        ("digest items --series maint --open", "open items of series matching 'maint'"),
        ("digest items --explain 0923", "one item's mentions and why they were joined"),
        ("digest items --lines 2026-10", "every line of October's notes with its kind"),
    ),
)


@items_app.callback(invoke_without_command=True)
def items(
    ctx: typer.Context,
    series: SeriesOption = None,
    only_open: Annotated[
        bool, typer.Option("--open", help="Only items still open (or followed without status).")
    ] = False,
    owner: Annotated[
        str | None, typer.Option(metavar="NAME", help="Only items owned by this handle or name.")
    ] = None,
    output_format: Annotated[
        Literal["table", "json"],
        typer.Option(
            "--format",
            "-f",
            metavar="[table|json]",
            help="table (terminal) or json (for scripts).",
        ),
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


@items_app.command(
    "hide",
    cls=_Command,
    short_help="Hide an item from every digest built from now on.",
    epilog=_examples(("digest items hide 0923", "never follow item 0923… again")),
)
def items_hide(
    item: Annotated[str, typer.Argument(metavar="ID", help="The id `digest items` shows.")],
) -> None:
    """Hide an item from every digest built from now on (and from `digest items`)."""
    from digest.app.items import hide_item

    typer.echo(hide_item(load(), item))


@items_app.command(
    "unhide",
    cls=_Command,
    epilog=_examples(("digest items unhide 0923", "follow item 0923… again")),
)
def items_unhide(
    item: Annotated[
        str, typer.Argument(metavar="ID", help="The id `digest items --hidden` shows.")
    ],
) -> None:
    """Bring back an item hidden with `digest items hide`."""
    from digest.app.items import unhide_item

    typer.echo(unhide_item(load(), item))


@app.command(
    short_help="Check the set-up; sends nothing.",
    epilog=_examples(
        ("digest doctor", "check ./config.toml (or $DIGEST_CONFIG)"),
        ("digest -c /etc/notes-digest/config.toml doctor", "check another config"),
    ),
)
def doctor() -> None:
    """Check config, sources, state, templates, SMTP and secrets; send nothing.

    One PASS/FAIL line per check, with the fix on failure; exits 1 if any failed.
    """
    from digest.app.doctor import format_results, run_doctor

    results = run_doctor(Globals.config)
    typer.echo(format_results(results))
    if not all(r.ok for r in results):
        raise typer.Exit(1)


@app.command(
    cls=_Command,
    short_help="Write a commented starter config.",
    epilog=_examples(
        ("digest init", "write ./config.toml (or $DIGEST_CONFIG)"),
        ("digest init /etc/notes-digest/config.toml", "write it there"),
    ),
)
def init(
    path: Annotated[
        Path | None,
        typer.Argument(
            metavar="PATH",
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


@app.command(
    short_help="List the digests built and sent.",
    epilog=_examples(
        ("digest history", "every digest, newest first"),
        ("digest history --series maint -f json", "for scripts"),
    ),
)
def history(
    output_format: Annotated[
        Literal["table", "json"],
        typer.Option(
            "--format",
            "-f",
            metavar="[table|json]",
            help="table (terminal) or json (for scripts).",
        ),
    ] = "table",
    series: SeriesOption = None,
) -> None:
    """List the digests built and sent: period, series, status, recipients, deliveries."""
    from digest.app.history import run_history

    typer.echo(run_history(load(), series=series, output_format=output_format))


def command_named(args: list[str]) -> str | None:
    """The command `args` run: the first word after the global options, or None when
    there is none or it cannot be told for certain (`--help` before it, `--`)."""
    takes_value = False
    for arg in args:
        if takes_value:
            takes_value = False
        elif arg in ("--help", "--"):
            return None
        elif arg.startswith("--"):
            takes_value = arg == "--config"
        elif arg.startswith("-") and len(arg) > 1:
            # Short flags cluster: "-qq", "-qc PATH", "-cPATH" (the value follows -c).
            takes_value = arg.endswith("c") and "c" not in arg[1:-1]
        else:
            return arg
    return None


def app_for(args: list[str]) -> typer.Typer:
    """The app to run for `args`: with only the command they name.

    Typer builds every command from its function's signature at each start (0.03 s
    of a 0.2 s `digest sync`); a run needs only the one it runs. The group's own help,
    a word that is no command (click then suggests one) and shell completion get
    every command.
    """
    if completing():
        return app
    name = command_named(args)
    commands = [
        c
        for c in app.registered_commands
        if c.callback is not None
        and (c.name or typer.main.get_command_name(c.callback.__name__)) == name
    ]
    groups = [g for g in app.registered_groups if g.name == name]
    if not commands and not groups:
        return app
    only = copy.copy(app)
    only.registered_commands = commands
    only.registered_groups = groups
    return only


def run_app() -> None:
    """Run the typer app on this process's command line (digest.launch guards it)."""
    app_for(sys.argv[1:])()
