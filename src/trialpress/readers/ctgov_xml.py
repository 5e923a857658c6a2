"""Legacy ClinicalTrials.gov XML reader (``<clinical_study>``, public.xsd).

The format of the AllPublicXML archive and of the TREC clinical-trials corpora: one study
per file, values spelled for people (``Completed``, ``Phase 1/Phase 2``, ``N/A``,
``December 13, 2017``). Every value is converted to the API v2 spelling the model uses, so
a trial reads the same from either format (``tests/test_ctgov_xml.py`` compares the two
studies the shared data has in both).

Parsing is hardened: ``defusedxml`` refuses any DTD, entity declaration or external
reference (so no billion-laughs expansion and no file or network access), nesting deeper
than :data:`MAX_DEPTH` and more than :data:`MAX_ELEMENTS` elements are refused while
parsing, and every failure is one :class:`RecordError` with the line.

Textblocks (summary, description, criteria) come hard-wrapped at about 80 columns by the
registry's export; the wrapping is undone (a line that does not start a list item continues
the one before) so that text reads as the API v2 JSON gives it, and the criteria go through
the same parser as the JSON's. Criteria warnings carry the file line of the source line.

Nothing is silently lost: each element or attribute the model has no field for is kept in
``Trial.extra`` under its element path (``oversight_info.has_dmc``,
``location[3].investigator``, ``enrollment@type``), listed in one ``unmapped-fields`` note;
a value the model cannot take (an unknown status, an odd date) is kept there too, with one
``invalid-value`` warning.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from enum import StrEnum
from typing import Any, TypeVar
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser
from pydantic import ValidationError

from trialpress.eligibility import parse_criteria, starts_item
from trialpress.enums import (
    AgencyClass,
    ArmGroupType,
    ContactRole,
    DateType,
    DesignAllocation,
    DesignMasking,
    DesignTimePerspective,
    EnrollmentType,
    InterventionalAssignment,
    InterventionType,
    IpdSharing,
    IpdSharingInfoType,
    ObservationalModel,
    OfficialRole,
    OverallStatus,
    Phase,
    PrimaryPurpose,
    RecruitmentStatus,
    ReferenceType,
    ResponsiblePartyType,
    Sex,
    StudyType,
    WhoMasked,
)
from trialpress.errors import RecordError
from trialpress.models import (
    NCT_ID_RE,
    Arm,
    Contact,
    Design,
    Document,
    Eligibility,
    Enrollment,
    ExpandedAccess,
    Identifier,
    Intervention,
    IpdSharingStatement,
    Location,
    Mesh,
    MeshBrowse,
    MeshTerm,
    Official,
    Outcome,
    Oversight,
    ReadWarning,
    Reference,
    ResponsibleParty,
    Source,
    Sponsor,
    Trial,
)
from trialpress.readers.ctgov_json import _describe_validation, kept_warnings

NAME = "ctgov-xml"

#: Deeper element nesting than this is refused: real records nest at most 11 levels
#: (``clinical_results``), and ``extra`` is walked recursively by later stages.
MAX_DEPTH = 64
#: More elements than this are refused: the largest real record (590 KB, full results)
#: has about 20,000; the limit keeps a small file of empty tags from costing gigabytes.
MAX_ELEMENTS = 1_000_000
ROOT = "clinical_study"

_E = TypeVar("_E", bound=StrEnum)

_ROOT_RE = re.compile(rf"<{ROOT}[\s>/]")
_MONTHS = {
    name: number
    for number, name in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ],
        start=1,
    )
}
_DATE_RE = re.compile(r"^(?P<month>[A-Za-z]+)\s+(?:(?P<day>\d{1,2}),\s*)?(?P<year>\d{4})$")
_ISO_DATE_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_MASKING_RE = re.compile(r"^(?P<level>[A-Za-z]+)\s*(?:\((?P<who>[^)]*)\))?$")
_NOT_WORD_RE = re.compile(r"[^A-Z0-9]+")

#: Legacy spellings whose upper-cased form is not the API v2 name.
_ALIASES: dict[str, str] = {
    "UNKNOWN_STATUS": "UNKNOWN",
    "ANTICIPATED": "ESTIMATED",
    "ESTIMATE": "ESTIMATED",
    "N_A": "NA",
    "U_S_FED": "FED",
    "EDUCATIONAL_COUNSELING_TRAINING": "ECT",
    "SINGLE_GROUP_ASSIGNMENT": "SINGLE_GROUP",
    "PARALLEL_ASSIGNMENT": "PARALLEL",
    "CROSSOVER_ASSIGNMENT": "CROSSOVER",
    "FACTORIAL_ASSIGNMENT": "FACTORIAL",
    "SEQUENTIAL_ASSIGNMENT": "SEQUENTIAL",
    "OBSERVATIONAL_PATIENT_REGISTRY": "OBSERVATIONAL",
    "ACCEPTS_HEALTHY_VOLUNTEERS": "YES",
    "NONE_OPEN_LABEL": "NONE",
    "STATISTICAL_ANALYSIS_PLAN_SAP": "SAP",
    "INFORMED_CONSENT_FORM_ICF": "ICF",
    "CLINICAL_STUDY_REPORT_CSR": "CSR",
}


def api_name(value: str) -> str:
    """A legacy value as API v2 spells it (``Active, not recruiting`` -> ``ACTIVE_NOT_RECRUITING``).

    Case and punctuation aside most legacy values are the API names; ``_ALIASES`` has the rest.
    """
    key = _NOT_WORD_RE.sub("_", value.upper()).strip("_")
    return _ALIASES.get(key, key)


def api_phases(value: str) -> list[Phase] | None:
    """``Phase 1/Phase 2`` -> ``[PHASE1, PHASE2]``; ``N/A`` -> ``[NA]``; None if unknown."""
    if api_name(value) == "NA":
        return [Phase.NA]
    out: list[Phase] = []
    for part in value.split("/"):
        try:
            out.append(Phase(api_name(part).replace("PHASE_", "PHASE")))
        except ValueError:
            return None
    return out


def api_date(value: str) -> str | None:
    """``December 13, 2017`` -> ``2017-12-13``, ``December 2021`` -> ``2021-12``; else None."""
    if _ISO_DATE_RE.match(value):
        return value
    m = _DATE_RE.match(value)
    if not m or m.group("month").lower() not in _MONTHS:
        return None
    month = _MONTHS[m.group("month").lower()]
    if m.group("day") is None:
        return f"{m.group('year')}-{month:02d}"
    day = int(m.group("day"))
    return f"{m.group('year')}-{month:02d}-{day:02d}" if 1 <= day <= 31 else None


def api_age(value: str) -> str | None:
    """``18 Years`` as written; ``N/A`` (no limit) -> None."""
    return None if api_name(value) == "NA" else value


def _newlines(text: str) -> str:
    """Line ends as LF: old records carry ``&#xD;`` (CR) before every newline."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def unwrap(text: str) -> tuple[str, list[int]]:
    """A textblock without the export's indentation and hard wrapping.

    Returns the text and, for each of its lines, the 0-based line of ``text`` it starts on.
    A line continues the previous one unless a blank line separates them or it starts a
    list item; blank lines stay (one at most) as paragraph breaks.
    """
    lines = textwrap.dedent(_newlines(text).expandtabs(8)).split("\n")
    out: list[str] = []
    origin: list[int] = []
    for i, raw in enumerate(lines):
        body = raw.rstrip()
        if not body.strip():
            if out and out[-1]:
                out.append("")
                origin.append(i)
            continue
        if out and out[-1] and not starts_item(body.lstrip()):
            out[-1] += " " + body.strip()
        else:
            out.append(body)
            origin.append(i)
    while out and not out[-1]:
        out.pop()
        origin.pop()
    return "\n".join(out), origin


def detect(text: str) -> bool:
    """XML whose root element is ``<clinical_study>`` (or any XML declaring itself).

    Anything starting ``<?xml`` is taken, so a hostile or foreign XML file gets an XML error
    (a DTD refused, the wrong root element) rather than "not a recognised record".
    """
    head = text.lstrip("\ufeff \t\n\r")
    if not head.startswith("<"):
        return False
    return head.startswith("<?xml") or _ROOT_RE.search(head, 0, 65536) is not None


# --------------------------------------------------------------------------- parsing


class _LimitError(Exception):
    """Raised from the tree builder when the document is too deep or too big."""


class _Builder(TreeBuilder):
    """A tree builder that remembers each element's line and enforces the limits."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: dict[int, int] = {}
        self.depth = 0
        self.count = 0
        self.where: Callable[[], int] = lambda: 0

    def start(self, tag: str, attrs: dict[str, str], /) -> Element:
        self.depth += 1
        self.count += 1
        if self.depth > MAX_DEPTH:
            raise _LimitError(f"XML nested too deeply (more than {MAX_DEPTH} levels)")
        if self.count > MAX_ELEMENTS:
            raise _LimitError(f"XML has more than {MAX_ELEMENTS} elements")
        elem = super().start(tag, attrs)
        self.lines[id(elem)] = self.where()
        return elem

    def end(self, tag: str, /) -> Element:
        self.depth -= 1
        return super().end(tag)


def _parse(text: str, path: str) -> tuple[Element, dict[int, int]]:
    """The document's root and element lines; RecordError for anything unsafe or broken."""
    builder = _Builder()
    parser = DefusedXMLParser(target=builder, forbid_dtd=True)
    expat = parser.parser
    builder.where = lambda: int(expat.CurrentLineNumber)
    try:
        # The text is already decoded: drop a declaration naming another encoding, which
        # expat would otherwise apply a second time.
        parser.feed(re.sub(r"^\s*<\?xml[^>]*\?>", "", text, count=1))
        root = parser.close()
    except DTDForbidden:
        raise RecordError(
            "XML with a DTD (<!DOCTYPE>) is refused: it can expand entities or read files",
            path,
            _line_of(text, "<!DOCTYPE"),
        ) from None
    except EntitiesForbidden as exc:
        raise RecordError(
            f"XML declares an entity ({exc.name}), which is refused: entity expansion can "
            "blow up or read files",
            path,
            _line_of(text, "<!ENTITY"),
        ) from None
    except ExternalReferenceForbidden:
        raise RecordError(
            "XML refers to an external resource, which is refused", path, _line_of(text, "SYSTEM")
        ) from None
    except _LimitError as exc:
        raise RecordError(str(exc), path, int(expat.CurrentLineNumber)) from None
    except ParseError as exc:
        line, column = exc.position
        message = str(exc).split(":", 1)[0]
        raise RecordError(f"invalid XML: {message} (column {column + 1})", path, line) from None
    return root, builder.lines


def _line_of(text: str, needle: str) -> int:
    found = text.find(needle)
    return 1 if found < 0 else text.count("\n", 0, found) + 1


def read(text: str, path: str) -> list[Trial | RecordError]:
    """The one study of a legacy XML file, or the RecordError that stopped it."""
    root, lines = _parse(text.lstrip("\ufeff"), path)
    if root.tag != ROOT:
        raise RecordError(
            f"XML is not a ClinicalTrials.gov study: the root element is <{root.tag}>, "
            f"expected <{ROOT}>",
            path,
            lines.get(id(root)),
        )
    line = lines.get(id(root))
    try:
        return [_Mapper(root, path, lines).trial()]
    except _StudyError as exc:
        return [RecordError(str(exc), path, line)]
    except ValidationError as exc:
        return [RecordError(_describe_validation(exc), path, line)]


class _StudyError(Exception):
    """A study that cannot become a trial at all (no usable nct_id or title)."""


# --------------------------------------------------------------------------- mapping


def element_value(elem: Element) -> Any:
    """An element as JSON-like data for ``extra``: text for a plain leaf, else an object
    with ``@attribute`` keys, child tags (a list when repeated) and ``#text``."""
    text = (elem.text or "").strip()
    if not len(elem) and not elem.attrib:
        return text
    out: dict[str, Any] = {f"@{k}": v for k, v in elem.attrib.items()}
    for child in elem:
        value = element_value(child)
        if child.tag in out:
            if not isinstance(out[child.tag], list) or not _repeated(elem, child.tag):
                out[child.tag] = [out[child.tag]]
            out[child.tag].append(value)
        else:
            out[child.tag] = [value] if _repeated(elem, child.tag) else value
    if text:
        out["#text"] = text
    return out


def _repeated(parent: Element, tag: str) -> bool:
    return sum(1 for c in parent if c.tag == tag) > 1


class _Mapper:
    """Maps one ``<clinical_study>`` onto the model; what it does not use goes to extra.

    Each visited element is finished with :meth:`rest`, which keeps every child and
    attribute not consumed; values that cannot be converted go through :meth:`invalid`.
    """

    def __init__(self, root: Element, path: str, lines: dict[int, int]):
        self.root = root
        self.path = path
        self.lines = lines
        self.extra: dict[str, Any] = {}
        self.unmapped: list[str] = []
        self.invalid_notes: list[str] = []
        self.first_invalid_line: int | None = None

    # ---- bookkeeping

    def line(self, elem: Element) -> int | None:
        return self.lines.get(id(elem))

    def keep(self, path: str, value: Any) -> None:
        self.extra[path] = value
        self.unmapped.append(path)

    def invalid(self, path: str, elem: Element | None, value: Any, why: str) -> None:
        self.extra[path] = value
        shown = repr(value) if isinstance(value, str) else "an element"
        if len(shown) > 60:
            shown = shown[:57] + "..."
        self.invalid_notes.append(f"{path} = {shown} ({why})")
        if self.first_invalid_line is None and elem is not None:
            self.first_invalid_line = self.line(elem)

    def rest(self, elem: Element, path: str, used: set[str]) -> None:
        """Keep every child element and attribute of ``elem`` not named in ``used``."""
        prefix = f"{path}." if path else ""
        for name, value in elem.attrib.items():
            if f"@{name}" not in used:
                self.keep(f"{path}@{name}", value)
        tags: dict[str, int] = {}
        for child in elem:
            tags[child.tag] = tags.get(child.tag, 0) + 1
        seen: dict[str, int] = {}
        for child in elem:
            if child.tag in used:
                continue
            i = seen.get(child.tag, 0)
            seen[child.tag] = i + 1
            where = f"{prefix}{child.tag}" + (f"[{i}]" if tags[child.tag] > 1 else "")
            self.keep(where, element_value(child))
        text = (elem.text or "").strip()
        if text and len(elem) and "#text" not in used:
            self.keep(f"{path}#text", text)

    # ---- typed getters

    def children(self, parent: Element, tag: str, path: str) -> list[tuple[str, Element]]:
        """(path, element) for each ``tag`` child; indexed paths when there are several."""
        found = [c for c in parent if c.tag == tag]
        prefix = f"{path}.{tag}" if path else tag
        if len(found) == 1:
            return [(prefix, found[0])]
        return [(f"{prefix}[{i}]", c) for i, c in enumerate(found)]

    def child(self, parent: Element, tag: str, path: str) -> tuple[str, Element] | None:
        """The one ``tag`` child; a repeated one keeps its extra copies in extra as invalid."""
        found = self.children(parent, tag, path)
        if not found:
            return None
        for where, elem in found[1:]:
            self.invalid(where, elem, element_value(elem), "element repeated; the first is used")
        where, elem = found[0]
        return (where.removesuffix("[0]"), elem)

    def leaf_text(
        self, where: str, elem: Element, attrs: frozenset[str] | set[str] = frozenset()
    ) -> str | None:
        """The stripped text of a leaf element, indentation of continuation lines removed."""
        if len(elem):
            self.invalid(where, elem, element_value(elem), "expected text, found elements")
            return None
        text = "\n".join(line.strip() for line in _newlines(elem.text or "").strip().split("\n"))
        for name, value in elem.attrib.items():
            if name not in attrs:  # the caller reads these itself
                self.keep(f"{where}@{name}", value)
        return text or None

    def text(self, parent: Element, tag: str, path: str) -> str | None:
        found = self.child(parent, tag, path)
        return None if found is None else self.leaf_text(*found)

    def texts(self, parent: Element, tag: str, path: str) -> list[str]:
        out = []
        for where, elem in self.children(parent, tag, path):
            value = self.leaf_text(where, elem)
            if value is not None:
                out.append(value)
        return out

    def block(self, parent: Element, tag: str, path: str) -> tuple[str, list[int], int] | None:
        """A ``<tag><textblock>`` text unwrapped, with its line origins and first file line."""
        found = self.child(parent, tag, path)
        if found is None:
            return None
        where, elem = found
        inner = self.child(elem, "textblock", where)
        self.rest(elem, where, {"textblock"})
        if inner is None:
            return None
        if len(inner[1]):
            self.invalid(inner[0], inner[1], element_value(inner[1]), "expected text")
            return None
        raw = inner[1].text or ""
        self.rest(inner[1], inner[0], set())
        text, origin = unwrap(raw)
        if not text:
            return None
        return text, origin, self.line(inner[1]) or 1

    def enum(self, parent: Element, tag: str, path: str, cls: type[_E]) -> _E | None:
        found = self.child(parent, tag, path)
        if found is None:
            return None
        where, elem = found
        value = self.leaf_text(where, elem)
        return None if value is None else self.enum_value(value, where, elem, cls)

    def enum_value(self, value: str, where: str, elem: Element, cls: type[_E]) -> _E | None:
        try:
            return cls(api_name(value))
        except ValueError:
            self.invalid(where, elem, value, f"not a {cls.__name__} value")
            return None

    def date(self, parent: Element, tag: str) -> tuple[str | None, DateType | None]:
        """A date element with its optional ``type`` (Actual / Anticipated / Estimated)."""
        found = self.child(parent, tag, "")
        if found is None:
            return None, None
        where, elem = found
        kind = None
        if "type" in elem.attrib:
            kind = self.enum_value(elem.attrib["type"], f"{where}@type", elem, DateType)
        value = self.leaf_text(where, elem, {"type"})
        if value is None:
            return None, kind
        day = api_date(value)
        if day is None:
            self.invalid(where, elem, value, "not a date like 'December 13, 2017'")
        return day, kind

    def posted(self, parent: Element, tag: str) -> str | None:
        """A date whose ``type`` attribute the model has no field for (kept in extra)."""
        day, kind = self.date(parent, tag)
        if kind is not None:
            self.keep(f"{tag}@type", kind.value)
        return day

    def yes_no(self, parent: Element, tag: str, path: str) -> bool | None:
        """``Yes`` / ``No`` as a boolean; anything else kept as invalid."""
        found = self.child(parent, tag, path)
        if found is None:
            return None
        value = self.leaf_text(*found)
        if value is None:
            return None
        name = api_name(value)
        if name not in ("YES", "NO"):
            self.invalid(found[0], found[1], value, "expected Yes or No")
            return None
        return name == "YES"

    def contact(self, elem: Element, where: str, role: ContactRole | None) -> Contact | None:
        """A contact (``last_name`` holds the whole name), or None when it is empty."""
        found = Contact(
            name=self.text(elem, "last_name", where),
            role=role,
            phone=self.text(elem, "phone", where),
            phone_ext=self.text(elem, "phone_ext", where),
            email=self.text(elem, "email", where),
        )
        self.rest(elem, where, {"last_name", "phone", "phone_ext", "email"})
        return None if found == Contact(role=role) else found

    # ---- the study

    def trial(self) -> Trial:
        r = self.root
        fields: dict[str, Any] = {}
        warnings: list[ReadWarning] = []
        self._ids(fields)
        self._titles(fields, warnings)
        self._status(fields)
        self._sponsors(fields)
        self._texts(fields)
        self._design(fields)
        fields["conditions"] = self.texts(r, "condition", "")
        fields["keywords"] = self.texts(r, "keyword", "")
        self._arms(fields)
        self._eligibility(fields, warnings)
        self._people_and_places(fields)
        self._references(fields)
        self._outcomes(fields)
        self._registry_extras(fields)
        fields["has_results"] = any(c.tag == "clinical_results" for c in r)
        self.rest(
            r,
            "",
            {
                "id_info",
                "brief_title",
                "official_title",
                "acronym",
                "overall_status",
                "start_date",
                "primary_completion_date",
                "completion_date",
                "last_update_posted",
                "sponsors",
                "brief_summary",
                "detailed_description",
                "phase",
                "study_type",
                "enrollment",
                "study_design_info",
                "condition",
                "keyword",
                "arm_group",
                "intervention",
                "eligibility",
                "overall_official",
                "location",
                "location_countries",
                "responsible_party",
                "reference",
                "results_reference",
                "study_first_posted",
                "results_first_posted",
                "verification_date",
                "why_stopped",
                "last_known_status",
                "has_expanded_access",
                "primary_outcome",
                "secondary_outcome",
                "other_outcome",
                "overall_contact",
                "overall_contact_backup",
                "condition_browse",
                "intervention_browse",
                "oversight_info",
                "patient_data",
                "provided_document_section",
            },
        )
        warnings += kept_warnings(
            self.unmapped, self.invalid_notes, self.line(r), self.first_invalid_line
        )
        return Trial(
            **fields,
            source=Source(format="ctgov-xml", path=self.path),
            warnings=warnings,
            extra=self.extra,
        )

    def _ids(self, fields: dict[str, Any]) -> None:
        found = self.child(self.root, "id_info", "")
        if found is None:
            raise _StudyError("no id_info.nct_id")
        where, info = found
        nct = self.text(info, "nct_id", where)
        if nct is None:
            raise _StudyError(f"no {where}.nct_id")
        if not NCT_ID_RE.match(nct):
            shown = repr(nct) if len(nct) <= 40 else repr(nct[:37]) + "..."
            raise _StudyError(
                f"malformed {where}.nct_id {shown} (expected NCT followed by 8 digits)"
            )
        fields["nct_id"] = nct
        identifiers = [
            Identifier(id=value, source="org_study_id")
            for value in self.texts(info, "org_study_id", where)
        ]
        identifiers += [
            Identifier(id=value, source="secondary_id")
            for value in self.texts(info, "secondary_id", where)
        ]
        fields["identifiers"] = identifiers
        self.rest(info, where, {"nct_id", "org_study_id", "secondary_id"})

    def _titles(self, fields: dict[str, Any], warnings: list[ReadWarning]) -> None:
        title = self.text(self.root, "brief_title", "")
        official = self.text(self.root, "official_title", "")
        if title is None:
            if official is None:
                raise _StudyError("no title (brief_title)")
            title = official
            warnings.append(
                ReadWarning(
                    code="missing-title",
                    message="no brief_title: the official title is shown instead",
                    line=self.line(self.root),
                )
            )
        fields["title"] = title
        fields["official_title"] = official
        fields["acronym"] = self.text(self.root, "acronym", "")

    def _status(self, fields: dict[str, Any]) -> None:
        r = self.root
        fields["status"] = self.enum(r, "overall_status", "", OverallStatus)
        fields["start_date"], fields["start_date_type"] = self.date(r, "start_date")
        (
            fields["primary_completion_date"],
            fields["primary_completion_date_type"],
        ) = self.date(r, "primary_completion_date")
        fields["completion_date"], fields["completion_date_type"] = self.date(r, "completion_date")
        fields["last_updated"] = self.posted(r, "last_update_posted")
        fields["first_posted"] = self.posted(r, "study_first_posted")
        fields["results_first_posted"] = self.posted(r, "results_first_posted")
        fields["status_verified"] = self.posted(r, "verification_date")
        fields["why_stopped"] = self.text(r, "why_stopped", "")
        fields["last_known_status"] = self.enum(r, "last_known_status", "", OverallStatus)
        available = self.yes_no(r, "has_expanded_access", "")
        if available is not None:
            fields["expanded_access"] = ExpandedAccess(available=available)

    def _sponsors(self, fields: dict[str, Any]) -> None:
        sponsors: list[Sponsor] = []
        found = self.child(self.root, "sponsors", "")
        if found is not None:
            where, elem = found
            for tag, lead in (("lead_sponsor", True), ("collaborator", False)):
                for q, obj in self.children(elem, tag, where):
                    name = self.text(obj, "agency", q)
                    if name is None:
                        self.invalid(q, obj, element_value(obj), "sponsor without an agency")
                        continue
                    agency = self.enum(obj, "agency_class", q, AgencyClass)
                    sponsors.append(Sponsor(name=name, agency_class=agency, lead=lead))
                    self.rest(obj, q, {"agency", "agency_class"})
            self.rest(elem, where, {"lead_sponsor", "collaborator"})
        fields["sponsors"] = sponsors
        found = self.child(self.root, "responsible_party", "")
        if found is not None:
            where, elem = found
            kind = self.enum(elem, "responsible_party_type", where, ResponsiblePartyType)
            party = ResponsibleParty(
                type=kind.value if kind else None,
                name=self.text(elem, "investigator_full_name", where),
                title=self.text(elem, "investigator_title", where),
                affiliation=self.text(elem, "investigator_affiliation", where),
            )
            if party != ResponsibleParty():
                fields["responsible_party"] = party
            self.rest(
                elem,
                where,
                {
                    "responsible_party_type",
                    "investigator_full_name",
                    "investigator_title",
                    "investigator_affiliation",
                },
            )

    def _texts(self, fields: dict[str, Any]) -> None:
        for key, tag in (("summary", "brief_summary"), ("description", "detailed_description")):
            found = self.block(self.root, tag, "")
            fields[key] = None if found is None else found[0]

    def _design(self, fields: dict[str, Any]) -> None:
        r = self.root
        found = self.child(r, "study_type", "")
        if found is not None:
            where, elem = found
            value = self.leaf_text(where, elem)
            if value is not None:
                fields["study_type"] = self.enum_value(value, where, elem, StudyType)
                if "[" in value:  # "Observational [Patient Registry]": keep the qualifier
                    self.keep(where, value)
        phases: list[Phase] = []
        for where, elem in self.children(r, "phase", ""):
            value = self.leaf_text(where, elem)
            if value is None:
                continue
            parsed = api_phases(value)
            if parsed is None:
                self.invalid(where, elem, value, "not a phase like 'Phase 1/Phase 2'")
            else:
                phases += [p for p in parsed if p not in phases]
        fields["phases"] = phases
        found = self.child(r, "enrollment", "")
        if found is not None:
            where, elem = found
            kind = None
            if "type" in elem.attrib:
                kind = self.enum_value(elem.attrib["type"], f"{where}@type", elem, EnrollmentType)
            value = self.leaf_text(where, elem, {"type"})
            count = None
            if value is not None:
                if value.isdigit() and len(value) < 16:
                    count = int(value)
                else:
                    self.invalid(where, elem, value, "expected a whole number of participants")
            fields["enrollment"] = Enrollment(count=count, type=kind)
        found = self.child(r, "study_design_info", "")
        if found is None:
            return
        where, info = found
        masking: DesignMasking | None = None
        who: list[WhoMasked] = []
        mask = self.child(info, "masking", where)
        if mask is not None:
            value = self.leaf_text(*mask)
            m = _MASKING_RE.match(value or "")
            if value is not None and m is not None:
                masking = self.enum_value(m.group("level"), mask[0], mask[1], DesignMasking)
                for part in (m.group("who") or "").split(","):
                    if part.strip() and api_name(part) != "OPEN_LABEL":
                        member = self.enum_value(part.strip(), mask[0], mask[1], WhoMasked)
                        if member is not None:
                            who.append(member)
            elif value is not None:
                self.invalid(mask[0], mask[1], value, "not a masking like 'Double (Participant)'")
        fields["design"] = Design(
            allocation=self.enum(info, "allocation", where, DesignAllocation),
            intervention_model=self.enum(
                info, "intervention_model", where, InterventionalAssignment
            ),
            primary_purpose=self.enum(info, "primary_purpose", where, PrimaryPurpose),
            masking=masking,
            who_masked=who,
            observational_model=self.enum(info, "observational_model", where, ObservationalModel),
            time_perspective=self.enum(info, "time_perspective", where, DesignTimePerspective),
        )
        self.rest(
            info,
            where,
            {
                "allocation",
                "intervention_model",
                "primary_purpose",
                "masking",
                "observational_model",
                "time_perspective",
            },
        )

    def _arms(self, fields: dict[str, Any]) -> None:
        interventions: list[Intervention] = []
        for q, obj in self.children(self.root, "intervention", ""):
            name = self.text(obj, "intervention_name", q)
            if name is None:
                self.invalid(q, obj, element_value(obj), "intervention without a name")
                continue
            interventions.append(
                Intervention(
                    name=name,
                    type=self.enum(obj, "intervention_type", q, InterventionType),
                    description=self.text(obj, "description", q),
                    other_names=self.texts(obj, "other_name", q),
                    arm_labels=self.texts(obj, "arm_group_label", q),
                )
            )
            self.rest(
                obj,
                q,
                {"intervention_name", "intervention_type", "description", "other_name"}
                | {"arm_group_label"},
            )
        arms: list[Arm] = []
        for q, obj in self.children(self.root, "arm_group", ""):
            label = self.text(obj, "arm_group_label", q)
            if label is None:
                self.invalid(q, obj, element_value(obj), "arm without a label")
                continue
            arms.append(
                Arm(
                    label=label,
                    type=self.enum(obj, "arm_group_type", q, ArmGroupType),
                    description=self.text(obj, "description", q),
                    # Legacy XML links interventions to arms from the intervention side only.
                    interventions=[iv.name for iv in interventions if label in iv.arm_labels],
                )
            )
            self.rest(obj, q, {"arm_group_label", "arm_group_type", "description"})
        fields["interventions"] = interventions
        fields["arms"] = arms

    def _eligibility(self, fields: dict[str, Any], warnings: list[ReadWarning]) -> None:
        found = self.child(self.root, "eligibility", "")
        if found is None:
            return
        where, elem = found
        criteria: dict[str, Any] = {}
        raw_text = None
        block = self.block(elem, "criteria", where)
        if block is not None:
            raw_text, origin, first_line = block
            parsed = parse_criteria(raw_text)
            criteria = {
                "inclusion": parsed.inclusion,
                "exclusion": parsed.exclusion,
                "other": parsed.other,
            }
            for w in parsed.warnings:
                line = None
                if w.line is not None and 0 < w.line <= len(origin):
                    line = first_line + origin[w.line - 1]
                warnings.append(
                    ReadWarning(
                        code=w.code, message="eligibility criteria: " + w.message, line=line
                    )
                )
        healthy = self.yes_no(elem, "healthy_volunteers", where)
        ages = []
        for tag in ("minimum_age", "maximum_age"):
            value = self.text(elem, tag, where)
            ages.append(None if value is None else api_age(value))
        fields["eligibility"] = Eligibility(
            minimum_age=ages[0],
            maximum_age=ages[1],
            sex=self.enum(elem, "gender", where, Sex),
            healthy_volunteers=healthy,
            raw_text=raw_text,
            **criteria,
        )
        self.rest(
            elem,
            where,
            {"criteria", "gender", "minimum_age", "maximum_age", "healthy_volunteers"},
        )

    def _people_and_places(self, fields: dict[str, Any]) -> None:
        officials: list[Official] = []
        for q, obj in self.children(self.root, "overall_official", ""):
            name = self.text(obj, "last_name", q)
            if name is None:
                self.invalid(q, obj, element_value(obj), "official without a name")
                continue
            officials.append(
                Official(
                    name=name,
                    role=self.enum(obj, "role", q, OfficialRole),
                    affiliation=self.text(obj, "affiliation", q),
                )
            )
            self.rest(obj, q, {"last_name", "role", "affiliation"})
        fields["officials"] = officials
        contacts: list[Contact] = []
        for tag in ("overall_contact", "overall_contact_backup"):
            for q, elem in self.children(self.root, tag, ""):
                person = self.contact(elem, q, ContactRole.CONTACT)
                if person is not None:
                    contacts.append(person)
        fields["contacts"] = contacts
        locations: list[Location] = []
        countries: dict[str, None] = {}
        for q, obj in self.children(self.root, "location", ""):
            site = Location(status=self.enum(obj, "status", q, RecruitmentStatus))
            facility = self.child(obj, "facility", q)
            if facility is not None:
                fq, fac = facility
                site.facility = self.text(fac, "name", fq)
                address = self.child(fac, "address", fq)
                if address is not None:
                    aq, addr = address
                    site.city = self.text(addr, "city", aq)
                    site.state = self.text(addr, "state", aq)
                    site.zip = self.text(addr, "zip", aq)
                    site.country = self.text(addr, "country", aq)
                    self.rest(addr, aq, {"city", "state", "zip", "country"})
                self.rest(fac, fq, {"name", "address"})
            for tag in ("contact", "contact_backup"):
                for cq, elem in self.children(obj, tag, q):
                    person = self.contact(elem, cq, ContactRole.CONTACT)
                    if person is not None:
                        site.contacts.append(person)
            for iq, elem in self.children(obj, "investigator", q):
                role = self.enum(elem, "role", iq, ContactRole)
                person = self.contact(elem, iq, role)
                if person is not None:
                    site.contacts.append(person)
            if site.country:
                countries[site.country] = None
            locations.append(site)
            self.rest(obj, q, {"status", "facility", "contact", "contact_backup", "investigator"})
        # The registry's own country list also names countries of sites no longer listed.
        found = self.child(self.root, "location_countries", "")
        if found is not None:
            where, elem = found
            for country in self.texts(elem, "country", where):
                countries.setdefault(country, None)
            self.rest(elem, where, {"country"})
        fields["locations"] = locations
        fields["countries"] = list(countries)

    def _references(self, fields: dict[str, Any]) -> None:
        refs: list[Reference] = []
        for tag, kind in (
            ("reference", ReferenceType.BACKGROUND),
            ("results_reference", ReferenceType.RESULT),
        ):
            for q, obj in self.children(self.root, tag, ""):
                citation = self.text(obj, "citation", q)
                if citation is None:
                    self.invalid(q, obj, element_value(obj), "reference without a citation")
                    continue
                refs.append(Reference(citation=citation, pmid=self.text(obj, "PMID", q), type=kind))
                self.rest(obj, q, {"citation", "PMID"})
        fields["references"] = refs

    def _outcomes(self, fields: dict[str, Any]) -> None:
        outcomes: list[Outcome] = []
        for tag, kind in (
            ("primary_outcome", "primary"),
            ("secondary_outcome", "secondary"),
            ("other_outcome", "other"),
        ):
            for q, obj in self.children(self.root, tag, ""):
                measure = self.text(obj, "measure", q)
                if measure is None:
                    self.invalid(q, obj, element_value(obj), "outcome without a measure")
                    continue
                outcomes.append(
                    Outcome(
                        kind=kind,
                        measure=measure,
                        time_frame=self.text(obj, "time_frame", q),
                        description=self.text(obj, "description", q),
                    )
                )
                self.rest(obj, q, {"measure", "time_frame", "description"})
        fields["outcomes"] = outcomes

    def _mesh_terms(self, tag: str) -> MeshBrowse:
        found = self.child(self.root, tag, "")
        if found is None:
            return MeshBrowse()
        where, elem = found
        terms = [MeshTerm(term=t) for t in self.texts(elem, "mesh_term", where)]
        self.rest(elem, where, {"mesh_term"})
        return MeshBrowse(terms=terms)

    def _registry_extras(self, fields: dict[str, Any]) -> None:
        """MeSH terms, oversight flags, data sharing plan and posted documents."""
        r = self.root
        fields["mesh"] = Mesh(
            conditions=self._mesh_terms("condition_browse"),
            interventions=self._mesh_terms("intervention_browse"),
        )
        found = self.child(r, "oversight_info", "")
        if found is not None:
            where, elem = found
            flags = {
                "has_dmc": "has_dmc",
                "fda_regulated_drug": "is_fda_regulated_drug",
                "fda_regulated_device": "is_fda_regulated_device",
                "unapproved_device": "is_unapproved_device",
                "ppsd": "is_ppsd",
                "us_export": "is_us_export",
            }
            fields["oversight"] = Oversight(
                **{key: self.yes_no(elem, tag, where) for key, tag in flags.items()}
            )
            self.rest(elem, where, set(flags.values()))
        found = self.child(r, "patient_data", "")
        if found is not None:
            where, elem = found
            info_types = []
            for q, item in self.children(elem, "ipd_info_type", where):
                value = self.leaf_text(q, item)
                member = (
                    None if value is None else self.enum_value(value, q, item, IpdSharingInfoType)
                )
                if member is not None:
                    info_types.append(member)
            fields["ipd_sharing"] = IpdSharingStatement(
                plan=self.enum(elem, "sharing_ipd", where, IpdSharing),
                description=self.text(elem, "ipd_description", where),
                info_types=info_types,
                time_frame=self.text(elem, "ipd_time_frame", where),
                access_criteria=self.text(elem, "ipd_access_criteria", where),
                url=self.text(elem, "ipd_url", where),
            )
            self.rest(
                elem,
                where,
                {
                    "sharing_ipd",
                    "ipd_description",
                    "ipd_info_type",
                    "ipd_time_frame",
                    "ipd_access_criteria",
                    "ipd_url",
                },
            )
        documents: list[Document] = []
        found = self.child(r, "provided_document_section", "")
        if found is not None:
            where, section = found
            for q, doc in self.children(section, "provided_document", where):
                day = self.text(doc, "document_date", q)
                if day is not None and api_date(day) is None:
                    self.invalid(f"{q}.document_date", doc, day, "not a date")
                documents.append(
                    Document(
                        label=self.text(doc, "document_type", q),
                        has_protocol=self.yes_no(doc, "document_has_protocol", q),
                        has_sap=self.yes_no(doc, "document_has_sap", q),
                        has_icf=self.yes_no(doc, "document_has_icf", q),
                        date=None if day is None else api_date(day),
                        url=self.text(doc, "document_url", q),
                    )
                )
                self.rest(
                    doc,
                    q,
                    {
                        "document_type",
                        "document_has_protocol",
                        "document_has_sap",
                        "document_has_icf",
                        "document_date",
                        "document_url",
                    },
                )
            self.rest(section, where, {"provided_document"})
        fields["documents"] = documents
