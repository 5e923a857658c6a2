"""Test helper: write a Trial in the registry page text format, so the reader can be
checked by round trips (our two examples come back byte for byte; the API studies come back
with every value the format carries).

The format has no labels and one value per line. To keep it readable back, the writer:

* writes values unlabelled and uses a label (``Start Date: ...``, ``Masking: NONE``,
  ``Minimum Age: ...``) only where the reader's own rules would place an unlabelled value
  elsewhere (checked with the reader's functions, not guessed);
* writes an empty line for an empty value inside a pair or triple (an intervention without
  a description, a sponsor without a class), so the pairs stay aligned; with
  ``Layout(placeholders=False)`` an arm or intervention without a description gets no line
  at all, as on the real pages;
* writes the eligibility ``raw_text`` as it is when there is one (so the criteria come back
  from the same parser), else criteria from the tree, indented only when numbering alone
  would not bring the nesting back;
* flattens line breaks inside one-line values (arm and intervention descriptions,
  citations) to a space: the format cannot carry them. With ``Layout(multiline=True)`` an
  arm or intervention description keeps its lines instead, one line each, blank lines
  dropped, as the real pages write a description of several paragraphs. A summary or
  description made of lines without any blank line between them comes back with blank
  lines between them.

``KIND`` is the writer's original layout (one line per description, a placeholder for a
missing one); ``REAL`` is what real registry pages do (both options); ``LAYOUTS`` names all
four, for the round-trip tests.

What the format does not carry at all is not written: official title, acronym, keywords,
date types, primary completion date, arm and intervention types, sponsor lead, location zip
and status, reference type, identifier domain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from trialpress.eligibility import parse_criteria
from trialpress.enums import ResponsiblePartyType
from trialpress.models import Criterion, Design, Eligibility, Trial
from trialpress.readers.registry_text import (
    DESIGN_FIELDS,
    NO_RESULTS,
    RESULTS_POSTED,
    SENTENCES,
    Line,
    assign_design,
    split_facts,
)


@dataclass(frozen=True)
class Layout:
    """How Study Groups and Interventions write descriptions (see the module docstring)."""

    multiline: bool = False
    placeholders: bool = True


KIND = Layout()
REAL = Layout(multiline=True, placeholders=False)
LAYOUTS = {
    "kind": KIND,
    "multiline": Layout(multiline=True),
    "no-placeholders": Layout(placeholders=False),
    "real": REAL,
}


def one_line(value: str | None) -> str:
    """A value on one line: line breaks (and the space around them) become one space."""
    return re.sub(r"\s*\n\s*", " ", value or "").strip()


def _lines(lines: list[str]) -> list[Line]:
    return [Line(i + 1, t) for i, t in enumerate(lines)]


def _basic(trial: Trial) -> list[str]:
    out: list[str] = []
    if trial.status:
        out.append(trial.status.value)
    if trial.phases:
        out.append(", ".join(p.value for p in trial.phases))
    if trial.enrollment and trial.enrollment.count is not None:
        kind = f" ({trial.enrollment.type.value})" if trial.enrollment.type else ""
        out.append(f"{trial.enrollment.count} participants{kind}")
    if trial.study_type:
        out.append(trial.study_type.value)
    if trial.start_date and trial.completion_date:
        out += [trial.start_date, trial.completion_date]
    elif trial.start_date:
        out.append(f"Start Date: {trial.start_date}")
    elif trial.completion_date:
        out.append(f"Completion Date: {trial.completion_date}")
    return out


def _paragraphs(text: str | None) -> list[str]:
    """One paragraph a line (the page's way) when paragraphs are the only line breaks;
    otherwise the lines as they are, blank lines included (the reader keeps those)."""
    if not text:
        return []
    parts = text.split("\n\n")
    if all(p and "\n" not in p and p == p.strip() for p in parts):
        return parts
    return text.split("\n")


def _design(trial: Trial) -> list[str]:
    """Unlabelled values, each checked with the reader's own assignment; else labelled."""
    out: list[str] = []
    want = trial.design
    done: dict[str, object] = {}
    for name, _, label in DESIGN_FIELDS:
        value = getattr(want, name)
        if value is None:
            continue
        done[name] = value
        expected = Design(**done)
        trial_lines = [*out, value.value]
        got, unplaced = assign_design(_lines(trial_lines), trial.study_type)
        if got == expected and not unplaced:
            out.append(value.value)
        else:
            out.append(f"{label}: {value.value}")
    if want.who_masked:
        out.append("Who Masked: " + ", ".join(w.value for w in want.who_masked))
    return out


def _tree_lines(criteria: list[Criterion], depth: int, indent: bool, plain: bool) -> list[str]:
    """Criteria as lines: numbered ones with their number, unnumbered top-level ones as plain
    lines (``plain``) or bullets, nested ones as bullets; indented by depth if ``indent``."""
    out: list[str] = []
    for c in criteria:
        if c.number is None:
            marker = "" if plain and depth == 0 else "*"
        elif re.fullmatch(r"\d+|[a-zA-Z]+", c.number):
            marker = f"{c.number}."
        else:
            marker = c.number
        pad = "    " * depth if indent else ""
        text_lines = c.text.split("\n")
        first = f"{marker} {text_lines[0]}" if marker else text_lines[0]
        out.append(f"{pad}{first}".rstrip())
        cont_pad = pad + " " * (len(marker) + 1) if indent else ""
        out.extend(f"{cont_pad}{t}" if t else "" for t in text_lines[1:])
        out.extend(_tree_lines(c.children, depth + 1, indent, plain))
    return out


def _strip_lines(criteria: list[Criterion]) -> list[Criterion]:
    return [
        Criterion(number=c.number, text=c.text, children=_strip_lines(c.children)) for c in criteria
    ]


def criteria_lines(elig: Eligibility) -> list[str]:
    """The criteria as text lines: ``raw_text`` if present, else written from the tree."""
    if elig.raw_text is not None:
        return elig.raw_text.strip("\n").split("\n")
    if not (elig.other or elig.inclusion or elig.exclusion):
        return []
    want = [_strip_lines(s) for s in (elig.other, elig.inclusion, elig.exclusion)]
    lines: list[str] = []
    for indent, plain in ((False, False), (False, True), (True, False), (True, True)):
        lines = _tree_lines(elig.other, 0, indent, plain)
        if elig.inclusion:
            lines += ["Inclusion Criteria", *_tree_lines(elig.inclusion, 0, indent, plain)]
        if elig.exclusion:
            lines += ["Exclusion Criteria", *_tree_lines(elig.exclusion, 0, indent, plain)]
        parsed = parse_criteria("\n".join(lines))
        got = [_strip_lines(s) for s in (parsed.other, parsed.inclusion, parsed.exclusion)]
        if got == want:
            return lines
    return lines


def _eligibility(trial: Trial) -> list[str]:
    elig = trial.eligibility
    text = criteria_lines(elig)
    facts = [elig.minimum_age, elig.maximum_age, elig.sex, elig.healthy_volunteers]
    unlabelled: list[str] = []
    if elig.minimum_age:
        unlabelled.append(elig.minimum_age)
    if elig.maximum_age:
        if not elig.minimum_age:
            unlabelled.append(f"Maximum Age: {elig.maximum_age}")
        else:
            unlabelled.append(elig.maximum_age)
    if elig.sex:
        unlabelled.append(elig.sex.value)
    if elig.healthy_volunteers is not None:
        unlabelled.append("Yes" if elig.healthy_volunteers else "No")
    crit, got = split_facts(_lines([*text, *unlabelled]))
    same = [got.minimum_age, got.maximum_age, got.sex, got.healthy_volunteers] == facts
    if same and [ln.text for ln in crit] == text:
        return [*text, *unlabelled]
    hv = {True: "Yes", False: "No", None: ""}[elig.healthy_volunteers]
    return [
        *text,
        f"Minimum Age: {elig.minimum_age or ''}".rstrip(),
        f"Maximum Age: {elig.maximum_age or ''}".rstrip(),
        f"Sex: {elig.sex.value if elig.sex else ''}".rstrip(),
        f"Healthy Volunteers: {hv}".rstrip(),
    ]


def _responsible_party(trial: Trial) -> list[str]:
    rp = trial.responsible_party
    if rp is None:
        return []
    out: list[str] = []
    if rp.type is not None:
        known = rp.type in {t.value for t in ResponsiblePartyType}
        out.append(rp.type if known else f"Type: {rp.type}")
    positional = True
    seen_gap = False
    for value in (rp.name, rp.title, rp.affiliation):
        if value is None:
            seen_gap = True
        elif seen_gap or ":" in value or value in {t.value for t in ResponsiblePartyType}:
            positional = False
    for label, value in (("Name", rp.name), ("Title", rp.title), ("Affiliation", rp.affiliation)):
        if value is not None:
            out.append(one_line(value) if positional else f"{label}: {one_line(value)}")
    return out


def _block(name: str, description: str | None, layout: Layout) -> list[str]:
    """A label or name line and its description lines, as ``layout`` writes them."""
    if layout.multiline:
        lines = [t.strip() for t in (description or "").split("\n") if t.strip()]
    else:
        lines = [one_line(description)] if one_line(description) else []
    if not lines and layout.placeholders:
        lines = [""]
    return [one_line(name), *lines]


def _arms(trial: Trial, layout: Layout) -> list[str]:
    """Each arm, then each intervention it lists; of several interventions sharing a name,
    the one whose own arm labels name this arm (as the registry links them)."""
    out: list[str] = []
    for arm in trial.arms:
        out += _block(arm.label, arm.description, layout)
        for name in arm.interventions:
            same = [i for i in trial.interventions if i.name == name] or [
                i for i in trial.interventions if i.name == name.split(": ", 1)[-1]
            ]
            found = next((i for i in same if arm.label in i.arm_labels), None) or next(
                iter(same), None
            )
            out += _block(found.name if found else name, found and found.description, layout)
    return out


def write_registry_text(trial: Trial, layout: Layout = KIND) -> str:
    """The trial as a registry page (no final newline, like the scraped pages)."""
    out: list[str] = [
        one_line(trial.title),
        f"NCT ID: {trial.nct_id}",
        f"Last Updated: {trial.last_updated or ''}".rstrip(),
    ]

    def section(name: str, lines: list[str]) -> None:
        out.append(name)
        sentence = SENTENCES[name]
        if sentence is not None:
            out.append(sentence)
        out.extend(lines)

    results = trial.extra.get("study_results")
    if trial.has_results:
        section("Study Results", list(results) if results else [RESULTS_POSTED])
    else:
        section("Study Results", [NO_RESULTS])
    section("Basic Information", _basic(trial))
    section("Brief Summary", _paragraphs(trial.summary))
    related: list[str] = []
    for rel in trial.related_trials:
        related += [one_line(rel.title), rel.nct_id]
    section("Related Clinical Trials", related)
    section("Detailed Description", _paragraphs(trial.description))
    section("Conditions", [one_line(c) for c in trial.conditions])
    section("Study Design", _design(trial))
    section("Study Groups", _arms(trial, layout))
    interventions: list[str] = []
    for i in trial.interventions:
        interventions += _block(i.name, i.description, layout)
    section("Interventions", interventions)
    section(
        "Other Intervention Names",
        [f"{one_line(i.name)}: {one_line(o)}" for i in trial.interventions for o in i.other_names],
    )
    section("Eligibility Criteria", _eligibility(trial))
    sponsors: list[str] = []
    for s in trial.sponsors:
        sponsors += [one_line(s.name), s.agency_class.value if s.agency_class else ""]
    section("Sponsors", sponsors)
    section("Responsible Party", _responsible_party(trial))
    officials: list[str] = []
    for o in trial.officials:
        role = o.role.value if o.role else ""
        officials += [one_line(o.name), f"Role: {role}".rstrip(), one_line(o.affiliation)]
    section("Principal Investigators", officials)
    locations: list[str] = []
    for loc in trial.locations:
        address = f"{one_line(loc.city)}, {one_line(loc.state)}, {one_line(loc.country)}"
        locations += [one_line(loc.facility), address]
    section("Locations", locations)
    derived: list[str] = []
    for loc in trial.locations:
        if loc.country and loc.country not in derived:
            derived.append(loc.country)
    section("Countries", [] if trial.countries == derived else list(trial.countries))
    references: list[str] = []
    for ref in trial.references:
        references.append(one_line(ref.citation))
        if ref.pmid:
            references.append(f"PMID: {ref.pmid}")
    section("References", references)
    identifiers: list[str] = []
    for ident in trial.identifiers:
        identifiers += [
            one_line(ident.id),
            f"Identifier Type: {ident.type or '-'}",
            f"Identifier Source: {ident.source or '-'}",
        ]
    section("Other Identifiers", identifiers)
    section("More Related Trials", [])
    return "\n".join(out)
