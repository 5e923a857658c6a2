"""Progress reporting for long work, shared by the CLI and the library.

Library functions take a :class:`Reporter` and call ``stage()``/``advance()``; the CLI passes
a rich-backed one (bars with counts and time left on stderr), tests and the MkDocs plugin pass
:data:`NULL`. Keeping the interface this small lets renderers stay free of any UI code.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class Stage(Protocol):
    """One bar: ``advance()`` once per unit of work done."""

    def advance(self, n: int = 1) -> None: ...


class Reporter(Protocol):
    """Opens one stage per kind of long work (reading, rendering, PDFs, MkDocs)."""

    def stage(self, description: str, total: int | None) -> Stage: ...

    def close(self) -> None: ...


class _NullStage:
    def advance(self, n: int = 1) -> None:
        """Nothing to show."""


class NullReporter:
    """Reports nothing: for tests, the MkDocs plugin and ``--quiet``."""

    def stage(self, description: str, total: int | None) -> Stage:
        """A stage that ignores progress."""
        return _NullStage()

    def close(self) -> None:
        """Nothing to close."""


NULL: Reporter = NullReporter()


class _RichStage:
    def __init__(self, progress: Progress, task: TaskID):
        self._progress = progress
        self._task = task

    def advance(self, n: int = 1) -> None:
        self._progress.advance(self._task, n)


class RichReporter:
    """Progress bars with counts, elapsed time and time left, on stderr."""

    def __init__(self, console: Console | None = None):
        self._progress = Progress(
            TextColumn("{task.description:<18}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("left"),
            TimeRemainingColumn(),
            console=console or Console(stderr=True),
            transient=False,
        )
        self._progress.start()

    def stage(self, description: str, total: int | None) -> Stage:
        """Add a bar for ``total`` units (None: unknown)."""
        return _RichStage(self._progress, self._progress.add_task(description, total=total))

    def close(self) -> None:
        """Stop drawing; the final state of every bar stays on screen."""
        self._progress.stop()


@contextmanager
def reporter(enabled: bool) -> Iterator[Reporter]:
    """A rich reporter when enabled, else the null one; closed on exit."""
    rep: Reporter = RichReporter() if enabled else NullReporter()
    try:
        yield rep
    finally:
        rep.close()
