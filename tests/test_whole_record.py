"""The whole registry record reaches the built pages (issue 9).

One strict MkDocs build of all 238 shared API v2 studies. For each study the facts are read
from the JSON itself (not from the model, so a reader that drops a value fails here too)
and looked up in the parsed HTML of the built pages, each in its own place: outcome
measures with their time frames in the right list, central and site contacts, the reason a
trial stopped, MeSH condition terms linking to index pages that list the trial, and, for
the 25 studies with results, every outcome-measure title, group title, measurement value
and adverse-event term in the right table and column of the results page.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup, Tag

from trialpress.models import Trial
from trialpress.readers import read_paths

from .conftest import V2_JSON, v2_studies
from .site_helpers import article_of, build_once

pytestmark = pytest.mark.slow

STUDIES = v2_studies()
IDS = [nct for nct, _ in STUDIES]
WITH_RESULTS = [(n, s) for n, s in STUDIES if "resultsSection" in s]


def norm(text: str | None) -> str:
    """Whitespace folded: pages put record text on one line."""
    return " ".join((text or "").split())


def text_of(node: Tag | None) -> str:
    assert node is not None
    return norm(node.get_text(" "))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """All 238 shared studies, built strictly."""
    trials = [t for t in read_paths([V2_JSON]) if isinstance(t, Trial)]
    assert len(trials) == 238
    built = build_once("whole", trials, tmp_path_factory)
    assert built.result.trials == 238
    return built.root


def page(site: Path, folder: str, nct: str) -> BeautifulSoup:
    return article_of(site / folder / nct / "index.html")


def proto(study: dict[str, Any], module: str) -> dict[str, Any]:
    value = study["protocolSection"].get(module, {})
    assert isinstance(value, dict)
    return value


# --------------------------------------------------------------------------- trial pages


@pytest.mark.parametrize(("nct", "study"), STUDIES, ids=IDS)
def test_trial_page_carries_the_record(site: Path, nct: str, study: dict[str, Any]) -> None:
    soup = page(site, "trials", nct)
    outcomes = proto(study, "outcomesModule")
    section = soup.select_one("section.tp-outcomes")
    for key, heading in (
        ("primaryOutcomes", "Primary outcomes"),
        ("secondaryOutcomes", "Secondary outcomes"),
        ("otherOutcomes", "Other outcomes"),
    ):
        want = outcomes.get(key, [])
        if not want:
            continue
        assert section is not None, nct
        [h] = [h for h in section.find_all("h3") if text_of(h) == heading]
        items = h.find_next_sibling("ol").find_all("li", class_="tp-outcome")
        assert [text_of(li.select_one(".tp-measure")) for li in items] == [
            norm(o["measure"]) for o in want
        ]
        for li, o in zip(items, want, strict=True):
            if o.get("timeFrame"):
                assert text_of(li.select_one(".tp-timeframe")) == "Time frame: " + norm(
                    o["timeFrame"]
                )

    contacts = proto(study, "contactsLocationsModule")
    central = soup.select("section.tp-contacts .tp-contact")
    assert len(central) == len(contacts.get("centralContacts", []))
    for shown, c in zip(central, contacts.get("centralContacts", []), strict=True):
        if c.get("name"):
            assert text_of(shown.select_one(".tp-contact-name")).startswith(norm(c["name"]))
        if c.get("email"):
            assert text_of(shown.select_one(".tp-email")) == "E-mail: " + norm(c["email"])
    site_contacts = text_of(soup.select_one("section.tp-locations"))
    for loc in contacts.get("locations", []):
        for c in loc.get("contacts", []):
            if c.get("name"):
                assert norm(c["name"]) in site_contacts, (nct, c["name"])

    why = proto(study, "statusModule").get("whyStopped")
    if why:
        assert text_of(soup.select_one(".tp-stopped .tp-why-stopped")) == norm(why)


@pytest.mark.parametrize(("nct", "study"), STUDIES, ids=IDS)
def test_mesh_terms_link_to_index_pages_listing_the_trial(
    site: Path, nct: str, study: dict[str, Any]
) -> None:
    meshes = study.get("derivedSection", {}).get("conditionBrowseModule", {}).get("meshes", [])
    if not meshes:
        assert not page(site, "trials", nct).select("dd.tp-mesh")
        return
    links = page(site, "trials", nct).select("dd.tp-mesh a")
    assert [text_of(a) for a in links] == [norm(m["term"]) for m in meshes]
    trial_dir = site / "trials" / nct
    for a in links:
        target = (trial_dir / str(a["href"])).resolve() / "index.html"
        listed = article_of(target).select("table.tp-table td:first-child a")
        assert nct in [text_of(x) for x in listed], (nct, a["href"])


def test_recruiting_sites_come_first_in_each_country(site: Path) -> None:
    """NCT06223893 has 15 UK sites, one not recruiting: it is listed last."""
    soup = page(site, "trials", "NCT06223893")
    statuses = [text_of(li.select_one(".tp-site-status")) for li in soup.select("li.tp-site")]
    assert statuses[:-1] == ["(recruiting)"] * (len(statuses) - 1)
    assert statuses[-1] != "(recruiting)"


@pytest.mark.parametrize(("nct", "study"), STUDIES, ids=IDS)
def test_data_file_keeps_no_whole_record_module_in_extra(
    site: Path, nct: str, study: dict[str, Any]
) -> None:
    data = json.loads((site / "data" / f"{nct}.json").read_text(encoding="utf-8"))
    parked = [
        key
        for key in data["extra"]
        if key.startswith(
            (
                "protocolSection.outcomesModule",
                "resultsSection",
                "protocolSection.contactsLocationsModule.centralContacts",
                "protocolSection.statusModule.whyStopped",
                "derivedSection.conditionBrowseModule",
                "derivedSection.interventionBrowseModule",
            )
        )
        or (
            key.startswith("protocolSection.contactsLocationsModule.locations[")
            and key.endswith((".contacts", ".geoPoint"))
        )
    ]
    assert parked == []
    geo = [loc["geo"] for loc in data["locations"] if loc["geo"]]
    locations = proto(study, "contactsLocationsModule").get("locations", [])
    src = [loc["geoPoint"] for loc in locations if "geoPoint" in loc]
    assert [(g["lat"], g["lon"]) for g in geo] == [(g["lat"], g["lon"]) for g in src]


# --------------------------------------------------------------------------- results pages


def _columns(table: Tag) -> list[str]:
    return [text_of(th) for th in table.select("thead th[scope=col]")]


def _column_texts(table: Tag, index: int) -> list[str]:
    """Texts of one group column (0-based, row header not counted) of every body row."""
    out = []
    for tr in table.select("tbody tr"):
        cells = tr.find_all("td", recursive=False)
        if cells:
            out.append(text_of(cells[index]))
    return out


@pytest.mark.parametrize(("nct", "study"), WITH_RESULTS, ids=[n for n, _ in WITH_RESULTS])
def test_results_page_has_every_value_in_its_table(
    site: Path, nct: str, study: dict[str, Any]
) -> None:
    results = study["resultsSection"]
    soup = page(site, "results", nct)
    trial_page = page(site, "trials", nct)
    assert trial_page.select_one(f'a[href$="results/{nct}/"]') is not None

    tables = soup.select("table.tp-results-outcome")
    measured = [
        om for om in results["outcomeMeasuresModule"]["outcomeMeasures"] if om.get("groups")
    ]
    headings = [text_of(h) for h in soup.select("section.tp-outcome-result h3")]
    for om in results["outcomeMeasuresModule"]["outcomeMeasures"]:
        assert any(h.endswith(norm(om["title"])) for h in headings), om["title"]
    assert len(tables) == len(measured)
    for table, om in zip(tables, measured, strict=True):
        assert text_of(table.select_one("caption .tp-caption-title")) == norm(om["title"])
        groups = om["groups"]
        assert _columns(table) == [norm(g.get("title") or g["id"]) for g in groups]
        position = {g["id"]: i for i, g in enumerate(groups)}
        for cls in om.get("classes", []):
            for cat in cls.get("categories", []):
                for m in cat.get("measurements", []):
                    if "value" in m:
                        column = _column_texts(table, position[m["groupId"]])
                        assert any(norm(m["value"]) in cell for cell in column), (om["title"], m)

    for name, key in (
        ("participantFlowModule", "flow"),
        ("baselineCharacteristicsModule", "baseline"),
    ):
        module = results.get(name)
        if module and module.get("groups"):
            first = soup.select_one(f"table.tp-results-{key}")
            assert first is not None
            assert _columns(first) == [norm(g.get("title") or g["id"]) for g in module["groups"]]

    ae = results.get("adverseEventsModule")
    if ae:
        groups = ae["eventGroups"]
        for kind, key in (("serious", "seriousEvents"), ("other", "otherEvents")):
            events = ae.get(key, [])
            if not events:
                continue
            table = soup.select_one(f"table.tp-results-ae-{kind}")
            assert table is not None
            assert _columns(table) == [norm(g.get("title") or g["id"]) for g in groups]
            rows: list[tuple[str, str, Tag]] = []  # (organ system, term, row), in order
            system = ""
            for tr in table.select("tbody tr"):
                heading = tr.find("th", scope="rowgroup")
                if heading is not None:
                    system = text_of(heading)
                else:
                    rows.append((system, text_of(tr.find("th", scope="row")), tr))
            position = {g["id"]: i for i, g in enumerate(groups)}
            for event in events:
                where = (
                    norm(event.get("organSystem") or "Organ system not given"),
                    norm(event["term"]),
                )
                found = next(i for i, (o, t, _) in enumerate(rows) if (o, t) == where)
                cells = rows.pop(found)[2].find_all("td")
                for s in event.get("stats", []):
                    cell = text_of(cells[position[s["groupId"]]])
                    assert cell.startswith(f"{s.get('numAffected', '–')} / "), (event, s, cell)
            assert rows == [], "rows for events the JSON does not have"


def test_results_tables_are_accessible_tables(site: Path) -> None:
    """Captions, scoped header cells and a focusable, named scroll region around each."""
    soup = page(site, "results", "NCT02513394")
    tables = soup.select("table.tp-results")
    assert len(tables) > 10
    for table in tables:
        assert table.caption is not None and text_of(table.caption)
        assert all(th.get("scope") in ("col", "row", "rowgroup") for th in table.find_all("th"))
        region = table.parent
        assert region is not None and region.get("role") == "region"
        assert region.get("tabindex") == "0" and region.get("aria-label")
