"""The tool's own errors: every failure a user can cause comes out as one of these.

Each carries the file (and line, where known) so the CLI can print
``Error: PATH:LINE: what is wrong`` and go on with the other records.
"""

from __future__ import annotations

from pathlib import Path


class TrialpressError(Exception):
    """Base class; ``str()`` gives ``PATH:LINE: message`` (parts omitted when unknown)."""

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = self.path if self.line is None else f"{self.path}:{self.line}"
            where += ": "
        return f"{where}{self.message}"


class RecordError(TrialpressError):
    """A record could not be read: unreadable file, unknown format, invalid content."""


class RenderError(TrialpressError):
    """A trial could not be rendered into a page or PDF."""


class BuildError(TrialpressError):
    """The site build as a whole failed (MkDocs error, output folder problem)."""


class FetchError(TrialpressError):
    """A record could not be downloaded from the registry."""
