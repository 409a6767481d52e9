"""Stage 8 (I/O): how a built message leaves.

- base: the Transport protocol, DeliveryResult, and make_transport;
- outbox: .eml files (the default); smtp: aiosmtplib with TLS, pool, rate, retries;
- bounces: which SMTP refusals and bounce messages (DSNs) mean the address is gone;
- dkim: DKIM signing (dkimpy) for a relay that does not sign.

May import: digest.errors, digest.log, digest.model, digest.periods, digest.config.
"""

__all__ = ["base", "bounces", "dkim", "outbox", "smtp"]
