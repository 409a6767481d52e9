"""The public surface: the modules the docs list, and the entry points they name.

Each package's __all__ is its list of modules and must match both the files on
disk and the tree drawn in docs/explanation/architecture.md, so the documented
layout is the real one. The entry points (the `digest` script, `python -m
digest`, the WSGI factory the docs give to gunicorn) must import and be callable.
"""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import digest

ROOT = Path(__file__).resolve().parents[1]
ARCHITECTURE = (ROOT / "docs" / "explanation" / "architecture.md").read_text(encoding="utf-8")
# Everything a user reads: the README and every page of the docs.
DOCS = "\n".join(
    p.read_text(encoding="utf-8") for p in [ROOT / "README.md", *(ROOT / "docs").rglob("*.md")]
)
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PACKAGES = sorted(p.parent.name for p in (ROOT / "digest").glob("*/__init__.py"))


def docs_tree() -> dict[str, set[str]]:
    """package -> module names, from the docs' drawing of digest/."""
    block = ARCHITECTURE[ARCHITECTURE.index("```\ndigest/\n") :]
    block = block[: block.index("```", 4)]
    tree: dict[str, set[str]] = {}
    current = ""
    for line in block.splitlines()[2:]:
        head = re.match(r"\s+(\w+)/\s", line)
        if head:
            current = head.group(1)
        elif not line.startswith("  " * 6):  # a top-level line, not a continuation
            current = ""
        tree.setdefault(current, set()).update(re.findall(r"(\w+)\.py\b", line))
    return tree


def test_the_package_lists_its_stages_and_ships_them() -> None:
    top = {"__version__", "cli", "errors", "launch", "log", "model", "periods"}
    assert set(digest.__all__) == top | set(PACKAGES)
    shipped = set(PYPROJECT["tool"]["setuptools"]["packages"])
    assert {f"digest.{p}" for p in PACKAGES} <= shipped, "pyproject must ship every package"


@pytest.mark.parametrize("package", PACKAGES)
def test_all_is_the_modules_on_disk_and_in_the_docs(package: str) -> None:
    module = importlib.import_module(f"digest.{package}")
    on_disk = {p.stem for p in (ROOT / "digest" / package).glob("*.py")} - {"__init__"}
    assert set(module.__all__) == on_disk
    assert docs_tree()[package] == on_disk
    for name in module.__all__:
        importlib.import_module(f"digest.{package}.{name}")


def test_the_top_modules_are_in_the_docs_tree() -> None:
    on_disk = {p.stem for p in (ROOT / "digest").glob("*.py")} - {"__init__", "__main__"}
    assert docs_tree()[""] == on_disk


def test_the_version_is_the_projects() -> None:
    assert digest.__version__ == PYPROJECT["project"]["version"]


def test_the_entry_points_import() -> None:
    script = PYPROJECT["project"]["scripts"]["digest"]
    module, _, attr = script.partition(":")
    assert callable(getattr(importlib.import_module(module), attr))
    # The WSGI factory the docs give to gunicorn (and any module:function they name).
    named = set(re.findall(r"`(digest(?:\.\w+)+):(\w+)", DOCS))
    assert ("digest.app.web", "app_from_env") in named
    for module, attr in named:
        assert callable(getattr(importlib.import_module(module), attr)), (module, attr)


def test_module_paths_named_in_the_docs_exist() -> None:
    for path in set(re.findall(r"\bdigest/[\w/]+\.py\b", DOCS)):
        assert (ROOT / path).is_file(), path


def test_python_dash_m_digest_runs() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "digest", "--help"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0 and "Usage" in proc.stdout


def test_every_library_the_package_imports_is_a_declared_dependency() -> None:
    """An import that works only because another dependency pulls the library in
    (markupsafe through jinja2) breaks the day that dependency stops doing so."""
    declared = {
        re.split(r"[<>=!~\[ ;]", dep, maxsplit=1)[0].lower().replace("_", "-")
        for dep in PYPROJECT["project"]["dependencies"]
    }
    provided = importlib.metadata.packages_distributions()
    imported: set[str] = set()
    for path in (ROOT / "digest").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module.split(".")[0])
    missing = {
        name: provided.get(name, [])
        # _typeshed exists only for type checkers (imported under TYPE_CHECKING)
        for name in imported - set(sys.stdlib_module_names) - {"digest", "_typeshed"}
        if not {d.lower().replace("_", "-") for d in provided.get(name, [])} & declared
    }
    assert missing == {}
