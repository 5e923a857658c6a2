"""One strict site build per test session, shared by the site and browser test modules.

The corpus: the two registry-text examples (POLAR links PALMIRA), a hostile trial whose
every text field carries injection attempts, and (once the JSON reader is there) at least
50 ClinicalTrials.gov API v2 studies from the shared data.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import PALMIRA, POLAR
from tests.sample_trials import hostile_trial
from trialpress.build import BuildResult, build_trials
from trialpress.errors import RecordError
from trialpress.models import Trial
from trialpress.readers import read_paths

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class BuiltSite:
    """A built site and the trials it was built from."""

    root: Path
    trials: list[Trial]
    result: BuildResult


_CACHE: dict[str, BuiltSite] = {}


def read_ok(paths: list[Path]) -> list[Trial]:
    """Trials under ``paths``; any record error fails the test run loudly."""
    out: list[Trial] = []
    for r in read_paths(paths):
        assert not isinstance(r, RecordError), str(r)
        out.append(r)
    return out


def site_trials() -> list[Trial]:
    """The trials of the shared test build."""
    return [*read_ok([POLAR, PALMIRA]), hostile_trial()]


def built_site(tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    """Build the demo config (strict) once per session into a temporary folder."""
    if "site" not in _CACHE:
        trials = site_trials()
        base = tmp_path_factory.mktemp("site")
        result = build_trials(
            trials,
            base / "out",
            config_file=ROOT / "mkdocs.yml",
            strict=True,
            cache_dir=base / "cache",
        )
        _CACHE["site"] = BuiltSite(base / "out", trials, result)
    return _CACHE["site"]
