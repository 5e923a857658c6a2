"""Corpus: duplicates, cross-links and index slugs."""

from __future__ import annotations

import gc
import re
from pathlib import Path

from tests.conftest import LEGACY_XML, V2_JSON, read_trials
from tests.hostile_corpus import build_corpus
from tests.sample_trials import PALMIRA_ID, POLAR_ID, hostile_trial, palmira, polar
from trialpress.corpus import Corpus, Shelved, slugify
from trialpress.labels import enum_label
from trialpress.models import Sponsor, Trial
from trialpress.publish import PublishOptions, generate
from trialpress.readers import read_shelved


def test_duplicate_nct_id_keeps_first_and_reports_the_second() -> None:
    first = polar()
    dup = polar().model_copy(update={"title": "Other copy"})
    dup.source.path = "later/NCT03820830.json"
    corpus = Corpus([first, palmira(), dup])
    assert list(corpus.trials) == [POLAR_ID, PALMIRA_ID]
    assert corpus.trials[POLAR_ID].title == first.title
    assert len(corpus.errors) == 1
    assert str(corpus.errors[0]) == (
        "later/NCT03820830.json: duplicate NCT ID NCT03820830: already read from "
        "examples/records/NCT03820830.txt; this record is skipped"
    )


def test_related_trials_link_inside_the_build_else_to_the_registry() -> None:
    corpus = Corpus([polar(), palmira()])
    inside = corpus.related_link(PALMIRA_ID)
    assert inside.internal and inside.target == f"trials/{PALMIRA_ID}.md"
    outside = corpus.related_link("NCT03280303")
    assert not outside.internal
    assert outside.target == "https://clinicaltrials.gov/study/NCT03280303"
    assert corpus.related_link("x/../y?z").target.endswith("x%2F..%2Fy%3Fz")
    alone = Corpus([polar()])
    assert not alone.related_link(PALMIRA_ID).internal


def test_indexes_group_case_insensitively_and_list_trials_once() -> None:
    corpus = Corpus([polar(), palmira()])
    cancer = corpus.entry("condition", "breast cancer")
    assert cancer is not None
    assert cancer.label == "Breast Cancer"
    assert cancer.nct_ids == [POLAR_ID, PALMIRA_ID]
    assert cancer.src_path == "conditions/breast-cancer.md"
    spain = corpus.entry("country", "Spain")
    assert spain is not None and spain.nct_ids == [POLAR_ID, PALMIRA_ID]
    status = corpus.entry("status", "ACTIVE_NOT_RECRUITING")
    assert status is not None
    assert (status.slug, status.label) == ("active-not-recruiting", "Active, not recruiting")
    phase = corpus.entry("phase", "PHASE3")
    assert phase is not None and (phase.slug, phase.label) == ("phase3", "Phase 3")


def test_slugs_are_ascii_stable_and_collision_proof() -> None:
    names = ["Hôpital Ñandú", "Hopital Nandu", "HOPITAL-NANDU!", "index", "مستشفى", "", "x" * 200]
    trial = polar().model_copy(update={"sponsors": [Sponsor(name=n or " ") for n in names]})
    corpus = Corpus([trial])
    slugs = [e.slug for e in corpus.indexes["sponsor"].values()]
    assert len(slugs) == len(set(slugs)) == 6  # blank name skipped; case variants differ
    for slug in slugs:
        assert re.fullmatch(r"[a-z0-9][a-z0-9-]*", slug), slug
        assert slug != "index" and len(slug) <= 60
    # The same names in another order give the same slugs.
    reordered = trial.model_copy(update={"sponsors": list(reversed(trial.sponsors))})
    again = Corpus([reordered])
    assert {e.key: e.slug for e in again.indexes["sponsor"].values()} == {
        e.key: e.slug for e in corpus.indexes["sponsor"].values()
    }


def test_slugify_and_labels() -> None:
    assert slugify("Münster / A Coruña") == "munster-a-coruna"
    assert slugify("<script>") == "script"
    assert enum_label("EARLY_PHASE1") == "Early phase 1"
    assert enum_label("NA") == "Not applicable"
    assert enum_label("ACTIVE_COMPARATOR") == "Active comparator"


def test_countries_with_site_counts_in_source_order() -> None:
    corpus = Corpus([polar()])
    counts = dict(corpus.countries(polar()))
    assert list(counts)[:3] == ["Austria", "France", "Germany"]
    assert sum(counts.values()) == 40
    hostile = Corpus([hostile_trial()])
    assert len(hostile.countries(hostile_trial())) == len(set(hostile_trial().countries))


# ----------------------------------------------------------------- what a build's process holds

#: What index templates and site-wide files read of a trial: a summary has each of these
#: under the trial's own name (documented in the README's templates section).
SUMMARY_ATTRIBUTES = (
    "nct_id",
    "title",
    "acronym",
    "status",
    "phases",
    "study_type",
    "enrollment",
    "conditions",
    "last_updated",
    "registry_url",
    "source",
    "warnings",
)


def test_a_shelved_trial_is_the_trial_and_its_summary_answers_as_the_trial_does(
    tmp_path: Path,
) -> None:
    """The corpus keeps each trial shelved: the whole trial made again from it is the trial
    read, and its summary answers the index templates' questions as the trial would."""
    trials = read_trials(V2_JSON, LEGACY_XML)
    trials += read_trials(*build_corpus().write(tmp_path / "records"))
    corpus = Corpus(trials)
    assert len(corpus) > 200
    for trial in trials:
        if trial.nct_id not in corpus.trials:
            continue
        if corpus.shelf[trial.nct_id].summary.source != trial.source:
            continue  # a duplicate NCT ID: the first one read is kept
        again = corpus.trials[trial.nct_id]
        assert again == trial and again is not trial
        assert corpus.trial_json(trial.nct_id) == trial.model_dump_json()
        summary = corpus.summaries[trial.nct_id]
        for name in SUMMARY_ATTRIBUTES:
            assert getattr(summary, name) == getattr(trial, name), name
        assert corpus.countries(summary) == corpus.countries(trial)
        assert summary.has_results == (trial.results is not None)


def test_a_site_builds_process_holds_no_whole_trial(tmp_path: Path) -> None:
    """Read shelved, the corpus made, every file generated (pages rendered in this
    process): no whole trial is left in memory, only summaries and compressed JSON (a whole
    trial costs about 140 KB: 1.4 GB at 10,000 trials)."""
    gc.collect()
    before = {id(o) for o in gc.get_objects() if isinstance(o, Trial)}  # other tests' trials
    shelved, errors = read_shelved([V2_JSON])
    assert not errors and all(isinstance(s, Shelved) for s in shelved)
    corpus = Corpus(shelved)
    options = PublishOptions(pdf=False, jobs=1, history=tmp_path / "history")
    generated = generate(corpus, options, tmp_path / "out")
    assert len(generated.search) == len(corpus) and generated.pages
    gc.collect()
    alive = [o for o in gc.get_objects() if isinstance(o, Trial) and id(o) not in before]
    assert alive == []
    assert corpus.trials[shelved[0].summary.nct_id].nct_id == shelved[0].summary.nct_id
