"""Rendering of generated pages without MkDocs: template contract, URLs, goldens."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

from tests.conftest import PALMIRA, POLAR
from tests.sample_trials import PALMIRA_ID, POLAR_ID, hostile_trial, palmira, polar
from trialpress.corpus import Corpus
from trialpress.layout import page_url, root_of
from trialpress.models import Trial
from trialpress.readers import read_file
from trialpress.render import (
    SiteContext,
    criteria_view,
    doi_from_citation,
    render_checklist,
    render_site,
    render_trial,
    walk_views,
)
from trialpress.templating import default_templates_dir

GOLDEN = Path(__file__).parent / "golden" / "site"
UPDATE = os.environ.get("TRIALPRESS_UPDATE_GOLDENS") == "1"


def _ctx(**kw: object) -> SiteContext:
    return SiteContext(Corpus([polar(), palmira()]), **kw)  # type: ignore[arg-type]


def normalise(text: str) -> str:
    """Golden comparison ignores line-end style and trailing spaces (nothing else varies)."""
    lines = text.replace("\r\n", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip() + "\n"


def check_golden(name: str, text: str) -> None:
    """Compare with ``tests/golden/site/<name>``; rewrite it when TRIALPRESS_UPDATE_GOLDENS=1."""
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(normalise(text), encoding="utf-8")
    assert path.is_file(), f"missing golden {path}: run with TRIALPRESS_UPDATE_GOLDENS=1"
    assert normalise(text) == path.read_text(encoding="utf-8")


def _front_matter(page: str) -> dict[str, object]:
    match = re.match(r"---\n(.*?)\n---\n", page, re.S)
    assert match, page[:200]
    data = yaml.safe_load(match.group(1))
    assert isinstance(data, dict)
    return data


def test_every_template_starts_with_a_context_comment() -> None:
    site = default_templates_dir() / "site"
    templates = sorted([*site.glob("*.md"), *site.glob("*.html")])
    assert len(templates) >= 7
    for path in templates:
        assert path.read_text(encoding="utf-8").startswith("{# context:"), path.name


@pytest.mark.parametrize(
    ("src", "dirs", "url", "root"),
    [
        ("trials/NCT03820830.md", True, "trials/NCT03820830/", "../../"),
        ("trials/NCT03820830.md", False, "trials/NCT03820830.html", "../"),
        ("trials/index.md", True, "trials/", "../"),
        ("trials/index.md", False, "trials/", "../"),
        ("index.md", True, "", ""),
        ("conditions/breast-cancer.md", True, "conditions/breast-cancer/", "../../"),
    ],
)
def test_page_urls(src: str, dirs: bool, url: str, root: str) -> None:
    assert page_url(src, dirs) == url
    assert root_of(src, dirs) == root


def test_links_follow_use_directory_urls() -> None:
    page = render_trial(polar(), _ctx(use_directory_urls=False))
    soup = BeautifulSoup(page, "html.parser")
    hrefs = {a["href"] for a in soup.find_all("a")}
    assert f"../trials/{PALMIRA_ID}.html" in hrefs
    assert f"../checklists/{POLAR_ID}.html" in hrefs
    assert f"../data/{POLAR_ID}.json" in hrefs


def test_trial_page_content_and_links() -> None:
    page = render_trial(polar(), _ctx(pdf=frozenset({POLAR_ID})))
    fm = _front_matter(page)
    assert fm["title"] == polar().title.replace("/", "&#47;")
    soup = BeautifulSoup(page, "html.parser")
    hrefs = [a["href"] for a in soup.find_all("a")]
    assert f"https://clinicaltrials.gov/study/{POLAR_ID}" in hrefs
    assert f"../../trials/{PALMIRA_ID}/" in hrefs
    assert "https://clinicaltrials.gov/study/NCT03280303" in hrefs
    assert "https://pubmed.ncbi.nlm.nih.gov/24439313/" in hrefs
    assert "https://doi.org/10.1016/S1470-2045(13)70589-8" in hrefs
    assert "https://www.clinicaltrialsregister.eu/ctr-search/search?query=2018-002998-21" in hrefs
    assert f"../../pdf/{POLAR_ID}-brief.pdf" in hrefs
    assert f"../../pdf/{POLAR_ID}-checklist.pdf" in hrefs
    assert "../../conditions/breast-cancer/" in hrefs
    assert "../../sponsors/pfizer/" in hrefs
    assert "inclusion list starts at item 2 in the source" in soup.get_text()
    assert "Data as of 2025-03-07" in soup.get_text()
    # Without PDFs in the build there is no PDF link to break.
    plain = render_trial(polar(), _ctx())
    assert ".pdf" not in plain


def test_notes_are_tucked_away_and_warnings_stay_visible() -> None:
    """Clinicians see reader warnings up front; notes (data only kept aside) are collapsed."""
    from trialpress.models import ReadWarning

    trial = polar().model_copy(
        update={
            "warnings": [
                ReadWarning(code="list-starts-late", message="inclusion list starts late"),
                ReadWarning(
                    code="unmapped-fields",
                    message="kept in extra, no model field for: resultsSection",
                    severity="note",
                ),
            ]
        }
    )
    soup = BeautifulSoup(render_trial(trial, _ctx()), "html.parser")
    visible = soup.select_one(".tp-warnings")
    assert visible is not None
    assert "inclusion list starts late" in visible.get_text()
    assert "resultsSection" not in visible.get_text()
    notes = soup.select_one("details.tp-notes")
    assert notes is not None
    assert "no model field for: resultsSection" in notes.get_text()
    # Only notes: no warning box at all.
    only_notes = trial.model_copy(update={"warnings": trial.warnings[1:]})
    soup = BeautifulSoup(render_trial(only_notes, _ctx()), "html.parser")
    assert soup.select_one(".tp-warnings") is None


def test_criteria_keep_source_numbers_nesting_and_order() -> None:
    trial = palmira()
    soup = BeautifulSoup(render_trial(trial, _ctx()), "html.parser")
    texts = [s.get_text() for s in soup.select(".tp-crit-text")]
    assert texts == [c.text for c in trial.eligibility.all_criteria()]
    nums = [s.get_text() for s in soup.select(".tp-num")]
    assert nums[:5] == ["•", "2.", "1.", "2.", "3."]
    nested = soup.select("#inclusion-1 > ol > li .tp-crit-text")
    assert [n.get_text() for n in nested] == [
        "HR-positive tumour",
        "HER2-negative tumour",
        "Measurable disease per RECIST 1.1",
    ]


def test_criteria_view_refs() -> None:
    views = criteria_view("inclusion", polar().eligibility.inclusion)
    refs = [(str(v.id), v.ref, v.number) for v in walk_views(views)]
    assert refs[:5] == [
        ("inclusion-1", "bullet 1", "•"),
        ("inclusion-2", "bullet 2", "•"),
        ("inclusion-3", "2", "2."),
        ("inclusion-3-1", "2, bullet 1", "•"),
        ("inclusion-3-2", "2, bullet 2", "•"),
    ]
    assert ("inclusion-6", "8.-10.", "8.-10.") in refs


def test_checklist_radio_groups() -> None:
    trial = palmira()
    page = render_checklist(trial, _ctx())
    assert _front_matter(page)["search"] == {"exclude": True}
    soup = BeautifulSoup(page, "html.parser")
    sets = soup.select("fieldset.tp-check")
    assert len(sets) == len(trial.eligibility.all_criteria())
    for fs in sets:
        radios = fs.find_all("input", recursive=True)
        own = [r for r in radios if r.find_parent("fieldset") is fs]
        assert [r["value"] for r in own] == ["met", "not-met", "unknown"]
        assert len({r["name"] for r in own}) == 1
        assert all(r.find_parent("label") for r in own)
        assert fs.legend is not None
    kinds = [fs["data-kind"] for fs in sets]
    assert kinds == ["other"] + ["inclusion"] * 5 + ["exclusion"] * 3
    for field in ("tp-patient", "tp-screener", "tp-date"):
        assert soup.find("label", attrs={"for": field}) and soup.find(id=field)
    assert soup.find(id="tp-verdict")["aria-live"] == "polite"


def test_rendering_is_pure_and_deterministic() -> None:
    a = render_site(_ctx())
    b = render_site(SiteContext(Corpus([polar(), palmira()])))
    assert a == b
    assert next(iter(a)) == "trials/index.md"
    assert {f"trials/{POLAR_ID}.md", f"checklists/{PALMIRA_ID}.md"} <= set(a)
    for kind in ("conditions", "interventions", "sponsors", "countries", "status", "phases"):
        assert f"{kind}/index.md" in a


def test_hostile_record_renders_no_markup_of_its_own() -> None:
    corpus = Corpus([hostile_trial(), polar()])
    pages = render_site(SiteContext(corpus))
    for src, page in pages.items():
        body = page.split("\n---\n", 1)[1]
        # JSON-LD holds the text as JSON strings (checked separately): leave it out here.
        body = re.sub(r'<script type="application/ld\+json">[^<]*</script>', "", body)
        soup = BeautifulSoup(body, "html.parser")
        for el in soup.find_all(True):
            assert el.name not in ("script", "img", "iframe", "style"), (src, el)
            assert not [a for a in el.attrs if a.startswith("on")], (src, el)
        for bad in ("<script>alert", "<img", "onerror=", "{{", "{%", "--8<--", "!!!", "<!--"):
            assert bad not in body, (src, bad)
        assert "\n\n\n" not in page
        _front_matter(page)


def test_doi_from_citation() -> None:
    assert doi_from_citation("J Clin Oncol. doi: 10.1200/JCO-24-01865. Epub") == (
        "10.1200/JCO-24-01865"
    )
    assert doi_from_citation("Lancet. 2014. DOI:10.1016/S1470-2045(13)70589-8.") == (
        "10.1016/S1470-2045(13)70589-8"
    )
    assert doi_from_citation("no identifier here 10.12") is None


@pytest.mark.parametrize("make", [polar, palmira], ids=["POLAR-sample", "PALMIRA-sample"])
def test_golden_sample_pages(make: object) -> None:
    trial = make()  # type: ignore[operator]
    ctx = _ctx()
    check_golden(f"sample-{trial.nct_id}.md", render_trial(trial, ctx))
    check_golden(f"sample-{trial.nct_id}-checklist.md", render_checklist(trial, ctx))


def _examples() -> list[Trial]:
    trials: list[Trial] = []
    for path in (POLAR, PALMIRA):
        results = read_file(path)
        assert all(isinstance(r, Trial) for r in results), results
        trials.extend(r for r in results if isinstance(r, Trial))
    return trials


@pytest.mark.parametrize("nct_id", [POLAR_ID, PALMIRA_ID], ids=["POLAR", "PALMIRA"])
def test_golden_registry_text_examples(nct_id: str) -> None:
    """The rendered Markdown of both registry-text examples, checked by hand once."""
    trials = _examples()
    ctx = SiteContext(Corpus(trials), pdf=frozenset({POLAR_ID, PALMIRA_ID}))
    trial = next(t for t in trials if t.nct_id == nct_id)
    check_golden(f"{nct_id}.md", render_trial(trial, ctx))
    check_golden(f"{nct_id}-checklist.md", render_checklist(trial, ctx))


def test_real_example_pages_show_reader_warnings_and_links() -> None:
    trials = _examples()
    ctx = SiteContext(Corpus(trials))
    polar_page = render_trial(next(t for t in trials if t.nct_id == POLAR_ID), ctx)
    soup = BeautifulSoup(polar_page, "html.parser")
    assert f"../../trials/{PALMIRA_ID}/" in [a["href"] for a in soup.select(".tp-related a")]
    notes = soup.select_one(".tp-warnings").get_text()
    assert "inclusion list starts at item 2 in the source" in notes
    palmira_page = render_trial(next(t for t in trials if t.nct_id == PALMIRA_ID), ctx)
    hrefs = [a["href"] for a in BeautifulSoup(palmira_page, "html.parser").find_all("a")]
    assert "https://www.clinicaltrialsregister.eu/ctr-search/search?query=2017-002781-48" in hrefs
    assert "https://doi.org/10.1200/JCO-24-01865" in hrefs
