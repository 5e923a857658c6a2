"""One strict site build per test session, shared by the site and browser test modules."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.sample_trials import hostile_trial, sample_trials
from trialpress.build import BuildResult, build_trials
from trialpress.models import Trial

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class BuiltSite:
    """A built site and the trials it was built from."""

    root: Path
    trials: list[Trial]
    result: BuildResult


_CACHE: dict[str, BuiltSite] = {}


def site_trials() -> list[Trial]:
    """The trials of the shared test build."""
    return [*sample_trials(), hostile_trial()]


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
