"""One strict site build per test session, shared by the site and browser test modules.

The corpus: the two registry-text examples (POLAR links PALMIRA), a hostile trial whose
every text field carries injection attempts, and (once the JSON reader is there) at least
50 ClinicalTrials.gov API v2 studies from the shared data.
"""

from __future__ import annotations

import gzip
import json
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlparse

import pytest
from bs4 import BeautifulSoup
from mkdocs.config import load_config
from mkdocs.config.defaults import MkDocsConfig

from tests.conftest import PALMIRA, POLAR, v2_study_files
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


#: A study with 19,000 characters of eligibility text: always in the test build.
LONG_ELIGIBILITY = "NCT05798663"


def v2_sample(every: int = 5) -> list[Trial]:
    """At least 50 API v2 studies from every shared source: all of the small files, every
    ``every``-th study of the large arrays, and the longest eligibility text (437 sites
    come in with the small files)."""
    out: list[Trial] = []
    for path in v2_study_files():
        trials = read_ok([path])
        if len(trials) <= 10:
            out.extend(trials)
        else:
            out.extend(
                t for i, t in enumerate(trials) if i % every == 0 or t.nct_id == LONG_ELIGIBILITY
            )
    return out


def site_trials() -> list[Trial]:
    """The trials of the shared test build: examples, hostile trial, API v2 studies."""
    return [*read_ok([POLAR, PALMIRA]), hostile_trial(), *v2_sample()]


def build_once(
    name: str, trials: list[Trial], tmp_path_factory: pytest.TempPathFactory
) -> BuiltSite:
    """Build ``trials`` with the demo config (strict, no PDFs) once per session and name."""
    if name not in _CACHE:
        base = tmp_path_factory.mktemp(name)
        result = build_trials(
            trials,
            base / "out",
            config_file=ROOT / "mkdocs.yml",
            strict=True,
            cache_dir=base / "cache",
            history=base / "history",
            pdf=False,  # PDFs are checked on the two examples (test_site_cli.py)
        )
        _CACHE[name] = BuiltSite(base / "out", trials, result)
    return _CACHE[name]


def built_site(tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    """The shared test build: examples, hostile trial, API v2 studies."""
    return build_once("site", site_trials(), tmp_path_factory)


@contextmanager
def trialpress_serve(args: list[str], cwd: Path, ready: str) -> Iterator[str]:
    """Run ``trialpress serve ARGS`` on a free local port until the site path ``ready``
    answers (the first build is done); yield the base URL; stop the server afterwards."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    log_path = cwd / "serve.log"
    with log_path.open("w") as log:
        cli = [sys.executable, "-c", "from trialpress.cli import main; main()", "serve"]
        proc = subprocess.Popen(
            [*cli, *args, "-a", f"127.0.0.1:{port}"],
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            url = f"http://127.0.0.1:{port}/"
            deadline = time.monotonic() + 120  # a hang guard, not a speed check
            answered = False
            while not answered and proc.poll() is None and time.monotonic() < deadline:
                try:
                    with urllib.request.urlopen(url + ready, timeout=5):
                        answered = True
                except OSError:
                    time.sleep(0.5)
            assert answered, f"trialpress serve never served {ready}:\n{log_path.read_text()}"
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def pagefind_records(index: Path) -> list[dict[str, Any]]:
    """Every page record of a Pagefind index, all its parts (fragments are gzip'd, prefixed
    JSON)."""
    out = []
    for path in sorted(index.glob("fragment/*")) + sorted(index.glob("part-*/fragment/*")):
        raw = gzip.decompress(path.read_bytes())
        out.append(json.loads(raw.removeprefix(b"pagefind_dcd")))
    return out


_SOUPS: dict[Path, BeautifulSoup] = {}
_SITE = "http://site.invalid/"


def soup_of(path: Path) -> BeautifulSoup:
    """The parsed HTML of a built file (html.parser: fast, and our output is well formed)."""
    if path not in _SOUPS:
        _SOUPS[path] = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    return _SOUPS[path]


class _LinkParser(HTMLParser):
    """Collects ids and href/src values of one page (a bs4 tree is too slow for 400 pages)."""

    TAGS = ("a", "link", "script", "img", "source", "iframe")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[tuple[str, str]] = []
        #: (tag, attribute, value, rel) of every href/src, for host checks.
        self.refs: list[tuple[str, str, str, str]] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        rel = next((v or "" for k, v in attrs if k == "rel"), "")
        self._in_style = tag == "style"
        for name, value in attrs:
            if value is None:
                continue
            if name == "id":
                self.ids.add(value)
            elif name in ("href", "src"):
                self.refs.append((tag, name, value, rel))
                if tag in self.TAGS:
                    self.links.append((name, value))

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False


_PARSED: dict[Path, _LinkParser] = {}


def parsed(path: Path) -> _LinkParser:
    """ids, links, href/src references and style text of a built page."""
    return _parsed(path)


def _parsed(path: Path) -> _LinkParser:
    if path not in _PARSED:
        parser = _LinkParser()
        parser.feed(path.read_text(encoding="utf-8"))
        parser.close()
        _PARSED[path] = parser
    return _PARSED[path]


_ARTICLE_RE = re.compile(r"<article\b.*?</article>", re.S)


def article_of(path: Path) -> BeautifulSoup:
    """Only the page's content (``<article>``), parsed: quicker than the whole page."""
    match = _ARTICLE_RE.search(path.read_text(encoding="utf-8"))
    assert match, path
    return BeautifulSoup(match.group(0), "html.parser")


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
        for attr, value in _parsed(path).links:
            if not value or value.startswith(("mailto:", "tel:", "data:")):
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
                assert unquote(url.fragment) in _parsed(target).ids, f"{rel}: {value}"
            checked += 1
    return checked


def mkdocs_build(cfg: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``mkdocs build ARGS -f CFG`` in the config's folder, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", *args, "-f", str(cfg)],
        cwd=cfg.parent,
        capture_output=True,
        text=True,
        timeout=300,
    )


def demo_site(work: Path) -> MkDocsConfig:
    """The repository's site config over the demo records, without PDFs or navigation,
    building from ``work/docs`` into ``work/out``."""
    (work / "docs").mkdir(parents=True)
    (work / "docs" / "index.md").write_text("# Home\n")
    cfg = work / "mkdocs.yml"
    cfg.write_text(
        (ROOT / "mkdocs.yml")
        .read_text(encoding="utf-8")
        .replace("docs_dir: site", "docs_dir: docs")
        .replace("site_dir: build/site", f"site_dir: {work / 'out'}")
        .replace("- examples/records", f"- {ROOT / 'examples' / 'records'}")
        .replace("pdf: true", "pdf: false")
        .split("\nnav:")[0]
    )
    return load_config(str(cfg))
