"""A build's long-lived objects and Python's cyclic garbage collector.

A build holds every trial it read until it ends: about half a million small objects per
1,000 trials. The collector walks all of them at each of its full passes, and makes
several while records are validated (a pass whenever the heap has grown by a quarter):
measured on a 1,000-trial rebuild, about 80% of the time spent validating stored records
and a third of the build process's CPU time.

So records are validated with the collector paused (a trial is a tree of objects: no
cyclic garbage is made, and reference counting frees a trial as usual), and inside a
:func:`build_scope` everything alive is then moved out of the collector's passes
(``gc.freeze``) until the outermost scope ends (``gc.unfreeze``): the collector walks
only what the build makes afterwards. Frozen objects are still freed by reference
counting; only cyclic garbage among them waits for the scope's end.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

_scopes = 0


@contextmanager
def build_scope() -> Iterator[None]:
    """While the body runs, what :func:`long_lived` and :func:`keep_alive` see alive stays
    out of the collector's passes; the outermost scope gives it back when it ends."""
    global _scopes
    _scopes += 1
    try:
        yield
    finally:
        _scopes -= 1
        if _scopes == 0:
            gc.unfreeze()


def keep_alive() -> None:
    """Inside a :func:`build_scope`: leave every object alive now out of the collector's
    passes until the scope ends (outside one: nothing)."""
    if _scopes:
        gc.freeze()


@contextmanager
def long_lived() -> Iterator[None]:
    """No cyclic collection while the body makes many objects that live on (records
    validated into trials); inside a :func:`build_scope` they are then kept out of the
    collector's passes (:func:`keep_alive`)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        keep_alive()
        if enabled:
            gc.enable()


@contextmanager
def frozen() -> Iterator[None]:
    """Everything alive kept out of the collector's passes while the body forks worker
    processes: a forked worker's collector would otherwise walk everything it inherits
    (the whole corpus) and write to each object's header, so the worker copies pages it
    only reads and spends seconds per 1,000 trials doing it. Inside a :func:`build_scope`
    they stay kept out until the scope ends, as :func:`keep_alive` keeps them."""
    gc.freeze()
    try:
        yield
    finally:
        if not _scopes:
            gc.unfreeze()


def during_build(fn: Callable[P, R]) -> Callable[P, R]:
    """Run ``fn`` in a :func:`build_scope`, keeping what is alive when it starts (the
    trials it is given) out of the collector's passes."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with build_scope():
            keep_alive()
            return fn(*args, **kwargs)

    return wrapper
