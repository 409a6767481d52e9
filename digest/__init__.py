"""notes-digest: a monthly email digest of a project's meeting notes.

The command is `digest` (digest.launch, then digest.cli). The package has one
subpackage per pipeline stage (config, sources, notes, tracking, mail, delivery,
state) and app, which ties them together for each command;
docs/explanation/architecture.md draws the tree.
"""

__version__ = "0.1.0"
__all__ = [
    "__version__",
    "app",
    "cli",
    "config",
    "delivery",
    "errors",
    "launch",
    "log",
    "mail",
    "model",
    "notes",
    "periods",
    "sources",
    "state",
    "tracking",
]
