"""Which paths a source's `glob` selects: one rule for every kind of source.

fnmatch-style on the path relative to the repository root or folder: "*" also
crosses "/" (as in git pathspecs) and "**/" anywhere also matches no folder (as
in gitignore). `digest sync` and `digest doctor` both ask `matches_glob`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from fnmatch import translate
from functools import lru_cache


def glob_variants(pattern: str) -> list[str]:
    """The pattern with each "**/" kept or dropped: "**/" matches zero or more folders.

    fnmatch alone needs at least one "/" where "**/" stands, so "notes/**/*.md" would
    miss "notes/a.md"; gitignore and shell globstar users expect it to match.
    """
    while "**/**/" in pattern:  # the same folders, and keeps the variants few
        pattern = pattern.replace("**/**/", "**/")
    first, *rest = pattern.split("**/")
    variants = [first]
    for part in rest:
        variants = [v + "**/" + part for v in variants] + [v + part for v in variants]
    return list(dict.fromkeys(variants))


def matches_glob(path: str, globs: Sequence[str], exclude: Sequence[str] = ()) -> bool:
    """fnmatch-style, on the source-relative path ("*" also matches "/", as in git).

    "**/" also matches no folder at all, so "**/*.md" takes "notes.md" too and
    "notes/**/*.md" takes "notes/a.md". A path `exclude` matches is never selected
    (a README or a template beside the notes).
    """
    return _matches(path, globs) and not _matches(path, exclude)


def _matches(path: str, globs: Sequence[str]) -> bool:
    pattern = _one_pattern(tuple(globs))
    return pattern is not None and pattern.match(path) is not None


@lru_cache(maxsize=64)
def _one_pattern(globs: tuple[str, ...]) -> re.Pattern[str] | None:
    """Every variant of every glob as one regex (fnmatchcase's own translation): a
    folder of thousands of notes asks it once per file."""
    variants = [translate(v) for pattern in globs for v in glob_variants(pattern)]
    return re.compile("|".join(variants)) if variants else None


def git_pathspecs(globs: Sequence[str]) -> list[str]:
    """Git pathspecs that select at least what `matches_glob` selects (it then filters).

    Git's default pathspecs are fnmatch without FNM_PATHNAME, like ours; only a
    "**/" (which may match no folder) needs its short forms added, and a
    leading ":" (pathspec magic to git) means "let git list everything".
    """
    specs: list[str] = []
    for pattern in globs:
        if pattern.startswith(":"):
            return []
        for spec in glob_variants(pattern):
            if spec and spec not in specs:
                specs.append(spec)
    return specs
