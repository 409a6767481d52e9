"""Stages 6-7 (pure): a digest rendered once, then one message per recipient.

- render: Digest -> subject, text and HTML (Jinja2 templates, CSS inlined);
- inline: one line of untrusted inline Markdown as safe HTML or plain text;
- message: the one message builder and the one Subject rule;
- tokens: opaque signed tokens and the links that carry them;
- bundle: a subscriber's monthly message made of several frozen digests;
- archive: the web archive's index page and Atom feeds;
- jsonout: the digest as the JSON contract.

Nothing here opens a socket or a database. May import: digest.errors,
digest.model, digest.periods, digest.config.schema.
"""

__all__ = ["archive", "bundle", "inline", "jsonout", "message", "render", "tokens"]
