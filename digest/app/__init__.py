"""The commands' orchestration: each module ties the stages together for one command.

sync, send, preview, items, history, doctor, subscribers, web (the unsubscribe
page); digests builds a period's digests from the state; terminal holds what
only a terminal shows (progress bars, the styled preview).

May import any stage and the state. Only digest.cli imports it.
"""

__all__ = [
    "digests",
    "doctor",
    "history",
    "items",
    "preview",
    "send",
    "subscribers",
    "sync",
    "terminal",
    "web",
]
