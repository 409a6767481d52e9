"""notes-digest: a monthly email digest of a project's meeting notes."""

__version__ = "0.1.0"
