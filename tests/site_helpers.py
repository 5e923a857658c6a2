"""One strict site build per test session, shared by the site and browser test modules.

The corpus: the two registry-text examples (POLAR links PALMIRA), a hostile trial whose
every text field carries injection attempts, and (once the JSON reader is there) at least
50 ClinicalTrials.gov API v2 studies from the shared data.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import pytest
from bs4 import BeautifulSoup

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


_SOUPS: dict[Path, BeautifulSoup] = {}
_SITE = "http://site.invalid/"


def soup_of(path: Path) -> BeautifulSoup:
    """The parsed HTML of a built file (html5lib, as a browser parses it), cached."""
    if path not in _SOUPS:
        _SOUPS[path] = BeautifulSoup(path.read_text(encoding="utf-8"), "html5lib")
    return _SOUPS[path]


def html_files(root: Path) -> list[Path]:
    """Every HTML file of a built site."""
    return sorted(root.rglob("*.html"))


def check_links(root: Path) -> int:
    """Assert every same-site href/src (and #fragment) of every page resolves; return how
    many were checked. Links to other hosts must be https."""
    checked = 0
    for path in html_files(root):
        rel = path.relative_to(root).as_posix()
        base = urljoin(_SITE, rel)
        soup = soup_of(path)
        for el in soup.find_all(["a", "link", "script", "img", "source", "iframe"]):
            for attr in ("href", "src"):
                value = el.get(attr)
                if not value or value.startswith(("mailto:", "data:")):
                    continue
                url = urlparse(urljoin(base, value))
                if f"{url.scheme}://{url.netloc}/" != _SITE:
                    assert url.scheme == "https", (rel, value)
                    continue
                target = root / unquote(url.path.lstrip("/"))
                if url.path.endswith("/") or target.is_dir():
                    target = target / "index.html"
                assert target.is_file(), f"{rel}: {attr}={value} -> {target}"
                if url.fragment and target.suffix == ".html":
                    assert soup_of(target).find(id=unquote(url.fragment)), f"{rel}: {value}"
                checked += 1
    return checked
