"""Registry page text reader (to be written: issue 2)."""

from __future__ import annotations

from trialpress.errors import RecordError
from trialpress.models import Trial

NAME = "registry-text"


def detect(text: str) -> bool:
    """Registry page text has ``NCT ID:`` on its second line."""
    lines = text.lstrip("\ufeff").split("\n", 2)
    return len(lines) >= 2 and lines[1].startswith("NCT ID:")


def read(text: str, path: str) -> list[Trial | RecordError]:
    """Not written yet."""
    raise RecordError("registry text reader not written yet", path)
