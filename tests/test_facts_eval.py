"""Eligibility facts against hand labels (issue 16), and provenance over all shared studies.

The labels in ``facts_labels.json`` were written by reading the criteria (``LABELLING.md``
says how, and records the first-run measurements on the four held-out sets: those are the
figures on unseen trials). The targets are gated on all labelled trials, which guards against
regressions but measures mostly trials the rules were tuned on: on the one set still unseen,
``held_out_4``, the first run met the precision targets but not the recall target, so that set
is gated on precision only and its recall is printed. A fact matches
a label when trial, kind, value, list and criterion number all agree. A label marked
``ambiguous`` is not counted for recall; a fact there is right only if it carries a note.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SHARED, V2_JSON
from trialpress.eligibility import parse_criteria
from trialpress.facts import NUMERIC_KINDS, extract_facts, iter_criteria
from trialpress.models import Criterion, Eligibility, EligibilityFact, Trial
from trialpress.readers import read_paths

LABELS = Path(__file__).parent / "facts_labels.json"
PRECISION_ALL, RECALL_ALL, PRECISION_KIND = 0.95, 0.90, 0.90
# The held-out set no extraction rule has been changed after: LABELLING.md records its
# first-run figures. A rule change made after looking at its errors makes it seen.
UNSEEN = "held_out_4"


LEGACY_XML = SHARED / "ctgov" / "legacy-xml"


@pytest.fixture(scope="module")
def trials() -> dict[str, Trial]:
    out = {t.nct_id: t for t in read_paths([V2_JSON]) if isinstance(t, Trial)}
    assert len(out) == 238, len(out)
    return out


@pytest.fixture(scope="module")
def eligibilities(trials: dict[str, Trial]) -> dict[str, Eligibility]:
    """Every labelled trial's eligibility: the API v2 studies as read, and the legacy XML
    records (a format trialpress does not read) through the same criteria parser."""
    out = {nct: t.eligibility for nct, t in trials.items()}
    for path in sorted(LEGACY_XML.rglob("*.xml")):
        root = ET.parse(path).getroot()
        nct = root.findtext("id_info/nct_id")
        if nct and nct not in out:
            parsed = parse_criteria(root.findtext("eligibility/criteria/textblock") or "")
            elig = Eligibility(inclusion=parsed.inclusion, exclusion=parsed.exclusion)
            elig.facts = extract_facts(elig)
            out[nct] = elig
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
    gold = {
        _key(g["nct_id"], g["kind"], g["value"], g["list"], g["number"]): g
        for g in labels
        if g["nct_id"] in ids
    }
    result = Score(Counter(), Counter(), Counter(), [])
    matched = set()
    for nct_id in ids:
        for f in eligibilities[nct_id].facts:
            key = _key(nct_id, f.kind, f.value, f.criterion.list, f.criterion.number)
            g = gold.get(key)
            if g is not None and (not g.get("ambiguous") or f.note):
                matched.add(key)
                if not g.get("ambiguous"):
                    result.tp[f.kind] += 1
                continue
            result.fp[f.kind] += 1
            result.errors.append(f"wrong: {key} {f.quote!r}")
    for key, g in gold.items():
        if key not in matched and not g.get("ambiguous"):
            result.fn[g["kind"]] += 1
            result.errors.append(f"missed: {key}")
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
    """Precision >= 95% and recall >= 90% over numeric kinds, per-kind precision >= 90%."""
    total = Score(Counter(), Counter(), Counter(), [])
    report = []
    for name, ids in labels["sets"].items():
        s = score(eligibilities, ids, labels["labels"])
        report.append(table(name, s))
        total.add(s)
    report.append(table("all labelled trials", total))
    with capsys.disabled():
        print("\n" + "\n".join(report))
    _assert_precision(total)
    tp, _, fn = total.figures(NUMERIC_KINDS)
    assert tp / (tp + fn) >= RECALL_ALL, total.errors


def _assert_precision(s: Score) -> None:
    """Numeric precision over all kinds together, and precision of every kind emitted."""
    tp, fp, _ = s.figures(NUMERIC_KINDS)
    assert tp / (tp + fp) >= PRECISION_ALL, s.errors
    for kind in set(s.tp) | set(s.fp):
        kind_tp, kind_fp = s.tp[kind], s.fp[kind]
        assert kind_tp / (kind_tp + kind_fp) >= PRECISION_KIND, (kind, s.errors)


def test_unseen_set_precision(
    labels: dict[str, Any],
    eligibilities: dict[str, Eligibility],
    capsys: pytest.CaptureFixture[str],
) -> None:
    """On the unseen set the precision targets hold; its recall is printed, not gated,
    because the first run fell short of 90% (LABELLING.md): the recall target is not met
    on unseen trials."""
    s = score(eligibilities, labels["sets"][UNSEEN], labels["labels"])
    tp, _, fn = s.figures(NUMERIC_KINDS)
    with capsys.disabled():
        print(f"\n{table(UNSEEN + ' (unseen)', s)}\n  errors: {s.errors}")
        print(f"  numeric recall {_pct(tp, tp + fn)} against a target of 90%: not gated")
    assert tp > 0  # the set holds numeric facts the extractor finds
    _assert_precision(s)


def _criterion(trial: Trial, fact: EligibilityFact) -> Criterion:
    items = getattr(trial.eligibility, fact.criterion.list)
    crit = None
    for pos in fact.criterion.path:
        assert 1 <= pos <= len(items), fact
        crit = items[pos - 1]
        items = crit.children
    assert crit is not None
    return crit


def test_every_fact_quotes_its_criterion(trials: dict[str, Trial]) -> None:
    """Over all 238 studies: the quote is in the criterion's text, whose number exists."""
    count = 0
    for trial in trials.values():
        elig = trial.eligibility
        for fact in elig.facts:
            crit = _criterion(trial, fact)
            refs = {ref: c for ref, _, c in iter_criteria(getattr(elig, fact.criterion.list))}
            assert refs.get(fact.criterion.number) is crit, (trial.nct_id, fact)
            assert fact.quote and fact.quote in crit.text, (trial.nct_id, fact)
            count += 1
    assert count > 500  # the shared studies hold hundreds of facts
