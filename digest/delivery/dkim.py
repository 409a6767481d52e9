"""DKIM signing (dkimpy), for set-ups that submit to a relay that does not sign.

Most providers and relays sign outgoing mail themselves; a local Postfix relaying
straight to the recipients' servers does not, and since 2024 Gmail and Yahoo
refuse bulk mail that is not DKIM-signed for the From: domain. dkimpy is the
maintained implementation (RFC 6376): canonicalization and the
header list are what go wrong when signing by hand.

The key comes from [dkim] key_file, $DIGEST_DKIM_KEY or the systemd credential
dkim-key (digest.config.secrets); it is read once per run.
"""

from __future__ import annotations

import email.message
import email.policy
import re

import dkim

from digest.config.schema import Config
from digest.config.secrets import DKIM_KEY, find_secret
from digest.errors import UserError

# Signed when present; From is required. Relaxed canonicalization survives relays
# that refold headers or change trailing white space.
SIGNED_HEADERS = (
    b"from",
    b"to",
    b"subject",
    b"date",
    b"message-id",
    b"reply-to",
    b"mime-version",
    b"content-type",
    b"list-id",
    b"list-unsubscribe",
    b"list-unsubscribe-post",
    b"list-archive",
)


class DkimSigner:
    """Signs one message at a time with the configured key."""

    def __init__(self, domain: str, selector: str, key: bytes) -> None:
        self.domain = domain.encode("ascii")
        self.selector = selector.encode("ascii")
        self._key = key

    @classmethod
    def from_config(cls, cfg: Config) -> DkimSigner | None:
        """None without [dkim]; UserError (one sentence) when the key is missing or bad."""
        if not cfg.dkim.domain:
            return None
        secret = find_secret(DKIM_KEY, cfg.dkim.key_file, "[dkim] key_file")
        if secret is None:
            raise UserError(
                f"{cfg.path}: [dkim] is set but no key was found: set [dkim] key_file, "
                "$DIGEST_DKIM_KEY or the systemd credential dkim-key."
            )
        signer = cls(cfg.dkim.domain, cfg.dkim.selector, secret.value.encode("ascii", "replace"))
        probe = email.message.EmailMessage()
        probe["From"] = f"probe@{cfg.dkim.domain}"
        probe.set_content("probe")
        try:
            signer.signature(probe)
        except (dkim.DKIMException, ValueError, IndexError) as exc:
            raise UserError(
                f"{cfg.path}: [dkim] the key from {secret.origin} cannot sign ({exc}); it must "
                "be a PEM RSA private key."
            ) from None
        return signer

    def signature(self, message: email.message.EmailMessage | bytes) -> str:
        """The DKIM-Signature header's value for the message as it will be sent, unfolded.

        bytes: the message flattened with email.policy.SMTP (CRLF), not dot-stuffed."""
        if isinstance(message, bytes):
            data = message
            head = data[: data.find(b"\r\n\r\n")]
            present = {
                line.partition(b":")[0].strip().lower()
                for line in head.split(b"\r\n")
                if line[:1] not in (b" ", b"\t")
            }
        else:
            data = message.as_bytes(policy=email.policy.SMTP)
            present = {name.lower().encode() for name in message.keys()}  # noqa: SIM118
        header = dkim.sign(
            data,
            self.selector,
            self.domain,
            self._key,
            canonicalize=(b"relaxed", b"relaxed"),
            include_headers=[h for h in SIGNED_HEADERS if h in present],
        )
        _, _, value = header.decode("ascii").partition(":")
        return re.sub(r"\r?\n[ \t]+", " ", value).strip()
