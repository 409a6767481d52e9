"""Stopping a waitress server a test ran in a thread of its own."""

from __future__ import annotations

import threading
from typing import Any


def stop_server(server: Any, thread: threading.Thread) -> None:
    """End the server's loop in its own thread (an empty socket map ends it), then
    close it: closing the sockets under a running select failed now and then with
    EBADF in the server's thread."""
    server.trigger.pull_trigger(server._map.clear)
    thread.join(timeout=10)
    assert not thread.is_alive(), "the test server did not stop"
    server.close()
    server.task_dispatcher.shutdown()
