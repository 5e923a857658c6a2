"""The tool's own errors: every failure a user can cause comes out as one of these.

Each carries the file (and line, where known) so the CLI can print
``Error: PATH:LINE: what is wrong`` and go on with the other records.
"""

from __future__ import annotations

import re
from pathlib import Path

#: Characters that would break the one-line ``Error: PATH:LINE: message`` shape or reorder it
#: on a terminal: C0/C1 controls (newlines), line separators and bidi controls. A file name
#: or record value holding one is shown escaped (``\\n``, ``\\u202e``), so no file name can
#: start a forged ``Error:`` line of its own.
_UNPRINTABLE_RE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)


def printable(text: str) -> str:
    """``text`` with line-breaking, control and bidi characters shown as escapes."""
    return _UNPRINTABLE_RE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


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
            path = printable(self.path)
            where = path if self.line is None else f"{path}:{self.line}"
            where += ": "
        return f"{where}{printable(self.message)}"


class RecordError(TrialpressError):
    """A record could not be read: unreadable file, unknown format, invalid content."""


class RenderError(TrialpressError):
    """A trial could not be rendered into a page or PDF."""


class BuildError(TrialpressError):
    """The site build as a whole failed (MkDocs error, output folder problem)."""


class FetchError(TrialpressError):
    """A record could not be downloaded from the registry."""
