"""Stages 4-5 (pure): items followed across meetings, and a month's digest of them.

- series: which meetings are one series, whatever their titles say;
- conventions: a series' own habits (what a tick means, template lines, owners);
- threads: items of a series joined into threads (references, table rows, text);
- buckets: the digest of one series and period (highlights, new, pending, ...);
- links: where an entry came from, as a permalink to the note's line;
- schedule: which periods are due.

Pure functions tested on values. May import: digest.errors, digest.model,
digest.periods, digest.config.schema, digest.notes.
"""

__all__ = ["buckets", "conventions", "links", "schedule", "series", "threads"]
