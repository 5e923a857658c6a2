"""Corpus: duplicates, cross-links and index slugs."""

from __future__ import annotations

import re

from tests.sample_trials import PALMIRA_ID, POLAR_ID, hostile_trial, palmira, polar
from trialpress.corpus import Corpus, slugify
from trialpress.labels import enum_label
from trialpress.models import Sponsor


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
