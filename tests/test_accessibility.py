"""Accessibility: axe-core in headless Chromium, keyboard use of checklists, tagged PDFs.

axe-core's script ships inside the ``axe-playwright-python`` wheel; it is injected into each
page of a real build (the demo records plus a few hostile ones, so right-to-left text and long
words are covered too) and must report no serious or critical violation.
"""

from __future__ import annotations

import importlib.resources
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import serve_dir
from tests.conftest import V2_JSON, v2_studies
from tests.hostile_corpus import CRITERIA_NCT, JSON_NCTS, TEXT_NCTS, build_corpus
from tests.hostile_site import BuiltSite, build_site

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "records"
POLAR_NCT = "NCT03820830"
AXE_JS = importlib.resources.files("axe_playwright_python").joinpath("axe.min.js")
HOSTILE = [JSON_NCTS[0], CRITERIA_NCT, TEXT_NCTS[0]]
#: A real results page (flow, baseline, outcome measures, adverse events) and a real
#: contacts-heavy trial page (central contact, 30 site contacts, 15 sites).
RESULTS_NCT = "NCT05594173"
CONTACTS_NCT = "NCT06223893"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    base = tmp_path_factory.mktemp("a11y")
    corpus = build_corpus()
    paths = corpus.write(base / "records")
    contacts = next(s for n, s in v2_studies() if n == CONTACTS_NCT)
    (base / "real").mkdir()
    (base / "real" / f"{CONTACTS_NCT}.json").write_text(json.dumps(contacts), encoding="utf-8")
    results = V2_JSON / "ctti-clinicaltrials__aact" / f"{RESULTS_NCT}.json"
    records = [EXAMPLES, *(p for p in paths if p.stem in HOSTILE), results, base / "real"]
    built = build_site(records, base / "site")
    assert built.result.returncode == 0, built.result.stderr[-4000:]
    return built


@pytest.fixture(scope="module")
def served(site: BuiltSite) -> Iterator[str]:
    """The site over HTTP on 127.0.0.1 (search needs http, not file://)."""
    with serve_dir(site.root) as url:
        yield url


PAGES = [
    "",
    "trials/",
    "trials/?status=RECRUITING,NOT_YET_RECRUITING&age=70&sex=female&status=BOGUS",
    f"trials/{POLAR_NCT}/?near=Paris%2C%20France",
    "conditions/",
    "sponsors/",
    "countries/",
    "status/",
    "phases/",
    f"trials/{POLAR_NCT}/",
    f"checklists/{POLAR_NCT}/",
    *(f"trials/{n}/" for n in HOSTILE),
    *(f"checklists/{n}/" for n in HOSTILE),
    f"results/{RESULTS_NCT}/",
    f"trials/{CONTACTS_NCT}/",
    f"results/{JSON_NCTS[0]}/",
]


#: Pages checked at a phone's width (390 px) too: the finder's form and results.
NARROW = ["trials/", PAGES[2]]


@pytest.mark.parametrize(
    ("rel", "width"),
    [
        *((rel, None) for rel in [*PAGES, "term:conditions", "term:sponsors"]),
        *((rel, 390) for rel in NARROW),
    ],
)
def test_axe_finds_no_serious_violation(
    site: BuiltSite,
    browser: Any,
    served: str,
    rel: str,
    width: int | None,
) -> None:
    if rel.startswith("term:"):  # one condition / sponsor page (slugs are the site's)
        folder = site.root / rel.removeprefix("term:")
        first = sorted(p for p in folder.iterdir() if (p / "index.html").is_file())[0]
        rel = f"{folder.name}/{first.name}/"
    page = browser.new_page(viewport={"width": width, "height": 844} if width else None)
    try:
        response = page.goto(served + rel, wait_until="load")
        assert response is not None and response.ok, rel
        page.add_script_tag(path=str(AXE_JS))
        result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    finally:
        page.close()
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} - "
        + "; ".join(n["target"][0] if n["target"] else "?" for n in v["nodes"][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, "\n".join(bad)


def test_checklist_works_by_keyboard(browser: Any, served: str) -> None:
    """Every box has a label; Tab reaches the radios, Space and arrows change the verdict."""
    page = browser.new_page()
    try:
        page.goto(served + f"checklists/{POLAR_NCT}/", wait_until="load")
        radios = page.locator("input[type=radio]")
        assert radios.count() >= 3
        unlabelled = page.evaluate(
            """() => [...document.querySelectorAll('input')].filter(
                 i => i.type !== 'hidden' && !(i.labels && i.labels.length)
                      && !i.getAttribute('aria-label') && !i.getAttribute('aria-labelledby')
               ).map(i => i.name || i.id)"""
        )
        assert not unlabelled, unlabelled
        verdict = page.locator("[data-verdict], .verdict, #verdict, [role=status]").first
        before = verdict.inner_text()
        # Tab until a radio has focus.
        for _ in range(200):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement && document.activeElement.type") == "radio":
                break
        else:
            pytest.fail("Tab never reached a checklist radio")
        page.keyboard.press("Space")
        name = page.evaluate("document.activeElement.name")
        first = page.evaluate("document.activeElement.value")
        assert page.evaluate("document.activeElement.checked")
        after_space = verdict.inner_text()
        page.keyboard.press("ArrowDown")
        assert page.evaluate("document.activeElement.name") == name
        second = page.evaluate("document.activeElement.value")
        assert second != first and page.evaluate("document.activeElement.checked")
        after_arrow = verdict.inner_text()
        assert len({before, after_space, after_arrow}) >= 2, (before, after_space, after_arrow)
    finally:
        page.close()


@pytest.mark.parametrize("nct", [POLAR_NCT, *HOSTILE])
@pytest.mark.parametrize("kind", ["brief", "checklist"])
def test_pdfs_are_tagged(site: BuiltSite, nct: str, kind: str) -> None:
    from pypdf import PdfReader

    reader = PdfReader(site.root / "pdf" / f"{nct}-{kind}.pdf")
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root, "no structure tree: not a tagged PDF"
    assert bool(root["/MarkInfo"]["/Marked"]) is True
    assert str(root.get("/Lang", "")).startswith("en")
    assert reader.metadata is not None and reader.metadata.title


def test_results_tables_expose_header_cells_in_order(browser: Any, served: str) -> None:
    """What table navigation announces: Chromium's accessibility tree has each results
    table's caption as its name, the groups as column headers and the rows' labels as row
    headers, in source order."""
    page = browser.new_page()
    try:
        page.goto(served + f"results/{RESULTS_NCT}/", wait_until="load")
        table = page.get_by_role("table", name="Number of Chewing Cycles Per Bolus")
        columns = table.get_by_role("columnheader").all_inner_texts()
        assert columns == [
            "Healthy Participants: Carrot",
            "Healthy Participants: Cracker",
            "Healthy Participants: Cracker With Barium Paste",
            "Healthy Participants: Gummy Candy",
            "Healthy Participants: Minced and Moist Barium Stimulus",
            "Healthy Participants: Soft and Bite-sized Barium Stimulus",
        ]
        rows = table.get_by_role("rowheader").all_inner_texts()
        assert rows == ["Number analysed (Participants)", "Mean"]
        assert table.get_by_role("cell").all_inner_texts()[-6:] == [
            "22 (11)",
            "15 (6)",
            "15 (4)",
            "28 (13)",
            "6 (3)",
            "11 (4)",
        ]
        region = page.get_by_role("region", name="Number of Chewing Cycles Per Bolus")
        region.focus()
        assert page.evaluate("document.activeElement.getAttribute('role')") == "region"
    finally:
        page.close()


def test_wide_results_tables_scroll_inside_the_page(browser: Any, served: str) -> None:
    """At 390 px the page never scrolls sideways; a wide table scrolls inside its region."""
    page = browser.new_page(viewport={"width": 390, "height": 844})
    try:
        page.goto(served + f"results/{RESULTS_NCT}/", wait_until="load")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        widths = page.evaluate(
            """() => [...document.querySelectorAll('.tp-scroll')].map(
                 r => [r.scrollWidth, r.clientWidth])"""
        )
        assert any(scroll > client for scroll, client in widths), widths
    finally:
        page.close()
