"""Search at scale: trial and term pages in a Pagefind index, answered in Material's box.

The index is built by the real Pagefind binary and read back (its fragments are gzip'd
JSON); the header search box is driven in Debian Chromium on a real strict build, over a
static HTTP server and under ``trialpress serve``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import html5lib
import pytest

from tests.browser import first_search, serve_dir
from tests.conftest import PALMIRA, POLAR, v2_study_files
from tests.sample_trials import HOSTILE, PALMIRA_ID, POLAR_ID, hostile_trial
from tests.site_helpers import (
    ROOT,
    BuiltSite,
    built_site,
    pagefind_records,
    read_ok,
    trialpress_serve,
)
from trialpress import escaping, search
from trialpress.build import build_trials
from trialpress.corpus import Corpus
from trialpress.errors import RenderError
from trialpress.publish import PublishOptions, SearchEntry, generate

HOSTILE_ID = "NCT09999999"


def _tree(root: Path | None) -> dict[str, bytes]:
    assert root is not None
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def site_entries(corpus: Corpus, directory_urls: bool, out: Path) -> list[SearchEntry]:
    """The search entries a build indexes: the publish stage's (trials) and the terms'."""
    options = PublishOptions(pdf=False, use_directory_urls=directory_urls)
    generated = generate(corpus, options, out)
    return [*generated.search, *search.term_entries(corpus, options.layout)]


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return Corpus([*read_ok([POLAR, PALMIRA]), hostile_trial(HOSTILE_ID)])


def test_stub_keeps_record_text_inert(corpus: Corpus, tmp_path: Path) -> None:
    entries = site_entries(corpus, True, tmp_path)
    entry = next(e for e in entries if e.url == f"trials/{HOSTILE_ID}/")
    doc = html5lib.parse(search.stub_html(entry, "en"), namespaceHTMLElements=False)
    main = doc.find("body/main")
    assert main is not None
    assert [child.tag for child in main] == ["h1", "p"]
    assert doc.findall(".//script") == [] and doc.findall(".//img") == []
    title, text = (" ".join("".join(e.itertext()).split()) for e in main)
    assert title == " ".join(escaping.clean(entry.title).split())
    assert text == " ".join(escaping.clean(entry.text).split())
    assert HOSTILE[0] in text and HOSTILE[1] in text  # as text


@pytest.mark.parametrize("directory_urls", [True, False])
def test_pagefind_records_every_page_at_its_url(
    corpus: Corpus, tmp_path: Path, directory_urls: bool
) -> None:
    entries = site_entries(corpus, directory_urls, tmp_path / "generated")
    index = search.write_index(entries, tmp_path / "site")
    assert index is not None
    records = pagefind_records(index)
    assert sorted(r["url"] for r in records) == sorted("/" + e.url for e in entries)
    polar = next(r for r in records if POLAR_ID in r["url"])
    assert polar["url"] == (
        f"/trials/{POLAR_ID}/" if directory_urls else f"/trials/{POLAR_ID}.html"
    )
    assert polar["meta"]["title"] == corpus.trials[POLAR_ID].title
    hostile = next(r for r in records if HOSTILE_ID in r["url"])
    assert HOSTILE[1] in hostile["content"]  # kept as text; the worker escapes it
    # Pagefind's ready-made UIs are not published: Material's box is the UI.
    assert not list(index.glob("pagefind-*ui*")) and (index / "pagefind.js").is_file()


def test_index_is_deterministic_cached_and_checked(
    corpus: Corpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs: list[int] = []
    real = search._start_pagefind

    def counting(*args: Any, **kwargs: Any) -> Any:
        runs.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(search, "_start_pagefind", counting)
    entries = site_entries(corpus, True, tmp_path / "generated")
    plain = _tree(search.write_index(entries, tmp_path / "a"))
    assert _tree(search.write_index(list(reversed(entries)), tmp_path / "b")) == plain
    cache = tmp_path / "cache"
    assert _tree(search.write_index(entries, tmp_path / "c", cache_dir=cache)) == plain
    assert len(runs) == 3
    assert _tree(search.write_index(entries, tmp_path / "d", cache_dir=cache)) == plain
    assert len(runs) == 3  # unchanged entries: the cached index is reused
    # A damaged cache entry is detected and rebuilt, never published.
    victim = next((cache / "search" / "pagefind" / "fragment").iterdir())
    victim.write_bytes(b"corrupt")
    assert _tree(search.write_index(entries, tmp_path / "e", cache_dir=cache)) == plain
    assert len(runs) == 4
    # A changed entry changes the index.
    changed = [*entries[1:], SearchEntry(url=entries[0].url, title="Another title", text="")]
    assert _tree(search.write_index(changed, tmp_path / "f", cache_dir=cache)) != plain
    assert len(runs) == 5


def test_a_new_index_shares_the_unchanged_files_of_the_last_one(
    corpus: Corpus, tmp_path: Path
) -> None:
    """When an entry changes, Pagefind runs again, but each file of the new index whose
    bytes the cached one holds under the same name is linked to the cached file (shared by
    the sites that link it, so it is neither freed nor written again); the index is the
    one a run without any cache makes, and the last site keeps its own."""
    entries = site_entries(corpus, True, tmp_path / "generated")
    cache = tmp_path / "cache"
    first = search.write_index(entries, tmp_path / "a", cache_dir=cache)
    assert first is not None
    published = _tree(first)

    def inodes(root: Path) -> dict[str, int]:
        return {
            p.relative_to(root).as_posix(): p.stat().st_ino for p in root.rglob("*") if p.is_file()
        }

    before = inodes(cache / "search" / "pagefind")
    changed = [*entries[1:], SearchEntry(url=entries[0].url, title="Another title", text="")]
    second = search.write_index(changed, tmp_path / "b", cache_dir=cache)
    assert second is not None
    assert _tree(second) == _tree(search.write_index(changed, tmp_path / "fresh"))
    assert _tree(first) == published
    after = {rel: ino for rel, ino in inodes(second).items() if rel != search.PARTS_FILE}
    assert after == inodes(cache / "search" / "pagefind")  # the site links the cached index
    shared = {rel for rel, ino in after.items() if before.get(rel) == ino}
    fragments = {rel for rel in after if rel.startswith("fragment/")}
    assert len(shared & fragments) == len(fragments) - 1  # all but the changed page's
    assert shared != set(after)  # the index files that changed are new
    assert all(inodes(first)[rel] == after[rel] for rel in shared)


def test_stubs_are_kept_and_only_changes_touch_them(corpus: Corpus, tmp_path: Path) -> None:
    """The stubs Pagefind reads are kept in the working folder between builds: an
    unchanged entry's stub (and its folder) stays as it is, a changed one is rewritten, a
    removed one goes with its folder, and a stray file never reaches the index."""
    entries = site_entries(corpus, True, tmp_path / "generated")
    cache = tmp_path / "cache"
    search.write_index(entries, tmp_path / "a", cache_dir=cache)
    stubs = cache / "search" / "stubs"
    first, second, *rest = entries
    kept = stubs / search.stub_path(second.url)
    before = kept.stat().st_ino, kept.parent.stat().st_ino
    (stubs / "stray" / "index.html").parent.mkdir()
    (stubs / "stray" / "index.html").write_text("<html><body>stray</body></html>")
    changed = SearchEntry(url=second.url, title="Another title", text="")
    search.write_index([changed, *rest], tmp_path / "b", cache_dir=cache)
    assert not (stubs / search.stub_path(first.url)).exists()
    assert not (stubs / "stray").exists()
    assert "Another title" in kept.read_text(encoding="utf-8")
    assert kept.parent.stat().st_ino == before[1]  # its folder was not made again
    assert kept.stat().st_ino != before[0]
    unchanged = stubs / search.stub_path(rest[0].url)
    ino = unchanged.stat().st_ino
    search.write_index([*rest, changed], tmp_path / "c", cache_dir=cache)  # index reused
    third = SearchEntry(url=second.url, title="Third title", text="")
    search.write_index([*rest, third], tmp_path / "d", cache_dir=cache)
    assert unchanged.stat().st_ino == ino
    found = {r["url"] for r in pagefind_records(tmp_path / "d" / "pagefind")}
    assert found == {f"/{e.url}" for e in [*rest, third]}
    # The same index as from stubs made from scratch.
    assert _tree(tmp_path / "d" / "pagefind") == _tree(
        search.write_index([*rest, third], tmp_path / "e")
    )


def test_a_large_index_is_made_in_parts_and_a_change_runs_one_again(
    corpus: Corpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above ``part_bytes`` of stubs the index is made in parts, one Pagefind run after
    another (Pagefind's memory grows with what one run indexes); together they hold every
    page once, the parts file lists the further parts for the search worker, and a changed
    entry makes Pagefind run again for its own part alone."""
    runs: list[int] = []
    real = search._start_pagefind

    def counting(parts: Any) -> Any:
        runs.append(len(parts))
        return real(parts)

    monkeypatch.setattr(search, "_start_pagefind", counting)
    entries = site_entries(corpus, True, tmp_path / "generated")
    size = sum(len(search.stub_html(e, "en").encode("utf-8")) for e in entries)
    part_bytes = size // 3 + 1
    cache = tmp_path / "cache"
    index = search.write_index(entries, tmp_path / "a", cache_dir=cache, part_bytes=part_bytes)
    assert index is not None
    further = json.loads((index / search.PARTS_FILE).read_text(encoding="utf-8"))
    assert further == [f"part-{n}/" for n in range(1, len(further) + 1)] and further
    assert runs == [len(further) + 1]
    assert all((index / part / "pagefind-entry.json").is_file() for part in further)
    urls = [r["url"] for r in pagefind_records(index)]
    assert sorted(urls) == sorted("/" + e.url for e in entries)
    plain = _tree(index)
    assert _tree(search.write_index(entries, tmp_path / "b", part_bytes=part_bytes)) == plain
    # The same length of text, so the same number of parts: one part is indexed again.
    first = entries[0]
    changed = [SearchEntry(url=first.url, title=first.title[::-1], text=first.text), *entries[1:]]
    again = search.write_index(changed, tmp_path / "c", cache_dir=cache, part_bytes=part_bytes)
    assert runs == [len(further) + 1, len(further) + 1, 1]
    assert _tree(again) == _tree(search.write_index(changed, tmp_path / "d", part_bytes=part_bytes))
    # One part again: the further parts' cached indexes go, and the site has none.
    one = search.write_index(entries, tmp_path / "e", cache_dir=cache)
    assert one is not None and not list(one.glob("part-*")) and not list(cache.glob("*/part-*"))
    assert json.loads((one / search.PARTS_FILE).read_text(encoding="utf-8")) == []


def test_a_failed_run_publishes_nothing_and_keeps_the_cache(
    corpus: Corpus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Pagefind run that fails is reported with its output; neither the site nor the
    cached index of the last good run changes. A cancelled run (a failed build) is stopped
    and leaves nothing behind."""
    entries = site_entries(corpus, True, tmp_path / "generated")
    cache = tmp_path / "cache"
    good = _tree(search.write_index(entries, tmp_path / "a", cache_dir=cache))
    real = search._start_pagefind
    changed = [SearchEntry(url=entries[0].url, title="Changed", text=""), *entries[1:]]
    monkeypatch.setattr(
        search, "_start_pagefind", lambda runs: real([[*run, "--no-such-flag"] for run in runs])
    )
    with pytest.raises(RenderError, match="Pagefind failed"):
        search.write_index(changed, tmp_path / "b", cache_dir=cache)
    assert not (tmp_path / "b" / "pagefind").exists()
    assert not (cache / "search" / ".pagefind-run").exists()
    monkeypatch.setattr(search, "_start_pagefind", real)
    # The last good index is still served for its entries, without a run.
    assert _tree(search.write_index(entries, tmp_path / "c", cache_dir=cache)) == good
    running = search.start_index(changed, cache_dir=cache)
    running.cancel()
    assert not (cache / "search" / ".pagefind-run").exists()
    assert _tree(search.write_index(entries, tmp_path / "d", cache_dir=cache)) == good


def test_the_index_is_placed_into_reused_empty_folders_and_never_through_links(
    tmp_path: Path,
) -> None:
    """A rebuild's site may already hold the index's folders, empty (reused from the output
    it replaces): they are kept and the files linked into them. A folder that holds
    anything, or a link, is replaced: nothing is written through a link or left over."""
    src = tmp_path / "index"
    (src / "fragment").mkdir(parents=True)
    (src / "pagefind.js").write_text("js")
    (src / "fragment" / "a.pf_fragment").write_text("a")

    reused = tmp_path / "reused" / "pagefind"
    (reused / "fragment").mkdir(parents=True)
    inode = (reused / "fragment").stat().st_ino
    search._copy_tree(src, reused)
    assert (reused / "fragment").stat().st_ino == inode
    assert _tree(reused) == _tree(src)
    assert (reused / "pagefind.js").stat().st_ino == (src / "pagefind.js").stat().st_ino

    stray = tmp_path / "stray" / "pagefind"
    (stray / "fragment").mkdir(parents=True)
    (stray / "fragment" / "old.pf_fragment").write_text("old")
    search._copy_tree(src, stray)
    assert _tree(stray) == _tree(src)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    linked = tmp_path / "linked" / "pagefind"
    linked.mkdir(parents=True)
    (linked / "fragment").symlink_to(elsewhere, target_is_directory=True)
    search._copy_tree(src, linked)
    assert _tree(linked) == _tree(src)
    assert not (linked / "fragment").is_symlink()
    assert list(elsewhere.iterdir()) == []


def test_no_entry_no_index(tmp_path: Path) -> None:
    (tmp_path / "pagefind").mkdir()  # a stale index from an earlier build goes
    assert search.write_index([], tmp_path) is None
    assert not (tmp_path / "pagefind").exists()


def test_duplicate_urls_are_refused(tmp_path: Path) -> None:
    entry = SearchEntry(url="trials/NCT00000001/", title="A", text="a")
    with pytest.raises(RenderError, match="share one URL"):
        search.write_index([entry, entry], tmp_path)


def test_worker_swap_only_touches_material_config() -> None:
    html = (
        '<script id="__config" type="application/json">{"search": '
        '"../../assets/javascripts/workers/search.a7633da7.min.js", "x": 1}</script>'
    )
    swapped = search.use_search_worker(html, "trials/index.html")
    assert swapped == html.replace(
        "search.a7633da7.min.js",
        "trialpress-search.js?material=search.a7633da7.min.js&trials=trials%2Findex.html",
    )
    other = '<script>var search = "assets/search.js"</script>'
    assert search.use_search_worker(other) == other


# -- the built demo site --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    return built_site(tmp_path_factory)


@pytest.mark.slow
def test_lunr_index_leaves_trial_and_term_pages_to_pagefind(site: BuiltSite) -> None:
    lunr = json.loads((site.root / "search" / "search_index.json").read_text(encoding="utf-8"))
    locations = [d["location"] for d in lunr["docs"]]
    term_or_trial = re.compile(r"(trials/NCT|conditions/[a-z0-9])")
    assert locations and not [loc for loc in locations if term_or_trial.match(loc)]
    records = {r["url"] for r in pagefind_records(site.root / "pagefind")}
    assert {f"/trials/{t.nct_id}/" for t in site.trials} <= records
    assert "/conditions/breast-cancer/" in records
    worker = "assets/javascripts/workers/trialpress-search.js?material=search."
    for path in [site.root / "index.html", site.root / "trials" / POLAR_ID / "index.html"]:
        assert worker in path.read_text(encoding="utf-8")
    assert (site.root / search.WORKER_ASSET).is_file()


@pytest.fixture(scope="module")
def base_url(site: BuiltSite) -> Iterator[str]:
    with serve_dir(site.root) as url:
        yield url


def _search(pg: Any, url: str, query: str) -> Any:
    pg.goto(url)
    box = pg.locator("input[data-md-component=search-query]")
    box.click()
    box.press_sequentially(query, delay=30)
    return pg.locator(".md-search-result__list li > a")


def _clean(pg: Any) -> None:
    log = pg.tp_log
    assert (log.console_errors, log.page_errors, log.dialogs, log.foreign_requests) == (
        [],
        [],
        [],
        [],
    )


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("start", ["", f"trials/{POLAR_ID}/"], ids=["home", "trial-page"])
def test_header_search_finds_a_trial(page: Any, base_url: str, start: str) -> None:
    results = _search(page, base_url + start, "palbociclib rechallenge")
    trial = results.filter(has=page.locator("h1", has_text="PALMIRA"))
    trial.first.wait_for(timeout=30_000)
    assert trial.first.get_attribute("href").split("?")[0].endswith(f"/trials/{PALMIRA_ID}/")
    assert "<mark>" in trial.first.locator("article").inner_html().lower()
    trial.first.click()
    page.wait_for_url(re.compile(rf"/trials/{PALMIRA_ID}/"))
    assert "PALMIRA" in page.locator("h1").first.inner_text()
    _clean(page)


@pytest.mark.slow
@pytest.mark.browser
def test_hand_written_pages_still_come_from_lunr(page: Any, base_url: str) -> None:
    results = _search(page, base_url, "checklist")
    first = results.first
    first.wait_for(timeout=30_000)
    hrefs = [a.get_attribute("href") for a in results.all()]
    assert any("how-to-read" in h for h in hrefs), hrefs
    _clean(page)


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize(
    ("query", "shown"),
    [("onerror", HOSTILE[1]), ("already escaped", "&lt;already&gt; &amp; escaped")],
)
def test_hostile_text_is_shown_as_written(
    page: Any,
    base_url: str,
    query: str,
    shown: str,
) -> None:
    trial = hostile_trial(HOSTILE_ID)
    _search(page, base_url, query)
    hit = page.locator(f".md-search-result__list li > a[href*='/trials/{HOSTILE_ID}/']").first
    hit.wait_for(timeout=30_000)
    assert hit.locator("h1").inner_text() == " ".join(escaping.clean(trial.title).split())
    # Record text, entity-like text included, is shown as written; the match is marked.
    assert shown in hit.locator("article").inner_text()
    assert query.split()[0] in hit.locator("mark").first.inner_text()
    assert page.locator(".md-search-result img, .md-search-result script").count() == 0
    _clean(page)


@pytest.mark.slow
@pytest.mark.browser
def test_first_query_loads_little(page: Any, base_url: str) -> None:
    found = first_search(page, base_url, "breast cancer")
    files = [f.split("?")[0].removeprefix(base_url) for f in found["files"]]
    fragments = [f for f in files if f.endswith(".pf_fragment")]
    chunks = [f for f in files if f.endswith(".pf_index")]
    # One chunk per query word at most, one fragment per result shown, nothing else of the index.
    assert 1 <= len(chunks) <= 2 and 1 <= len(fragments) <= 20
    assert len(fragments) == len(set(fragments))
    assert "search/search_index.json" in files
    assert len(files) == len(set(files))
    total = found["bytes"]["index"] + found["bytes"]["code"]
    assert 0 < total <= 500_000, found
    assert any("/trials/" in link for link in found["links"])


@pytest.mark.slow
@pytest.mark.browser
def test_search_answers_from_every_part_of_the_index(
    page: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A site whose index was made in parts answers from all of them: a trial indexed in a
    further part is found by its NCT ID, with no error in the page."""
    monkeypatch.setattr(search, "PART_BYTES", 100_000)
    trials = read_ok([POLAR, PALMIRA, *v2_study_files()[:12]])
    out = tmp_path / "out"
    build_trials(
        trials,
        out,
        config_file=ROOT / "mkdocs.yml",
        strict=True,
        cache_dir=tmp_path / "cache",
        history=tmp_path / "history",
        pdf=False,
    )
    further = json.loads((out / "pagefind" / search.PARTS_FILE).read_text(encoding="utf-8"))
    assert len(further) >= 2
    urls = [
        r["url"]
        for part in further
        for r in pagefind_records(out / "pagefind" / part)
        if r["url"].startswith("/trials/NCT")
    ]
    nct_id = urls[-1].split("/")[2]
    with serve_dir(out) as url:
        results = _search(page, url, nct_id)
        hit = results.filter(has_text=nct_id).first
        hit.wait_for(timeout=30_000)
        assert hit.get_attribute("href").split("?")[0].endswith(f"/trials/{nct_id}/")
    _clean(page)


@pytest.mark.slow
@pytest.mark.browser
def test_search_works_under_trialpress_serve(page: Any, tmp_path: Path) -> None:
    args = [str(POLAR), str(PALMIRA), "--config", str(ROOT / "mkdocs.yml")]
    with trialpress_serve(args, tmp_path, "pagefind/pagefind-entry.json") as url:
        results = _search(page, url, POLAR_ID)
        hit = results.filter(has_text=POLAR_ID).first
        hit.wait_for(timeout=30_000)
        assert hit.get_attribute("href").split("?")[0].endswith(f"/trials/{POLAR_ID}/")
