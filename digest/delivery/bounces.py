"""Which SMTP refusals are hard bounces: the address itself is gone, so stop mailing it.

Pure: `is_hard_bounce(reply)` looks only at the reply text the transport stored in
the ledger ("550 5.1.1 <ann@example.org>: Recipient address rejected: User unknown").

The rule, most specific signal first:

1. Only a permanent (5xx) reply can be a hard bounce; 4xx is retried anyway.
2. A reply that rejects the *sender* is never a bounce of the recipient: marking
   every subscriber bounced because our own From was refused would empty the list.
3. An enhanced status code (RFC 3463) decides when there is one:
   - 5.1.1 bad destination mailbox, 5.1.2 bad destination system, 5.1.3 bad
     destination address syntax, 5.1.6 mailbox moved with no forwarding address,
     5.1.10 null MX (RFC 7505), 5.2.1 mailbox disabled: bounce;
   - 5.4.1 with "Recipient address rejected: Access denied": bounce. This is
     Exchange Online's directory-based edge blocking, which Microsoft documents as
     "the recipient address does not exist" in that organization; any other 5.4.1
     (RFC 3463: no answer from host) is not;
   - anything else is not a bounce: 5.7.x is policy (spam, reputation, relay
     denied, DMARC), 5.2.2 is a full mailbox (temporary in practice), 5.1.7/5.1.8
     are about the sender, 5.3.x/5.4.x/5.5.x/5.6.x are about the system or message.
   - a code with detail 0 ("other or undefined ... status", such as Outlook.com's
     "550 5.5.0 Requested action not taken: mailbox unavailable") says nothing
     specific, so the text decides, as below; except 5.6.0 and 5.7.0 (content and
     security: never a bounce).
4. Without a specific enhanced code, a 550, 551, 553 or 554 whose text says the
   mailbox does not exist or is disabled ("550 No such user here", "550 Requested
   action not taken: mailbox unavailable", Yahoo's "554 delivery error: dd This
   user doesn't have a yahoo.com account") is a bounce, unless the text also names
   a policy reason (spam, blocked, reputation, quota, ...).

When in doubt the answer is False: a missed bounce costs one more refused message
next month; a wrong one silently drops a reader.
"""

from __future__ import annotations

import re

# "550 5.1.1 text", "550-5.1.1 text" (a raw multi-line reply), "5.1.1 text" (no basic code).
_BASIC = re.compile(r"^\s*([2-5]\d\d)(?:[ -]|$)")
_ENHANCED = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")

# (subject, detail) of RFC 3463 codes that mean the recipient's address is gone.
_BOUNCE_CODES = {(1, 1), (1, 2), (1, 3), (1, 6), (1, 10), (2, 1)}

# Exchange Online: "550 5.4.1 Recipient address rejected: Access denied. AS(201806281)".
_EXCHANGE_NO_SUCH_RECIPIENT = re.compile(r"recipient address rejected:\s*access denied", re.I)

_SENDER_REJECTED = re.compile(
    r"sender address rejected|sender (?:address |domain )?(?:unknown|not allowed|denied|"
    r"verify failed|rejected)|envelope sender|mail from",
    re.I,
)

# What a server says when the mailbox is not there (Postfix, Exim, Sendmail, qmail,
# Exchange, Gmail, Yahoo, and RFC 5321's own "mailbox unavailable").
_GONE_TEXT = re.compile(
    r"no such (?:user|mailbox|recipient|address|account)"
    r"|user (?:unknown|not found|doesn'?t exist|does not exist)"
    r"|unknown (?:user|recipient|mailbox|local part)"
    r"|recipient (?:unknown|not found|does not exist|invalid)"
    r"|invalid (?:recipient|mailbox|user)"
    r"|mailbox (?:unavailable|not found|does not exist|doesn'?t exist|disabled|"
    r"is disabled|inactive|not available)"
    r"|(?:account|address|mailbox) (?:that you tried to reach )?(?:does not|doesn'?t) exist"
    r"|account (?:has been |is )?(?:disabled|deactivated|suspended|closed)"
    r"|(?:does not|doesn'?t) have an? [\w.-]+ account"
    r"|unrouteable address|unroutable address"
    r"|not a valid (?:mailbox|recipient|user)"
    r"|no mailbox here",
    re.I,
)

# A policy reason in the text outweighs a generic "mailbox unavailable".
_POLICY_TEXT = re.compile(
    r"\b(?:spam|policy|policies|block(?:ed|list)?|blacklist(?:ed)?|denylist(?:ed)?|"
    r"reputation|rbl|dnsbl|spf|dkim|dmarc|relay(?:ing)?|rate|too many|greylist(?:ed)?|"
    r"virus|content|quota|full|unsolicited)\b",
    re.I,
)


def basic_code(reply: str) -> int | None:
    """The three-digit SMTP reply code a reply starts with, if any."""
    match = _BASIC.match(reply)
    return int(match.group(1)) if match else None


def enhanced_code(reply: str) -> tuple[int, int, int] | None:
    """The first RFC 3463 enhanced status code in a reply (class, subject, detail)."""
    match = _ENHANCED.search(reply)
    if match is None:
        return None
    klass, subject, detail = (int(g) for g in match.groups())
    return klass, subject, detail


def is_hard_bounce(reply: str) -> bool:
    """True when a permanent refusal says the recipient's mailbox does not exist or is
    disabled; False for policy/spam refusals, full mailboxes, and anything transient."""
    code = basic_code(reply)
    enhanced = enhanced_code(reply)
    if code is None and enhanced is None:
        return False
    if code is not None and not 500 <= code < 600:
        return False
    if enhanced is not None and enhanced[0] != 5:
        return False  # "550 4.x.x" contradicts itself: treat it as not permanent
    if _SENDER_REJECTED.search(reply):
        return False
    if enhanced is not None:
        _, subject, detail = enhanced
        if (subject, detail) in _BOUNCE_CODES:
            return True
        if (subject, detail) == (4, 1):
            return bool(_EXCHANGE_NO_SUCH_RECIPIENT.search(reply))
        if detail != 0 or subject in (6, 7):
            return False
    if code not in (550, 551, 553, 554):
        return False
    return bool(_GONE_TEXT.search(reply)) and not _POLICY_TEXT.search(reply)


# ---- bounces after acceptance: delivery status notifications -------------------------


def dsn_failures(message: object) -> set[str]:
    """The addresses a bounce message (a DSN, RFC 3464, or one of the many non-standard
    forms MTAs still send) reports as permanently failed, lower-cased.

    flufl.bounce (the detectors Mailman uses) reads them: some forty MTA dialects,
    which no hand-written parser would keep up with. Temporary failures ("delayed",
    4.x.x) are not returned: the MTA is still trying.
    """
    from flufl.bounce import all_failures

    _temporary, permanent = all_failures(message)
    found = set()
    for raw in permanent:
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        text = text.strip().strip("<>").lower()
        if "@" in text:
            found.add(text)
    return found
