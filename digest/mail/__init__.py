"""Stages 6-7 (pure): a digest rendered once, then one message per recipient.

- render: Digest -> subject, text and HTML (Jinja2 templates, CSS inlined);
- inline: one line of untrusted inline Markdown as safe HTML or plain text;
- message: the one message builder and the one Subject rule;
- tokens: signed unsubscribe tokens and links;
- jsonout: the digest as the JSON contract.

Nothing here opens a socket or a database. May import: digest.errors,
digest.model, digest.periods, digest.config.schema.
"""

__all__ = ["inline", "jsonout", "message", "render", "tokens"]
