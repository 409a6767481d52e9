"""Stages 2-3 (pure): a note's Markdown into meetings, and meetings into items.

- parse: documents -> meetings (dates, series, sections, blocks with line numbers);
- sections: what a section is for, from its headings (agenda, actions, minutes, ...);
- kinds: what kind of line each item is (action, topic, decision, discussion, ...);
- items: meetings -> items (form, kind, status, owners, references);
- status, owners, refs: what an item's text says about each;
- text: inline Markdown as plain words (one plain_text for every reader of notes);
- reading: the rules' version and the settings that change how a note is read.

Pure functions tested on strings. May import: digest.errors, digest.model,
digest.periods, digest.config.schema.
"""

__all__ = ["items", "kinds", "owners", "parse", "reading", "refs", "sections", "status", "text"]
