"""Registry page text reader: the scraped trial page format (``NCT ID:`` on line 2).

The page is a title, ``NCT ID: ...``, ``Last Updated: ...`` and then sections in a fixed
order, each heading followed by one boilerplate helper sentence. Values carry almost no
labels, so they are recognised by shape (enumeration values, dates, counts), never by
position, and labelled lines (``Clinical Phase: PHASE2``) are accepted too. Nothing is
dropped: a line the reader cannot place is kept in ``trial.extra["unplaced"]`` and reported
as an ``unplaced-line`` warning with its line number. See ``../shared/DESIGN.md`` section 2.

Study Groups, Interventions and Other Intervention Names are read together, as a whole
(``registry_groups``): nothing on the page marks which Study Groups line is an arm label,
a description line or an intervention, so the reader chooses the most likely reading of
all three sections at once, and warns (``ambiguous-groups``) where another reading is
almost as likely.

Writing the format back is a test helper (``tests/registry_text_writer.py``); it reuses the
small pure functions here (``assign_design``, ``split_facts``, ...) to know when a value
needs a label.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import ValidationError

from trialpress.eligibility import parse_criteria
from trialpress.enums import (
    AgencyClass,
    DesignAllocation,
    DesignMasking,
    DesignTimePerspective,
    EnrollmentType,
    InterventionalAssignment,
    ObservationalModel,
    OfficialRole,
    OverallStatus,
    Phase,
    PrimaryPurpose,
    ResponsiblePartyType,
    Sex,
    StudyType,
    WhoMasked,
)
from trialpress.errors import RecordError
from trialpress.models import (
    NCT_ID_RE,
    PARTIAL_DATE_RE,
    Arm,
    Design,
    Eligibility,
    Enrollment,
    Identifier,
    Intervention,
    Location,
    Official,
    ReadWarning,
    Reference,
    RelatedTrial,
    ResponsibleParty,
    Source,
    Sponsor,
    Trial,
)
from trialpress.readers.registry_groups import read_groups

NAME = "registry-text"

#: What the page says in Study Results when there are none; any other text means results.
NO_RESULTS = (
    "The study team has not published outcome measurements, participant flow, or safety "
    "data for this trial yet. Check back later for updates."
)
#: What our writer puts in Study Results for a trial with results.
RESULTS_POSTED = "Results have been posted for this trial."

#: Section headings in page order, with the helper sentence that follows each.
SECTIONS: tuple[tuple[str, str | None], ...] = (
    ("Study Results", None),
    (
        "Basic Information",
        "Get a concise snapshot of the trial, including recruitment status, study phase, "
        "enrollment targets, and key timeline milestones.",
    ),
    (
        "Brief Summary",
        "Review the sponsor-provided synopsis that highlights what the study is about and why "
        "it is being conducted.",
    ),
    (
        "Related Clinical Trials",
        "Explore similar clinical trials based on study characteristics and research focus.",
    ),
    (
        "Detailed Description",
        "Dive into the extended narrative that explains the scientific background, objectives, "
        "and procedures in greater depth.",
    ),
    (
        "Conditions",
        "See the medical conditions and disease areas that this research is targeting or "
        "investigating.",
    ),
    (
        "Study Design",
        "Understand how the trial is structured, including allocation methods, masking "
        "strategies, primary purpose, and other design elements.",
    ),
    (
        "Study Groups",
        "Review each arm or cohort in the study, along with the interventions and objectives "
        "associated with them.",
    ),
    (
        "Interventions",
        "Learn about the drugs, procedures, or behavioral strategies being tested and how they "
        "are applied within this trial.",
    ),
    (
        "Other Intervention Names",
        "Discover alternative or legacy names that may be used to describe the listed "
        "interventions across different sources.",
    ),
    (
        "Eligibility Criteria",
        "Check the participation requirements, including inclusion and exclusion rules, age "
        "limits, and whether healthy volunteers are accepted.",
    ),
    (
        "Sponsors",
        "Meet the organizations funding or collaborating on the study and learn about their roles.",
    ),
    (
        "Responsible Party",
        "Identify the individual or organization who holds primary responsibility for the "
        "study information submitted to regulators.",
    ),
    (
        "Principal Investigators",
        "Learn about the lead researchers overseeing the trial and their institutional "
        "affiliations.",
    ),
    (
        "Locations",
        "Explore where the study is taking place and check the recruitment status at each "
        "participating site.",
    ),
    (
        "Countries",
        "Review the countries where the study has at least one active or historical site.",
    ),
    (
        "References",
        "Explore related publications, articles, or registry entries linked to this study.",
    ),
    (
        "Other Identifiers",
        "Review additional registry numbers or institutional identifiers associated with this "
        "trial.",
    ),
    (
        "More Related Trials",
        "Additional clinical trials that may be relevant based on similarity analysis.",
    ),
)
HEADINGS: tuple[str, ...] = tuple(name for name, _ in SECTIONS)
SENTENCES: dict[str, str | None] = dict(SECTIONS)
_HEADING_KEYS = {name.lower(): name for name in HEADINGS}


def heading_name(text: str) -> str | None:
    """The canonical section name if ``text`` is a heading (any case, optional colon)."""
    return _HEADING_KEYS.get(text.strip().rstrip(":").rstrip().lower())


E = TypeVar("E", bound=StrEnum)

_LABEL_RE = re.compile(r"^(?P<label>[A-Za-z][A-Za-z ]*?)\s*:\s*(?P<value>.*)$")
_ENROLLMENT_RE = re.compile(
    r"^(?P<count>\d+)\s+participants?"
    r"(?:\s*\((?P<paren>actual|estimated)\)|\s+(?P<word>actual|estimated))?$",
    re.IGNORECASE,
)
_AGE_RE = re.compile(r"^\d+\s+(?:Year|Month|Week|Day|Hour|Minute)s?$", re.IGNORECASE)
_PMID_LINE_RE = re.compile(r"^PMID:\s*(?P<pmid>\d+)\s*$")
_PMID_SUFFIX_RE = re.compile(r"^(?P<citation>.*?)\s*\bPMID:\s*(?P<pmid>\d+)\s*$")


def detect(text: str) -> bool:
    """Registry page text has ``NCT ID:`` on its second line."""
    lines = text.lstrip("\ufeff").split("\n", 2)
    return len(lines) >= 2 and lines[1].strip().startswith("NCT ID:")


def enum_value(enum: type[E], value: str) -> E | None:
    """``value`` as a member of ``enum`` (exact spelling, as the registry writes it)."""
    try:
        return enum(value)
    except ValueError:
        return None


def split_label(text: str, labels: Iterable[str]) -> tuple[str, str] | None:
    """``("clinical phase", "PHASE2")`` for ``Clinical Phase: PHASE2`` if the label is known."""
    m = _LABEL_RE.match(text)
    if m is None:
        return None
    label = " ".join(m.group("label").lower().split())
    return (label, m.group("value").strip()) if label in labels else None


@dataclass
class Line:
    """One source line with its 1-based line number."""

    no: int
    text: str


# -- Study Design ---------------------------------------------------------------------------

#: Design fields in canonical order, with their enumeration and label.
DESIGN_FIELDS: tuple[tuple[str, type[StrEnum], str], ...] = (
    ("allocation", DesignAllocation, "Allocation"),
    ("intervention_model", InterventionalAssignment, "Intervention Model"),
    ("primary_purpose", PrimaryPurpose, "Primary Purpose"),
    ("masking", DesignMasking, "Masking"),
    ("observational_model", ObservationalModel, "Observational Model"),
    ("time_perspective", DesignTimePerspective, "Time Perspective"),
)
_INTERVENTIONAL_FIELDS = {"allocation", "intervention_model", "primary_purpose", "masking"}
_OBSERVATIONAL_FIELDS = {"observational_model", "time_perspective"}
_DESIGN_LABELS = {label.lower(): name for name, _, label in DESIGN_FIELDS}
_WHO_MASKED_LABEL = "who masked"


def _who_masked(value: str) -> list[WhoMasked] | None:
    parts = [p.strip() for p in re.split(r"[,/]", value) if p.strip()]
    members = [enum_value(WhoMasked, p) for p in parts]
    if not parts or any(m is None for m in members):
        return None
    return [m for m in members if m is not None]


def assign_design(lines: Sequence[Line], study_type: StudyType | None) -> tuple[Design, list[Line]]:
    """Design values by enumeration membership; labelled lines first, then unlabelled ones.

    An unlabelled value that several fields accept (``OTHER``) goes to the first empty field,
    in canonical order, that suits the study type (then to any empty field that accepts it).
    Returns the design and the lines that could not be placed.
    """
    values: dict[str, Any] = {}
    unplaced: list[Line] = []
    pending: list[Line] = []
    labels = [*_DESIGN_LABELS, _WHO_MASKED_LABEL]
    for line in lines:
        text = line.text.strip()
        if not text:
            continue
        labelled = split_label(text, labels)
        if labelled is None:
            pending.append(line)
            continue
        label, value = labelled
        if label == _WHO_MASKED_LABEL:
            who = _who_masked(value) if value else []
            if who is None or "who_masked" in values:
                unplaced.append(line)
            else:
                values["who_masked"] = who
            continue
        name = _DESIGN_LABELS[label]
        enum = next(e for n, e, _ in DESIGN_FIELDS if n == name)
        member = enum_value(enum, value)
        if member is None or name in values:
            unplaced.append(line)
        else:
            values[name] = member
    if study_type == StudyType.OBSERVATIONAL:
        preferred = _OBSERVATIONAL_FIELDS
    elif study_type in (StudyType.INTERVENTIONAL, StudyType.EXPANDED_ACCESS):
        preferred = _INTERVENTIONAL_FIELDS
    else:
        preferred = _INTERVENTIONAL_FIELDS | _OBSERVATIONAL_FIELDS
    for line in pending:
        text = line.text.strip()
        placed = False
        for restrict in (True, False):
            for name, enum, _ in DESIGN_FIELDS:
                if name in values or (restrict and name not in preferred):
                    continue
                member = enum_value(enum, text)
                if member is not None:
                    values[name] = member
                    placed = True
                    break
            if placed:
                break
        if not placed:
            who = _who_masked(text)
            if who is not None and "who_masked" not in values:
                values["who_masked"] = who
            else:
                unplaced.append(line)
    return Design(**values), unplaced


# -- Eligibility facts ----------------------------------------------------------------------

FACT_LABELS = {
    "minimum age": "minimum_age",
    "maximum age": "maximum_age",
    "sex": "sex",
    "gender": "sex",
    "healthy volunteers": "healthy_volunteers",
    "accepts healthy volunteers": "healthy_volunteers",
}
_FACT_SLOT = {"minimum_age": 0, "maximum_age": 1, "sex": 2, "healthy_volunteers": 3}
_YES_NO = {"yes": True, "no": False}


@dataclass
class Facts:
    """Age limits, sex and healthy volunteers from the end of the eligibility section."""

    minimum_age: str | None = None
    maximum_age: str | None = None
    sex: Sex | None = None
    healthy_volunteers: bool | None = None
    lines: list[Line] = field(default_factory=list)


def _fact_value(name: str, value: str) -> tuple[bool, Any]:
    """``(ok, value)``: whether ``value`` has the shape of fact ``name`` ('' is None)."""
    if value == "":
        return True, None
    if name in ("minimum_age", "maximum_age"):
        return bool(_AGE_RE.match(value)) or value.upper() == "N/A", value
    if name == "sex":
        member = enum_value(Sex, value.upper())
        return member is not None, member
    answer = _YES_NO.get(value.lower())
    return answer is not None, answer


def split_facts(lines: Sequence[Line]) -> tuple[list[Line], Facts]:
    """Split the trailing age/sex/healthy-volunteer lines off the criteria lines.

    Read backwards in the order minimum age, maximum age, sex, healthy volunteers: a line
    is a fact only if it fits a slot before the ones already taken, so a criterion that
    happens to read "No" is not taken for the healthy-volunteers answer. Once a labelled fact
    has been seen, only labelled lines are facts (writers label facts to say where they start).
    """
    facts = Facts()
    limit = 4
    unlabelled_ages: list[str] = []
    seen_label = False
    end = len(lines)
    while end > 0 and not lines[end - 1].text.strip():
        end -= 1
    cut = end
    for i in range(end - 1, -1, -1):
        text = lines[i].text.strip()
        labelled = split_label(text, FACT_LABELS)
        if labelled is not None:
            name = FACT_LABELS[labelled[0]]
            ok, value = _fact_value(name, labelled[1])
            slot = _FACT_SLOT[name]
            if not ok or slot >= limit:
                break
            setattr(facts, name, value)
            limit = slot
            seen_label = True
        elif seen_label:
            break
        elif _AGE_RE.match(text):
            if limit < 1 or len(unlabelled_ages) == 2:
                break
            unlabelled_ages.insert(0, text)
            limit = 1 if len(unlabelled_ages) == 1 else 0
        elif enum_value(Sex, text) is not None:
            if limit <= 2:
                break
            facts.sex = Sex(text)
            limit = 2
        elif text in ("Yes", "No"):
            if limit <= 3:
                break
            facts.healthy_volunteers = text == "Yes"
            limit = 3
        else:
            break
        cut = i
    if len(unlabelled_ages) == 2:
        facts.minimum_age, facts.maximum_age = unlabelled_ages
    elif unlabelled_ages:
        facts.minimum_age = unlabelled_ages[0]
    facts.lines = list(lines[cut:end])
    return list(lines[:cut]), facts


# -- Locations ------------------------------------------------------------------------------

#: Country names that contain a comma, as ClinicalTrials.gov spells them.
COMMA_COUNTRIES = (
    "Korea, Republic of",
    "Korea, Democratic People's Republic of",
    "Iran, Islamic Republic of",
    "Congo, The Democratic Republic of the",
    "Macedonia, The Former Yugoslav Republic of",
    "Moldova, Republic of",
    "Tanzania, United Republic of",
    "Virgin Islands, U.S.",
    "Virgin Islands, British",
    "Bolivia, Plurinational State of",
    "Venezuela, Bolivarian Republic of",
    "Micronesia, Federated States of",
    "Palestinian Territory, occupied",
    "Saint Helena, Ascension and Tristan da Cunha",
    "Bonaire, Sint Eustatius and Saba",
)


def split_address(text: str) -> tuple[str | None, str | None, str | None]:
    """``City, State, Country`` split from the right (cities may hold commas; state may be
    empty); a country with a comma in its name (``Korea, Republic of``) is recognised whole."""
    text = text.strip()
    country: str | None = None
    for name in COMMA_COUNTRIES:
        if text == name or text.endswith(", " + name) or text.endswith("," + name):
            country = name
            text = text[: len(text) - len(name)].rstrip()
            text = text[:-1] if text.endswith(",") else text
            break
    if country is None:
        head, _, last = text.rpartition(",")
        country, text = last.strip(), head
    city, sep, state = text.rpartition(",")
    if not sep:
        city, state = state, ""
    return city.strip() or None, state.strip() or None, country or None


# -- the reader -----------------------------------------------------------------------------


class _Reader:
    """Reads one page; collects values, warnings and unplaced lines as it goes."""

    def __init__(self, text: str, path: str) -> None:
        self.path = path
        text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
        self.lines = [Line(i + 1, t) for i, t in enumerate(text.split("\n"))]
        while self.lines and not self.lines[-1].text.strip():
            self.lines.pop()
        self.warnings: list[ReadWarning] = []
        self.unplaced: list[dict[str, Any]] = []
        self.extra: dict[str, Any] = {}
        self.v: dict[str, Any] = {}
        self.bodies: dict[str, list[Line]] = {}

    def warn(self, code: str, message: str, line: int | None) -> None:
        self.warnings.append(ReadWarning(code=code, message=message, line=line))

    def unplace(self, section: str, line: Line, why: str = "") -> None:
        """Keep a line the reader could not place, and say so."""
        self.unplaced.append({"line": line.no, "section": section, "text": line.text})
        reason = f" ({why})" if why else ""
        self.warn(
            "unplaced-line",
            f"line in {section} not understood{reason}; kept as extra",
            line.no,
        )

    # -- structure --------------------------------------------------------------------------
    def header(self) -> int:
        """Title, NCT ID and Last Updated; returns the index of the first section heading."""
        if not self.lines or not self.lines[0].text.strip():
            raise RecordError("no title on line 1", self.path, 1)
        title = self.lines[0].text.strip()
        if title.startswith("NCT ID:") or heading_name(title) is not None:
            raise RecordError("no title on line 1", self.path, 1)
        self.v["title"] = title
        i = 1
        nct: str | None = None
        while i < len(self.lines) and not self._is_heading(i, -1):
            line = self.lines[i]
            text = line.text.strip()
            if text.startswith("NCT ID:") and nct is None:
                nct = text.removeprefix("NCT ID:").strip()
                if not NCT_ID_RE.match(nct):
                    raise RecordError(
                        f"invalid NCT ID {nct!r} (expected NCT followed by 8 digits)",
                        self.path,
                        line.no,
                    )
            elif text.startswith("Last Updated:") and "last_updated" not in self.v:
                value = text.removeprefix("Last Updated:").strip()
                if value and not PARTIAL_DATE_RE.match(value):
                    self.unplace("header", line, "not a YYYY[-MM[-DD]] date")
                else:
                    self.v["last_updated"] = value or None
            elif text:
                self.unplace("header", line)
            i += 1
        if nct is None:
            raise RecordError("no 'NCT ID: ...' line", self.path, 2)
        self.v["nct_id"] = nct
        return i

    def _is_heading(self, i: int, position: int) -> bool:
        """A known heading later in page order, or any known heading with its sentence."""
        name = heading_name(self.lines[i].text)
        if name is None:
            return False
        if HEADINGS.index(name) > position:
            return True
        nxt = self.lines[i + 1].text.strip() if i + 1 < len(self.lines) else None
        return nxt is not None and nxt == SENTENCES[name]

    def sections(self, start: int) -> list[tuple[str, Line, list[Line]]]:
        """``(heading, heading line, content lines)`` in page order, helper sentences skipped."""
        out: list[tuple[str, Line, list[Line]]] = []
        position = -1
        i = start
        while i < len(self.lines):
            head = self.lines[i]
            name = heading_name(head.text)
            assert name is not None  # _is_heading said so
            position = HEADINGS.index(name)
            i += 1
            sentence = SENTENCES[name]
            if (
                sentence is not None
                and i < len(self.lines)
                and self.lines[i].text.strip() == sentence
            ):
                i += 1
            body: list[Line] = []
            while i < len(self.lines) and not self._is_heading(i, position):
                body.append(self.lines[i])
                i += 1
            out.append((name, head, body))
        return out

    # -- sections ---------------------------------------------------------------------------
    def study_results(self, head: Line, body: list[Line]) -> None:
        texts = [ln for ln in body if ln.text.strip()]
        if not texts:
            self.warn("empty-section", "Study Results section is empty", head.no)
            return
        if len(texts) == 1 and texts[0].text.strip() == NO_RESULTS:
            self.v["has_results"] = False
            return
        self.v["has_results"] = True
        other = [ln.text.strip() for ln in texts if ln.text.strip() != RESULTS_POSTED]
        if other:
            self.extra["study_results"] = other

    def basic_information(self, head: Line, body: list[Line]) -> None:
        labels = {
            "recruitment status": "status",
            "overall status": "status",
            "status": "status",
            "clinical phase": "phases",
            "phase": "phases",
            "phases": "phases",
            "enrollment": "enrollment",
            "study type": "study_type",
            "start date": "start_date",
            "completion date": "completion_date",
        }
        dates: list[Line] = []
        section = "Basic Information"
        for line in body:
            text = line.text.strip()
            if not text:
                continue
            labelled = split_label(text, labels)
            if labelled is not None:
                name, value = labels[labelled[0]], labelled[1]
                if not value:
                    continue  # a label with no value: explicitly unknown
                parsed = self._basic_value(name, value)
                if parsed is None or name in self.v:
                    self.unplace(section, line, f"not a {labelled[0]}")
                else:
                    self.v[name] = parsed
                continue
            for name in ("status", "phases", "enrollment", "study_type"):
                parsed = self._basic_value(name, text)
                if parsed is not None and name not in self.v:
                    self.v[name] = parsed
                    break
            else:
                if PARTIAL_DATE_RE.match(text):
                    dates.append(line)
                else:
                    self.unplace(section, line)
        free = [n for n in ("start_date", "completion_date") if n not in self.v]
        if len(dates) == 1 and len(free) == 2:
            self.v["start_date"] = dates[0].text.strip()
            self.warn(
                "ambiguous-date",
                "a single unlabelled date in Basic Information: taken as the start date",
                dates[0].no,
            )
            return
        for name, line in zip(free, dates, strict=False):
            self.v[name] = line.text.strip()
        for line in dates[len(free) :]:
            self.unplace(section, line, "a third date")

    @staticmethod
    def _basic_value(name: str, value: str) -> Any:
        if name == "status":
            return enum_value(OverallStatus, value)
        if name == "study_type":
            return enum_value(StudyType, value)
        if name == "phases":
            parts = [p.strip() for p in re.split(r"[,/]", value)]
            phases = [enum_value(Phase, p) for p in parts]
            if not parts or any(p is None for p in phases):
                return None
            return phases
        if name == "enrollment":
            m = _ENROLLMENT_RE.match(value)
            if m is None:
                return None
            kind = m.group("paren") or m.group("word")
            return Enrollment(
                count=int(m.group("count")),
                type=EnrollmentType(kind.upper()) if kind else None,
            )
        return value if PARTIAL_DATE_RE.match(value) else None

    def paragraphs(self, key: str, head: Line, body: list[Line]) -> None:
        """Summary/description: one paragraph a line, joined with a blank line.

        A section that has blank lines of its own is Markdown-ish text written out as it was
        (our writer does this for API text): then its lines are kept as they are.
        """
        lines = [ln.text for ln in body]
        while lines and not lines[-1].strip():
            lines.pop()
        while lines and not lines[0].strip():
            lines.pop(0)
        if not lines:
            self.warn("empty-section", f"{head.text.strip()} section is empty", head.no)
            return
        if any(not t.strip() for t in lines):
            self.v[key] = "\n".join(t.rstrip() for t in lines).strip()
        else:
            self.v[key] = "\n\n".join(t.strip() for t in lines)

    def related(self, section: str, body: list[Line]) -> None:
        trials: list[RelatedTrial] = self.v.setdefault("related_trials", [])
        title: Line | None = None
        for line in body:
            text = line.text.strip()
            if NCT_ID_RE.match(text):
                trials.append(
                    RelatedTrial(nct_id=text, title=title.text.strip() or None if title else None)
                )
                title = None
            else:
                if title is not None and title.text.strip():
                    self.unplace(section, title, "a title without an NCT ID")
                title = line
        if title is not None and title.text.strip():
            self.unplace(section, title, "a title without an NCT ID")

    def conditions(self, head: Line, body: list[Line]) -> None:
        self.simple_list("conditions", body)
        if not self.v["conditions"]:
            self.warn("empty-section", "Conditions section is empty", head.no)

    def collect(self, head: Line, body: list[Line]) -> None:
        """Keep a section's lines for a reader that needs several sections at once."""
        self.bodies.setdefault(heading_name(head.text) or head.text, []).extend(body)

    def simple_list(self, key: str, body: list[Line]) -> None:
        items: list[str] = self.v.setdefault(key, [])
        items.extend(ln.text.strip() for ln in body if ln.text.strip())

    def pairs(self, section: str, body: list[Line]) -> list[tuple[Line, Line]]:
        """Name/description pairs; an empty line is an empty value (our writer's convention)."""
        lines = list(body)
        out = [(lines[i], lines[i + 1]) for i in range(0, len(lines) - 1, 2)]
        if len(lines) % 2 and lines[-1].text.strip():
            self.unplace(section, lines[-1], "a name without a description")
        return out

    def groups(self) -> None:
        """Arms and interventions from Study Groups, Interventions and Other Intervention
        Names read together (``registry_groups``); warns where the text allows another
        reading almost as good."""
        groups = self.bodies.get("Study Groups", [])
        items = self.bodies.get("Interventions", [])
        others = self.bodies.get("Other Intervention Names", [])
        if not (groups or items or others):
            return
        model = self.v["design"].intervention_model if "design" in self.v else None
        single = None if model is None else model == InterventionalAssignment.SINGLE_GROUP
        reading = read_groups(groups, items, others, single)
        interventions = [
            Intervention(name=b.head.text.strip(), description=b.description)
            for b in reading.interventions
        ]
        self.v["interventions"] = interventions
        self.v["arms"] = [
            Arm(
                label=arm.block.head.text.strip(),
                description=arm.block.description,
                interventions=[interventions[i].name for i in arm.interventions],
            )
            for arm in reading.arms
        ]
        if reading.ambiguous is not None:
            self.warn(
                "ambiguous-groups",
                "Study Groups and Interventions can be read another way almost as well from "
                "here; kept the reading the page's order and line shapes support",
                reading.ambiguous,
            )
        self.other_names(others)

    def other_names(self, body: list[Line]) -> None:
        """``Name: other`` lines. Interventions sharing a name take that name's lines in turn
        (the page cannot say which one a line belongs to; one other name each is the usual
        case, and giving them all to one intervention would misplace the rest)."""
        interventions: list[Intervention] = self.v.get("interventions", [])
        names = sorted({i.name for i in interventions}, key=len, reverse=True)
        by_name: dict[str, list[Intervention]] = {}
        for intervention in interventions:
            by_name.setdefault(intervention.name, []).append(intervention)
        seen: dict[str, int] = {}
        for line in body:
            text = line.text.strip()
            if not text:
                continue
            for name in names:
                if text.startswith(name + ":"):
                    other = text[len(name) + 1 :].strip()
                    if other:
                        same = by_name[name]
                        turn = seen.get(name, 0)
                        same[turn % len(same)].other_names.append(other)
                        seen[name] = turn + 1
                        break
            else:
                self.unplace("Other Intervention Names", line, "no intervention of that name")

    def eligibility(self, head: Line, body: list[Line]) -> None:
        criteria_lines, facts = split_facts(body)
        while criteria_lines and not criteria_lines[0].text.strip():
            criteria_lines.pop(0)
        while criteria_lines and not criteria_lines[-1].text.strip():
            criteria_lines.pop()
        elig = Eligibility(
            minimum_age=facts.minimum_age,
            maximum_age=facts.maximum_age,
            sex=facts.sex,
            healthy_volunteers=facts.healthy_volunteers,
        )
        if criteria_lines:
            raw = "\n".join(ln.text for ln in criteria_lines)
            parsed = parse_criteria(raw, first_line=criteria_lines[0].no)
            elig.raw_text = raw
            elig.inclusion, elig.exclusion, elig.other = (
                parsed.inclusion,
                parsed.exclusion,
                parsed.other,
            )
            self.warnings.extend(parsed.warnings)
        elif not facts.lines:
            self.warn("empty-section", "Eligibility Criteria section is empty", head.no)
        self.v["eligibility"] = elig

    def sponsors(self, body: list[Line]) -> None:
        sponsors: list[Sponsor] = self.v.setdefault("sponsors", [])
        i = 0
        while i < len(body):
            name = body[i].text.strip()
            nxt = body[i + 1].text.strip() if i + 1 < len(body) else None
            agency = enum_value(AgencyClass, nxt) if nxt else None
            if not name:
                if nxt is not None and agency is not None:
                    self.unplace("Sponsors", body[i + 1], "a class without a sponsor name")
                    i += 2
                else:
                    i += 1
                continue
            if nxt is not None and (agency is not None or nxt == ""):
                sponsors.append(Sponsor(name=name, agency_class=agency))
                i += 2
            else:
                sponsors.append(Sponsor(name=name))
                i += 1

    def responsible_party(self, body: list[Line]) -> None:
        labels = {"type": "type", "name": "name", "title": "title", "affiliation": "affiliation"}
        values: dict[str, str | None] = {}
        order = ["name", "title", "affiliation"]
        for line in body:
            text = line.text.strip()
            if not text:
                continue
            labelled = split_label(text, labels)
            if labelled is not None and labels[labelled[0]] not in values:
                values[labels[labelled[0]]] = labelled[1] or None
                continue
            if enum_value(ResponsiblePartyType, text) is not None and "type" not in values:
                values["type"] = text
                continue
            slot = next((s for s in order if s not in values), None)
            if slot is None:
                self.unplace("Responsible Party", line)
            else:
                values[slot] = text
        if any(v is not None for v in values.values()):
            self.v["responsible_party"] = ResponsibleParty(**values)

    def officials(self, body: list[Line]) -> None:
        officials: list[Official] = self.v.setdefault("officials", [])
        current: Official | None = None
        state = "name"  # what the next plain line is
        for line in body:
            text = line.text.strip()
            if text.startswith("Role:"):
                role_text = text.removeprefix("Role:").strip()
                role = enum_value(OfficialRole, role_text) if role_text else None
                if current is None or state != "role_or_affiliation":
                    self.unplace("Principal Investigators", line, "a role without a name")
                    continue
                if role_text and role is None:
                    self.unplace("Principal Investigators", line, "not an official role")
                current.role = role
                state = "affiliation"
                continue
            if state == "name":
                if not text:
                    continue
                current = Official(name=text)
                officials.append(current)
                state = "role_or_affiliation"
            else:
                assert current is not None
                current.affiliation = text or None
                state = "name"

    def locations(self, body: list[Line]) -> None:
        locations: list[Location] = self.v.setdefault("locations", [])
        for facility, address in self.pairs("Locations", body):
            city, state, country = split_address(address.text)
            if not facility.text.strip() and not any((city, state, country)):
                continue
            locations.append(
                Location(
                    facility=facility.text.strip() or None,
                    city=city,
                    state=state,
                    country=country,
                )
            )

    def references(self, body: list[Line]) -> None:
        refs: list[Reference] = self.v.setdefault("references", [])
        for idx, line in enumerate(body):
            text = line.text.strip()
            m = _PMID_LINE_RE.match(text)
            if m:
                prev = body[idx - 1].text.strip() if idx else None
                if refs and prev is not None and refs[-1].pmid is None and prev != "":
                    refs[-1].pmid = m.group("pmid")
                elif prev == "":
                    refs.append(Reference(citation="", pmid=m.group("pmid")))
                else:
                    self.unplace("References", line, "a PMID without a citation")
                continue
            if not text:
                continue
            m = _PMID_SUFFIX_RE.match(text)
            if m and m.group("citation"):
                refs.append(Reference(citation=m.group("citation"), pmid=m.group("pmid")))
            else:
                refs.append(Reference(citation=text))

    def identifiers(self, body: list[Line]) -> None:
        ids: list[Identifier] = self.v.setdefault("identifiers", [])
        current: Identifier | None = None
        for line in body:
            text = line.text.strip()
            if text.startswith("Identifier Type:") and current is not None:
                value = text.removeprefix("Identifier Type:").strip()
                current.type = None if value in ("", "-") else value
            elif text.startswith("Identifier Source:") and current is not None:
                value = text.removeprefix("Identifier Source:").strip()
                if value in ("org_study_id", "secondary_id"):
                    current.source = value  # type: ignore[assignment]
                elif value not in ("", "-"):
                    self.unplace("Other Identifiers", line, "not org_study_id or secondary_id")
            elif text.startswith(("Identifier Type:", "Identifier Source:")):
                self.unplace("Other Identifiers", line, "no identifier before it")
            elif text:
                current = Identifier(id=text)
                ids.append(current)

    # -- assembly ---------------------------------------------------------------------------
    def read(self) -> Trial:
        start = self.header()
        sections = self.sections(start)
        by_name: dict[str, list[tuple[Line, list[Line]]]] = {}
        for name, head, body in sections:
            by_name.setdefault(name, []).append((head, body))
        handlers: dict[str, Callable[[Line, list[Line]], None]] = {
            "Study Results": self.study_results,
            "Basic Information": self.basic_information,
            "Brief Summary": lambda h, b: self.paragraphs("summary", h, b),
            "Related Clinical Trials": lambda h, b: self.related("Related Clinical Trials", b),
            "Detailed Description": lambda h, b: self.paragraphs("description", h, b),
            "Conditions": self.conditions,
            "Study Design": lambda h, b: self._design(b),
            "Study Groups": self.collect,
            "Interventions": self.collect,
            "Other Intervention Names": self.collect,
            "Eligibility Criteria": self.eligibility,
            "Sponsors": lambda h, b: self.sponsors(b),
            "Responsible Party": lambda h, b: self.responsible_party(b),
            "Principal Investigators": lambda h, b: self.officials(b),
            "Locations": lambda h, b: self.locations(b),
            "Countries": lambda h, b: self.simple_list("countries", b),
            "References": lambda h, b: self.references(b),
            "Other Identifiers": lambda h, b: self.identifiers(b),
            "More Related Trials": lambda h, b: self.related("More Related Trials", b),
        }
        # Basic Information before Study Design: the study type settles ambiguous values.
        first = ["Basic Information"]
        for name in [*first, *(h for h in HEADINGS if h not in first)]:
            for head, body in by_name.get(name, []):
                handlers[name](head, body)
        self.groups()
        self._link_arms()
        if not self.v.get("countries"):
            countries: list[str] = []
            for loc in self.v.get("locations", []):
                if loc.country and loc.country not in countries:
                    countries.append(loc.country)
            self.v["countries"] = countries
        if self.unplaced:
            self.extra["unplaced"] = sorted(self.unplaced, key=lambda u: u["line"])
        self.warnings.sort(key=lambda w: w.line or 0)
        try:
            return Trial(
                **self.v,
                source=Source(format="registry-text", path=self.path),
                warnings=self.warnings,
                extra=self.extra,
            )
        except ValidationError as exc:  # pragma: no cover - values are checked above
            raise RecordError(f"invalid record: {exc.errors()[0]['msg']}", self.path) from None

    def _design(self, body: list[Line]) -> None:
        design, unplaced = assign_design(body, self.v.get("study_type"))
        self.v["design"] = design
        for line in unplaced:
            self.unplace("Study Design", line, "not a design value")

    def _link_arms(self) -> None:
        for intervention in self.v.get("interventions", []):
            intervention.arm_labels = [
                arm.label
                for arm in self.v.get("arms", [])
                if intervention.name in arm.interventions
            ]


def read(text: str, path: str) -> list[Trial | RecordError]:
    """Read one registry page; raises :class:`RecordError` when it is not one."""
    return [_Reader(text, path).read()]
