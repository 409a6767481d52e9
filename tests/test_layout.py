"""The tree is the pipeline: each package is a stage, and imports only point down.

Every `import` of every module counts, also those inside functions (the lazy
imports that keep `digest --help` fast) and under `if TYPE_CHECKING:`. The rules
are the table below; each package's docstring says the same in words, and a test
checks that the two agree.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "digest"

# Modules at the top of the package that every layer may use (and `digest` itself,
# which holds only __version__).
BASE = {"digest.errors", "digest.log", "digest.model", "digest.periods"}
# What the pure stages may read: no I/O, no logging set-up, settings as plain values.
PURE = {"digest.errors", "digest.model", "digest.periods", "digest.config.schema"}

# layer -> the modules and packages it may import (a package allows its modules).
RULES: dict[str, set[str]] = {
    "base": BASE,
    "config": BASE | {"digest.config"},
    "notes": PURE | {"digest.notes"},
    "tracking": PURE | {"digest.notes", "digest.tracking"},
    "mail": PURE | {"digest.mail"},
    "sources": BASE | {"digest.config", "digest.sources"},
    "delivery": BASE | {"digest.config", "digest.delivery"},
    "state": BASE | {"digest.config", "digest.state"},
    "app": BASE
    | {
        "digest.config",
        "digest.sources",
        "digest.notes",
        "digest.tracking",
        "digest.mail",
        "digest.delivery",
        "digest.state",
        "digest.app",
    },
    # The command line parses arguments (the config file and --period among them),
    # calls one app function and prints.
    "cli": {
        "digest.app",
        "digest.config.load",
        "digest.config.schema",
        "digest.config.starter",
        "digest.errors",
        "digest.log",
        "digest.periods",
        "digest.cli",
        "digest.launch",
    },
}

# The pure stages run on values: libraries that reach the network, a database, a
# process or the terminal are for the I/O stages and the app.
IO_LIBRARIES = {
    "aiosmtplib",
    "asyncio",
    "fcntl",
    "feedparser",
    "http",
    "rich",
    "shutil",
    "smtplib",
    "socket",
    "sqlite3",
    "sqlite_utils",
    "subprocess",
    "tempfile",
    "urllib.request",
    "webbrowser",
    "wsgiref",
}
PURE_LAYERS = {"notes", "tracking", "mail"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> str:
    if module in ("digest.cli", "digest.launch", "digest.__main__"):
        return "cli"
    parts = module.split(".")
    if len(parts) >= 2 and parts[1] in RULES and parts[1] not in ("base", "cli"):
        return parts[1]
    return "base"


def imports_of(source: str) -> list[tuple[int, str]]:
    """(line, module) of every import in the source, wherever it stands."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "digest":  # `from digest import x` imports digest.x
                found += [(node.lineno, f"digest.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, node.module))
    return found


def _within(module: str, allowed: set[str]) -> bool:
    return any(module == a or module.startswith(a + ".") for a in allowed)


def violations(module: str, source: str) -> list[str]:
    """Why each import of `module` breaks the rules (empty: it keeps them)."""
    layer = layer_of(module)
    out: list[str] = []
    for line, target in imports_of(source):
        if target.split(".")[0] == "digest":
            if target != "digest" and not _within(target, RULES[layer]):
                out.append(f"{module}:{line} imports {target}: {layer} may not import that")
        elif layer in PURE_LAYERS and _within(target, IO_LIBRARIES):
            out.append(f"{module}:{line} imports {target}: {layer} is pure, no I/O libraries")
    return out


def all_modules() -> list[tuple[str, Path]]:
    return sorted((module_name(p), p) for p in PACKAGE.rglob("*.py"))


def test_every_import_points_down() -> None:
    found = [
        problem
        for module, path in all_modules()
        for problem in violations(module, path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_an_upward_import_is_caught_even_inside_a_function() -> None:
    """The checker itself: a pure stage reaching up (lazily) into the state or the app."""
    source = (
        "from digest.model import Item\n"
        "def f():\n"
        "    from digest.state.notes import load_items\n"
        "    import subprocess\n"
        "if True:\n"
        "    from digest.app import send\n"
    )
    assert violations("digest.tracking.threads", source) == [
        "digest.tracking.threads:3 imports digest.state.notes: tracking may not import that",
        "digest.tracking.threads:4 imports subprocess: tracking is pure, no I/O libraries",
        "digest.tracking.threads:6 imports digest.app: tracking may not import that",
    ]
    assert violations("digest.state.ledger", "from digest import app\n") == [
        "digest.state.ledger:1 imports digest.app: state may not import that"
    ]
    assert violations("digest.cli", "from digest.state.db import open_db\n") != []
    assert violations("digest.mail.render", "from digest.config.load import load_config\n")


def test_each_module_belongs_to_a_stage_and_each_stage_says_so() -> None:
    packages = sorted(p.parent for p in PACKAGE.glob("*/__init__.py"))
    assert {p.name for p in packages} == set(RULES) - {"base", "cli"}
    for package in packages:
        doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text("utf-8")))
        assert doc, f"{package.name}/__init__.py has no docstring"
        assert "May import" in doc, f"{package.name}/__init__.py does not say what it may import"


STAGES = ["config", "sources", "notes", "tracking", "mail", "delivery", "state"]


@pytest.mark.parametrize("layer", STAGES)
def test_a_stage_docstring_names_exactly_what_it_may_import(layer: str) -> None:
    doc = importlib.import_module(f"digest.{layer}").__doc__ or ""
    said = doc[doc.index("May import") :]
    named = set(re.findall(r"digest(?:\.\w+)+", said))
    assert named == RULES[layer] - {f"digest.{layer}"}, said
