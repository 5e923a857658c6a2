"""What changed, on the built site: trial pages, recent changes, the Atom feed, checklists.

Three real builds (MkDocs, bundled config) of real shared studies share one history store
in the default place: the originals, then two of them amended, then the same records again.
"""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import feedparser
import pytest
from bs4 import BeautifulSoup

from tests import amendments as am
from tests.hostile_corpus import PAYLOADS
from trialpress.build import build_trials
from trialpress.changes import criteria_fingerprint
from trialpress.history import dump, stored_form, version_id
from trialpress.models import Trial

ATOM = "{http://www.w3.org/2005/Atom}"
RESULTS_NCT, UNCHANGED_NCT = "NCT03630471", "NCT02210780"
#: What the amended build must list for each changed trial, in page order.
EXPECTED = {
    am.NCT: [
        "Recruitment status: Recruiting → Active, not recruiting",
        "Exclusion criterion 11 added: “Uses cannabis daily”",
        "Site removed: University Medical Center, Las Vegas, United States",
    ],
    RESULTS_NCT: ["Results posted"],
}


@dataclass
class Builds:
    base: Path
    first: Path
    amended: Path
    again: Path
    old: list[Trial]
    new: list[Trial]

    @property
    def history(self) -> Path:
        return self.base / ".trialpress" / "history"


def _page(site: Path, rel: str) -> BeautifulSoup:
    return BeautifulSoup((site / rel / "index.html").read_text(encoding="utf-8"), "html.parser")


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Builds:
    base = tmp_path_factory.mktemp("changes")
    study = am.base_study()
    old = [am.read_one(am.write(study, base / "v1" / "dtx.json"))]
    old += [am.read_one(p) for p in am.OTHERS]
    for amend in (am.status_change, am.criterion_added, am.site_removed, am.updated("2025-03-01")):
        amend(study)
    results = am.read_one(am.OTHERS[0]).model_copy(
        update={"has_results": True, "last_updated": "2025-02-10"}
    )
    new = [am.read_one(am.write(study, base / "v2" / "dtx.json")), results, old[2]]
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(base)  # no mkdocs.yml here: the bundled config, history in ./.trialpress
        mp.delenv("SOURCE_DATE_EPOCH", raising=False)
        for trials, out in ((old, "first"), (new, "amended"), (new, "again")):
            build_trials(trials, base / out, strict=True, pdf=False)
    return Builds(base, base / "first", base / "amended", base / "again", old, new)


# ----------------------------------------------------------------------------- the feed


def _feed(site: Path) -> bytes:
    return (site / "changes" / "feed.xml").read_bytes()


def test_feed_parses_as_atom_and_lists_exactly_the_changed_trials(builds: Builds) -> None:
    parsed = feedparser.parse(io.BytesIO(_feed(builds.amended)))
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert sorted(e.link.rstrip("/").rsplit("/", 1)[1] for e in parsed.entries) == sorted(EXPECTED)
    for entry in parsed.entries:
        nct = entry.link.rstrip("/").rsplit("/", 1)[1]
        assert entry.title.startswith(f"{nct}: ")
        assert entry.content[0].value.splitlines() == EXPECTED[nct]
    first = feedparser.parse(io.BytesIO(_feed(builds.first)))
    assert not first.bozo and first.version == "atom10" and first.entries == []


@pytest.mark.parametrize("which", ["first", "amended"])
def test_feed_has_the_elements_atom_requires(builds: Builds, which: str) -> None:
    """RFC 4287: feed and entries each have exactly one id, title and updated (RFC 3339);
    ids are IRIs and unique; the feed has an author (so entries need none); an entry
    without content would need an alternate link, and ours have both."""
    root = ET.fromstring(_feed(getattr(builds, which)))
    assert root.tag == f"{ATOM}feed"
    stamp = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$")
    ids = []
    for element in [root, *root.findall(f"{ATOM}entry")]:
        for name in ("id", "title", "updated"):
            assert len(element.findall(f"{ATOM}{name}")) == 1, (element.tag, name)
        assert stamp.match(element.findtext(f"{ATOM}updated") or "")
        ids.append(element.findtext(f"{ATOM}id") or "")
        assert element.find(f"{ATOM}link[@rel='alternate']") is not None
    assert all(re.match(r"^[a-z][a-z0-9+.-]*:\S+$", i) for i in ids)
    assert len(set(ids)) == len(ids)
    assert root.find(f"{ATOM}author/{ATOM}name") is not None
    for entry in root.findall(f"{ATOM}entry"):
        assert entry.find(f"{ATOM}content").get("type") == "text"  # type: ignore[union-attr]


def test_feed_dates_come_from_the_records_never_the_clock(builds: Builds) -> None:
    text = _feed(builds.amended).decode()
    dates = set(re.findall(r"\d{4}-\d{2}-\d{2}", text))
    record_dates = {t.last_updated for t in builds.new}
    assert dates and dates <= record_dates
    root = ET.fromstring(_feed(builds.amended))
    by_nct = {
        e.find(f"{ATOM}link").get("href", "").rstrip("/").rsplit("/", 1)[1]: e  # type: ignore[union-attr]
        for e in root.findall(f"{ATOM}entry")
    }
    assert by_nct[am.NCT].findtext(f"{ATOM}updated") == "2025-03-01T00:00:00Z"
    assert by_nct[RESULTS_NCT].findtext(f"{ATOM}updated") == "2025-02-10T00:00:00Z"
    # newest registry date first
    assert list(by_nct) == [am.NCT, RESULTS_NCT]


def test_an_identical_rebuild_adds_nothing_and_gives_the_same_bytes(builds: Builds) -> None:
    assert _feed(builds.again) == _feed(builds.amended)
    for rel in ("trials/NCT05989841", "checklists/NCT05989841", "changes"):
        a = (builds.amended / rel / "index.html").read_bytes()
        assert a == (builds.again / rel / "index.html").read_bytes(), rel
    index = builds.history / am.NCT / "versions.json"
    assert index.read_text(encoding="utf-8").count('"id"') == 2
    for nct in (RESULTS_NCT, UNCHANGED_NCT):
        count = (builds.history / nct / "versions.json").read_text(encoding="utf-8").count('"id"')
        assert count == (2 if nct == RESULTS_NCT else 1)


def test_every_page_advertises_the_feed(builds: Builds) -> None:
    site = builds.amended
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 10
    for page in pages:
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        links = soup.head.find_all("link", rel="alternate", type="application/atom+xml")  # type: ignore[union-attr]
        assert len(links) == 1, page
        href = links[0]["href"]
        # the 404 page is served at any depth: its links start at the site's path
        target = site / href[1:] if page.name == "404.html" else page.parent / href
        assert target.resolve() == site / "changes" / "feed.xml", page


# --------------------------------------------------------------------------- the pages


def _changes_section(soup: BeautifulSoup) -> BeautifulSoup:
    section = soup.find("section", class_="tp-what-changed")
    assert section is not None
    return section  # type: ignore[return-value]


def test_trial_page_lists_what_changed_newest_first(builds: Builds) -> None:
    soup = _page(builds.amended, f"trials/{am.NCT}")
    assert soup.find(id="what-changed") is not None
    section = _changes_section(soup)
    assert [h.get_text() for h in section.find_all("h3")] == ["Registry update of 2025-03-01"]
    items = [li.get_text() for li in section.find("ul").find_all("li")]  # type: ignore[union-attr]
    assert items == EXPECTED[am.NCT]
    # the earlier version's data is downloadable, exactly as stored
    link = section.find("a", href=re.compile(r"data/history/"))
    assert link is not None and "2025-01-24" in link.get_text()
    page = builds.amended / "trials" / am.NCT / "index.html"
    published = (page.parent / link["href"]).resolve()  # type: ignore[operator]
    assert published.read_bytes() == dump(stored_form(builds.old[0]))
    assert published.name == f"{version_id(json.loads(published.read_bytes()))}.json"
    warning = soup.find(class_="tp-elig-changed")
    assert warning is not None and "2025-03-01" in warning.get_text()
    fingerprint = criteria_fingerprint(builds.new[0].eligibility.model_dump(mode="json"))
    assert warning.find(class_="tp-fingerprint").get_text() == fingerprint  # type: ignore[union-attr]


def test_trial_page_without_changes_says_so_and_warns_of_nothing(builds: Builds) -> None:
    soup = _page(builds.amended, f"trials/{UNCHANGED_NCT}")
    text = " ".join(_changes_section(soup).get_text().split())
    assert text.startswith("No change since trialpress first recorded this trial")
    assert soup.find(class_="tp-elig-changed") is None
    results = _page(builds.amended, f"trials/{RESULTS_NCT}")
    assert results.find(class_="tp-elig-changed") is None  # results, not eligibility


def _listed(site: Path, rel: str) -> dict[str, list[str]]:
    soup = _page(site, rel)
    return {
        li["data-nct"]: [x.get_text() for x in li.find("ul").find_all("li")]  # type: ignore[union-attr]
        for li in soup.find_all("li", class_="tp-change")
    }


def test_recent_changes_grouped_by_registry_date_and_filtered_by_kind(builds: Builds) -> None:
    soup = _page(builds.amended, "changes")
    days = [h.get_text() for h in soup.find("div", class_="tp-changes").find_all("h2")]  # type: ignore[union-attr]
    assert days == ["2025-03-01", "2025-02-10"]
    assert _listed(builds.amended, "changes") == EXPECTED
    assert _listed(builds.amended, "changes/status") == {am.NCT: [EXPECTED[am.NCT][0]]}
    assert _listed(builds.amended, "changes/eligibility") == {am.NCT: [EXPECTED[am.NCT][1]]}
    assert _listed(builds.amended, "changes/sites") == {am.NCT: [EXPECTED[am.NCT][2]]}
    assert _listed(builds.amended, "changes/results") == {RESULTS_NCT: EXPECTED[RESULTS_NCT]}
    link = soup.find("li", class_="tp-change").find("a")  # type: ignore[union-attr]
    page = builds.amended / "changes" / "index.html"
    assert (page.parent / link["href"] / "index.html").resolve().is_file()  # type: ignore[operator]
    assert _listed(builds.first, "changes") == {}


def test_checklist_page_carries_date_fingerprint_and_last_criteria_change(builds: Builds) -> None:
    for nct, trial, since in (
        (am.NCT, builds.new[0], "Criteria last changed in the registry update of 2025-03-01."),
        (RESULTS_NCT, builds.new[1], "Criteria unchanged since trialpress first recorded"),
    ):
        soup = _page(builds.amended, f"checklists/{nct}")
        version = soup.find("p", class_="tp-version")
        assert version is not None
        fingerprint = criteria_fingerprint(trial.eligibility.model_dump(mode="json"))
        assert version.find(class_="tp-fingerprint").get_text() == fingerprint  # type: ignore[union-attr]
        assert since in " ".join(version.get_text().split())
        assert f"data as of {trial.last_updated}" in soup.find(class_="tp-asof").get_text()  # type: ignore[union-attr]


# ------------------------------------------------------------------------- checklist PDFs


@pytest.mark.slow
def test_checklist_pdfs_carry_the_fingerprint_which_changes_exactly_with_a_criterion(
    tmp_path: Path,
) -> None:
    from pypdf import PdfReader

    from trialpress.pdf import render_checklist

    def printed(trial: Trial) -> str:
        reader = PdfReader(io.BytesIO(render_checklist(trial)))
        text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
        found = set(re.findall(r"[Cc]riteria fingerprint ([0-9A-F]{8})", text))
        assert len(found) == 1, found
        assert f"Data as of {trial.last_updated}" in text
        return found.pop()

    base = am.amended(tmp_path, name="base")
    same = am.amended(tmp_path, am.criteria_reordered, am.status_change, name="same")
    changed = am.amended(tmp_path, am.criterion_reworded, name="changed")
    fp = printed(base)
    assert fp == criteria_fingerprint(base.eligibility.model_dump(mode="json"))
    assert printed(same) == fp
    assert printed(changed) not in (fp, "")


# ------------------------------------------------------------------------- hostile text


def test_hostile_change_text_stays_text_in_pages_and_feed(tmp_path: Path) -> None:
    """Record text reaches change lines (criteria, site names) and feed titles: every
    payload of the hostile corpus there stays data in the trial page, the changes page and
    the feed."""
    from trialpress.models import Criterion, Location

    base = am.amended(tmp_path, name="base")
    marks = [p.text.replace("MARK", f"HOSTILE{i}") for i, p in enumerate(PAYLOADS)]
    elig = base.eligibility.model_copy(
        update={"exclusion": [*base.eligibility.exclusion, *(Criterion(text=m) for m in marks)]}
    )
    hostile = base.model_copy(
        update={
            "title": marks[0],
            "eligibility": elig,
            "locations": [*base.locations, *(Location(facility=m) for m in marks)],
        }
    )
    Trial.model_validate(hostile.model_dump())  # still a valid trial
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp_path)
        build_trials([base], tmp_path / "a", strict=True, pdf=False)
        build_trials([hostile], tmp_path / "b", strict=True, pdf=False)
    site = tmp_path / "b"
    feed = _feed(site)
    parsed = feedparser.parse(io.BytesIO(feed))
    assert not parsed.bozo, parsed.get("bozo_exception")
    (entry,) = ET.fromstring(feed).findall(f"{ATOM}entry")
    content = entry.find(f"{ATOM}content")
    assert content is not None and len(content) == 0  # text only, no child elements
    for i in range(len(marks)):
        assert content.text is not None and f"HOSTILE{i}" in content.text
    for rel, selector in (
        (f"trials/{am.NCT}", "section.tp-what-changed li[class^=tp-change-]"),
        ("changes", "li.tp-change li"),
    ):
        items = _page(site, rel).select(selector)
        assert len(items) == 2 * len(marks), rel  # every criterion and every site
        for li in items:
            assert li.find(True) is None, (rel, li)  # no element from record text
        text = " ".join(li.get_text() for li in items)
        assert all(f"HOSTILE{i}" in text for i in range(len(marks))), rel


# -------------------------------------------------------------- the plugin on its own


def test_plain_mkdocs_build_keeps_history_where_the_plugin_option_says(tmp_path: Path) -> None:
    """``history:`` is relative to mkdocs.yml, whatever folder MkDocs runs in."""
    import subprocess
    import sys

    project = tmp_path / "project"
    (project / "docs").mkdir(parents=True)
    (project / "docs" / "index.md").write_text("# Trials\n", encoding="utf-8")
    cfg = project / "mkdocs.yml"
    cfg.write_text(
        "site_name: Ours\ntheme:\n  name: material\n  font: false\n"
        "plugins:\n  - search\n  - trialpress:\n      records: [records]\n      pdf: false\n"
        "      history: kept/history\n",
        encoding="utf-8",
    )
    study = am.base_study()
    for amend in ((), (am.site_status_changed, am.updated("2025-04-02"))):
        for a in amend:
            a(study)
        am.write(study, project / "records" / "study.json")
        run = subprocess.run(
            [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(cfg)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert run.returncode == 0, run.stderr
    index = project / "kept" / "history" / am.NCT / "versions.json"
    assert index.read_text(encoding="utf-8").count('"id"') == 2
    assert not (tmp_path / "kept").exists() and not (project / ".trialpress" / "history").exists()
    parsed = feedparser.parse(io.BytesIO(_feed(project / "site")))
    assert [e.content[0].value for e in parsed.entries] == [
        "Site Hennepin Assault Response Team, Minneapolis, United States: "
        "Not yet recruiting → Recruiting"
    ]


# ------------------------------------------------------------------------- in a browser


@pytest.mark.browser
@pytest.mark.slow
def test_change_pages_in_chromium(builds: Builds, browser: Any) -> None:
    """The filters are plain links: following one shows only that kind; no page logs an
    error (Material fetches a sitemap beside every alternate link: there is one); axe-core
    finds no serious or critical violation on the pages with changes."""
    from tests.browser import serve_dir
    from tests.test_accessibility import AXE_JS

    errors: list[str] = []
    with serve_dir(builds.amended) as url:
        context = browser.new_context()  # the session's one Chromium (tests/browser.py)
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        serious = []
        for rel in (f"trials/{am.NCT}/", f"checklists/{am.NCT}/", "", "changes/sites/"):
            page.goto(url + rel, wait_until="networkidle")
            page.add_script_tag(path=str(AXE_JS))
            result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
            serious += [
                (rel, v["id"])
                for v in result["violations"]
                if v["impact"] in ("serious", "critical")
            ]
        page.goto(url + "changes/", wait_until="networkidle")
        assert page.locator("li.tp-change").count() == 2
        page.get_by_role("link", name="Results", exact=True).click()
        page.wait_for_url(url + "changes/results/")
        assert page.locator("li.tp-change").evaluate_all("els => els.map(e => e.dataset.nct)") == [
            RESULTS_NCT
        ]
        page.locator("li.tp-change a").first.click()
        page.wait_for_url(url + f"trials/{RESULTS_NCT}/")
        context.close()
    assert not errors, errors[:10]
    assert not serious, serious
