"""`digest doctor` finds what would break the monthly run, and says how to fix it."""

from __future__ import annotations

import io
import shutil
import socket
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from smtp_server import SMTPTestServer
from typer.testing import CliRunner

from digest.app.doctor import CheckResult, format_results, run_doctor
from digest.app.sync import SyncReport, sync
from digest.cli import app
from digest.config.load import load_config
from digest.log import setup_logging
from digest.mail.render import package_templates_dir
from digest.sources.git import GitError, GitRepo
from digest.sources.scan import list_notes
from digest.state.db import open_db

PASSWORD = "correct horse battery staple"
NOTE = """# 2026-03-05 Harbor sync

## Action items

- [ ] [mira] write the upgrade guide
- [x] fix the flaky test
"""
UNDATED_NOTE = "# Harbor sync\n\n## Agenda\n\n- talk about the logo\n"


@pytest.fixture(autouse=True)
def no_outside_secrets(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("DIGEST_SMTP_PASSWORD", "DIGEST_SECRET", "CREDENTIALS_DIRECTORY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("STATE_DIRECTORY", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))


def project(
    tmp_path: Path, extra: str = "", *, source: str | None = None, digest: str = ""
) -> Path:
    """A config over one dated note; `extra` continues the [mail] table."""
    notes = tmp_path / "notes"
    notes.mkdir(exist_ok=True)
    (notes / "2026-03-05-harbor-sync.md").write_text(NOTE, encoding="utf-8")
    if source is None:
        source = '[[sources]]\nname = "harbor"\nkind = "dir"\npath = "notes"\nglob = ["*.md"]\n'
    config = tmp_path / "config.toml"
    config.write_text(
        '[digest]\nstate_dir = "state"\n'
        + digest
        + source
        + '[mail]\nfrom = "Harbor digest <digest@harbor.example.org>"\n'
        + 'list_address = "harbor-dev@lists.example.org"\n'
        + extra,
        encoding="utf-8",
    )
    return config


def by_name(results: list[CheckResult]) -> dict[str, CheckResult]:
    return {r.name: r for r in results}


def smtp_tables(server: SMTPTestServer, username: str = "digest") -> str:
    # [mail] is already open in project(): transport belongs to it.
    return (
        'transport = "smtp"\n[smtp]\nhost = "127.0.0.1"\n'
        f'port = {server.port}\nsecurity = "{server.tls}"\nusername = "{username}"\n'
        f'ca_file = "{server.cert_file}"\ntimeout = 5\n'
    )


# ---- the happy path, and the exit code -------------------------------------------


def test_a_healthy_setup_passes_every_check_and_exits_0(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIGEST_SMTP_PASSWORD", PASSWORD)
    with SMTPTestServer(tls="starttls", auth={"digest": PASSWORD}) as server:
        config = project(tmp_path, smtp_tables(server))
        result = CliRunner().invoke(app, ["--config", str(config), "doctor"])
        server.wait_idle()
        assert not server.messages  # doctor never mails
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    # The sender's domain is not a public one: nothing to look up in DNS.
    assert all(line.startswith(("PASS ", "SKIP sender ")) for line in lines[:-1]), result.output
    assert lines[-1] == "All checks passed."
    assert f"PASS config: {config} loaded" in lines
    assert 'PASS source harbor notes: 1 note(s) match "*.md", 1 meeting(s)' in lines
    smtp = next(line for line in lines if line.startswith("PASS smtp:"))
    assert "authenticated as 'digest'" in smtp and "no mail sent" in smtp
    assert PASSWORD not in result.output


def test_any_failure_exits_1_and_says_how_to_fix_it(tmp_path: Path) -> None:
    config = project(tmp_path, source='[[sources]]\nname = "gone"\nkind = "dir"\npath = "nope"\n')
    result = CliRunner().invoke(app, ["--config", str(config), "doctor"])
    assert result.exit_code == 1
    assert f"FAIL source gone: dir {tmp_path / 'nope'}: no such folder" in result.output
    assert "     fix: check [[sources]] path in" in result.output
    assert result.output.splitlines()[-1].endswith("checks failed.")


def test_a_config_that_does_not_load_is_one_failure(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[smtp]\nport = "abc"\n', encoding="utf-8")
    results = run_doctor(config)
    assert [(r.name, r.ok, r.detail) for r in results] == [
        ("config", False, f'{config}: [smtp] port must be an integer, got "abc".')
    ]


def test_a_schedule_start_send_cannot_read_fails_the_config_check(tmp_path: Path) -> None:
    """Doctor reads [schedule] start as `digest send` does: "2026-8" is not a month."""
    config = project(tmp_path, '[schedule]\nstart = "2026-8"\n')
    results = run_doctor(config)
    assert [(r.name, r.ok, r.detail) for r in results] == [
        (
            "config",
            False,
            f'{config}: [schedule] start must be a month like "2026-01", got "2026-8".',
        )
    ]


def test_config_warnings_fail_the_config_check(tmp_path: Path) -> None:
    results = by_name(run_doctor(project(tmp_path, "[smtp]\nprot = 25\n")))
    assert not results["config"].ok
    assert "unknown key prot; did you mean port?" in results["config"].detail


# ---- SMTP ------------------------------------------------------------------------------


def test_smtp_with_a_wrong_password_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGEST_SMTP_PASSWORD", "not-the-password")
    with SMTPTestServer(tls="tls", auth={"digest": PASSWORD}) as server:
        results = by_name(run_doctor(project(tmp_path, smtp_tables(server))))
        assert not server.messages
    smtp = results["smtp"]
    assert not smtp.ok
    assert "authentication failed for user 'digest'" in smtp.detail
    assert "not-the-password" not in format_results(list(results.values()))
    assert "DIGEST_SMTP_PASSWORD" in smtp.fix


def test_smtp_on_a_closed_port_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIGEST_SMTP_PASSWORD", PASSWORD)
    with socket.socket() as sock:  # a port that was free a moment ago: nobody listens
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    extra = f'transport = "smtp"\n[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
    smtp = by_name(run_doctor(project(tmp_path, extra)))["smtp"]
    assert not smtp.ok
    assert smtp.detail.startswith(f"127.0.0.1:{port}: cannot open an SMTP session")


def test_smtp_is_not_checked_with_the_outbox_transport(tmp_path: Path) -> None:
    assert "smtp" not in by_name(run_doctor(project(tmp_path)))


# ---- sources ---------------------------------------------------------------------------


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


@pytest.fixture
def notes_repo(tmp_path: Path) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "community"
    (repo / "meeting-notes").mkdir(parents=True)
    (repo / "meeting-notes" / "2026-03-05-harbor-sync.md").write_text(NOTE, encoding="utf-8")
    (repo / "meeting-notes" / "harbor-retro.md").write_text(UNDATED_NOTE, encoding="utf-8")
    (repo / "README.md").write_text("# not a note\n", encoding="utf-8")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.org", "add", ".")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "notes")
    return repo


def test_a_local_git_source_is_reached_and_its_notes_parsed(
    tmp_path: Path, notes_repo: Path
) -> None:
    source = (
        '[[sources]]\nname = "community"\nkind = "git"\nurl = "community"\n'
        'glob = ["meeting-notes/**/*.md"]\n'
    )
    results = by_name(run_doctor(project(tmp_path, source=source)))
    assert results["source community"].ok
    assert results["source community"].detail == f"git {notes_repo}: reachable"
    notes = results["source community notes"]
    assert notes.ok
    assert notes.detail == (
        '2 note(s) match "meeting-notes/**/*.md", 2 meeting(s), 1 without a date in the note '
        "(dated by their commit or file time)"
    )


def test_an_unreachable_git_source_fails(tmp_path: Path) -> None:
    source = '[[sources]]\nname = "community"\nkind = "git"\nurl = "no-such-repo"\n'
    result = by_name(run_doctor(project(tmp_path, source=source)))["source community"]
    assert not result.ok
    assert result.detail.startswith(f"git {tmp_path / 'no-such-repo'}: cannot be reached (")
    assert "check [[sources]] url" in result.fix


def test_a_glob_that_matches_nothing_fails(tmp_path: Path) -> None:
    source = '[[sources]]\nname = "harbor"\nkind = "dir"\npath = "notes"\nglob = ["*.txt"]\n'
    result = by_name(run_doctor(project(tmp_path, source=source)))["source harbor notes"]
    assert (result.ok, result.detail) == (False, 'no file matches glob "*.txt"')


# ---- doctor lists notes as `digest sync` reads them ------------------------------------


def doctor_and_sync(config: Path) -> tuple[dict[str, CheckResult], SyncReport]:
    """Doctor's checks, then what a sync of the same config reads."""
    results = by_name(run_doctor(config))
    setup_logging(0, io.StringIO())  # a CliRunner of an earlier test may own the stream
    cfg = load_config(config)
    report = sync(cfg, open_db(cfg.db_path))
    return results, report


def dir_source(glob: str) -> str:
    return f'[[sources]]\nname = "harbor"\nkind = "dir"\npath = "notes"\nglob = ["{glob}"]\n'


def test_a_star_crosses_folders_for_doctor_as_for_sync(tmp_path: Path) -> None:
    config = project(tmp_path, source=dir_source("notes/*.md"))
    nested = tmp_path / "notes" / "notes" / "2024"
    nested.mkdir(parents=True)
    (nested / "2024-05-02-harbor-sync.md").write_text(
        NOTE.replace("2026-03-05", "2024-05-02"), encoding="utf-8"
    )
    results, report = doctor_and_sync(config)
    assert report.new_notes == 1
    notes = results["source harbor notes"]
    assert (notes.ok, notes.detail) == (True, '1 note(s) match "notes/*.md", 1 meeting(s)')


def test_hidden_folders_are_skipped_by_doctor_as_by_sync(tmp_path: Path) -> None:
    config = project(tmp_path, source=dir_source("**/*.md"))
    trash = tmp_path / "notes" / ".trash"
    trash.mkdir()
    (trash / "2026-02-05-harbor-sync.md").write_text(NOTE, encoding="utf-8")
    results, report = doctor_and_sync(config)
    assert report.new_notes == 1
    assert results["source harbor notes"].detail == '1 note(s) match "**/*.md", 1 meeting(s)'


def test_a_file_sync_cannot_decode_is_not_counted_as_a_note(tmp_path: Path) -> None:
    config = project(tmp_path)
    (tmp_path / "notes" / "2026-03-12-latin1.md").write_bytes(
        "# 2026-03-12 Caf\xe9\n".encode("latin-1")
    )
    results, report = doctor_and_sync(config)
    assert report.new_notes == 1
    assert len(report.warnings) == 1
    notes = results["source harbor notes"]
    assert notes.ok
    assert notes.detail == (
        '1 note(s) match "*.md", 1 meeting(s); 1 file(s) skipped, as sync skips them: '
        + report.warnings[0]
    )


def test_undated_notes_are_counted_as_sync_warns_about_them(
    tmp_path: Path, notes_repo: Path
) -> None:
    (notes_repo / "meeting-notes" / "harbor-ideas.md").write_text(
        UNDATED_NOTE.replace("logo", "mascot"), encoding="utf-8"
    )
    git(notes_repo, "add", ".")
    git(notes_repo, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "more")
    source = (
        '[[sources]]\nname = "community"\nkind = "git"\nurl = "community"\n'
        'glob = ["meeting-notes/*.md"]\n'
    )
    results, report = doctor_and_sync(project(tmp_path, source=source))
    undated = [w for w in report.warnings if "no date in the headings" in w]
    assert len(undated) == 2
    assert results["source community notes"].detail == (
        '3 note(s) match "meeting-notes/*.md", 3 meeting(s), 2 without a date in the note '
        "(dated by their commit or file time)"
    )
    assert report.new_notes == 3


def test_a_git_bundle_is_listed_like_sync_reads_it(tmp_path: Path, notes_repo: Path) -> None:
    bundle = tmp_path / "community.bundle"
    git(notes_repo, "bundle", "create", str(bundle), "--all")
    source = (
        '[[sources]]\nname = "community"\nkind = "git"\nurl = "community.bundle"\n'
        'glob = ["meeting-notes/*.md"]\n'
    )
    results, report = doctor_and_sync(project(tmp_path, source=source))
    assert results["source community"].ok
    notes = results["source community notes"]
    assert notes.ok, notes.detail
    assert notes.detail.startswith('2 note(s) match "meeting-notes/*.md", 2 meeting(s)')
    assert report.new_notes == 2


@pytest.mark.corpus
def test_doctor_passes_on_the_falco_bundle_and_counts_what_sync_reads(
    tmp_path: Path, falco_bundle: Path
) -> None:
    source = f'[[sources]]\nname = "falco"\nkind = "git"\nurl = "{falco_bundle}"\n'
    config = project(tmp_path, source=source)
    result = CliRunner().invoke(app, ["--config", str(config), "doctor"])
    assert result.exit_code == 0, result.output
    results, report = doctor_and_sync(config)
    notes = results["source falco notes"].detail
    assert notes.startswith(f"{report.new_notes} note(s) match")
    assert f", {report.meetings} meeting(s)" in notes


def test_host_colon_path_is_a_remote_repository_for_doctor_as_for_sync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_SSH_COMMAND", "false")  # no network: ssh fails at once
    source = '[[sources]]\nname = "community"\nkind = "git"\nurl = "git.example.org:notes"\n'
    config = project(tmp_path, source=source)
    reach = by_name(run_doctor(config))["source community"]
    assert not reach.ok
    assert reach.detail.startswith("git git.example.org:notes: cannot be reached (")
    cfg = load_config(config)
    assert list_notes(cfg, cfg.sources[0]) is None  # never read as a local folder


def test_a_failing_git_command_is_a_failure_not_no_files(
    tmp_path: Path, notes_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: GitRepo, commit: str) -> dict[str, str]:
        raise GitError("fatal: not a tree object")

    monkeypatch.setattr(GitRepo, "tree", broken)
    source = '[[sources]]\nname = "community"\nkind = "git"\nurl = "community"\n'
    notes = by_name(run_doctor(project(tmp_path, source=source)))["source community notes"]
    assert not notes.ok
    assert "git failed in" in notes.detail
    assert notes.detail.endswith("fatal: not a tree object")


# ---- state, templates, secrets -----------------------------------------------------------


def test_a_damaged_state_database_fails(tmp_path: Path) -> None:
    config = project(tmp_path)
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "state.db").write_bytes(b"this is not SQLite" * 100)
    state = by_name(run_doctor(config))["state"]
    assert not state.ok
    assert "cannot be read as SQLite" in state.detail


def test_a_state_database_from_a_newer_digest_fails(tmp_path: Path) -> None:
    config = project(tmp_path)
    (tmp_path / "state").mkdir()
    with sqlite3.connect(tmp_path / "state" / "state.db") as conn:
        conn.execute("PRAGMA user_version = 999")
    state = by_name(run_doctor(config))["state"]
    assert (state.ok, state.fix) == (False, "upgrade notes-digest.")


def test_a_current_state_database_passes(tmp_path: Path) -> None:
    from digest.state.db import SCHEMA_VERSION, open_db

    config = project(tmp_path)
    open_db(tmp_path / "state" / "state.db").conn.close()
    state = by_name(run_doctor(config))["state"]
    assert state.ok
    assert state.detail.endswith(f"integrity ok, schema version {SCHEMA_VERSION} (latest)")


def test_a_broken_template_fails(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(package_templates_dir(), templates)
    config = project(tmp_path, digest='templates_dir = "templates"\n')
    assert by_name(run_doctor(config))["templates"].ok
    (templates / "subject.j2").write_text("{% if %}", encoding="utf-8")
    result = by_name(run_doctor(config))
    assert not result["templates"].ok
    assert result["templates"].detail.startswith("templates: a sample digest does not render (")


def test_subscribers_need_a_long_enough_token_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    extra = 'subscribers = true\nunsubscribe_mailto = "leave@harbor.example.org"\n'
    config = project(tmp_path, extra)
    assert not by_name(run_doctor(config))["secret"].ok
    monkeypatch.setenv("DIGEST_SECRET", "short")
    secret = by_name(run_doctor(config))["secret"]
    assert (secret.ok, secret.detail) == (
        False,
        "the unsubscribe-link secret is only 5 characters long",
    )
    monkeypatch.setenv("DIGEST_SECRET", "f" * 64)
    assert by_name(run_doctor(config))["secret"].ok


def test_nobody_to_mail_fails(tmp_path: Path) -> None:
    config = project(tmp_path)
    text = config.read_text(encoding="utf-8").replace(
        'list_address = "harbor-dev@lists.example.org"\n', ""
    )
    config.write_text(text, encoding="utf-8")
    recipients = by_name(run_doctor(config))["recipients"]
    assert not recipients.ok
    assert "a digest would reach nobody" in recipients.detail


# ---- the From: domain: SPF, DMARC, DKIM and one-click --------------------------------


def fake_dns(records: dict[str, list[str]]) -> Callable[[str], list[str] | None]:
    """A DNS of our own: the tests never ask the internet's."""
    return lambda name: records.get(name, [])


def public_sender(tmp_path: Path, extra: str = "") -> Path:
    config = project(tmp_path, extra)
    text = config.read_text(encoding="utf-8").replace("harbor.example.org>", "harbor.dev>")
    config.write_text(text, encoding="utf-8")
    return config


def test_a_sender_domain_with_spf_and_dmarc_passes(tmp_path: Path) -> None:
    dns = fake_dns(
        {
            "harbor.dev": ["v=spf1 include:_spf.mail.example -all", "some-verification=x"],
            "_dmarc.harbor.dev": ["v=DMARC1; p=none; rua=mailto:d@harbor.dev"],
        }
    )
    results = by_name(run_doctor(public_sender(tmp_path), lookup=dns))
    assert results["sender harbor.dev SPF"].ok
    assert results["sender harbor.dev SPF"].detail.startswith("v=spf1 include:")
    assert results["sender harbor.dev DMARC"].lines() == ["PASS sender harbor.dev DMARC: p=none"]


def test_missing_spf_fails_and_missing_dmarc_fails_for_subscribers(tmp_path: Path) -> None:
    config = public_sender(tmp_path, 'subscribers = true\n[web]\nbase_url = "https://h.dev/"\n')
    results = by_name(run_doctor(config, lookup=fake_dns({})))
    spf, dmarc = results["sender harbor.dev SPF"], results["sender harbor.dev DMARC"]
    assert not spf.ok and "publishes no SPF record" in spf.detail
    assert "v=spf1" in spf.fix
    assert not dmarc.ok and "Gmail and Yahoo require one" in dmarc.detail


def test_dmarc_reject_warns_that_lists_rewrite_the_sender(tmp_path: Path) -> None:
    dns = fake_dns({"harbor.dev": ["v=spf1 -all"], "_dmarc.harbor.dev": ["v=DMARC1; p=reject"]})
    dmarc = by_name(run_doctor(public_sender(tmp_path), lookup=dns))["sender harbor.dev DMARC"]
    assert dmarc.ok and dmarc.note == "WARN"
    assert "Mailman rewrite" in dmarc.detail
    assert dmarc.lines()[0].startswith("WARN sender harbor.dev DMARC: p=reject")
    assert dmarc.lines()[1].startswith("     fix: ")


def test_a_mailbox_provider_sender_fails(tmp_path: Path) -> None:
    config = project(tmp_path)
    text = config.read_text(encoding="utf-8").replace("digest@harbor.example.org", "me@gmail.com")
    config.write_text(text, encoding="utf-8")
    sender = by_name(run_doctor(config, lookup=fake_dns({})))["sender gmail.com"]
    assert not sender.ok and "a mailbox provider" in sender.detail


def test_offline_the_dns_checks_are_skipped(tmp_path: Path) -> None:
    results = run_doctor(public_sender(tmp_path), lookup=lambda name: None)
    (sender,) = [r for r in results if r.name.startswith("sender")]
    assert sender.ok and sender.note == "SKIP" and "DNS cannot be reached" in sender.detail


def test_dkim_key_and_alignment_are_checked(tmp_path: Path) -> None:
    extra = '[dkim]\ndomain = "mail.other.dev"\nselector = "d1"\n'
    dns = fake_dns({"harbor.dev": ["v=spf1 -all"], "_dmarc.harbor.dev": ["v=DMARC1; p=none"]})
    results = [r for r in run_doctor(public_sender(tmp_path, extra), lookup=dns)]
    dkim = [r for r in results if r.name == "sender harbor.dev DKIM"]
    assert [r.ok for r in dkim] == [False, False]
    assert "no DKIM key is published at d1._domainkey.mail.other.dev" in dkim[0].detail
    assert "not aligned" in dkim[1].detail


def test_subscribers_need_an_https_one_click_link(tmp_path: Path) -> None:
    mailto_only = 'subscribers = true\nunsubscribe_mailto = "leave@harbor.example.org"\n'
    recipients = by_name(run_doctor(project(tmp_path, mailto_only)))["recipients"]
    assert not recipients.ok
    assert "only unsubscribe_mailto, which nothing reads" in recipients.detail
    assert "[web] base_url" in recipients.fix
    served = mailto_only + '[web]\nbase_url = "https://digest.harbor.example.org/"\n'
    assert by_name(run_doctor(project(tmp_path, served)))["recipients"].ok
