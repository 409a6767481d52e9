"""Stage 1 (I/O): find the note versions that are new in each source.

- base: what a scan returns (NoteVersion, Batch, Scan), decoding and naming helpers;
- globs: which paths a source's `glob` selects (one rule for sync and doctor);
- git, folder, feed: the three kinds of source; html_markdown: feed HTML as Markdown;
- scan: one entry per question asked of a source: what is new (sync), which notes
  it holds now (doctor).

May import: digest.errors, digest.log, digest.model, digest.periods, digest.config.
"""

__all__ = ["base", "feed", "folder", "git", "globs", "html_markdown", "scan"]
