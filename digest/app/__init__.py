"""The commands' orchestration: each module ties the stages together for one command.

sync, send (and bundles: each subscriber's monthly message), preview, items,
history, doctor, subscribers (and bounces), web (`digest serve`: subscribe,
preferences, unsubscribe, archive), archive (`digest archive build`); digests
builds a period's digests from the state, from the threads tracked keeps up to
date there; terminal holds what
only a terminal shows (progress bars, the styled preview).

May import any stage and the state. Only digest.cli imports it.
"""

__all__ = [
    "archive",
    "bundles",
    "digests",
    "doctor",
    "history",
    "items",
    "preview",
    "send",
    "subscribers",
    "sync",
    "terminal",
    "tracked",
    "web",
]
