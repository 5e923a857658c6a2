"""PDFs of real records: both registry-text examples (and API v2 studies once read),
rendered once per session with jobs=2 and read back with pypdf."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import PALMIRA, POLAR
from tests.pdf_check import (
    ReadBack,
    body_text,
    collect_logs,
    glyph_problems,
    is_tagged,
    missing_in_order,
    read_back,
    squash,
    trial_chars,
)
from trialpress import pdf
from trialpress.errors import RecordError
from trialpress.models import Trial
from trialpress.readers import read_paths

SITE_URL = "https://trials.example.org"
EXAMPLE_IDS = ["NCT03820830", "NCT03809988"]


def data_trials() -> list[Trial]:
    """The two registry-text examples."""
    out: list[Trial] = []
    for item in read_paths([POLAR, PALMIRA]):
        assert not isinstance(item, RecordError), str(item)
        out.append(item)
    return out


TRIALS = data_trials()
IDS = [t.nct_id for t in TRIALS]


@dataclass
class Corpus:
    out: Path
    trials: dict[str, Trial]
    logs: list[str]
    seconds: float

    def doc(self, nct_id: str, kind: str) -> ReadBack:
        return read_back(self.out / f"{nct_id}-{kind}.pdf")


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    out = tmp_path_factory.mktemp("data-pdfs")
    with collect_logs("weasyprint", "trialpress") as logs:
        start = time.monotonic()
        pdf.render_pdfs(TRIALS, out, jobs=2, site_url=SITE_URL)
        seconds = time.monotonic() - start
    return Corpus(out, {t.nct_id: t for t in TRIALS}, logs, seconds)


@pytest.mark.slow
def test_every_pdf_rendered_and_weasyprint_logged_nothing(corpus: Corpus) -> None:
    names = sorted(p.name for p in corpus.out.glob("*.pdf"))
    assert names == sorted(f"{n}-{k}.pdf" for n in IDS for k in pdf.KINDS)
    assert corpus.logs == []


@pytest.mark.slow
@pytest.mark.parametrize("kind", pdf.KINDS)
@pytest.mark.parametrize("nct_id", IDS)
def test_title_id_tags_numbering_and_glyphs(corpus: Corpus, nct_id: str, kind: str) -> None:
    trial = corpus.trials[nct_id]
    doc = corpus.doc(nct_id, kind)
    assert doc.title == trial.title
    assert nct_id in doc.text
    tagged, lang = is_tagged(doc)
    assert tagged
    assert lang == "en"
    n = len(doc.pages)
    for i, page in enumerate(doc.pages, start=1):
        assert f"page {i} of {n}" in page
    assert glyph_problems(doc, trial_chars(trial)) == []


@pytest.mark.slow
@pytest.mark.parametrize("nct_id", IDS)
def test_checklist_has_every_criterion_once_in_source_order(corpus: Corpus, nct_id: str) -> None:
    trial = corpus.trials[nct_id]
    crits = trial.eligibility.all_criteria()
    text = body_text(corpus.doc(nct_id, "checklist"), trial)
    assert missing_in_order([c.text for c in crits], text) == []
    text = text.replace(squash(trial.title), "", 1)
    for crit in crits:
        # long enough to be unique in a document; short ones ("Pregnancy") may recur
        if len(squash(crit.text)) > 40:
            assert text.count(squash(crit.text)) == 1, crit.text[:60]


@pytest.mark.slow
@pytest.mark.parametrize("nct_id", EXAMPLE_IDS)
def test_example_briefs_fit_two_pages_and_link_the_site(corpus: Corpus, nct_id: str) -> None:
    doc = corpus.doc(nct_id, "brief")
    assert len(doc.pages) <= 2
    text = squash(doc.text)
    assert f"{SITE_URL}/trials/{nct_id}/" in text
    assert f"https://clinicaltrials.gov/study/{nct_id}" in text
    assert squash(f"Data as of {corpus.trials[nct_id].last_updated}") in text


@pytest.mark.slow
def test_polar_brief_points_to_the_checklist_for_the_rest(corpus: Corpus) -> None:
    trial = corpus.trials["NCT03820830"]
    text = corpus.doc("NCT03820830", "brief").text
    short = pdf.shorten_criteria(trial.eligibility.inclusion)
    assert short.more > 0
    assert f"{short.more} more inclusion criteria: see the eligibility checklist" in text
    assert "53 sites in 6 countries" in text
