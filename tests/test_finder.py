"""The trial finder (All trials page) in headless Chromium, against a reference in Python.

The site is built from every shared study (all API v2 studies and the two registry-text
examples). One study (NCT06058104, "3 Years" to "12 Years" at the registry) is read from a
copy whose age limits are rewritten as "6 Months" to "30 Months", since no shared API v2
study states an age in months: the age filter must convert the source's unit.

:func:`reference` computes, from the trial models alone and without the finder's own code,
which trials a query string selects; the page's count (``data-finder-count``) and listed
trials (``data-nct-id``) must equal it, over HTTP and from ``file://``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import pytest

from tests.browser import serve_dir
from tests.conftest import PALMIRA, POLAR, v2_studies, v2_study_files
from tests.site_helpers import BuiltSite, build_once, read_ok
from trialpress.enums import InterventionType, OverallStatus, Phase, StudyType
from trialpress.layout import FEED_SITEMAP
from trialpress.models import Trial

pytestmark = [pytest.mark.slow, pytest.mark.browser]

MONTHS_NCT = "NCT06058104"
PAGE_SIZE = 50
#: Key eligibility facts: cns_metastases values strictest first, and what each filter keeps.
CNS_ORDER = ["excluded", "allowed_if_treated_stable", "allowed"]
CNS_ALLOWED = {"treated": {"allowed_if_treated_stable", "allowed"}, "untreated": {"allowed"}}
EARTH_KM = 6371.0088


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    base = tmp_path_factory.mktemp("finder")
    study = json.loads(json.dumps(dict(v2_studies())[MONTHS_NCT]))
    elig = study["protocolSection"]["eligibilityModule"]
    elig["minimumAge"], elig["maximumAge"] = "6 Months", "30 Months"
    months = base / f"{MONTHS_NCT}.json"
    months.write_text(json.dumps(study), encoding="utf-8")
    (months_trial,) = read_ok([months])
    trials = [
        months_trial if t.nct_id == MONTHS_NCT else t
        for t in read_ok([POLAR, PALMIRA, *v2_study_files()])
    ]
    built = build_once("finder", trials, tmp_path_factory)
    assert not built.result.errors, built.result.errors
    return built


@pytest.fixture(scope="module")
def base_url(site: BuiltSite) -> Iterator[str]:
    with serve_dir(site.root) as url:
        yield url


# -- the reference: which trials a query selects, from the models -------------------------
_AGE = re.compile(r"^(\d+(?:\.\d+)?) (Year|Month|Week|Day)s?$")


def _years(text: str | None) -> float | None:
    match = _AGE.match(text or "")
    if not match:
        return None
    n = float(match.group(1))
    return {"Year": n, "Month": n / 12, "Week": n * 7 / 365.25, "Day": n / 365.25}[match.group(2)]


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(a)))


def _places(trials: list[Trial]) -> dict[str, tuple[float, float]]:
    """lower-cased "City, Country" -> mean of the distinct points the sites give for it."""
    points: dict[str, set[tuple[float, float]]] = {}
    for t in trials:
        for loc in t.locations:
            if loc.geo and loc.city and loc.country:
                key = f"{loc.city}, {loc.country}".lower()
                points.setdefault(key, set()).add((loc.geo.lat, loc.geo.lon))
    return {
        k: (sum(p[0] for p in v) / len(v), sum(p[1] for p in v) / len(v)) for k, v in points.items()
    }


def _conditions(t: Trial) -> set[str]:
    mesh = t.mesh.conditions
    return {c.lower() for c in t.conditions} | {m.term.lower() for m in mesh.terms + mesh.ancestors}


def _countries(t: Trial) -> set[str]:
    return {c.lower() for c in t.countries} | {
        loc.country.lower() for loc in t.locations if loc.country
    }


def _text(t: Trial) -> str:
    parts = [t.nct_id, t.title, t.acronym or "", *t.conditions]
    for i in t.interventions:
        parts += [i.name, *i.other_names]
    parts += [s.name for s in t.sponsors] + [i.id for i in t.identifiers]
    return "\n".join(" ".join(p.split()) for p in parts).lower()


def _number(value: str) -> float | None:
    return float(value) if re.fullmatch(r"\d+(\.\d+)?", value.strip()) else None


def reference(trials: list[Trial], query: str) -> tuple[list[str], int]:
    """(matching NCT IDs in display order, number of ignored values) for a query string."""
    params = parse_qsl(query, keep_blank_values=True)
    places = _places(trials)
    all_conditions = set().union(*(_conditions(t) for t in trials))
    all_countries = set().union(*(_countries(t) for t in trials))
    enums = {
        "status": {v.value for v in OverallStatus},
        "phase": {v.value for v in Phase},
        "type": {v.value for v in StudyType},
        "intervention_type": {v.value for v in InterventionType},
    }
    want: dict[str, Any] = {}
    ignored = 0
    for name, raw in params:
        value = raw.strip()
        if not value:
            continue
        if name in enums:
            for part in value.split(","):
                if part.strip().upper() in enums[name]:
                    want.setdefault(name, set()).add(part.strip().upper())
                elif part.strip():
                    ignored += 1
        elif name in ("condition", "country"):
            vocabulary = all_conditions if name == "condition" else all_countries
            if value.lower() in vocabulary:
                want.setdefault(name, set()).add(value.lower())
            else:
                ignored += 1
        elif name == "q":
            want["q"] = value.lower().split()
        elif name in ("age", "radius_km"):
            if _number(value) is None:
                ignored += 1
            else:
                want[name] = _number(value)
        elif name == "sex":
            for part in value.split(","):
                if part.strip().upper() in ("FEMALE", "MALE"):
                    want.setdefault("sex", set()).add(part.strip().upper())
                else:
                    ignored += 1
        elif name == "healthy":
            if value.lower() in ("yes", "true", "no", "false"):
                want["healthy"] = value.lower() in ("yes", "true")
            else:
                ignored += 1
        elif name == "ecog":
            if re.fullmatch(r"[0-5]", value):
                want["ecog"] = int(value)
            else:
                ignored += 1
        elif name == "cns":
            if value.lower() in CNS_ALLOWED:
                want["cns"] = CNS_ALLOWED[value.lower()]
            else:
                ignored += 1
        elif name == "near":
            if value.lower() in places:
                want["near"] = places[value.lower()]
            else:
                ignored += 1
        elif name == "sort":
            want["sort"] = value
        else:
            ignored += 1
    if "radius_km" in want and "near" not in want:
        ignored += 1
        del want["radius_km"]
    hits: list[tuple[Trial, float | None]] = []
    for t in trials:
        e = t.eligibility
        if not all(w in _text(t) for w in want.get("q", [])):
            continue
        if "status" in want and (t.status is None or t.status.value not in want["status"]):
            continue
        if "phase" in want and not {p.value for p in t.phases} & want["phase"]:
            continue
        if "type" in want and (t.study_type is None or t.study_type.value not in want["type"]):
            continue
        itypes = {i.type.value for i in t.interventions if i.type}
        if "intervention_type" in want and not itypes & want["intervention_type"]:
            continue
        if "condition" in want and not _conditions(t) & want["condition"]:
            continue
        if "country" in want and not _countries(t) & want["country"]:
            continue
        if "age" in want:
            low, high = _years(e.minimum_age), _years(e.maximum_age)
            if (low is not None and want["age"] < low) or (high is not None and want["age"] > high):
                continue
        sex = e.sex.value if e.sex else "ALL"  # not stated: no restriction
        if "sex" in want and sex != "ALL" and sex not in want["sex"]:
            continue
        if "healthy" in want and e.healthy_volunteers is not want["healthy"]:
            continue
        ecog = [f.value for f in e.facts if f.kind == "ecog_max"]
        if "ecog" in want and ecog and want["ecog"] > min(ecog):  # type: ignore[type-var]
            continue
        cns = [str(f.value) for f in e.facts if f.kind == "cns_metastases"]
        strictest = min(cns, key=CNS_ORDER.index) if cns else None
        if "cns" in want and strictest not in want["cns"]:
            continue
        nearest = None
        if "near" in want:
            lat, lon = want["near"]
            dists = [_km(lat, lon, loc.geo.lat, loc.geo.lon) for loc in t.locations if loc.geo]
            nearest = min(dists) if dists else None
            if "radius_km" in want and (nearest is None or nearest > want["radius_km"]):
                continue
        hits.append((t, nearest))
    if want.get("sort") == "distance" and "near" in want:
        hits.sort(key=lambda h: (h[1] is None, h[1] or 0.0))
    elif want.get("sort") in ("nct", "title"):
        field = "nct_id" if want["sort"] == "nct" else "title"
        hits.sort(key=lambda h: " ".join(getattr(h[0], field).split()).lower())
    return [t.nct_id for t, _ in hits], ignored


# -- the page ------------------------------------------------------------------------------
def _q(**params: str | list[str]) -> str:
    pairs: list[tuple[str, str]] = []
    for name, value in params.items():
        for v in value if isinstance(value, list) else [value]:
            pairs.append((name, v))
    return urlencode(pairs, quote_via=quote)


QUERIES = {
    "text": _q(q="palbociclib  BREAST"),
    "text-identifier": _q(q="nct0382"),
    "status": _q(status="RECRUITING,NOT_YET_RECRUITING"),
    "phase": _q(phase="PHASE2,phase3"),
    "type": _q(type="OBSERVATIONAL"),
    "mesh-condition": _q(condition="Breast Neoplasms"),
    "conditions-or": _q(condition=["carcinoma, non-small-cell lung", "Schizophrenia"]),
    "intervention-type": _q(intervention_type="DEVICE,BEHAVIORAL"),
    "countries": _q(country=["france", "Korea, Republic of"]),
    "age-in-months": _q(age="2"),
    "age-70-woman": _q(age="70", sex="female"),
    "healthy": _q(healthy="yes"),
    "ecog-2": _q(ecog="2"),
    "cns-treated": _q(cns="treated", status="COMPLETED,RECRUITING,ACTIVE_NOT_RECRUITING"),
    "near-radius": _q(near="Boston, United States", radius_km="300"),
    "near-zero-inclusive": _q(near="paris, france", radius_km="0"),
    "near-sort": _q(near="Madrid, Spain", sort="distance"),
    "title-sort": _q(type="OBSERVATIONAL", sort="title"),
    "combined": _q(
        status="RECRUITING,ACTIVE_NOT_RECRUITING,COMPLETED",
        type="INTERVENTIONAL",
        age="45",
        sex="male",
        near="New York, United States",
        radius_km="1500",
        sort="distance",
    ),
    "malformed": _q(
        status="RECRUITING,FOO",
        age="seventy",
        near="Atlantis, Nowhere",
        radius_km="-5",
        colour="blue",
        ecog="9",
        condition="Not A Condition Anywhere",
    ),
}


def _open(pg: Any, url: str) -> None:
    pg.goto(url)
    pg.wait_for_function("window.trialpressFinderReady === true")


def _listed(pg: Any) -> list[str]:
    return [
        str(x)
        for x in pg.locator("[data-nct-id]").evaluate_all(
            "els => els.map(e => e.getAttribute('data-nct-id'))"
        )
    ]


def _count(pg: Any) -> int:
    return int(pg.locator("[data-finder-count]").inner_text())


def _check_view(pg: Any, site: BuiltSite, query: str) -> None:
    expected, ignored = reference(site.trials, query)
    assert _count(pg) == len(expected), query
    shown = _listed(pg)
    if "sort=" in query:
        assert shown == expected[:PAGE_SIZE], query
    else:
        assert set(shown) == set(expected[:PAGE_SIZE]) and len(shown) == len(set(shown))
    note = pg.locator("#tp-finder-note")
    assert note.is_visible() == bool(ignored), query
    if ignored:
        assert note.locator("li").count() == ignored


def _clean(pg: Any) -> None:
    log = pg.tp_log
    assert log.console_errors == [] and log.page_errors == [] and log.foreign_requests == []


def test_reference_exercises_every_filter(site: BuiltSite) -> None:
    """The queries are not vacuous: each selects some trials but not all, the MeSH
    condition finds trials that do not name it, the months trial decides the age query."""
    n = len(site.trials)
    for name, query in QUERIES.items():
        if name not in ("malformed", "near-sort"):  # near without radius only orders
            assert 0 < len(reference(site.trials, query)[0]) < n, name
    by_id = {t.nct_id: t for t in site.trials}
    mesh_hits = reference(site.trials, QUERIES["mesh-condition"])[0]
    assert any(
        "breast neoplasms" not in {c.lower() for c in by_id[i].conditions} for i in mesh_hits
    )
    assert MONTHS_NCT in reference(site.trials, QUERIES["age-in-months"])[0]
    assert MONTHS_NCT not in reference(site.trials, _q(age="2.6"))[0]
    assert reference(site.trials, QUERIES["malformed"])[1] == 7
    zero = reference(site.trials, QUERIES["near-zero-inclusive"])[0]
    assert zero and len(zero) < len(reference(site.trials, _q(near="Paris, France"))[0])


@pytest.mark.parametrize("name", list(QUERIES))
def test_finder_matches_reference_over_http(
    page: Any,
    base_url: str,
    site: BuiltSite,
    name: str,
) -> None:
    query = QUERIES[name]
    _open(page, f"{base_url}trials/?{query}")
    _check_view(page, site, query)
    _clean(page)


def test_finder_matches_reference_from_file(page: Any, site: BuiltSite) -> None:
    """From disk the finder's data loads (a script, not a fetch); only what the theme
    fetches fails there (its search index, and the sitemap it looks for beside the
    change feed's alternate link), which is the theme's own limitation."""
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    index = (site.root / "trials" / "index.html").as_uri()
    for query in QUERIES.values():
        _open(page, f"{index}?{query}")
        _check_view(page, site, query)
    search = (site.root / "search").as_uri()
    assert page.tp_log.foreign_requests == []
    assert all(search in error for error in page.tp_log.page_errors), page.tp_log.page_errors
    feed_sitemap = (site.root / FEED_SITEMAP).as_uri()
    assert all(url.startswith(search) or url == feed_sitemap for url in failed), failed


def test_long_lists_page_and_count_stays_full(
    page: Any,
    base_url: str,
    site: BuiltSite,
) -> None:
    _open(page, f"{base_url}trials/")
    assert _count(page) == len(site.trials)
    assert len(_listed(page)) == PAGE_SIZE
    while page.locator("#tp-more").is_visible():
        page.click("#tp-more")
    assert _listed(page) == [t.nct_id for t in site.trials]
    assert _count(page) == len(site.trials)


def _state(pg: Any) -> dict[str, Any]:
    return dict(
        pg.evaluate(
            """() => ({
              q: document.getElementById('tp-q').value,
              checked: [...document.querySelectorAll('#tp-finder-form input:checked')]
                .filter(i => i.value).map(i => i.name + '=' + i.value),
              chips: [...document.querySelectorAll('.tp-chips li span')].map(s => s.textContent),
              near: document.getElementById('tp-near').value,
              radius: document.getElementById('tp-radius').value,
              age: document.getElementById('tp-age').value,
              count: document.querySelector('[data-finder-count]').textContent,
            })"""
        )
    )


def test_back_button_and_copied_link_restore_the_view(
    browser: Any,
    page: Any,
    base_url: str,
    site: BuiltSite,
) -> None:
    _open(page, f"{base_url}trials/?{_q(status='RECRUITING')}")
    first = _state(page)
    page.check("input[name=phase][value=PHASE2]")
    page.fill("#tp-age", "70")
    page.dispatch_event("#tp-age", "change")
    page.fill("#tp-near", "Boston, United States")
    page.fill("#tp-radius", "500")
    page.dispatch_event("#tp-radius", "change")
    page.fill("#tp-condition", "neoplasms")
    page.press("#tp-condition", "Enter")
    page.fill("#tp-q", "cancer")
    later = _state(page)
    url = page.url
    params = dict(parse_qsl(url.split("?", 1)[1]))
    assert params["status"] == "RECRUITING" and params["phase"] == "PHASE2"
    assert params["near"] == "Boston, United States" and params["radius_km"] == "500"
    assert params["condition"] == "Neoplasms" and params["q"] == "cancer"
    assert int(later["count"]) == len(reference(site.trials, url.split("?", 1)[1])[0])
    # A copied link opens the same view in a fresh browser context.
    other = browser.new_context()
    try:
        pg2 = other.new_page()
        _open(pg2, url)
        assert _state(pg2) == later
    finally:
        other.close()
    # Back, one step at a time, to the first view.
    for _ in range(10):
        if page.url == f"{base_url}trials/?{_q(status='RECRUITING')}":
            break
        page.go_back()
    page.wait_for_function("document.getElementById('tp-q').value === ''")
    assert _state(page) == first
    page.go_forward()
    assert _state(page)["checked"] == ["status=RECRUITING", "phase=PHASE2"]
    _clean(page)


def test_finder_works_by_keyboard_alone(page: Any, base_url: str, site: BuiltSite) -> None:
    _open(page, f"{base_url}trials/")
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('#tp-finder input, #tp-finder select')].filter(
             i => !(i.labels && i.labels.length) && !i.getAttribute('aria-label')
           ).map(i => i.id || i.name)"""
    )
    assert not unlabelled, unlabelled
    assert (
        page.locator("[data-finder-count]").evaluate(
            "e => e.closest('[aria-live]').getAttribute('aria-live')"
        )
        == "polite"
    )
    page.focus("#tp-q")
    page.keyboard.type("cancer")
    for _ in range(20):  # Tab to the one-click recruiting button
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "tp-recruiting":
            break
    page.keyboard.press("Enter")
    expected = reference(site.trials, _q(q="cancer", status="RECRUITING,NOT_YET_RECRUITING"))[0]
    assert _count(page) == len(expected)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "status"
    # Tab to the condition box, type a MeSH term, add it with Enter, remove it with the chip.
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "tp-condition":
            break
    page.keyboard.type("Lung Neoplasms")
    page.keyboard.press("Enter")
    query = _q(q="cancer", status="RECRUITING,NOT_YET_RECRUITING", condition="Lung Neoplasms")
    assert _count(page) == len(reference(site.trials, query)[0])
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('tp-chip-remove')")
    page.keyboard.press("Enter")
    assert _count(page) == len(expected)
    # A listed trial is reached by Tab and opened with Enter.
    page.focus("#tp-sort")
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("!!document.activeElement.closest('[data-nct-id]')"):
            break
    nct = page.evaluate("document.activeElement.closest('[data-nct-id]').dataset.nctId")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(f"/trials/{nct}/"))
    _clean(page)


def test_trial_page_from_finder_lists_sites_by_distance(
    page: Any,
    base_url: str,
    site: BuiltSite,
) -> None:
    place = "Boston, United States"
    _open(page, f"{base_url}trials/?{_q(near=place, radius_km='50', sort='distance')}")
    link = page.locator("[data-nct-id] a").first
    nct = page.locator("[data-nct-id]").first.get_attribute("data-nct-id")
    link.click()
    page.wait_for_selector("#tp-near-sites li")
    assert "near=" in page.url
    trial = next(t for t in site.trials if t.nct_id == nct)
    lat, lon = _places(site.trials)[place.lower()]
    expected = sorted(_km(lat, lon, loc.geo.lat, loc.geo.lon) for loc in trial.locations if loc.geo)
    shown = [
        float(x)
        for x in page.locator("#tp-near-sites li").evaluate_all(
            "els => els.map(e => e.getAttribute('data-distance-km'))"
        )
    ]
    assert shown == pytest.approx(expected, abs=0.001)
    first = page.locator("#tp-near-sites li .tp-distance").first.inner_text()
    assert re.fullmatch(r"\d+(\.\d)? (km|mi)", first)
    assert "Boston" in page.locator("#tp-near-sites h3").inner_text()
    _clean(page)


def test_finder_fits_a_phone_screen(browser: Any, base_url: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        pg = context.new_page()
        _open(pg, f"{base_url}trials/?{QUERIES['combined']}")
        width = pg.evaluate("document.documentElement.scrollWidth")
        assert width <= 390
        for selector in ("#tp-q", "#tp-near", "#tp-radius", "#tp-sort", "[data-nct-id] a"):
            box = pg.locator(selector).first.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, selector
    finally:
        context.close()


def test_without_javascript_every_trial_is_listed(
    browser: Any,
    base_url: str,
    site: BuiltSite,
) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        pg = context.new_page()
        pg.goto(f"{base_url}trials/?{_q(status='RECRUITING')}")
        rows = pg.locator("#tp-trials tbody tr td:first-child").all_inner_texts()
        assert [r.strip() for r in rows] == [t.nct_id for t in site.trials]
        assert not pg.locator("#tp-finder").is_visible()
    finally:
        context.close()
