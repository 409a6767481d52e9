"""The state (I/O): one SQLite file holding what was read, built and sent.

- db: opening, migrations, transactions and the state lock;
- notes: documents, meetings and items (what `digest sync` stored);
- ledger: the digests and deliveries tables (every query on them);
- subscribers: the digest's own subscribers;
- threads: the threads kept between runs (digest.app.tracked decides what).

May import: digest.errors, digest.log, digest.model, digest.periods, digest.config.
"""

__all__ = ["db", "ledger", "notes", "subscribers", "threads"]
