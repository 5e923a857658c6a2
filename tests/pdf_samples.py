"""Hand-built trials for the PDF tests: the hard cases, independent of the readers.

``big_trial()`` carries what real records hold at their worst: nested criteria, 437
locations, about 19,000 characters of eligibility text with long criteria, non-ASCII
(≥ ≤ µ, accented names) and full-width CJK punctuation （ ） ，.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from trialpress.models import Criterion, Trial
from trialpress.templating import default_templates_dir

COUNTRIES = ["France", "España", "Österreich", "Česko", "United States", "日本", "Türkiye"]


def _criterion(number: str | None, text: str, children: list[Criterion] | None = None) -> Criterion:
    return Criterion(number=number, text=text, children=children or [])


def long_text(n_chars: int, seed: str = "criterion") -> str:
    """Plausible clinical wording of about ``n_chars`` characters (words, not one blob)."""
    words = (
        f"Patients with {seed} must have adequate organ function defined as ANC ≥ 1.5 × 10⁹/L, "
        "platelets ≥ 100 × 10⁹/L, haemoglobin ≥ 9 g/dL, creatinine ≤ 1.5 × ULN, vitamin D "
        "≥ 20 µg/L（measured centrally），and no prior therapy with Señor Müller's regimen "
        "as judged by the investigator; "
    )
    out = ""
    while len(out) < n_chars:
        out += words
    return out[:n_chars].rstrip()


def nested_criteria(
    prefix: str, n: int, *, long_every: int = 0, long_len: int = 900
) -> list[Criterion]:
    """``n`` numbered criteria, every third one with bullet and numbered children."""
    out: list[Criterion] = []
    for i in range(1, n + 1):
        text = f"{prefix} {i}: age ≥ 18 years and ≤ 75 years, dose 50 µg/kg（daily），"
        text += "Zoë Ångström-Ñúñez"
        if long_every and i % long_every == 0:
            text = f"{prefix} {i}: " + long_text(long_len, f"{prefix.lower()} {i}")
        children: list[Criterion] = []
        if i % 3 == 0:
            children = [
                _criterion(None, f"{prefix} {i} bullet a: eGFR ≥ 60 mL/min/1.73 m²"),
                _criterion(
                    None,
                    f"{prefix} {i} bullet b: prior treatment",
                    [
                        _criterion("1", f"{prefix} {i} b.1: anthracyclines ≤ 360 mg/m²"),
                        _criterion("2", f"{prefix} {i} b.2: taxanes（any），platinum"),
                    ],
                ),
            ]
        out.append(_criterion(str(i) if i != 8 else "8.-10.", text, children))
    return out


def _base(nct_id: str, title: str, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "nct_id": nct_id,
        "title": title,
        "source": {"format": "ctgov-json", "path": f"samples/{nct_id}.json"},
        "status": "RECRUITING",
        "phases": ["PHASE1", "PHASE2"],
        "study_type": "INTERVENTIONAL",
        "enrollment": {"count": 120, "type": "ESTIMATED"},
        "start_date": "2024-12",
        "completion_date": "2027",
        "last_updated": "2025-03-07",
        "conditions": ["Breast Cancer", "Cancer du sein"],
        "summary": (
            "A study of µ-opioid antagonists ≥ 2 mg in Zoë's cohort（phase 1），then expansion."
        ),
    }
    data.update(extra)
    return data


def big_trial() -> Trial:
    """437 locations, ~19,000 characters of nested eligibility text, non-ASCII everywhere."""
    inclusion = nested_criteria("Inclusion", 28, long_every=5, long_len=1100)
    exclusion = nested_criteria("Exclusion", 30, long_every=7, long_len=1500)
    raw = "\n".join(c.text for top in [*inclusion, *exclusion] for c in top.walk())
    locations = [
        {
            "facility": f"Hôpital Universitaire Nº {i} – Service d'Oncologie（{COUNTRIES[i % 7]}）",
            "city": ["Besançon", "Málaga", "Wien", "Brno", "Boston", "東京", "İzmir"][i % 7],
            "country": COUNTRIES[i % 7],
        }
        for i in range(437)
    ]
    return Trial.model_validate(
        _base(
            "NCT09000001",
            "Palbociclib ≥ 125 mg plus endocrine therapy in Zoë's cohort: "
            "a µ-dose study（Phase 1/2）",
            acronym="ÉTOILE",
            official_title="A Randomised Study of Palbociclib（125 mg），Letrozole and µ-Dosing",
            eligibility={
                "minimum_age": "18 Years",
                "maximum_age": "75 Years",
                "sex": "ALL",
                "healthy_volunteers": False,
                "inclusion": [c.model_dump() for c in inclusion],
                "exclusion": [c.model_dump() for c in exclusion],
                "raw_text": raw,
            },
            arms=[
                {
                    "label": "Palbociclib + letrozole",
                    "type": "EXPERIMENTAL",
                    "description": long_text(600, "arm A"),
                    "interventions": ["Palbociclib", "Letrozole"],
                },
                {"label": "Letrozole", "type": "ACTIVE_COMPARATOR", "interventions": ["Letrozole"]},
            ],
            interventions=[
                {"name": "Palbociclib", "type": "DRUG", "other_names": ["Ibrance®"]},
                {"name": "Letrozole", "type": "DRUG"},
            ],
            sponsors=[
                {"name": "Société Française d'Oncologie", "agency_class": "OTHER", "lead": True},
                {"name": "Pfizer", "agency_class": "INDUSTRY", "lead": False},
            ],
            officials=[
                {
                    "name": "José Núñez, MD",
                    "role": "PRINCIPAL_INVESTIGATOR",
                    "affiliation": "Universitätsklinikum Köln",
                },
                {"name": "Łukasz Wróbel", "role": "STUDY_CHAIR"},
            ],
            locations=locations,
            countries=COUNTRIES,
            identifiers=[
                {"id": "2019-001234-56", "type": "EUDRACT_NUMBER", "source": "secondary_id"},
                {"id": "ÉTOILE-01", "source": "org_study_id"},
            ],
        )
    )


def long_criterion_trial(n_chars: int = 6000) -> Trial:
    """One inclusion criterion longer than a page would hold if it could not split."""
    return Trial.model_validate(
        _base(
            "NCT09000002",
            "A single very long criterion",
            eligibility={
                "inclusion": [{"number": "1", "text": long_text(n_chars, "the long one")}],
                "exclusion": [{"number": "1", "text": "Pregnancy"}],
            },
        )
    )


def unbroken_word_trial() -> Trial:
    """Long unbroken words in the title, a criterion and a location must wrap, not overflow
    (and not take minutes: WeasyPrint's cost grows with the square of a word's length)."""
    return Trial.model_validate(
        _base(
            "NCT09000003",
            "Unbroken " + "A" * 400,
            eligibility={"inclusion": [{"number": "1", "text": "x" * 20000}]},
            locations=[{"facility": "y" * 3000, "country": "F" * 300}],
            summary="https://example.org/" + "a/b" * 500,
        )
    )


def hostile_trial() -> Trial:
    """Markup and template syntax in record text: must come out literally."""
    evil = '<script>alert(1)</script><b onload="x()">bold</b> {{ 7*7 }} {% if 1 %}jinja{% endif %}'
    evil += " \x1b[31mred\x00"
    rtl = "RTL: \u202eevil\u202c עברית العربية, then left to right again"
    return Trial.model_validate(
        _base(
            "NCT09000004",
            "Hostile " + evil,
            summary=evil
            + ' <img src="http://example.invalid/x.png"> <link rel=stylesheet href=http://example.invalid/x.css>',
            eligibility={
                "inclusion": [{"number": "1", "text": evil}, {"number": "2", "text": rtl}],
                "exclusion": [{"number": "1", "text": "[link](javascript:alert(1)) # heading"}],
            },
        )
    )


def minimal_trial() -> Trial:
    """Almost nothing given: every optional section absent."""
    return Trial.model_validate(
        {
            "nct_id": "NCT09000005",
            "title": "Minimal",
            "source": {"format": "registry-text", "path": "samples/minimal.txt"},
        }
    )


def all_samples() -> list[Trial]:
    """Every hand-built sample."""
    return [
        big_trial(),
        long_criterion_trial(),
        unbroken_word_trial(),
        hostile_trial(),
        minimal_trial(),
    ]


def failing_brief(folder: Path, nct_id: str) -> Path:
    """A template override folder whose brief PDF fails for one trial (and only for it):
    the shipped brief behind a check that reads a field no trial has."""
    (folder / "pdf").mkdir(parents=True)
    shipped = (default_templates_dir() / "pdf" / "brief.html").read_text(encoding="utf-8")
    (folder / "pdf" / "brief.html").write_text(
        f'{{% if trial.nct_id == "{nct_id}" %}}{{{{ trial.no_such_field }}}}{{% endif %}}'
        + shipped,
        encoding="utf-8",
    )
    return folder
