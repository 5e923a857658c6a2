"""A strict MkDocs build of the test corpus, checked through its parsed HTML.

Built once per session (tests/site_helpers.py) and shared by every assertion here and by
the browser tests.
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote, urlparse

import pytest

from tests.sample_trials import PALMIRA_ID, POLAR_ID
from tests.site_helpers import (
    BuiltSite,
    article_of,
    built_site,
    check_links,
    html_files,
    pagefind_records,
    parsed,
    soup_of,
)
from trialpress.escaping import clean

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    return built_site(tmp_path_factory)


def _words(text: str) -> str:
    """Text as a reader sees it: control characters as pictures, whitespace collapsed."""
    return " ".join(clean(text).split())


def test_build_succeeds_with_every_trial(site: BuiltSite) -> None:
    v2 = [t for t in site.trials if t.source.format == "ctgov-json" and t.nct_id[3] != "9"]
    assert len(v2) >= 50
    assert max(len(t.locations) for t in v2) == 437
    assert max(len(t.eligibility.raw_text or "") for t in v2) > 19_000
    assert site.result.errors == []
    assert site.result.trials == len(site.trials)
    for t in site.trials:
        assert (site.root / "trials" / t.nct_id / "index.html").is_file()
        assert (site.root / "checklists" / t.nct_id / "index.html").is_file()
        data = json.loads((site.root / "data" / f"{t.nct_id}.json").read_text(encoding="utf-8"))
        assert data == t.model_dump(mode="json")
    for kind in ("conditions", "interventions", "sponsors", "countries", "status", "phases"):
        assert (site.root / kind / "index.html").is_file()
    assert (site.root / "trials" / "index.html").is_file()


def test_every_criterion_once_in_source_order(site: BuiltSite) -> None:
    for t in site.trials:
        expected = [_words(c.text) for c in t.eligibility.all_criteria()]
        for page in ("trials", "checklists"):
            soup = article_of(site.root / page / t.nct_id / "index.html")
            found = [_words(s.get_text()) for s in soup.select(".tp-crit-text")]
            assert found == [_words(e) for e in expected], (page, t.nct_id)


def test_every_internal_link_and_anchor_resolves(site: BuiltSite) -> None:
    assert check_links(site.root) > 500


def test_polar_links_palmira_and_registry(site: BuiltSite) -> None:
    soup = soup_of(site.root / "trials" / POLAR_ID / "index.html")
    hrefs = [a.get("href") for a in soup.select(".tp-related a")]
    assert f"../../trials/{PALMIRA_ID}/" in hrefs
    assert "https://clinicaltrials.gov/study/NCT03280303" in hrefs
    built = {t.nct_id for t in site.trials}
    for t in site.trials:
        links = [
            a.get("href")
            for a in article_of(site.root / "trials" / t.nct_id / "index.html").select(
                ".tp-related a"
            )
        ]
        expected = [
            f"../../trials/{r.nct_id}/"
            if r.nct_id in built
            else f"https://clinicaltrials.gov/study/{quote(r.nct_id, safe='')}"
            for r in t.related_trials
        ]
        assert links == expected, t.nct_id


def test_json_ld_is_a_medical_trial(site: BuiltSite) -> None:
    for t in site.trials:
        soup = article_of(site.root / "trials" / t.nct_id / "index.html")
        blocks = soup.find_all("script", type="application/ld+json")
        assert len(blocks) == 1
        data = json.loads(blocks[0].string)
        assert data["@type"] == "MedicalTrial"
        assert data["identifier"] == t.nct_id
        assert data["name"] == t.title
        assert data["url"] == f"https://clinicaltrials.gov/study/{t.nct_id}"


def test_nothing_is_requested_from_another_host(site: BuiltSite) -> None:
    loading = ("stylesheet", "preload", "icon", "preconnect", "modulepreload", "manifest")
    for path in html_files(site.root):
        page = parsed(path)
        for tag, attr, value, rel in page.refs:
            if attr == "src" or (tag == "link" and any(r in rel for r in loading)):
                assert not urlparse(value).netloc, (path, tag, value)
        for style in page.styles:
            assert not re.search(r"url\(\s*['\"]?(https?:)?//|@import", style), path
    for css in site.root.rglob("*.css"):
        text = css.read_text(encoding="utf-8")
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", text), css
        assert "@import" not in text, css


def test_trials_stay_out_of_the_navigation(site: BuiltSite) -> None:
    soup = soup_of(site.root / "index.html")
    nav = " ".join(a.get("href", "") for a in soup.select("nav.md-nav a"))
    assert "trials/index.html" in nav or "trials/" in nav
    for t in site.trials:
        assert t.nct_id not in nav


def test_search_index_is_lean(site: BuiltSite) -> None:
    """Trial pages are found through the Pagefind index (see test_search.py), which holds
    what people search for, not locations or criteria; Material's lunr index has no trials."""
    lunr = json.loads((site.root / "search" / "search_index.json").read_text("utf-8"))
    locs = {d["location"].split("#")[0] for d in lunr["docs"]}
    assert not any(loc.startswith(("checklists/", "trials/NCT")) for loc in locs)
    records = pagefind_records(site.root / "pagefind")
    assert not any("/checklists/" in r["url"] for r in records)
    own = next(r for r in records if r["url"] == f"/trials/{POLAR_ID}/")
    text = own["content"]
    polar = next(t for t in site.trials if t.nct_id == POLAR_ID)
    facilities = [loc.facility for loc in polar.locations if loc.facility]
    assert facilities and not any(f in text for f in facilities)  # locations not indexed
    criteria = [c.text for c in polar.eligibility.all_criteria() if len(c.text) > 30]
    assert criteria and not any(c in text for c in criteria)  # nor eligibility criteria
    assert polar.title in text  # titles are
    for i in polar.interventions:
        assert i.name in text  # interventions are
    for s in polar.sponsors:
        assert s.name in text  # sponsors are
    for ident in polar.identifiers:
        assert ident.id in text  # identifiers are
    every = " ".join(r["content"] for r in records)
    conditions = [c for t in site.trials for c in t.conditions if c.replace(" ", "").isalnum()]
    assert conditions and all(c in every for c in conditions)  # conditions are


def test_hostile_text_stays_text(site: BuiltSite) -> None:
    from tests.sample_trials import HOSTILE, hostile_trial

    nct = hostile_trial().nct_id
    for page in ("trials", "checklists"):
        soup = soup_of(site.root / page / nct / "index.html")
        content = soup.select_one("article.md-content__inner")
        assert content is not None
        for el in content.find_all(True):
            assert el.name not in ("script", "img", "iframe", "style", "object", "embed") or (
                el.name == "script" and el.get("type") == "application/ld+json"
            ), el
            assert not [a for a in el.attrs if a.lower().startswith("on")], el
            if el.name == "a":
                assert not el["href"].lower().startswith(("javascript:", "data:")), el
        text = _words(content.get_text())
        for h in HOSTILE[:14] if page == "trials" else [HOSTILE[10]]:
            assert _words(h) in text, h
        for table in content.find_all("table"):
            widths = {len(tr.find_all(["td", "th"])) for tr in table.find_all("tr")}
            assert len(widths) == 1, widths
        # Only the template's own headings.
        heads = [h.name for h in content.find_all(re.compile("^h[1-6]$"))]
        assert heads.count("h1") == 1
    title = soup_of(site.root / "trials" / nct / "index.html").title
    assert title is not None and title.get_text().startswith("<script>alert(1)</script>")


def test_theme_search_dialog_is_named(site: BuiltSite) -> None:
    """axe's aria-dialog-name: the plugin names Material's search dialog on every page."""
    for rel in ("index.html", f"trials/{POLAR_ID}/index.html", f"checklists/{POLAR_ID}/index.html"):
        dialog = soup_of(site.root / rel).select_one("div.md-search[role=dialog]")
        assert dialog is not None and dialog.get("aria-label") == "Search", rel
