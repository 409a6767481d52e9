"""Untrusted bytes in notes and file names: read as text without terminal escapes or
bidi overrides, and never passed raw to the terminal, the log or the sentence of an error."""

from __future__ import annotations

from pathlib import Path

from notes_project import digest_process as digest
from notes_project import make_project

from digest.log import printable
from digest.sources.base import decode_note

ESC = "\x1b"
RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: "gnp.exe" shows as "exe.png"


def test_decode_note_drops_terminal_controls_and_bidi_overrides_but_keeps_layout() -> None:
    raw = f"# 2026-10-11 Sync {ESC}]0;title\x07\n\n\t- [ ] {ESC}[31mred{ESC}[0m {RLO}gnp.exe\r\n"
    text, problem = decode_note(raw.encode(), max_bytes=10_000)
    assert problem is None
    assert text == "# 2026-10-11 Sync ]0;title\n\n\t- [ ] [31mred[0m gnp.exe\n"


def test_printable_marks_each_control_character() -> None:
    assert printable(f"a{ESC}[2Jb\x07c{RLO}d\te\nf") == "a?[2Jb?c?d\te\nf"


def test_escapes_in_a_note_never_reach_the_terminal(tmp_path: Path) -> None:
    config = make_project(tmp_path)
    (tmp_path / "notes" / "2026-10-20-hostile.md").write_text(
        f"# 2026-10-20 Quillwort Sync {ESC}]0;pwned\x07\n\n## Action items\n\n"
        f"- [ ] [eve] clear the screen {ESC}[2J{ESC}[31m and {RLO}gnp.exe\n",
        encoding="utf-8",
    )
    assert digest(config, "sync").returncode == 0
    for args in (("items",), ("preview", "--period", "2026-10"), ("items", "-f", "json")):
        proc = digest(config, *args)
        assert proc.returncode == 0, proc.stderr
        for controls in (ESC, "\x07", RLO):
            assert controls not in proc.stdout + proc.stderr, args
    proc = digest(config, "items")
    assert "[Quillwort Sync ]0;pwned] [eve] clear the screen [2J[31m and gnp.exe" in proc.stdout
    # The sentence of an error lists series names: no escapes there either.
    proc = digest(config, "preview", "--series", "nomatch")
    assert proc.stderr == (
        "digest: no series matches 'nomatch'; known: Quillwort Sync, Quillwort Sync ]0;pwned.\n"
    )


def test_a_note_dated_in_december_9999_is_a_warning_not_a_crash(tmp_path: Path) -> None:
    """December 9999 has no next month that `date` can hold: the note's date is refused
    where it is read (one warning) and every command still runs."""
    config = make_project(tmp_path)
    (tmp_path / "notes" / "9999-12-02-quillwort-sync.md").write_text(
        "# 9999-12-02 Quillwort Sync\n\n## Action items\n\n- [ ] [omar] plan far ahead\n",
        encoding="utf-8",
    )
    proc = digest(config, "sync")
    assert proc.returncode == 0, proc.stderr
    assert "'9999-12-02', which is not a valid date; ignored." in proc.stderr
    for args in (("preview", "--period", "2026-10"), ("items",), ("send",)):
        proc = digest(config, *args)
        assert proc.returncode == 0, (args, proc.stderr)
        assert "Traceback" not in proc.stderr, args
    proc = digest(config, "preview", "--period", "9999-12")
    assert (proc.returncode, proc.stderr) == (
        1,
        'digest: --period must be a month from 0001-01 to 9998-12, got "9999-12".\n',
    )


def test_a_file_name_with_escapes_is_shown_with_question_marks(tmp_path: Path) -> None:
    config = make_project(tmp_path)
    (tmp_path / "notes" / f"bad{ESC}[31m.md").write_bytes(b"\x00\x01 not text")
    proc = digest(config, "sync")
    assert proc.returncode == 0
    assert (
        'warning: source "quillwort": bad?[31m.md is a binary file (it contains NUL bytes); '
        "skipped.\n"
    ) in proc.stderr
    assert ESC not in proc.stderr
