"""ClinicalTrials.gov API v2 JSON reader (to be written: issue 2)."""

from __future__ import annotations

from trialpress.errors import RecordError
from trialpress.models import Trial

NAME = "ctgov-json"


def detect(text: str) -> bool:
    """JSON starts with an object or an array."""
    return text.lstrip("\ufeff \t\n").startswith(("{", "["))


def read(text: str, path: str) -> list[Trial | RecordError]:
    """Not written yet."""
    raise RecordError("JSON reader not written yet", path)
