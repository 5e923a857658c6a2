"""Stopping a build: SIGINT and SIGTERM set a flag that the build checks at checkpoints.

A signal handler that raises can fire anywhere: inside CPython's at-fork callbacks (where
the exception is swallowed and the build goes on), inside a library that wraps it (pydantic's
serialiser reported it as its own error), half-way through writing a file. So the handler
only records the signal, and the publish stage calls :func:`checkpoint` where stopping is
clean: after each record read, each page and each PDF finished, and once more before the new
output is swapped in. The previous output is then left exactly as it was.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class BuildInterrupted(BaseException):
    """SIGTERM stopped the build (SIGINT stays :class:`KeyboardInterrupt`)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


#: Signals received during this process's current build (the flag).
_received: list[int] = []


def _on_signal(signum: int, frame: object) -> None:
    """Only record the signal: the next checkpoint stops the build."""
    _received.append(signum)


def interruption(signum: int) -> BaseException:
    """The exception a stop signal unwinds the build with."""
    return KeyboardInterrupt() if signum == signal.SIGINT else BuildInterrupted(signum)


def checkpoint() -> None:
    """Stop here (raise) when a stop signal has arrived since the build began."""
    if _received:
        raise interruption(_received[0])


def stop_requested() -> bool:
    """True once a stop signal has arrived (for loops that stop by themselves)."""
    return bool(_received)


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """SIGINT and SIGTERM stop the build at its next checkpoint.

    A SIGINT that was ignored when the process started (a background job) stays ignored.
    Outside the main thread (no signal handlers there) this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _received.clear()
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    signal.signal(signal.SIGTERM, _on_signal)
    if previous[signal.SIGINT] is signal.default_int_handler:
        signal.signal(signal.SIGINT, _on_signal)
    try:
        yield
    except Exception as exc:
        # Whatever failed after a stop signal (a worker pool torn down, a library's error)
        # is reported as the interruption the user asked for.
        if _received:
            raise interruption(_received[0]) from exc
        raise
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _received.clear()
