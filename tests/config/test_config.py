"""Every config mistake ends in one exact sentence naming file, table, key and expectation."""

from __future__ import annotations

import email.utils
import subprocess
import sys
from pathlib import Path

import email_validator
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digest.config.load import (
    NAMED_ADDRESS,
    PLAIN_ADDRESS,
    is_plain_address,
    load_config,
)
from digest.config.schema import ConfigError

SOURCE = '[[sources]]\nname = "core"\nkind = "dir"\npath = "notes"\n'


def write(tmp_path: Path, text: str, *, with_source: bool = True) -> Path:
    path = tmp_path / "config.toml"
    path.write_text((SOURCE if with_source else "") + text, encoding="utf-8")
    return path


def error_of(tmp_path: Path, text: str, *, with_source: bool = True) -> str:
    path = write(tmp_path, text, with_source=with_source)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return str(info.value).replace(str(path), "config.toml")


def warnings_of(tmp_path: Path, text: str, *, with_source: bool = True) -> list[str]:
    path = write(tmp_path, text, with_source=with_source)
    return [w.replace(str(path), "config.toml") for w in load_config(path).warnings]


# ---- what loads -------------------------------------------------------------------


def test_the_embedded_default_config_loads_without_warnings() -> None:
    cfg = load_config(Path(__file__).resolve().parents[2] / "config.toml")
    assert cfg.warnings == []
    assert cfg.sources[0].name == "lanternfish"
    assert cfg.mail.transport == "outbox"


def test_values_arrive_typed_and_defaults_fill_the_rest(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[smtp]\nport = 2525\ntimeout = 10\nverify = false\n[mail]\nfrom = "Digest <d@x.org>"\n'
        'list_address = "dev@lists.x.org"\n[tracking]\ndone_words = ["shipped"]\n',
    )
    cfg = load_config(path)
    assert cfg.smtp.port == 2525
    assert cfg.smtp.timeout == 10.0 and isinstance(cfg.smtp.timeout, float)
    assert cfg.smtp.verify is False
    assert cfg.mail.sender == "Digest <d@x.org>"
    assert cfg.tracking.done_words == ["shipped"]
    assert cfg.smtp.security == "starttls"
    assert cfg.schedule.skip_if_no_new_notes is True
    assert cfg.warnings == []


def test_a_single_glob_string_is_a_list_of_one(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, 'glob = "meeting-notes/*.md"\n'))
    assert cfg.sources[0].glob == ["meeting-notes/*.md"]


def test_a_source_without_a_name_is_named_after_its_location(tmp_path: Path) -> None:
    path = write(
        tmp_path, '[[sources]]\nkind = "git"\nurl = "https://example.org/acme/community.git"\n'
    )
    cfg = load_config(path)
    assert [s.name for s in cfg.sources] == ["core", "community"]


def test_state_dir_follows_systemd_then_xdg(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = load_config(write(tmp_path, ""))
    monkeypatch.setenv("STATE_DIRECTORY", "/var/lib/notes-digest:/var/lib/other")
    assert cfg.state_dir == Path("/var/lib/notes-digest")
    monkeypatch.delenv("STATE_DIRECTORY")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert cfg.db_path == tmp_path / "xdg" / "notes-digest" / "state.db"
    cfg = load_config(write(tmp_path, '[digest]\nstate_dir = "here"\n'))
    assert cfg.state_dir == tmp_path / "here"


# ---- one test per kind of key -----------------------------------------------------


def test_string_key(tmp_path: Path) -> None:
    assert error_of(tmp_path, "[digest]\ntitle = 5\n") == (
        "config.toml: [digest] title must be a string, got 5."
    )


def test_integer_key(tmp_path: Path) -> None:
    assert error_of(tmp_path, '[smtp]\nport = "abc"\n') == (
        'config.toml: [smtp] port must be an integer, got "abc".'
    )


def test_integer_key_refuses_a_boolean(tmp_path: Path) -> None:
    assert error_of(tmp_path, "[tracking]\nquiet_after = true\n") == (
        "config.toml: [tracking] quiet_after must be an integer, got true."
    )


def test_integer_range(tmp_path: Path) -> None:
    assert error_of(tmp_path, "[smtp]\nport = 70000\n") == (
        "config.toml: [smtp] port must be between 1 and 65535 (or 0 for the usual port of "
        "the security mode), got 70000."
    )


def test_float_key(tmp_path: Path) -> None:
    assert error_of(tmp_path, '[smtp]\nmax_per_second = "fast"\n') == (
        'config.toml: [smtp] max_per_second must be a number, got "fast".'
    )


def test_bool_key(tmp_path: Path) -> None:
    assert error_of(tmp_path, '[schedule]\nskip_if_no_new_notes = "yes"\n') == (
        'config.toml: [schedule] skip_if_no_new_notes must be true or false, got "yes".'
    )


def test_list_key(tmp_path: Path) -> None:
    assert error_of(tmp_path, "[tracking]\ndone_words = 3\n") == (
        "config.toml: [tracking] done_words must be a list, got 3."
    )


def test_list_element(tmp_path: Path) -> None:
    assert error_of(tmp_path, '[tracking]\ndone_words = ["shipped", 3]\n') == (
        "config.toml: [tracking] done_words must be a list of strings, got 3 in it."
    )


def test_enum_key(tmp_path: Path) -> None:
    assert error_of(tmp_path, '[smtp]\nsecurity = "ssl"\n') == (
        'config.toml: [smtp] security must be one of "starttls", "tls", "none", got "ssl".'
    )


def test_enum_key_in_a_source(tmp_path: Path) -> None:
    text = '[[sources]]\nkind = "svn"\nurl = "x"\n'
    assert error_of(tmp_path, text, with_source=False) == (
        'config.toml: [[sources]] #1 kind must be one of "git", "dir", "feed", got "svn".'
    )


def test_table_that_is_not_a_table(tmp_path: Path) -> None:
    assert error_of(tmp_path, 'smtp = "localhost"\n', with_source=False) == (
        'config.toml: [smtp] must be a table, got "localhost".'
    )


def test_sources_that_are_not_an_array_of_tables(tmp_path: Path) -> None:
    assert error_of(tmp_path, '[sources]\nkind = "dir"\n', with_source=False) == (
        "config.toml: sources must be written as [[sources]] tables."
    )


def test_unknown_key_is_a_warning_with_the_closest_valid_key(tmp_path: Path) -> None:
    assert warnings_of(tmp_path, "[smtp]\nprot = 25\n") == [
        "config.toml: [smtp] unknown key prot; did you mean port?"
    ]


def test_unknown_key_in_a_source_and_an_unknown_table(tmp_path: Path) -> None:
    text = 'globs = ["*.md"]\n[shedule]\nstart = "2026-01"\n'
    assert warnings_of(tmp_path, text) == [
        "config.toml: unknown key shedule; did you mean schedule?",
        "config.toml: [[sources]] #1 unknown key globs; did you mean glob?",
    ]


def test_unknown_key_far_from_any_gets_no_guess(tmp_path: Path) -> None:
    assert warnings_of(tmp_path, "[mail]\nzzz = 1\n") == ["config.toml: [mail] unknown key zzz"]


def test_toml_key_from_is_suggested_by_its_toml_name(tmp_path: Path) -> None:
    assert warnings_of(tmp_path, '[mail]\nfrm = "a@b.org"\nlist_address = "l@b.org"\n') == [
        "config.toml: [mail] unknown key frm; did you mean from?"
    ]


SECRET_SENTENCE = (
    "looks like a secret; secrets never go in the config file: set DIGEST_SMTP_PASSWORD / "
    "DIGEST_SECRET in the environment or use a credentials file (password_file, secret_file, "
    "$CREDENTIALS_DIRECTORY)."
)


def test_a_password_in_the_config_is_refused(tmp_path: Path) -> None:
    assert error_of(tmp_path, '[smtp]\nusername = "me"\npassword = "hunter2"\n') == (
        f"config.toml: [smtp] password {SECRET_SENTENCE}"
    )


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('password = "x"\n', "password"),
        ('[auth]\ntoken = "x"\n', "[auth] token"),
        ('[smtp.extra]\nsmtp_password = "x"\n', "[smtp.extra] smtp_password"),
        ('[[sources]]\nkind = "feed"\nurl = "f.xml"\napi_key = "x"\n', "[[sources]] #1 api_key"),
    ],
)
def test_a_secret_is_refused_anywhere(tmp_path: Path, text: str, where: str) -> None:
    assert error_of(tmp_path, text, with_source=False) == f"config.toml: {where} {SECRET_SENTENCE}"


def test_missing_required_key(tmp_path: Path) -> None:
    text = '[[sources]]\nname = "core"\nkind = "git"\n'
    assert error_of(tmp_path, text, with_source=False) == (
        'config.toml: [[sources]] #1 kind = "git" needs url = "...".'
    )


def test_missing_sources_is_a_warning(tmp_path: Path) -> None:
    assert warnings_of(tmp_path, "", with_source=False) == [
        "config.toml: no [[sources]] table, so there are no notes to read; add one "
        '(kind = "git", "dir" or "feed")'
    ]


def test_bad_toml_names_the_line(tmp_path: Path) -> None:
    assert error_of(tmp_path, '[smtp]\nhost = "a"\nport 25\n') == (
        "config.toml, line 7, column 6: not valid TOML "
        "(expected '=' after a key in a key/value pair)."
    )


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.toml"
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == (
        f"{path}: no such file; write one with `digest init` or pass --config PATH."
    )


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b'[digest]\ntitle = "caf\xe9"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == f"{path}: is not UTF-8 text."


# ---- values checked beyond their type -------------------------------------------


def test_sender_address(tmp_path: Path) -> None:
    assert error_of(tmp_path, '[mail]\nfrom = "Digest <digest@example..org>"\n') == (
        "config.toml: [mail] from is not a valid address (an email address cannot have two "
        'periods in a row), got "Digest <digest@example..org>".'
    )


def test_list_address_must_be_one_address(tmp_path: Path) -> None:
    assert error_of(tmp_path, '[mail]\nlist_address = "a@x.org, b@x.org"\n') == (
        "config.toml: [mail] list_address is not one address like name@example.org, got "
        '"a@x.org, b@x.org".'
    )


@settings(max_examples=300)
@given(st.from_regex(PLAIN_ADDRESS, fullmatch=True))
def test_an_address_judged_without_email_validator_is_one_it_accepts(address: str) -> None:
    """Everyday addresses are accepted without loading email-validator (start-up): the
    shortcut must never let through an address email-validator would refuse."""
    if is_plain_address(address):
        email_validator.validate_email(
            address, check_deliverability=False, globally_deliverable=False
        )


@settings(max_examples=300)
@given(
    st.from_regex(r"[\w' -]*\w", fullmatch=True) | st.none(),
    st.from_regex(PLAIN_ADDRESS, fullmatch=True),
)
def test_an_address_split_without_email_utils_is_the_one_it_finds(
    name: str | None, address: str
) -> None:
    """ "Name <address>" and bare addresses are split by a pattern (start-up): it must
    find the address email.utils finds."""
    text = address if name is None else f"{name} <{address}>"
    found = NAMED_ADDRESS.fullmatch(text)
    assert found is not None
    assert [pair[1] for pair in email.utils.getaddresses([text])] == [found[1] or found[2]]


def test_the_shortcut_leaves_unusual_addresses_to_email_validator() -> None:
    assert is_plain_address("digest@lists.example.org")
    assert is_plain_address("o'brien+news@example.co.uk")
    for address in (
        "digest@localhost",  # no top-level domain
        "ana@xn--bcher-kva.example",  # an IDNA label
        "josé@example.org",  # not ASCII
        '"quoted name"@example.org',
        "a@b-.org",
        "a" * 65 + "@example.org",  # local part over 64 characters
    ):
        assert not is_plain_address(address), address


def test_a_config_of_everyday_addresses_loads_without_email_validator() -> None:
    """Every command loads the config: email-validator costs 0.03-0.045 s to import,
    email.utils 0.015 s."""
    root = Path(__file__).resolve().parents[2]
    script = (
        "import sys; from digest.config.load import load_config; load_config(sys.argv[1]); "
        "print([m for m in ('email_validator', 'email.utils') if m in sys.modules])"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(root / "config.toml")],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert done.stdout.strip() == "[]"


def test_a_local_sender_domain_is_accepted(tmp_path: Path) -> None:
    cfg = load_config(
        write(tmp_path, '[mail]\nfrom = "d <digest@localhost>"\nlist_address = "l@x.org"\n')
    )
    assert cfg.mail.sender == "d <digest@localhost>"


def test_timezone(tmp_path: Path) -> None:
    assert error_of(tmp_path, '[digest]\ntimezone = "Mars/Olympus"\n') == (
        'config.toml: [digest] timezone must be a time zone name like "Europe/Berlin" or '
        '"UTC", got "Mars/Olympus".'
    )


def test_templates_dir_must_exist(tmp_path: Path) -> None:
    assert error_of(tmp_path, '[digest]\ntemplates_dir = "mytemplates"\n') == (
        f'config.toml: [digest] templates_dir "mytemplates" is not a folder '
        f"({tmp_path / 'mytemplates'})."
    )


def test_empty_glob(tmp_path: Path) -> None:
    assert error_of(tmp_path, "glob = []\n") == (
        'config.toml: [[sources]] #1 glob must name at least one pattern, like "**/*.md", '
        "got an empty list."
    )


def test_git_url_scheme(tmp_path: Path) -> None:
    text = '[[sources]]\nkind = "git"\nurl = "ftp://example.org/notes.git"\n'
    assert error_of(tmp_path, text, with_source=False) == (
        "config.toml: [[sources]] #1 url must be a local path or a git URL (https://, ssh://, "
        'git://, file:// or user@host:path), got "ftp://example.org/notes.git".'
    )


def test_git_urls_that_are_fine(tmp_path: Path) -> None:
    urls = ["git@github.com:acme/notes.git", "ssh://git@host/x.git", "../notes", "file:///srv/n"]
    text = "".join(
        f'[[sources]]\nname = "s{i}"\nkind = "git"\nurl = "{u}"\n' for i, u in enumerate(urls)
    )
    assert len(load_config(write(tmp_path, text, with_source=False)).sources) == 4


def test_feed_url_scheme(tmp_path: Path) -> None:
    text = '[[sources]]\nkind = "feed"\nurl = "gopher://x/feed"\n'
    assert error_of(tmp_path, text, with_source=False) == (
        "config.toml: [[sources]] #1 url must be a file path or an http(s) URL, got "
        '"gopher://x/feed".'
    )


def test_web_url_placeholders(tmp_path: Path) -> None:
    assert error_of(tmp_path, 'web_url = "https://x.org/blob/{sha}/{path}#L{line}"\n') == (
        "config.toml: [[sources]] #1 web_url uses {sha}, which is not one of {branch}, "
        "{commit}, {end_line}, {line}, {path}."
    )


def test_repo_names_one_repository(tmp_path: Path) -> None:
    assert error_of(tmp_path, 'repo = "https://github.com/acme/widgets"\n') == (
        'config.toml: [[sources]] #1 repo must name a GitHub repository like "acme/widgets", '
        'got "https://github.com/acme/widgets".'
    )


def test_two_sources_with_one_name(tmp_path: Path) -> None:
    assert error_of(tmp_path, SOURCE) == (
        "config.toml: two [[sources]] share the name 'core'; names must differ."
    )


def test_schedule_start(tmp_path: Path) -> None:
    assert error_of(tmp_path, '[schedule]\nstart = "2026-13"\n') == (
        'config.toml: [schedule] start must be a month like "2026-01", got "2026-13".'
    )
    assert error_of(tmp_path, "[schedule]\nstart = 202601\n") == (
        'config.toml: [schedule] start must be a month like "2026-01", got 202601.'
    )
    cfg = load_config(write(tmp_path, '[schedule]\nstart = "2026-08"\n'))
    assert str(cfg.schedule.start) == "2026-08"


def test_schedule_start_is_read_as_strictly_as_send_reads_it(tmp_path: Path) -> None:
    """ "2026-8" once passed the config check, then `digest send` ended in a traceback."""
    assert error_of(tmp_path, '[schedule]\nstart = "2026-8"\n') == (
        'config.toml: [schedule] start must be a month like "2026-01", got "2026-8".'
    )
    assert error_of(tmp_path, '[schedule]\nstart = "9999-12"\n') == (
        'config.toml: [schedule] start must be a month from 0001-01 to 9998-12, got "9999-12".'
    )


def test_tracking_bounds(tmp_path: Path) -> None:
    assert error_of(tmp_path, "[tracking]\nquiet_after = 4\nforget_after = 3\n") == (
        "config.toml: [tracking] forget_after (3) must not be less than quiet_after (4)."
    )


def test_file_settings_are_relative_to_the_config_file(tmp_path: Path) -> None:
    folder = tmp_path / "etc"
    folder.mkdir()
    path = folder / "config.toml"
    path.write_text(
        '[smtp]\npassword_file = "smtp-password"\nca_file = "ca.pem"\n'
        '[digest]\nsecret_file = "/run/credentials/digest-secret"\n'
        '[mail]\nunsubscribe_mailto = "mailto:leave@example.org"\n'
    )
    cfg = load_config(path)
    assert cfg.smtp.password_file == str(folder / "smtp-password")
    assert cfg.smtp.ca_file == str(folder / "ca.pem")
    assert cfg.digest.secret_file == "/run/credentials/digest-secret"
    # "mailto:" is accepted and dropped, so the header never says mailto:mailto:
    assert cfg.mail.unsubscribe_mailto == "leave@example.org"


def test_a_key_merely_ending_in_pass_is_not_taken_for_a_secret(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[smtp]\nbypass = true\nsmtp_pass = "x"\n')
    with pytest.raises(ConfigError, match=r"\[smtp\] smtp_pass looks like a secret"):
        load_config(path)
    path.write_text("[smtp]\nbypass = true\n")
    assert f"{path}: [smtp] unknown key bypass" in load_config(path).warnings


def test_an_unsubscribe_url_that_is_not_a_web_address_is_one_sentence(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[mail]\nunsubscribe_url = "ftp://example.org/{token}"\n')
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert str(exc.value) == (
        f"{path}: [mail] unsubscribe_url must start with https:// (or http://), got "
        '"ftp://example.org/{token}".'
    )


@pytest.mark.parametrize(
    "text",
    [
        "a = " + "[" * 100_000 + "]" * 100_000 + "\n",  # tomllib: RecursionError
        "a = " + "{b = " * 100_000 + "1" + "}" * 100_000 + "\n",
        "x." * 100_000 + "y = 1\n",  # tomllib: quadratic, tens of GB
        "[" + ".".join(["t"] * 2_000) + "]\nk = 1\n",  # parses; deeper than any walk
        "[" + ".".join(["t"] * 40) + "]\nk = 1\n",
    ],
    ids=["arrays", "inline-tables", "dotted-key", "table-header", "40-deep"],
)
def test_a_file_nested_too_deeply_is_one_sentence(tmp_path: Path, text: str) -> None:
    assert error_of(tmp_path, text) == (
        "config.toml: is nested too deeply to be a config (more than 32 levels of tables, "
        "arrays or dotted keys); a config needs three at most."
    )


def test_ordinary_nesting_and_dotted_values_still_load(tmp_path: Path) -> None:
    text = (
        "[tracking]\nignore = ['" + "a." * 1_500 + "']\n"  # dots in a value are no key
        '[[tracking.series]]\nname = "Docs"\nsections = { agenda = ["x.y.z"] }\n'
    )
    cfg = load_config(write(tmp_path, text))
    assert cfg.tracking.series[0].sections.agenda == ["x.y.z"]


def test_run_timeout_must_be_positive(tmp_path: Path) -> None:
    assert error_of(tmp_path, "[smtp]\nrun_timeout = 0\n") == (
        "config.toml: [smtp] run_timeout must be more than 0 seconds, got 0.0."
    )
    assert load_config(write(tmp_path, "[smtp]\nrun_timeout = 600\n")).smtp.run_timeout == 600.0
