"""PDFs of real records: both registry-text examples and 32 API v2 studies (including the
19,020-character eligibility text and the 437 locations), rendered once per session with
jobs=2 and read back with pypdf."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import PALMIRA, POLAR, V2_JSON
from tests.pdf_check import (
    ReadBack,
    body_text,
    collect_logs,
    glyph_problems,
    is_tagged,
    ltr_only,
    missing_in_order,
    read_back,
    squash,
    trial_chars,
)
from trialpress import pdf
from trialpress.errors import RecordError
from trialpress.models import Trial
from trialpress.readers import read_paths
from trialpress.render import first_contacts

SITE_URL = "https://trials.example.org"
EXAMPLE_IDS = ["NCT03820830", "NCT03809988"]
LONG_ELIGIBILITY = "NCT05798663"
MANY_LOCATIONS = "NCT02513394"
N_STUDIES = 30


def data_trials() -> list[Trial]:
    """The examples, the two largest studies, and 30 more spread over the API studies."""
    out: list[Trial] = []
    for item in read_paths([POLAR, PALMIRA]):
        assert not isinstance(item, RecordError), str(item)
        out.append(item)
    studies: dict[str, Trial] = {}
    for item in read_paths([V2_JSON]):
        assert not isinstance(item, RecordError), str(item)
        studies.setdefault(item.nct_id, item)
    out += [studies[LONG_ELIGIBILITY], studies[MANY_LOCATIONS]]
    others = [studies[n] for n in sorted(studies) if n not in (LONG_ELIGIBILITY, MANY_LOCATIONS)]
    step = max(1, len(others) // N_STUDIES)
    out += others[::step][:N_STUDIES]
    return out


TRIALS = data_trials()
IDS = [t.nct_id for t in TRIALS]


@dataclass
class Corpus:
    out: Path
    trials: dict[str, Trial]
    logs: list[str]

    docs: dict[tuple[str, str], ReadBack] = field(default_factory=dict)

    def doc(self, nct_id: str, kind: str) -> ReadBack:
        """The PDF read back (once: text extraction is the slow part of these tests)."""
        if (nct_id, kind) not in self.docs:
            self.docs[nct_id, kind] = read_back(self.out / f"{nct_id}-{kind}.pdf")
        return self.docs[nct_id, kind]


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    out = tmp_path_factory.mktemp("data-pdfs")
    with collect_logs("weasyprint", "trialpress") as logs:
        pdf.render_pdfs(TRIALS, out, jobs=2, site_url=SITE_URL)
    return Corpus(out, {t.nct_id: t for t in TRIALS}, logs)


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
    assert doc.title == pdf.printable(trial.title)
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
    texts = [pdf.printable(c.text) for c in trial.eligibility.all_criteria()]
    text = body_text(corpus.doc(nct_id, "checklist"), trial)
    assert missing_in_order(texts, text) == []
    text = text.replace(squash(pdf.printable(trial.title)), "", 1)
    for crit_text in texts:
        # long enough to be unique in a document; short ones ("Pregnancy") may recur
        if len(squash(crit_text)) > 40 and ltr_only(crit_text) == crit_text:
            # as often as the source has it (some records repeat a criterion word for word)
            expected = sum(squash(t).count(squash(crit_text)) for t in texts)
            assert text.count(squash(crit_text)) == expected, crit_text[:60]


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


def test_the_corpus_holds_the_hard_cases() -> None:
    by_id = {t.nct_id: t for t in TRIALS}
    assert len(TRIALS) == 2 + 2 + N_STUDIES
    assert len(by_id) == len(TRIALS)
    assert len(by_id[LONG_ELIGIBILITY].eligibility.raw_text or "") >= 19000
    assert len(by_id[MANY_LOCATIONS].locations) == 437


@pytest.mark.slow
def test_the_largest_studies_rendered_in_full(corpus: Corpus) -> None:
    """No hang: the session's render finished; here, nothing of them was dropped."""
    big = corpus.trials[MANY_LOCATIONS]
    brief = corpus.doc(MANY_LOCATIONS, "brief")
    assert "437 sites in" in brief.text
    counted = pdf.country_counts(big)
    assert sum(n for _, n in counted) == 437
    for name, n in counted:
        assert squash(f"{name} ({n})") in squash(brief.text)
    long = corpus.trials[LONG_ELIGIBILITY]
    checklist = corpus.doc(LONG_ELIGIBILITY, "checklist")
    assert len(checklist.pages) >= 4
    assert (
        len(squash(body_text(checklist, long)))
        >= len(squash(long.eligibility.raw_text or "")) * 0.9
    )


@pytest.mark.slow
@pytest.mark.parametrize("nct_id", EXAMPLE_IDS)
def test_example_briefs_fit_two_letter_pages_too(nct_id: str, tmp_path: Path) -> None:
    trial = next(t for t in TRIALS if t.nct_id == nct_id)
    path = tmp_path / "brief.pdf"
    path.write_bytes(pdf.render_brief(trial, page_size="Letter", site_url=SITE_URL))
    doc = read_back(path)
    assert len(doc.pages) <= 2
    assert round(float(doc.reader.pages[0].mediabox.width)) == 612


@pytest.mark.slow
@pytest.mark.parametrize("nct_id", IDS)
def test_brief_names_primary_outcomes_contact_and_results(corpus: Corpus, nct_id: str) -> None:
    """Whole record in the brief: the first primary outcomes with their time frames, whom to
    contact, and where the posted results are; and still at most 2 pages for the examples."""
    trial = corpus.trials[nct_id]
    doc = corpus.doc(nct_id, "brief")
    text = squash(doc.text)
    primary = [o for o in trial.outcomes if o.kind == "primary"][: pdf.BRIEF_OUTCOMES]
    for o in primary:
        assert squash(pdf.printable(o.measure))[:60] in text, o.measure[:60]
        if o.time_frame:
            assert squash("Time frame: " + pdf.printable(o.time_frame))[:60] in text
    contacts = first_contacts(trial, pdf.BRIEF_CONTACTS)
    if contacts:
        assert "How to contact" in doc.text
    for contact, _site in contacts:
        for value in (contact.name, contact.email):
            if value:
                assert squash(pdf.printable(value)) in text, value
    if trial.results is not None:
        assert f"{SITE_URL}/results/{nct_id}/" in text
    if contacts and contacts[0][0].name:  # the checklist names the first contact
        checklist = squash(corpus.doc(nct_id, "checklist").text)
        assert squash("Trial contact: " + pdf.printable(contacts[0][0].name)) in checklist
    if nct_id in EXAMPLE_IDS:
        assert not primary and not contacts  # registry page text carries neither
        assert len(doc.pages) <= 2
