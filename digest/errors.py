"""Errors a user can cause: each carries one sentence, shown without a traceback."""


class UserError(Exception):
    """A problem the user can fix (config, source, server, input); str() is the sentence."""

    exit_code = 1


class LockedError(UserError):
    """Another `digest` process holds the lock for this state directory."""

    exit_code = 75  # EX_TEMPFAIL: a timer firing twice is not a failure of the job
