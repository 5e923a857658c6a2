"""Eligibility facts against hand labels (issue 16), and provenance over all records read.

The labels in ``facts_labels.json`` were written by reading the criteria (``LABELLING.md``
says how, and records the first-run measurement on each held-out set: those are the figures
on unseen trials). The targets are gated on the sets the rules were tuned on (a regression
guard); each set still unseen by any rule change is gated on the targets its first run met,
and its other figures are printed. A fact matches a label when trial, kind, value, list and
criterion number all agree. A label marked ``ambiguous`` is not counted for recall; a fact
there is right only if it carries a note.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LEGACY_XML, V2_JSON
from trialpress.eligibility import parse_criteria
from trialpress.facts import NUMERIC_KINDS, extract_facts, iter_criteria
from trialpress.models import Criterion, Eligibility, EligibilityFact, Trial
from trialpress.readers import read_paths

LABELS = Path(__file__).parent / "facts_labels.json"
# Records from outside the shared data, kept to what the evaluation reads (SOURCE.md there):
# held_out_5 (API v2 criteria), held_out_6 to held_out_15 (legacy XML criteria, another source).
UNSEEN = Path(__file__).parent / "data" / "facts_unseen"
UNSEEN_RECORDS = (
    UNSEEN / "trials.json",
    UNSEEN / "held_out_6.json",
    UNSEEN / "held_out_7.json",
    UNSEEN / "held_out_8.json",
    UNSEEN / "held_out_9.json",
    UNSEEN / "held_out_10.json",
    UNSEEN / "held_out_11.json",
    UNSEEN / "held_out_12.json",
    UNSEEN / "held_out_13.json",
    UNSEEN / "held_out_14.json",
    UNSEEN / "held_out_15.json",
)
PRECISION_ALL, RECALL_ALL, PRECISION_KIND = 0.95, 0.90, 0.90
# Held-out sets no extraction rule has been changed after, each gated on the targets its
# first run met (LABELLING.md records the figures; a rule change made after looking at their
# errors would make them seen). held_out_4 to held_out_12 were gated so until their errors
# drove rule fixes; they are now in the regression gate with the tuning set (held_out_9 to
# held_out_11's first runs met numeric precision, and numeric recall on two, but in each some
# kinds, cns_metastases and measurable_disease_required among them, were below 90%
# precision). A new unseen set goes here, with the targets its first run met, until its
# errors are acted on.
# held_out_12 met none on its first run (numeric precision 93.7%, recall 89.6%; anc_min,
# crcl_min, cns_metastases and measurable_disease_required below 90%, LABELLING.md); its
# errors then drove rule fixes, so it is in the regression gate too. held_out_13 (150 trials)
# met both numeric targets on its first run (precision 97.2%, recall 94.5%), but
# cns_metastases (89.3%) and measurable_disease_required (78.8%) were below 90% precision
# (LABELLING.md); its errors then drove rule fixes, so it is in the regression gate too.
# held_out_14 (137 trials) met both numeric targets on its first run (precision 96.8%, recall
# 92.7%), but crcl_min (88.9%) and measurable_disease_required (89.5%) were below 90%
# precision (LABELLING.md); its errors then drove rule fixes, so it is in the regression gate
# too.
FIRST_RUN_MET: dict[str, tuple[str, ...]] = {
    # held_out_15 (190 phase 3 trials, another HINT file) met all three on its first run:
    # numeric precision 98.4%, recall 97.4%, every kind >= 93.5% precision (LABELLING.md).
    "held_out_15": ("numeric precision", "numeric recall", "per-kind precision"),
}


@pytest.fixture(scope="module")
def trials() -> dict[str, Trial]:
    out = {t.nct_id: t for t in read_paths([V2_JSON]) if isinstance(t, Trial)}
    assert len(out) == 238, len(out)
    return out


def _from_text(text: str) -> Eligibility:
    """A record trialpress does not read as a whole, through the criteria parser the pages use."""
    parsed = parse_criteria(text)
    elig = Eligibility(inclusion=parsed.inclusion, exclusion=parsed.exclusion)
    elig.facts = extract_facts(elig)
    return elig


@pytest.fixture(scope="module")
def eligibilities(trials: dict[str, Trial]) -> dict[str, Eligibility]:
    """Every labelled trial's eligibility: the API v2 studies as read, the legacy XML records
    (``eligibility/criteria/textblock``) and the unseen records' API v2 criteria text."""
    out = {nct: t.eligibility for nct, t in trials.items()}
    for path in sorted(LEGACY_XML.rglob("*.xml")):
        root = ET.parse(path).getroot()
        nct = root.findtext("id_info/nct_id")
        if nct and nct not in out:
            out[nct] = _from_text(root.findtext("eligibility/criteria/textblock") or "")
    records = [
        r for path in UNSEEN_RECORDS for r in json.loads(path.read_text(encoding="utf-8"))["trials"]
    ]
    for record in records:
        assert record["nct_id"] not in out, record["nct_id"]  # unseen: not in the shared data
        out[record["nct_id"]] = _from_text(record["eligibility_criteria"])
    return out


@pytest.fixture(scope="module")
def labels() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(LABELS.read_text(encoding="utf-8"))
    return data


def _key(nct_id: str, kind: str, value: object, list_name: str, number: str) -> tuple[str, ...]:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return (nct_id, kind, json.dumps(value), list_name, number)


@dataclass
class Score:
    tp: Counter[str]
    fp: Counter[str]
    fn: Counter[str]
    errors: list[str]

    def add(self, other: Score) -> None:
        self.tp.update(other.tp)
        self.fp.update(other.fp)
        self.fn.update(other.fn)
        self.errors.extend(other.errors)

    def figures(self, kinds: tuple[str, ...] | None = None) -> tuple[int, int, int]:
        def total(c: Counter[str]) -> int:
            return sum(n for k, n in c.items() if kinds is None or k in kinds)

        return total(self.tp), total(self.fp), total(self.fn)


def score(
    eligibilities: dict[str, Eligibility], ids: list[str], labels: list[dict[str, Any]]
) -> Score:
    """Match facts to labels; a fact stated in two criteria with the same reference (a
    record that numbers each cohort's criteria from 1) needs two facts for full recall."""
    gold: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for g in labels:
        if g["nct_id"] in ids:
            key = _key(g["nct_id"], g["kind"], g["value"], g["list"], g["number"])
            gold.setdefault(key, []).append(g)
    result = Score(Counter(), Counter(), Counter(), [])
    matched: Counter[tuple[str, ...]] = Counter()
    for nct_id in ids:
        for f in eligibilities[nct_id].facts:
            key = _key(nct_id, f.kind, f.value, f.criterion.list, f.criterion.number)
            label = gold[key][0] if key in gold else None
            if label is not None and (not label.get("ambiguous") or f.note):
                matched[key] += 1
                if not label.get("ambiguous"):
                    result.tp[f.kind] += 1
                continue
            result.fp[f.kind] += 1
            result.errors.append(f"wrong: {key} {f.quote!r}")
    for key, gs in gold.items():
        missed = 0 if gs[0].get("ambiguous") else max(0, len(gs) - matched[key])
        result.fn[gs[0]["kind"]] += missed
        result.errors.extend([f"missed: {key}"] * missed)
    return result


def _pct(num: int, den: int) -> str:
    return f"{100 * num / den:5.1f}%" if den else "    -"


def table(name: str, s: Score) -> str:
    lines = [f"{name}: kind, correct, wrong, missed, precision, recall"]
    for kind in sorted(set(s.tp) | set(s.fp) | set(s.fn)):
        tp, fp, fn = s.tp[kind], s.fp[kind], s.fn[kind]
        lines.append(f"  {kind:28} {tp:3} {fp:3} {fn:3} {_pct(tp, tp + fp)} {_pct(tp, tp + fn)}")
    tp, fp, fn = s.figures(NUMERIC_KINDS)
    lines.append(
        f"  {'numeric kinds together':28} {tp:3} {fp:3} {fn:3} {_pct(tp, tp + fp)} "
        f"{_pct(tp, tp + fn)}"
    )
    return "\n".join(lines)


def test_labels_are_well_formed(
    labels: dict[str, Any], eligibilities: dict[str, Eligibility]
) -> None:
    """Every label names a labelled trial and a criterion that exists in it."""
    sets = labels["sets"]
    all_ids = [i for ids in sets.values() for i in ids]
    assert len(all_ids) == len(set(all_ids)) >= 30
    for g in labels["labels"]:
        assert g["nct_id"] in all_ids, g
        elig = eligibilities[g["nct_id"]]
        refs = {ref for ref, _, _ in iter_criteria(getattr(elig, g["list"]))}
        assert g["number"] in refs, g


def test_evaluation_meets_targets(
    labels: dict[str, Any],
    eligibilities: dict[str, Eligibility],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """On the sets the rules were tuned on (a regression guard): precision >= 95% and
    recall >= 90% over numeric kinds, per-kind precision >= 90%. Every set is printed."""
    total = Score(Counter(), Counter(), Counter(), [])
    report = []
    for name, ids in labels["sets"].items():
        s = score(eligibilities, ids, labels["labels"])
        report.append(table(name, s))
        if name not in FIRST_RUN_MET:
            total.add(s)
    report.append(table("all sets the rules were tuned on", total))
    with capsys.disabled():
        print("\n" + "\n".join(report))
    for check in TARGETS.values():
        check(total)


def _numeric_precision(s: Score) -> None:
    tp, fp, _ = s.figures(NUMERIC_KINDS)
    assert tp / (tp + fp) >= PRECISION_ALL, s.errors


def _numeric_recall(s: Score) -> None:
    tp, _, fn = s.figures(NUMERIC_KINDS)
    assert tp / (tp + fn) >= RECALL_ALL, s.errors


def _per_kind_precision(s: Score) -> None:
    """Precision of every kind emitted, the yes/no and category kinds too."""
    for kind in set(s.tp) | set(s.fp):
        kind_tp, kind_fp = s.tp[kind], s.fp[kind]
        assert kind_tp / (kind_tp + kind_fp) >= PRECISION_KIND, (kind, s.errors)


TARGETS = {
    "numeric precision": _numeric_precision,
    "numeric recall": _numeric_recall,
    "per-kind precision": _per_kind_precision,
}


@pytest.mark.parametrize("name", sorted(FIRST_RUN_MET))
def test_unseen_set(
    name: str,
    labels: dict[str, Any],
    eligibilities: dict[str, Eligibility],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """An unseen set is gated on the targets its first run met; the rest of its figures
    and its errors are printed, not gated."""
    s = score(eligibilities, labels["sets"][name], labels["labels"])
    met = FIRST_RUN_MET[name]
    with capsys.disabled():
        print(f"\n{table(name + ' (unseen)', s)}\n  errors: {s.errors}")
        print(f"  gated on: {', '.join(met)}; not met on the first run, so not gated: ", end="")
        print(", ".join(t for t in TARGETS if t not in met))
    assert s.figures(NUMERIC_KINDS)[0] > 0  # the set holds numeric facts the extractor finds
    for target in met:
        TARGETS[target](s)


def _criterion(elig: Eligibility, fact: EligibilityFact) -> Criterion:
    items: list[Criterion] = getattr(elig, fact.criterion.list)
    crit: Criterion | None = None
    for pos in fact.criterion.path:
        assert 1 <= pos <= len(items), fact
        crit = items[pos - 1]
        items = crit.children
    assert crit is not None
    return crit


def test_every_fact_quotes_its_criterion(eligibilities: dict[str, Eligibility]) -> None:
    """Over every record read (238 API v2 studies, the legacy XML and the unseen records):
    the quote is in the criterion's text, whose number exists."""
    count = 0
    for nct_id, elig in eligibilities.items():
        for fact in elig.facts:
            crit = _criterion(elig, fact)
            # By path, not by number: a record that numbers each cohort's criteria from 1
            # (NCT03520686) repeats a reference.
            refs = {p: ref for ref, p, _ in iter_criteria(getattr(elig, fact.criterion.list))}
            assert refs.get(tuple(fact.criterion.path)) == fact.criterion.number, (nct_id, fact)
            assert fact.quote and fact.quote in crit.text, (nct_id, fact)
            count += 1
    assert count > 500  # the records hold hundreds of facts
