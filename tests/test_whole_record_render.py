"""Whole-record parts of the pages, rendered without MkDocs: goldens checked by hand, links
made only from values of the right shape, recruiting sites first, MeSH indexes, JSON-LD.

Goldens: the results page of NCT05594173 (two outcome measures, adverse events) and the
trial page of NCT05989841 (recruiting, central and site contacts, MeSH terms).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from trialpress import escaping
from trialpress.corpus import Corpus
from trialpress.models import Trial
from trialpress.readers import read_file, read_paths
from trialpress.render import (
    SiteContext,
    json_ld,
    render_checklist,
    render_kind_overview,
    render_results,
    render_site,
    render_trial,
    sites_by_country,
)

from .conftest import V2_JSON
from .test_site_render import check_golden

RESULTS_STUDY = V2_JSON / "ctti-clinicaltrials__aact" / "NCT05594173.json"
CONTACTS_ID = "NCT05989841"


def _one(path: Path) -> Trial:
    [trial] = read_file(path)
    assert isinstance(trial, Trial)
    return trial


@pytest.fixture(scope="module")
def all_trials() -> list[Trial]:
    return [t for t in read_paths([V2_JSON]) if isinstance(t, Trial)]


def test_golden_results_page() -> None:
    trial = _one(RESULTS_STUDY)
    check_golden("results-NCT05594173.md", render_results(trial, SiteContext(Corpus([trial]))))


def test_golden_recruiting_trial_with_contacts(all_trials: list[Trial]) -> None:
    trial = next(t for t in all_trials if t.nct_id == CONTACTS_ID)
    check_golden(f"contacts-{CONTACTS_ID}.md", render_trial(trial, SiteContext(Corpus([trial]))))


@pytest.mark.parametrize(
    ("phone", "ext", "href"),
    [
        ("1-800-243-0127", None, "tel:18002430127"),
        ("(612) 873-5832", "2", "tel:6128735832;ext=2"),
        ("+49 89 1234 5678", "x9", "tel:+498912345678"),
        ("512.267.7233", None, "tel:5122677233"),
        ("javascript:alert(1)", None, ""),
        ("tel:5551234", None, ""),
        ("call 555-1234", None, ""),
        ("1234", None, ""),
        ("555-1234\n<script>", None, ""),
    ],
)
def test_tel_only_for_phone_shaped_values(phone: str, ext: str | None, href: str) -> None:
    assert str(escaping.tel(phone, ext)) == href


@pytest.mark.parametrize(
    ("email", "linked"),
    [
        ("clintriage.rdg@boehringer-ingelheim.com", True),
        ("a+b@x.org", True),
        ("javascript:alert(1)//@x.com", False),
        ('"x"@y.org', False),
        ("x@y", False),
        ("two@x.org, three@y.org", False),
        ("<b>@x.org", False),
    ],
)
def test_mailto_only_for_address_shaped_values(email: str, linked: bool) -> None:
    href = str(escaping.mailto(email))
    assert bool(href) == linked
    if linked:
        assert BeautifulSoup(f'<a href="{href}">', "html.parser").a["href"] == f"mailto:{email}"


def test_recruiting_sites_first_then_source_order(all_trials: list[Trial]) -> None:
    trial = next(t for t in all_trials if t.nct_id == CONTACTS_ID)
    [(country, sites)] = sites_by_country(trial).items()
    assert country == "United States"
    assert [s.facility for s in sites] == [
        "Harbor Shelter",
        "SAFE Austin",
        "Hennepin Assault Response Team",
        "University Medical Center",
        "UNC Chapel Hill",
        "Tulsa Forensic Nursing",
    ]
    statuses = [s.status for s in trial.locations]
    assert statuses.index("RECRUITING") > 0  # the source does not list them first


def test_mesh_terms_group_trials_in_the_condition_index(all_trials: list[Trial]) -> None:
    """Every trial the registry indexed under a MeSH heading is listed on its page, whatever
    words its record uses; the overview lists MeSH headings apart from the records' words."""
    corpus = Corpus(all_trials)
    by_mesh: dict[str, set[str]] = {}
    for t in all_trials:
        for m in t.mesh.conditions.terms:
            by_mesh.setdefault(m.term, set()).add(t.nct_id)
    assert by_mesh
    for term, ncts in by_mesh.items():
        # Records spell one heading's ID two ways (D001943, D000001943): grouped by heading.
        entry = corpus.entry("condition", term)
        assert entry is not None and entry.mesh_id is not None
        assert set(entry.nct_ids) >= ncts
    neoplasms = next(
        e for e in corpus.indexes["condition"].values() if e.label == "Breast Neoplasms"
    )
    worded = {
        t.nct_id for t in all_trials if "breast neoplasms" in [c.lower() for c in t.conditions]
    }
    assert set(neoplasms.nct_ids) > worded  # trials whose sponsors typed other words
    overview = BeautifulSoup(render_kind_overview("condition", SiteContext(corpus)), "html.parser")
    mesh_list = overview.select_one("ul.tp-terms-mesh")
    assert mesh_list is not None and "Breast Neoplasms" in mesh_list.get_text()


def test_json_ld_has_mesh_codes_geo_and_outcomes(all_trials: list[Trial]) -> None:
    trial = next(t for t in all_trials if t.nct_id == CONTACTS_ID)
    data = json_ld(trial, SiteContext(Corpus([trial])))
    codes = [c["code"]["codeValue"] for c in data["healthCondition"] if "code" in c]
    assert codes == [m.id for m in trial.mesh.conditions.terms] == ["D013313"]
    geos = [p["geo"] for p in data["studyLocation"]]
    assert [(g["latitude"], g["longitude"]) for g in geos] == [
        (loc.geo.lat, loc.geo.lon) for loc in trial.locations if loc.geo
    ]
    assert data["outcome"][0] == "Anxiety Sensitivity Index-3 (ASI-3) (6 weeks)"


def test_results_pages_only_for_trials_with_results(all_trials: list[Trial]) -> None:
    pages = render_site(SiteContext(Corpus(all_trials)))
    with_results = {t.nct_id for t in all_trials if t.results is not None}
    assert len(with_results) == 25
    assert {p.split("/")[1].removesuffix(".md") for p in pages if p.startswith("results/")} == (
        with_results
    )


def test_checklist_page_names_the_contact(all_trials: list[Trial]) -> None:
    trial = next(t for t in all_trials if t.nct_id == CONTACTS_ID)
    soup = BeautifulSoup(render_checklist(trial, SiteContext(Corpus([trial]))), "html.parser")
    contact = soup.select_one(".tp-check-contact")
    assert contact is not None
    assert "Nicole A Short, PhD" in contact.get_text()
    assert contact.select_one('a[href="tel:7028950606"]') is not None
    bare = trial.model_copy(update={"contacts": [], "locations": []})
    assert "tp-check-contact" not in render_checklist(bare, SiteContext(Corpus([bare])))


def test_whole_record_fields_are_documented_in_the_schema() -> None:
    """``trialpress schema`` documents every field of the whole-record contract."""
    schema = Trial.model_json_schema()
    models = {name: defn for name, defn in schema["$defs"].items()}
    new = [
        "Outcome", "Contact", "GeoPoint", "MeshTerm", "BrowseLeaf", "BrowseBranch",
        "MeshBrowse", "Mesh", "Document", "Oversight", "IpdSharingStatement", "ExpandedAccess",
        "ResultGroup", "DenomCount", "Denom", "Measurement", "MeasureCategory", "MeasureClass",
        "BaselineMeasure", "Baseline", "FlowStats", "FlowMilestone", "FlowDropWithdraw",
        "FlowPeriod", "ParticipantFlow", "Analysis", "OutcomeMeasureResult", "EventGroup",
        "EventStats", "AdverseEvent", "AdverseEvents", "PointOfContact", "CertainAgreement",
        "Results",
    ]  # fmt: skip
    undocumented = [
        f"{name}.{field}"
        for name in new
        for field, prop in models[name]["properties"].items()
        if not prop.get("description")
    ]
    trial_fields = [
        "why_stopped", "last_known_status", "first_posted", "results_first_posted",
        "status_verified", "mesh", "outcomes", "contacts", "documents", "oversight",
        "ipd_sharing", "expanded_access", "results",
    ]  # fmt: skip
    undocumented += [f for f in trial_fields if not schema["properties"][f].get("description")]
    undocumented += [
        f"Location.{f}"
        for f in ("status", "contacts", "geo")
        if not models["Location"]["properties"][f].get("description")
    ]
    assert undocumented == []
