"""`digest subscribers ...` and `digest unsubscribe`, through the real CLI and state DB."""

from __future__ import annotations

from pathlib import Path

import pytest
from notes_project import SECRET, make_project, run_digest

from digest.mail.tokens import make_token
from digest.state.subscribers import normalize_address, parse_subscriber_csv, split_name


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DIGEST_SECRET", SECRET)
    return make_project(tmp_path)


def _listed(config: Path, *args: str) -> list[list[str]]:
    run = run_digest(config, "subscribers", "list", *args)
    assert run.code == 0, run.err
    return [line.split("\t") for line in run.out.splitlines()]


def test_add_normalizes_and_treats_case_as_the_same_address(config: Path) -> None:
    assert run_digest(
        config, "subscribers", "add", " Alice@Example.ORG ", "--name", "Alice"
    ).out == ("alice@example.org: added.\n")
    assert run_digest(config, "subscribers", "add", "ALICE@example.org").out == (
        "alice@example.org: unchanged.\n"
    )
    assert _listed(config) == [["alice@example.org", "Alice", "active"]]


def test_internationalized_domains_are_stored_in_ascii(config: Path) -> None:
    assert run_digest(config, "subscribers", "add", "zoë@bücher.example").code == 1
    assert run_digest(config, "subscribers", "add", "zoe@bücher.example").out == (
        "zoe@xn--bcher-kva.example: added.\n"
    )


def test_addresses_on_an_internal_relay_are_accepted(config: Path) -> None:
    for address in ("Ops@LocalHost", "team@corp.local", "list@digest.test"):
        assert run_digest(config, "subscribers", "add", address).code == 0
    assert [row[0] for row in _listed(config)] == [
        "list@digest.test",
        "ops@localhost",
        "team@corp.local",
    ]


def test_an_invalid_address_is_one_sentence(config: Path) -> None:
    run = run_digest(config, "subscribers", "add", "bob@")
    assert run.code == 1
    assert run.err.startswith("digest: 'bob@' is not a valid address (")
    assert run.err.endswith(").")
    assert _listed(config) == []


def test_remove_forgets_and_says_when_there_is_no_such_subscriber(config: Path) -> None:
    run_digest(config, "subscribers", "add", "bob@example.org")
    assert run_digest(config, "subscribers", "remove", "BOB@example.org").out == (
        "bob@example.org: removed.\n"
    )
    run = run_digest(config, "subscribers", "remove", "bob@example.org")
    assert run.code == 1
    assert run.err == (
        "digest: bob@example.org is not a subscriber; `digest subscribers list` shows them."
    )


def test_list_filters_by_status(config: Path) -> None:
    for address in ("a@example.org", "b@example.org", "c@example.org"):
        run_digest(config, "subscribers", "add", address)
    run_digest(config, "unsubscribe", "b@example.org")
    assert [row[0] for row in _listed(config, "--status", "active")] == [
        "a@example.org",
        "c@example.org",
    ]
    assert _listed(config, "--status", "unsubscribed") == [["b@example.org", "", "unsubscribed"]]


CSV = """\
address,name,status
dana@example.org,Dana,
Omar@Example.org,Omar,active
not-an-address,Nobody,
lin@example.org,Lin,vanished
kim@example.org,Kim,bounced
dana@example.org,Dana K.,
"""


def test_import_reports_each_bad_row_by_line_and_imports_the_rest(
    config: Path, tmp_path: Path
) -> None:
    csv_file = tmp_path / "people.csv"
    csv_file.write_text(CSV, encoding="utf-8")
    run = run_digest(config, "subscribers", "import", str(csv_file))
    assert run.code == 1  # something was skipped: say so to scripts too
    assert run.out == f"{csv_file}: added 3, updated 1, unchanged 0, invalid 2.\n"
    assert f"{csv_file}:4: 'not-an-address' is not a valid address (" in run.err
    assert (
        f"{csv_file}:5: unknown status 'vanished' (active, unsubscribed, bounced); skipped."
        in run.err
    )
    assert _listed(config) == [
        ["dana@example.org", "Dana K.", "active"],
        ["kim@example.org", "Kim", "bounced"],
        ["omar@example.org", "Omar", "active"],
    ]


def test_reimporting_an_old_list_does_not_undo_an_unsubscription(
    config: Path, tmp_path: Path
) -> None:
    csv_file = tmp_path / "old.csv"
    csv_file.write_text("dana@example.org\nomar@example.org,Omar\n", encoding="utf-8")
    assert run_digest(config, "subscribers", "import", str(csv_file)).code == 0
    run_digest(config, "unsubscribe", "dana@example.org")
    run = run_digest(config, "subscribers", "import", str(csv_file))
    assert run.out == f"{csv_file}: added 0, updated 0, unchanged 2, invalid 0.\n"
    assert _listed(config, "--status", "unsubscribed") == [["dana@example.org", "", "unsubscribed"]]


def test_an_empty_name_cell_keeps_the_stored_name(config: Path, tmp_path: Path) -> None:
    run_digest(config, "subscribers", "add", "ana@example.org", "--name", "Ana")
    csv_file = tmp_path / "statuses.csv"
    csv_file.write_text("address,name,status\nana@example.org,,unsubscribed\n", encoding="utf-8")
    assert run_digest(config, "subscribers", "import", str(csv_file)).code == 0
    assert _listed(config, "--status", "unsubscribed") == [
        ["ana@example.org", "Ana", "unsubscribed"]
    ]


def test_export_writes_csv_that_imports_back(config: Path, tmp_path: Path) -> None:
    run_digest(config, "subscribers", "add", "ann@example.org", "--name", "Ann, PhD")
    run_digest(config, "subscribers", "add", "ben@example.org")
    run_digest(config, "unsubscribe", "ben@example.org")
    exported = run_digest(config, "subscribers", "export").out
    assert exported == (
        'address,name,status\nann@example.org,"Ann, PhD",active\nben@example.org,,unsubscribed\n'
    )
    other = make_project(tmp_path / "other")
    (tmp_path / "export.csv").write_text(exported, encoding="utf-8")
    assert run_digest(other, "subscribers", "import", str(tmp_path / "export.csv")).code == 0
    assert run_digest(other, "subscribers", "export").out == exported


def test_unsubscribe_by_token_or_by_the_whole_link(config: Path) -> None:
    run_digest(config, "subscribers", "add", "ann@example.org")
    run_digest(config, "subscribers", "add", "ben@example.org")
    token = make_token("ann@example.org", SECRET)
    assert run_digest(config, "unsubscribe", token).out == "ann@example.org: unsubscribed.\n"
    link = (
        f"https://quillwort.example.org/unsubscribe?token={make_token('ben@example.org', SECRET)}"
    )
    assert run_digest(config, "unsubscribe", link).out == "ben@example.org: unsubscribed.\n"
    assert run_digest(config, "unsubscribe", token).out == (
        "ann@example.org: was already unsubscribed.\n"
    )
    assert _listed(config, "--status", "active") == []


def test_a_forged_token_changes_nothing(config: Path) -> None:
    run_digest(config, "subscribers", "add", "ann@example.org")
    forged = make_token("ann@example.org", "someone-elses-secret")
    run = run_digest(config, "unsubscribe", forged)
    assert run.code == 1
    assert run.err == (
        "digest: this unsubscribe token is not valid: it was cut short, changed, signed "
        "with another secret, or its subscriber was removed."
    )
    assert _listed(config) == [["ann@example.org", "", "active"]]


def test_unsubscribing_someone_unknown_records_them_so_an_import_cannot_add_them(
    config: Path, tmp_path: Path
) -> None:
    assert run_digest(config, "unsubscribe", "eve@example.org").out == (
        "eve@example.org: unsubscribed.\n"
    )
    (tmp_path / "list.csv").write_text("eve@example.org\n", encoding="utf-8")
    run_digest(config, "subscribers", "import", str(tmp_path / "list.csv"))
    assert _listed(config) == [["eve@example.org", "", "unsubscribed"]]


def test_csv_parsing_is_pure_and_header_optional() -> None:
    rows, invalid = parse_subscriber_csv("# exported 2026-11\nann@example.org,Ann\n\n,\nbad\n")
    assert [(r.line, r.address, r.name, r.status) for r in rows] == [
        (2, "ann@example.org", "Ann", None)
    ]
    assert [line for line, _ in invalid] == [5]
    assert normalize_address("  Ann@EXAMPLE.org ") == "ann@example.org"


# ---- typos and "Name <addr>" --------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "meant"),
    [
        ("bob@gmailcom", "bob@gmail.com"),
        ("bob@gmail.con", "bob@gmail.com"),
        ("bob@gmial.com", "bob@gmail.com"),
        ("bob@hotmai.co", "bob@hotmail.com"),
        ("bob@example.con", "bob@example.com"),
        ("bob@example.ogr", "bob@example.org"),
    ],
)
def test_a_likely_typo_is_added_with_a_warning(config: Path, address: str, meant: str) -> None:
    """It would hard-bounce every month; but only the reader's server knows for sure."""
    run = run_digest(config, "subscribers", "add", address)
    assert run.code == 0 and run.out == f"{address}: added.\n"
    assert run.err == (
        f"warning: {address} looks like a typo of {meant} (added anyway; "
        f"`digest subscribers remove {address}` takes it back).\n"
    )
    assert _listed(config) == [[address, "", "active"]]


def test_a_domain_without_a_dot_is_warned_about_but_localhost_is_not(config: Path) -> None:
    run = run_digest(config, "subscribers", "add", "ops@intranet")
    assert run.code == 0
    assert "ops@intranet has no dot in its domain 'intranet'" in run.err
    assert run_digest(config, "subscribers", "add", "ops@localhost").err == ""


@pytest.mark.parametrize(
    "address",
    ["ana@gmail.com", "ana@yahoo.fr", "ana@live.com", "ana@mail.example.org", "ana@gmx.de"],
)
def test_real_domains_get_no_warning(config: Path, address: str) -> None:
    assert run_digest(config, "subscribers", "add", address).err == ""


def test_add_reads_name_and_address_written_together(config: Path) -> None:
    assert run_digest(config, "subscribers", "add", "Ana Lima <Ana@Example.org>").out == (
        "ana@example.org: added.\n"
    )
    run_digest(config, "subscribers", "add", '"Lima, Bo" <bo@example.org>', "--name", "Bo")
    assert _listed(config) == [
        ["ana@example.org", "Ana Lima", "active"],
        ["bo@example.org", "Bo", "active"],  # --name wins
    ]


def test_import_reads_name_and_address_cells_and_warns_on_typos(
    config: Path, tmp_path: Path
) -> None:
    """What address-book and mailing-list exports contain: "Name <addr>" cells."""
    csv_file = tmp_path / "export.csv"
    csv_file.write_text(
        "email,name\n"
        "Bob Stone <bob@example.org>,\n"
        '"Lima, Ana" <ana@example.org>,Ana\n'
        "<cy@example.org>,\n"
        "Dee <dee@gmail.con>,\n"
        "Eve <eve@>,\n",
        encoding="utf-8",
    )
    run = run_digest(config, "subscribers", "import", str(csv_file))
    assert run.out == f"{csv_file}: added 4, updated 0, unchanged 0, invalid 1.\n"
    assert f"{csv_file}:6: 'Eve <eve@>' is not a valid address (" in run.err
    assert (
        f"{csv_file}:5: dee@gmail.con looks like a typo of dee@gmail.com; imported anyway."
        in run.err
    )
    assert _listed(config) == [
        ["ana@example.org", "Ana", "active"],
        ["bob@example.org", "Bob Stone", "active"],
        ["cy@example.org", "", "active"],
        ["dee@gmail.con", "Dee", "active"],
    ]


def test_split_name_is_the_standard_parser_with_one_reader_per_cell() -> None:
    assert split_name("Ana Lima <ana@example.org>") == ("Ana Lima", "ana@example.org")
    assert split_name('"Lima, Ana" <ana@example.org>') == ("Lima, Ana", "ana@example.org")
    assert split_name("Lima, Ana <ana@example.org>") == ("Lima, Ana", "ana@example.org")
    assert split_name(" ana@example.org ") == (None, "ana@example.org")
    assert split_name("Eve <eve@>") == (None, "Eve <eve@>")  # as written, for the error
