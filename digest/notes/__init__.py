"""Stages 2-3 (pure): a note's Markdown into meetings, and meetings into items.

- parse: documents -> meetings (dates, series, sections, blocks with line numbers);
- items: meetings -> items (kind, role, status, owners, references);
- status, owners, refs: what an item's text says about each;
- text: inline Markdown as plain words (one plain_text for every reader of notes).

Pure functions tested on strings. May import: digest.errors, digest.model,
digest.periods, digest.config.schema.
"""

__all__ = ["items", "owners", "parse", "refs", "status", "text"]
