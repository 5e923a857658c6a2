"""Where rendering runs: this process, a local process pool, or a Dask cluster.

One interface for every parallel stage (trial pages, data and exports in :mod:`publish`,
PDFs in :mod:`pdf`): a caller hands :func:`run_tasks` a function and its argument tuples
and reads the outcomes as they finish. No job system of our own: the local pool is
:class:`concurrent.futures.ProcessPoolExecutor`, the cluster is a ``distributed.Client``.

- ``jobs`` 1 (or a single task) runs each task in this process, lazily, when its outcome is
  read: a caller's stop checks between outcomes then fall between tasks, as with a pool.
- ``address`` ``dask://HOST:PORT`` (or ``tcp://``) sends the tasks to that scheduler. Tasks
  that write files (trial pages do) need the output and cache folders on a file system the
  workers share, as a ``LocalCluster`` or a cluster on one network file system has.
- ``inherit``: the tasks read state of this process that cannot be sent (the MkDocs theme,
  navigation and plugins a standalone page is rendered with): they run in workers forked
  from this process, never on a cluster, and in this process where forking is not safe.
"""

from __future__ import annotations

import os
import signal
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from typing import Any, Generic, TypeVar, cast

from trialpress import heap

R = TypeVar("R")

#: Signals that stop a build; the parent handles them, workers are shut down by the pool.
_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def default_jobs() -> int:
    """All cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


class Outcome(Generic[R]):
    """One task's outcome: :meth:`result` returns its value or raises its exception."""

    def __init__(self, get: Callable[[], R], done: Callable[[], bool] | None = None) -> None:
        self._get = get
        self._done = done

    def result(self) -> R:
        """The task's return value (a failed task raises here, in the caller)."""
        return self._get()

    def done(self) -> bool:
        """True when :meth:`result` would not wait (a task run here lazily: only once read)."""
        return self._done() if self._done is not None else False


class Tasks:
    """One executor taking tasks of any function while :func:`task_pool` lives: a build
    hands its pages and its PDFs to the same workers, so neither waits for the other's
    pool and the cores stay busy while this process does its own share."""

    def __init__(
        self,
        submit: Callable[..., Outcome[Any]],
        completed: Callable[[list[Outcome[Any]]], Iterator[Outcome[Any]]],
    ) -> None:
        self._submit = submit
        self._completed = completed

    def submit(self, fn: Callable[..., R], *args: Any, key: str | None = None) -> Outcome[R]:
        """Run ``fn(*args)`` (``key``: its task key on a Dask cluster, so equal work is done
        once; without it every task runs)."""
        return self._submit(fn, args, key)

    def as_completed(self, outcomes: Sequence[Outcome[R]]) -> Iterator[tuple[int, Outcome[R]]]:
        """``(index, outcome)`` of each of ``outcomes`` as it finishes (tasks run here: in
        order, each when it is reached)."""
        index = {id(o): i for i, o in enumerate(outcomes)}
        finishing = self._completed(list(outcomes))
        # Each finished task is let go once handed out: the caller keeps what it needs of a
        # result, and the results of every task are never held at once (a read of 10,000
        # records returns hundreds of megabytes of JSON, batch by batch).
        del outcomes
        for outcome in finishing:
            yield index[id(outcome)], outcome


@contextmanager
def _stop_signals_held() -> Iterator[None]:
    """Hold SIGINT/SIGTERM while worker processes are forked from this thread.

    A signal that lands while CPython runs its at-fork callbacks has its handler's exception
    swallowed and printed as "Exception ignored in ... _releaseLock" (a traceback on the
    user's terminal, and a build that would go on). Held, it arrives just after the fork,
    where the exception unwinds normally.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def can_fork() -> bool:
    """Whether workers forked now inherit this process safely: fork exists and no other
    thread runs (a thread holding a lock at the fork leaves it held in the child for ever;
    ``mkdocs serve`` runs its server in threads)."""
    import multiprocessing as mp

    return "fork" in mp.get_all_start_methods() and threading.active_count() == 1


#: The environment a task's output depends on (PDF dates, the sitemap's date): sent with
#: each task, as the sender has it, because a fork server's workers (and a cluster's) keep
#: the environment their server started with.
_TASK_ENV = ("SOURCE_DATE_EPOCH",)


def _sender_env() -> dict[str, str | None]:
    return {name: os.environ.get(name) for name in _TASK_ENV}


def _in_env(env: dict[str, str | None], fn: Callable[..., R], *args: Any) -> R:
    """Run a task with the sender's values of :data:`_TASK_ENV` (a worker serves one build
    at a time, so setting its environment is safe)."""
    for name, value in env.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    return fn(*args)


def _init_worker(warm: Callable[[], object] | None) -> None:
    """Make a worker deaf to stop signals, then build its long-lived state (``warm``).

    A forked worker inherits the parent's signal handlers and held signals: Ctrl-C (sent to
    the whole process group) is for the parent to act on, and SIGTERM (the pool's way to
    stop a worker) must simply end it.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
    if warm is not None:
        warm()


def _pool(
    jobs: int, warm: Callable[[], object] | None, preload: Sequence[str]
) -> ProcessPoolExecutor:
    """Worker processes, forked when this process has one thread (cheapest: what it has
    imported is shared), else from a fork server (forking a threaded process, as in
    ``mkdocs serve``, can deadlock) that imports ``preload`` once."""
    import multiprocessing as mp

    methods = mp.get_all_start_methods()
    ctx: mp.context.BaseContext
    if can_fork():
        ctx = mp.get_context("fork")
    elif "forkserver" in methods:
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(list(preload))
    else:  # pragma: no cover - platforms without fork
        ctx = mp.get_context("spawn")
    return ProcessPoolExecutor(
        max_workers=jobs, mp_context=ctx, initializer=_init_worker, initargs=(warm,)
    )


def dask_address(address: str) -> str:
    """The scheduler address ``distributed`` understands (``dask://`` is ``tcp://``)."""
    scheme, sep, rest = address.partition("://")
    return f"tcp://{rest}" if sep and scheme == "dask" else address


@contextmanager
def run_tasks(
    fn: Callable[..., R],
    args: Sequence[tuple[Any, ...]],
    *,
    jobs: int | None = None,
    address: str | None = None,
    warm: Callable[[], object] | None = None,
    preload: Sequence[str] = (),
    keys: Sequence[str] | None = None,
    inherit: bool = False,
) -> Iterator[Iterator[tuple[int, Outcome[R]]]]:
    """Run ``fn(*a)`` for each ``a`` in ``args``; yield ``(index, outcome)`` as they finish.

    ``jobs`` local worker processes (default: all cores, never more than tasks), each
    running ``warm`` once first; or the Dask cluster at ``address`` (``keys``: the task
    keys there, so equal work is done once; without them every task runs). Leaving the
    ``with`` block early (a failure, a stop signal) cancels the tasks not started and waits
    for the running ones. ``inherit``: the tasks need this process's memory (see above):
    ``address`` is ignored, and without :func:`can_fork` they run here.
    """
    if inherit:
        address = None
        if not can_fork():
            jobs = 1
    with task_pool(jobs=jobs, address=address, warm=warm, preload=preload, size=len(args)) as tasks:
        outcomes = [tasks.submit(fn, *a, key=keys[i] if keys else None) for i, a in enumerate(args)]
        finishing = tasks.as_completed(outcomes)
        del outcomes  # held by nothing but the tasks not yet handed out
        yield finishing


@contextmanager
def task_pool(
    *,
    jobs: int | None = None,
    address: str | None = None,
    warm: Callable[[], object] | None = None,
    preload: Sequence[str] = (),
    size: int,
) -> Iterator[Tasks]:
    """An executor for about ``size`` tasks, of any functions (see :func:`run_tasks` for
    ``jobs``, ``address``, ``warm`` and ``preload``). Leaving the ``with`` block cancels
    the tasks not started and waits for the running ones."""
    if address is not None and size:
        with _dask_pool(address) as tasks:
            yield tasks
        return
    n_jobs = min(jobs or default_jobs(), size)
    if n_jobs <= 1:
        yield Tasks(_run_here, iter)
        return
    pool = _pool(n_jobs, warm, preload)
    forked = False

    def submit(fn: Callable[..., R], args: tuple[Any, ...], key: str | None) -> Outcome[R]:
        nonlocal forked
        if forked:
            future = pool.submit(_in_env, _sender_env(), fn, *args)
        else:
            with _stop_signals_held(), heap.frozen():  # the pool forks at its first submit
                future = pool.submit(_in_env, _sender_env(), fn, *args)
            forked = True
        return _FutureOutcome(future)

    def completed(outcomes: list[Outcome[Any]]) -> Iterator[Outcome[Any]]:
        # Each finished task is let go as it is handed out (see Tasks.as_completed).
        by_future = {cast(_FutureOutcome[Any], o).future: o for o in outcomes}
        outcomes.clear()
        return (by_future.pop(f) for f in as_completed(list(by_future)))

    try:
        yield Tasks(submit, completed)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


class _FutureOutcome(Outcome[R]):
    """The outcome of a task sent to a pool or a cluster (anything with result and done)."""

    def __init__(self, future: Any) -> None:
        super().__init__(future.result, future.done)
        self.future = future


def _run_here(fn: Callable[..., R], args: tuple[Any, ...], key: str | None) -> Outcome[R]:
    """A task run in this process when its outcome is first read (once)."""
    ran: list[R] = []

    def get() -> R:
        if not ran:
            ran.append(fn(*args))
        return ran[0]

    return Outcome(get, lambda: bool(ran))


@contextmanager
def _dask_pool(address: str) -> Iterator[Tasks]:
    from distributed import Client
    from distributed import as_completed as dask_completed

    with Client(dask_address(address)) as client:  # type: ignore[no-untyped-call]
        futures: list[Any] = []

        def submit(fn: Callable[..., R], args: tuple[Any, ...], key: str | None) -> Outcome[R]:
            # Named after the task's own function (as Dask names a task), not the wrapper.
            name = key or f"{getattr(fn, '__name__', 'task')}-{uuid.uuid4().hex}"
            future = client.submit(_in_env, _sender_env(), fn, *args, key=name)
            futures.append(future)
            return _FutureOutcome(future)

        def completed(outcomes: list[Outcome[Any]]) -> Iterator[Outcome[Any]]:
            by_future = {cast(_FutureOutcome[Any], o).future: o for o in outcomes}
            outcomes.clear()
            done = dask_completed(list(by_future))  # type: ignore[no-untyped-call]
            return (by_future.pop(f) for f in done)  # let go, as above

        try:
            yield Tasks(submit, completed)
        finally:
            client.cancel(futures)
