"""The publish stage: reuse by content, render counts, corrupt store entries, engine parity,
URL styles with PDFs, a Dask cluster, and ``trialpress generate``.

Builds are real MkDocs builds of the bundled config (or a small config written here); the
render counts come from :attr:`trialpress.build.BuildResult.rendered`, the library's own list
of what it rendered instead of reusing.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.browser import serve_dir
from tests.pdf_samples import failing_brief
from tests.sample_trials import PALMIRA_ID, POLAR_ID, hostile_trial, palmira, polar
from tests.site_helpers import check_links, mkdocs_build, pagefind_records, v2_sample
from trialpress.build import BuildResult, build_trials
from trialpress.changes import FILTER_KINDS
from trialpress.corpus import Corpus
from trialpress.layout import FINDER_DATA, TRIALS_INDEX, Layout
from trialpress.models import Trial
from trialpress.publish import PublishOptions, generate
from trialpress.render import TRIAL_PAGES
from trialpress.store import Store

pytestmark = pytest.mark.slow


def digest_tree(root: Path) -> dict[str, str]:
    """sha256 of every file under ``root``, by relative path."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _trials() -> list[Trial]:
    return [polar(), palmira(), hostile_trial(), *v2_sample(every=40)[:5]]


def _build(trials: list[Trial], out: Path, cache: Path | None, **kw: Any) -> BuildResult:
    result = build_trials(trials, out, cache=cache, pdf=kw.pop("pdf", False), **kw)
    assert result.errors == [], result.errors
    return result


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no mkdocs.yml here: the bundled config is used
    return tmp_path


def _kinds(rendered: list[str]) -> set[str]:
    return {r.split(":", 1)[0] for r in rendered}


_CHANGE_PAGES = {Layout.changes_src(k) for k in (None, *FILTER_KINDS)}


def _change_pages_listing(site: Path, nct_id: str) -> set[str]:
    """The change pages of a built site that link the trial's page."""
    out = set()
    for src in _CHANGE_PAGES:
        page = site / Layout(True, None).url(src) / "index.html"
        if f"trials/{nct_id}/" in page.read_text("utf-8"):
            out.add(src)
    return out


def test_unchanged_rebuild_renders_nothing_and_a_changed_record_only_its_pages(
    in_tmp: Path,
) -> None:
    trials = _trials()
    cache = in_tmp / "cache"
    first = _build(trials, in_tmp / "a", cache)
    n = len(trials)
    # Every per-trial page (trial, checklist, results if posted) rendered once (Markdown,
    # then HTML), plus term pages.
    per_trial = sum(1 for t in trials for p in TRIAL_PAGES if p.applies(t))
    assert per_trial >= 2 * n
    assert sum(r.startswith("page:") for r in first.rendered) == per_trial
    assert sum(r.startswith("html:trials/") for r in first.rendered) == n
    reference = digest_tree(in_tmp / "a")

    corpus = Corpus(trials)
    terms = {e.src_path for entries in corpus.indexes.values() for e in entries.values()}
    assert terms <= {r.removeprefix("index:") for r in first.rendered}
    assert f"index:{TRIALS_INDEX}" in first.rendered

    again = _build(trials, in_tmp / "a", cache)
    assert again.rendered == []
    assert digest_tree(in_tmp / "a") == reference

    # One record changes: its pages and the term pages that list it, nothing else.
    changed_id = trials[3].nct_id
    changed = [
        t.model_copy(update={"title": t.title + " (amended)"}) if t.nct_id == changed_id else t
        for t in trials
    ]
    third = _build(changed, in_tmp / "a", cache)
    corpus = Corpus(changed)
    listing = {
        e.src_path
        for entries in corpus.indexes.values()
        for e in entries.values()
        if changed_id in e.nct_ids
    }
    changed_trial = next(t for t in changed if t.nct_id == changed_id)
    own = {p.src(changed_id) for p in TRIAL_PAGES if p.applies(changed_trial)}
    assert {f"page:{s}" for s in own} | {f"html:{s}" for s in own} <= set(third.rendered)
    assert f"data:{Layout.data(changed_id)}" in third.rendered
    exported = {Layout.fhir(changed_id), Layout.ris(changed_id)}
    assert {f"exports:{p}" for p in exported} <= set(third.rendered)
    # The index pages that list it are made again (all trials, its terms, the change
    # pages showing a new version of it: none here, a new title is not a listed change),
    # and no other.
    assert {r.removeprefix("index:") for r in third.rendered if r.startswith("index:")} == (
        listing | {TRIALS_INDEX} | _change_pages_listing(in_tmp / "a", changed_id)
    )
    assert {r.split(":", 1)[1] for r in third.rendered} <= (
        own
        | listing
        | {Layout.data(changed_id), TRIALS_INDEX, FINDER_DATA}
        | exported
        | _CHANGE_PAGES
    )
    assert f"data:{FINDER_DATA}" in third.rendered  # the finder's data lists every trial
    assert all(other.nct_id not in r for r in third.rendered for other in trials[:3])
    # What was reused is exactly what a build from scratch makes.
    fresh = _build(changed, in_tmp / "fresh", None)
    assert len(fresh.rendered) > len(third.rendered)
    assert digest_tree(in_tmp / "a") == digest_tree(in_tmp / "fresh")


def test_a_template_change_re_renders_the_pages_made_with_it(in_tmp: Path) -> None:
    trials = _trials()
    cache = in_tmp / "cache"
    override = in_tmp / "tpl"
    (override / "site").mkdir(parents=True)
    _build(trials, in_tmp / "a", cache, templates=override)
    shipped = Path(__file__).resolve().parents[1] / "templates" / "site" / "checklist.md"
    text = shipped.read_text(encoding="utf-8")
    (override / "site" / "checklist.md").write_text(
        text.replace("{% block body %}", "{% block body %}\n<p>Screening form v2</p>\n", 1),
        encoding="utf-8",
    )
    result = _build(trials, in_tmp / "a", cache, templates=override)
    expected = {Layout.checklist_src(t.nct_id) for t in trials}
    assert {r.split(":", 1)[1] for r in result.rendered} == expected
    assert _kinds(result.rendered) == {"page", "html"}
    html = (in_tmp / "a" / "checklists" / POLAR_ID / "index.html").read_text("utf-8")
    assert "Screening form v2" in html
    assert "Screening form v2" not in (in_tmp / "a" / "trials" / POLAR_ID / "index.html").read_text(
        "utf-8"
    )


def _entries_containing(store: Path, needle: bytes) -> list[Path]:
    """Store entries (not the working folders kept beside them) holding ``needle``."""
    return [
        p
        for p in sorted(store.rglob("*"))
        if p.is_file() and "work" not in p.relative_to(store).parts and needle in p.read_bytes()
    ]


def test_a_corrupt_or_foreign_store_entry_is_rendered_again_never_published(
    in_tmp: Path,
) -> None:
    trials = [polar(), palmira()]
    cache = in_tmp / "cache"
    _build(trials, in_tmp / "a", cache)
    reference = digest_tree(in_tmp / "a")
    # The Markdown of POLAR's checklist: damage one byte of its payload.
    (entry,) = [
        p
        for p in _entries_containing(cache, b'"Eligibility checklist&#58; ' + POLAR_ID.encode())
        if not p.read_bytes().lstrip().startswith(b"<") and b"<!doctype" not in p.read_bytes()[:200]
    ]
    blob = bytearray(entry.read_bytes())
    blob[-20] ^= 0x01
    entry.write_bytes(bytes(blob))

    # The HTML of PALMIRA's trial page: replace it by another (intact) entry.
    def trial_html(nct_id: str) -> Path:
        (found,) = [
            p
            for p in _entries_containing(cache, b"<!doctype html>")
            if f'"tp-nct" href="https://clinicaltrials.gov/study/{nct_id}"'.encode()
            in p.read_bytes()
        ]
        return found

    palmira_html, polar_html = trial_html(PALMIRA_ID), trial_html(POLAR_ID)
    palmira_html.write_bytes(polar_html.read_bytes())
    # Only the store is kept (the build's working folder is not): pages come from it.
    shutil.rmtree(cache / "work")

    result = _build(trials, in_tmp / "a", cache)
    assert f"page:{Layout.checklist_src(POLAR_ID)}" in result.rendered
    assert f"html:{Layout.trial_src(PALMIRA_ID)}" in result.rendered
    assert digest_tree(in_tmp / "a") == reference
    # Both entries were written again, intact.
    store = Store(cache)
    for path in (entry, palmira_html):
        assert store.get(path.name) is not None


def test_a_changed_page_in_the_working_folder_is_made_again_never_published(
    in_tmp: Path,
) -> None:
    """The working folder's page HTML is used without reading the store only while its
    key, size and time match what the last build recorded; otherwise it comes again from
    the store, and nothing is rendered."""
    trials = [polar(), palmira()]
    cache = in_tmp / "cache"
    _build(trials, in_tmp / "a", cache)
    reference = digest_tree(in_tmp / "a")
    (work,) = [p for p in (cache / "work").iterdir() if p.is_dir()]
    palmira_page = work / "html" / "trials" / PALMIRA_ID / "index.html"
    polar_page = work / "html" / "trials" / POLAR_ID / "index.html"
    assert palmira_page.is_file() and polar_page.is_file()
    palmira_page.write_bytes(polar_page.read_bytes())  # another page, written in place
    polar_page.unlink()

    store = Store(cache)
    reads: list[str] = []
    get = Store.get

    def counted(self: Store, key: str) -> bytes | None:
        reads.append(key)
        return get(self, key)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Store, "get", counted)
        result = _build(trials, in_tmp / "a", cache)
    assert not any(r.startswith("html:") for r in result.rendered)
    assert digest_tree(in_tmp / "a") == reference
    assert store.corrupt == []

    def html_reads() -> set[bytes]:
        payloads = (store.get(key) or b"" for key in reads)
        return {p for p in payloads if p.lstrip().startswith(b"<!doctype html>")}

    # The two pages were read from the store again; every other page was used in place.
    assert html_reads() == {
        (in_tmp / "a" / "trials" / n / "index.html").read_bytes() for n in (POLAR_ID, PALMIRA_ID)
    }
    # A third build finds every page in place: no page HTML is read from the store.
    reads.clear()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Store, "get", counted)
        _build(trials, in_tmp / "a", cache)
    assert reads and html_reads() == set()
    assert digest_tree(in_tmp / "a") == reference


def test_store_refuses_entries_whose_header_or_payload_does_not_match(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.put("a" * 64, b"payload")
    assert store.get("a" * 64) == b"payload"
    path = tmp_path / "aa" / ("a" * 64)
    path.write_bytes(path.read_bytes().replace(b"payload", b"paylaod"))
    assert store.get("a" * 64) is None
    (tmp_path / "bb").mkdir()
    (tmp_path / "bb" / ("b" * 64)).write_bytes(path.read_bytes())  # another key's entry
    assert store.get("b" * 64) is None
    assert store.corrupt == ["a" * 64, "b" * 64]
    assert Store(None).get("a" * 64) is None


def test_generate_returns_search_entries_per_trial(tmp_path: Path) -> None:
    trials = [polar(), palmira()]
    result = generate(Corpus(trials), PublishOptions(pdf=False), tmp_path / "docs")
    assert [e.url for e in result.search] == [f"trials/{POLAR_ID}/", f"trials/{PALMIRA_ID}/"]
    entry = result.search[0].as_dict()
    assert entry["title"] == trials[0].title
    assert all(i.name in entry["text"] for i in trials[0].interventions)
    assert entry["meta"]["nct_id"] == POLAR_ID
    assert (tmp_path / "docs" / "trials" / f"{POLAR_ID}.md").is_file()


# ----------------------------------------------------------------- engine parity and looks

_CONFIG = """site_name: t
{extra}theme:
  name: material
  font: false
  features:
    - navigation.sections
plugins:
  - search
  - trialpress:
      engine_pages: {engine}
markdown_extensions:
  - toc:
      permalink: true
  - admonition
  - attr_list
  - tables
"""


def _site(tmp: Path, engine: bool, extra: str = "") -> Path:
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "docs").mkdir(exist_ok=True)
    (tmp / "docs" / "index.md").write_text("# Home\n\n[All trials](trials/index.md)\n")
    cfg = tmp / "mkdocs.yml"
    cfg.write_text(_CONFIG.format(engine="true" if engine else "false", extra=extra))
    return cfg


@pytest.fixture(scope="module")
def parity(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The same site built with trial pages through MkDocs' page loop and without."""
    base = tmp_path_factory.mktemp("parity")
    trials = [polar(), palmira(), hostile_trial()]
    outs = []
    for engine in (True, False):
        cfg = _site(base / str(engine), engine, "site_url: https://trials.example.org/\n")
        out = base / str(engine) / "out"
        build_trials(trials, out, config_file=cfg, strict=True, pdf=False)
        outs.append(out)
    return outs[0], outs[1]


def test_trial_pages_are_the_pages_mkdocs_makes(parity: tuple[Path, Path]) -> None:
    engine, own = (digest_tree(p) for p in parity)
    assert engine.keys() == own.keys()
    html = sorted(k for k in engine if k.endswith(".html") and not k.startswith("search"))
    assert any(k.startswith("trials/NCT") for k in html)
    assert any(k.startswith("checklists/") for k in html) and any(
        k.startswith("conditions/") and k != "conditions/index.html" for k in html
    )
    assert [k for k in html if engine[k] != own[k]] == []
    # The sitemap lists the same pages.
    locs = [set(re.findall(r"<loc>([^<]+)</loc>", (p / "sitemap.xml").read_text())) for p in parity]
    assert locs[0] == locs[1]
    assert f"https://trials.example.org/trials/{POLAR_ID}/" in locs[1]


def test_trial_pages_are_found_by_search(parity: tuple[Path, Path]) -> None:
    """In the Pagefind index (test_search.py drives it in Chromium), not in Material's."""
    records = pagefind_records(parity[1] / "pagefind")
    own = [r for r in records if r["url"] == f"/trials/{POLAR_ID}/"]
    assert len(own) == 1 and "Palbociclib" in own[0]["content"]
    assert not any("/checklists/" in r["url"] for r in records)
    lunr = json.loads((parity[1] / "search" / "search_index.json").read_text("utf-8"))
    assert not any(d["location"].startswith(("trials/NCT", "checklists/")) for d in lunr["docs"])


@pytest.fixture(scope="module")
def served(parity: tuple[Path, Path]) -> Iterator[str]:
    with serve_dir(parity[1]) as url:
        yield url


def test_a_trial_page_has_the_theme_header_navigation_and_search(
    page: Any,
    served: str,
) -> None:
    page.goto(f"{served}trials/{POLAR_ID}/")
    assert page.locator("header.md-header").is_visible()
    assert page.locator(".md-header__topic").first.inner_text().strip() == "t"
    assert page.locator("nav.md-nav--primary").count() == 1
    assert page.locator("input.md-search__input").count() == 1
    page.locator("input.md-search__input").click()
    page.keyboard.type("Palbociclib")  # Material searches on key events
    results = page.locator(".md-search-result__item a")
    results.first.wait_for(timeout=15_000)
    hrefs = [results.nth(i).get_attribute("href") or "" for i in range(results.count())]
    assert any(f"trials/{POLAR_ID}/" in h for h in hrefs), hrefs
    assert page.locator("link[href$='trialpress.css']").count() == 1


def test_plain_mkdocs_builds_reuse_the_store_between_runs(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[1]
    cfg = _site(tmp_path, False)
    cfg.write_text(
        cfg.read_text().replace(
            "      engine_pages: false\n",
            "      engine_pages: false\n      pdf: false\n"
            f"      records: [{root}/examples/records]\n",
        )
    )

    def build() -> str:
        run = mkdocs_build(cfg, "--strict")
        assert run.returncode == 0, run.stderr
        (line,) = [ln for ln in run.stderr.splitlines() if "trialpress: 2 trials" in ln]
        return line

    assert "rendered 0 " not in build()
    first = (tmp_path / "site" / "trials" / POLAR_ID / "index.html").read_bytes()
    assert "rendered 0 pages" in build()
    assert (tmp_path / "site" / "trials" / POLAR_ID / "index.html").read_bytes() == first
    assert any((tmp_path / ".trialpress" / "store").rglob("*"))


# ----------------------------------------------------------------- URLs without directories


def test_links_pdfs_and_qr_codes_resolve_without_directory_urls(tmp_path: Path) -> None:
    from pypdf import PdfReader

    site_url = "https://trials.example.org/"
    cfg = _site(tmp_path, False, f"site_url: {site_url}\nuse_directory_urls: false\n")
    out = tmp_path / "out"
    build_trials([polar(), palmira()], out, config_file=cfg, strict=True, pdf=True, jobs=1)
    assert (out / "trials" / f"{POLAR_ID}.html").is_file()
    assert check_links(out) > 200
    trial = (out / "trials" / f"{POLAR_ID}.html").read_text("utf-8")
    assert f'href="../pdf/{POLAR_ID}-brief.pdf"' in trial
    assert f'href="../data/{POLAR_ID}.json"' in trial
    # Every link in the PDFs that points into the site names a file the site has.
    checked = 0
    for pdf in sorted((out / "pdf").glob("*.pdf")):
        for pg in PdfReader(pdf).pages:
            for annot in pg.get("/Annots") or []:
                uri = str(annot.get_object().get("/A", {}).get("/URI", ""))
                if uri.startswith(site_url):
                    rel = urlparse(uri).path.removeprefix(urlparse(site_url).path)
                    assert (out / rel).is_file(), (pdf.name, uri)
                    checked += 1
    assert checked >= 4
    sitemap = (out / "sitemap.xml").read_text()
    assert f"{site_url}trials/{POLAR_ID}.html" in sitemap


# ----------------------------------------------------------------- a Dask cluster


def test_one_process_a_pool_and_a_dask_cluster_build_byte_identical_sites(
    in_tmp: Path,
) -> None:
    """Pages, data and exports (in batches) and PDFs, rendered in this process, in two local
    worker processes and on a LocalCluster of two worker processes: the same bytes."""
    from distributed import LocalCluster

    trials, pdf_trials = _trials(), [polar(), palmira()]
    one = _build(trials, in_tmp / "one", None, jobs=1)
    pool = _build(trials, in_tmp / "pool", None, jobs=2)
    local_pdf = _build(pdf_trials, in_tmp / "local-pdf", None, pdf=True, jobs=2)
    with LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        address = cluster.scheduler_address.replace("tcp://", "dask://")
        dask = _build(trials, in_tmp / "dask", None, executor=address)
        dask_pdf = _build(pdf_trials, in_tmp / "dask-pdf", None, pdf=True, executor=address)
        # The cluster did the work: trials in batches (8 trials in 2, then 2 in 1), PDFs one
        # by one.
        done = {k: p.state_counts["memory"] for k, p in cluster.scheduler.task_prefixes.items()}
    assert done == {"render_batch": 2 + 1, "trialpress-pdf": 4}
    per_trial = sum(1 for t in trials for p in TRIAL_PAGES if p.applies(t))
    assert sum(r.startswith("page:") for r in one.rendered) == per_trial
    data = {f"data:{Layout.data(t.nct_id)}" for t in trials} | {f"data:{FINDER_DATA}"}
    assert {r for r in one.rendered if r.startswith("data:")} == data
    assert one.rendered == pool.rendered == dask.rendered
    reference = digest_tree(in_tmp / "one")
    assert digest_tree(in_tmp / "pool") == reference
    assert digest_tree(in_tmp / "dask") == reference
    assert sum(r.startswith("pdf:") for r in dask_pdf.rendered) == 4
    local, dask_site = digest_tree(in_tmp / "local-pdf"), digest_tree(in_tmp / "dask-pdf")
    assert any(k.endswith(".pdf") for k in local)
    assert local == dask_site
    assert sorted(local_pdf.rendered) == sorted(dask_pdf.rendered)  # PDFs: as they finish


@pytest.mark.parametrize("background", [False, True], ids=["waits", "in-background"])
def test_a_failing_pdf_takes_its_links_off_its_trials_pages(
    tmp_path: Path, background: bool
) -> None:
    """Pages are made linking the PDFs expected, while the PDFs render (after generate
    returns, with a background stack); a trial whose PDF fails has its pages made again,
    equal to pages made without PDFs, and its failed PDF is not listed."""
    options = PublishOptions(templates=failing_brief(tmp_path / "templates", POLAR_ID), jobs=2)
    corpus = Corpus([polar(), palmira()])
    out = tmp_path / "out"
    pages = {p.src(POLAR_ID) for p in TRIAL_PAGES if p.applies(polar())}
    with ExitStack() as stack:
        result = generate(corpus, options, out, background=stack if background else None)
        if background:
            assert result.finish is not None
            assert sorted(result.finish()) == sorted(pages)
        else:
            assert result.finish is None  # finished before generate returned
    assert [e.path for e in result.errors] == [polar().source.path]
    assert Layout.pdf(POLAR_ID, "brief") not in result.files
    assert (out / Layout.pdf(PALMIRA_ID, "brief")).is_file()
    plain = generate(corpus, replace(options, pdf=False), tmp_path / "plain")
    for src in pages:
        assert (out / src).read_bytes() == (plain.out / src).read_bytes()
    linked = (out / Layout.trial_src(PALMIRA_ID)).read_text(encoding="utf-8")
    assert Layout.pdf(PALMIRA_ID, "brief") in linked


# ----------------------------------------------------------------- trialpress generate


def test_generate_writes_markdown_an_engine_without_plugins_can_build(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[1]
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# Our trials\n\n[All trials](trials/index.md)\n")
    records = root / "examples" / "records"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "trialpress.cli", *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "TRIALPRESS_NO_CACHE": "1"},
        )

    done = run("generate", str(records), "--out", "docs")
    assert done.returncode == 0, done.stderr
    assert (docs / "trials" / f"{POLAR_ID}.md").read_text("utf-8").startswith("---\ntitle: ")
    assert (docs / "assets" / "trialpress" / "trialpress.css").is_file()
    # Plain MkDocs, no trialpress plugin: the generated Markdown builds on its own.
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: t\ntheme:\n  name: material\n  font: false\n"
        "extra_css: [assets/trialpress/trialpress.css]\n"
        "markdown_extensions: [toc, admonition, attr_list, tables]\n"
    )
    built = mkdocs_build(tmp_path / "mkdocs.yml", "-d", str(tmp_path / "site"))
    assert built.returncode == 0, built.stderr
    assert "Palbociclib" in (tmp_path / "site" / "trials" / POLAR_ID / "index.html").read_text(
        "utf-8"
    )
    # Generating again from fewer records removes only what it generated before.
    done = run("generate", str(records / f"{POLAR_ID}.txt"), "--out", "docs")
    assert done.returncode == 0, done.stderr
    assert not (docs / "trials" / f"{PALMIRA_ID}.md").exists()
    assert (docs / "trials" / f"{POLAR_ID}.md").is_file()
    assert (docs / "index.md").read_text().startswith("# Our trials")


def test_records_read_from_the_store_equal_records_read_from_their_files(tmp_path: Path) -> None:
    from tests.conftest import v2_study_files
    from trialpress.readers import read_records

    root = Path(__file__).resolve().parents[1]
    paths = [root / "examples" / "records", *v2_study_files()[:2]]
    fresh, errors = read_records(paths)
    assert fresh and errors == []
    store = Store(tmp_path / "store")
    first, _ = read_records(paths, store=store)
    entries = sorted(p for p in (tmp_path / "store").rglob("*") if p.is_file())
    assert entries
    stamps = {p: p.stat().st_mtime_ns for p in entries}
    again, _ = read_records(paths, store=store)
    assert again == fresh and first == fresh
    assert [t.model_dump_json() for t in again] == [t.model_dump_json() for t in fresh]
    assert {p: p.stat().st_mtime_ns for p in entries} == stamps  # read, not written
    # A damaged entry is read from the file again.
    entries[0].write_bytes(entries[0].read_bytes()[:-5])
    damaged, _ = read_records(paths, store=store)
    assert damaged == fresh and store.corrupt == [entries[0].name]
    assert Store(tmp_path / "store").get(entries[0].name) is not None  # rewritten


def test_a_build_while_another_holds_the_working_folder_works_in_its_own(in_tmp: Path) -> None:
    """Two builds into one output never share a working folder: the second gets a
    temporary one (everything rendered there, nothing reused from the held folder)."""
    trials = [polar(), palmira()]
    cache = in_tmp / "cache"
    _build(trials, in_tmp / "a", cache)
    reference = digest_tree(in_tmp / "a")
    (lock_path,) = (cache / "work").glob("*.lock")
    work = lock_path.with_suffix("")
    before = digest_tree(work)
    with lock_path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        changed = [t.model_copy(update={"title": t.title + " (amended)"}) for t in trials]
        result = _build(changed, in_tmp / "a", cache)
        fcntl.flock(lock, fcntl.LOCK_UN)
    assert digest_tree(work) == before  # the held folder was not touched
    assert {f"html:{Layout.trial_src(t.nct_id)}" for t in trials} <= set(result.rendered)
    assert digest_tree(in_tmp / "a") != reference
    assert list(in_tmp.glob(".a.tmp-*")) == []


def test_a_failed_rebuild_leaves_the_linked_previous_output_as_it_was(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The output's files are hard links to the working folder's: a build that rewrites
    the working folder and then fails must leave the previous output byte-identical."""
    from trialpress import search
    from trialpress.errors import BuildError, RenderError

    trials = [polar(), palmira()]
    cache = in_tmp / "cache"
    _build(trials, in_tmp / "a", cache)
    reference = digest_tree(in_tmp / "a")
    page = in_tmp / "a" / "trials" / POLAR_ID / "index.html"
    assert page.stat().st_nlink > 1  # linked, not copied
    (work,) = [p for p in (cache / "work").iterdir() if p.is_dir()]
    working = digest_tree(work)

    def fail(*args: Any, **kwargs: Any) -> None:
        raise RenderError("search index failed", "pagefind")

    changed = [t.model_copy(update={"title": t.title + " (amended)"}) for t in trials]
    with monkeypatch.context() as mp:
        mp.setattr(search.Indexing, "finish", fail)
        with pytest.raises((BuildError, RenderError)):
            build_trials(changed, in_tmp / "a", cache=cache, pdf=False)
    assert digest_tree(work) != working  # the working folder moved on ...
    assert digest_tree(in_tmp / "a") == reference  # ... the output did not
    assert list(in_tmp.glob(".a.*")) == []
    # The next build finishes from that working folder: as a build from scratch.
    _build(changed, in_tmp / "a", cache)
    _build(changed, in_tmp / "fresh", None)
    assert digest_tree(in_tmp / "a") == digest_tree(in_tmp / "fresh")


def test_the_replaced_output_is_removed_by_the_next_build_while_it_works(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A rebuild moves the output it replaces into its working folder (never beside the
    site) instead of removing thousands of folders before it returns; the next build
    removes it in a thread while it builds and has joined it before it ends, also when it
    fails, and a failed build leaves the output as it was."""
    import threading

    from trialpress import build, search
    from trialpress.errors import BuildError, RenderError

    trials = [polar(), palmira()]
    cache = in_tmp / "cache"
    _build(trials, in_tmp / "a", cache)
    (work,) = [p for p in (cache / "work").iterdir() if p.is_dir()]
    assert not (work / build.RETIRED).exists()
    first_page = in_tmp / "a" / "index.html"
    first = first_page.stat().st_ino

    def amended(n: int) -> list[Trial]:
        return [t.model_copy(update={"title": f"{t.title} (amended {n})"}) for t in trials]

    _build(amended(1), in_tmp / "a", cache)
    assert (work / build.RETIRED / "index.html").stat().st_ino == first  # moved, not copied
    assert sorted(p.name for p in in_tmp.iterdir() if p.name.startswith(".a")) == []
    second = digest_tree(in_tmp / "a")
    second_ino = first_page.stat().st_ino

    # The removal runs in a thread while the build works: it waits until the build has
    # reached its search index (it would time out if it ran before or after the build).
    reached, removed = threading.Event(), threading.Event()
    remove = build._remove_tree

    def remove_when_reached(root: Path) -> None:
        if reached.wait(timeout=60):
            removed.set()
        remove(root)

    def fail(self: Any, *args: Any, **kwargs: Any) -> None:
        reached.set()
        raise RenderError("search index failed", "pagefind")

    with monkeypatch.context() as mp:
        mp.setattr(build, "_remove_tree", remove_when_reached)
        mp.setattr(search.Indexing, "finish", fail)
        with pytest.raises((BuildError, RenderError)):
            build_trials(amended(2), in_tmp / "a", cache=cache, pdf=False)
    assert removed.is_set()  # the removal ran while the build worked ...
    assert not any(t.name.endswith("retired-remover") for t in threading.enumerate())
    assert not (work / build.RETIRED).exists()  # ... and was joined before it ended
    assert digest_tree(in_tmp / "a") == second
    assert first_page.stat().st_ino == second_ino

    _build(amended(3), in_tmp / "a", cache)
    assert (work / build.RETIRED / "index.html").stat().st_ino == second_ino
    assert sorted(p.name for p in in_tmp.iterdir() if p.name.startswith(".a")) == []
    # What the retired folder holds never changes what the next build makes.
    (work / build.RETIRED / "stray.txt").write_text("x")
    _build(amended(4), in_tmp / "a", cache)
    _build(amended(4), in_tmp / "fresh", None)
    assert digest_tree(in_tmp / "a") == digest_tree(in_tmp / "fresh")


def test_pagefind_runs_while_the_pages_are_built(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Pagefind run starts once the search entries are known (on_files), before the
    standalone pages are built (on_env), and is waited for only in on_post_build."""
    from trialpress import search
    from trialpress.plugin import TrialpressPlugin

    events: list[str] = []
    start, on_env, finish = search._start_pagefind, TrialpressPlugin.on_env, search.Indexing.finish

    def started(args: Any) -> Any:
        events.append("pagefind started")
        return start(args)

    def env(self: Any, *args: Any, **kwargs: Any) -> Any:
        events.append("pages built")
        return on_env(self, *args, **kwargs)

    def finished(self: Any, site_dir: Path) -> Any:
        events.append("pagefind joined")
        return finish(self, site_dir)

    monkeypatch.setattr(search, "_start_pagefind", started)
    monkeypatch.setattr(TrialpressPlugin, "on_env", env)
    monkeypatch.setattr(search.Indexing, "finish", finished)
    _build([polar(), palmira()], in_tmp / "a", in_tmp / "cache")
    assert events == ["pagefind started", "pages built", "pagefind joined"]
    assert (in_tmp / "a" / "pagefind" / "pagefind.js").is_file()


def test_a_retired_place_that_cannot_be_used_falls_back_to_removing_the_old_output(
    tmp_path: Path,
) -> None:
    """When the output cannot be renamed into the working folder (another mount), the swap
    still succeeds and removes the old output itself, leaving nothing beside the site."""
    from trialpress.build import _swap_into_place

    out, new = tmp_path / "site", tmp_path / ".site.tmp"
    for folder, text in ((out, "old"), (new, "new")):
        (folder / "sub").mkdir(parents=True)
        (folder / "sub" / "index.html").write_text(text)
    unusable = tmp_path / "no-such-folder" / "retired"
    _swap_into_place(new, out, unusable)
    assert (out / "sub" / "index.html").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]
