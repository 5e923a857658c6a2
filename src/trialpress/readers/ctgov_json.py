"""ClinicalTrials.gov API v2 JSON reader.

Reads the three shapes the registry hands out, recognised by content:

- a single study object (``/api/v2/studies/{nctId}``),
- the website's JSON download (a top-level array of studies),
- an API page (``{"studies": [...], "nextPageToken": ...}``).

Nothing is silently lost: every part of a study the model has no field for is kept in
``Trial.extra`` under its JSON path (``annotationSection``,
``protocolSection.statusModule.studyFirstSubmitDate``, ...), and one ``unmapped-fields``
note per trial names those paths. A value the model cannot take
(an enumeration value the API v2 spec does not list, a wrong type, a malformed date) is kept
in ``extra`` at its exact path too, with one ``invalid-value`` warning per trial.

Only :class:`RecordError` leaves this module: a file that is not JSON at all raises it; a
study that cannot become a trial (no or malformed ``nctId``) comes back as a RecordError in
its place in the result list, so the other studies of the file still come through.

Criterion line numbers count lines of the ``eligibilityCriteria`` text (the whole text sits
on one line of the JSON file); criteria warnings carry the file line of that text and name
the line inside it; other warnings carry the file line where the study starts.

Most of the record maps field by field onto models whose snake_case field names mirror the
API's camelCase keys (``results``, ``documents``, ``mesh``, ...): :meth:`_Mapper.record`
builds those from the model's own field list, so a field added to such a model is read
without more code here; where names differ, ``_KEYS`` says so.

API v2 has no "related studies" list; the one link it gives, the expanded-access record
(``statusModule.expandedAccessInfo.nctId``), becomes ``related_trials`` as well as
``expanded_access``. An API page's own ``nextPageToken`` and
``totalCount`` describe the query, not a study, and are not kept.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import sys
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from trialpress.eligibility import parse_criteria
from trialpress.enums import (
    AgencyClass,
    ArmGroupType,
    DateType,
    DesignAllocation,
    DesignMasking,
    DesignTimePerspective,
    EnrollmentType,
    InterventionalAssignment,
    InterventionType,
    ObservationalModel,
    OfficialRole,
    OverallStatus,
    Phase,
    PrimaryPurpose,
    ReferenceType,
    Sex,
    StudyType,
    WhoMasked,
)
from trialpress.errors import RecordError
from trialpress.models import (
    NCT_ID_RE,
    PARTIAL_DATE_RE,
    Arm,
    CertainAgreement,
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
    Official,
    Outcome,
    OutcomeMeasureResult,
    Oversight,
    PointOfContact,
    ReadWarning,
    Reference,
    RelatedTrial,
    ResponsibleParty,
    Results,
    Source,
    Sponsor,
    Trial,
)

NAME = "ctgov-json"

#: Deeper nesting than this is refused: real studies nest about 8 levels, and every later
#: stage (pydantic, json.dumps, templates) recurses through ``extra``.
MAX_DEPTH = 64
#: Paths listed in one warning message before it says "and N more".
MAX_LISTED = 40

_E = TypeVar("_E", bound=StrEnum)
_M = TypeVar("_M", bound=BaseModel)

#: JSON keys of model fields whose name is not the snake_case of the key.
_KEYS: dict[tuple[type[BaseModel], str], str] = {
    (Location, "geo"): "geoPoint",
    (MeshBrowse, "terms"): "meshes",
    (MeshBrowse, "leaves"): "browseLeaves",
    (MeshBrowse, "branches"): "browseBranches",
    (Oversight, "has_dmc"): "oversightHasDmc",
    (Oversight, "fda_regulated_drug"): "isFdaRegulatedDrug",
    (Oversight, "fda_regulated_device"): "isFdaRegulatedDevice",
    (Oversight, "unapproved_device"): "isUnapprovedDevice",
    (Oversight, "ppsd"): "isPpsd",
    (Oversight, "us_export"): "isUsExport",
    (IpdSharingStatement, "plan"): "ipdSharing",
    (ExpandedAccess, "available"): "hasExpandedAccess",
    (ExpandedAccess, "status"): "statusForNctId",
    (Results, "participant_flow"): "participantFlowModule",
    (Results, "baseline"): "baselineCharacteristicsModule",
    (Results, "adverse_events"): "adverseEventsModule",
}
#: Outcome kinds in the order the trial page and ``Trial.outcomes`` list them.
_OUTCOME_KEYS = {
    "primary": "primaryOutcomes",
    "secondary": "secondaryOutcomes",
    "other": "otherOutcomes",
}
#: Where ClinicalTrials.gov serves a record's posted documents.
DOCUMENT_URL = "https://cdn.clinicaltrials.gov/large-docs/{tail}/{nct}/{filename}"
_FILENAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")


def _camel(name: str) -> str:
    """``time_frame`` -> ``timeFrame``: the API key a model field mirrors."""
    first, *rest = name.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)


@cache
def _field_kinds(cls: type[BaseModel]) -> tuple[tuple[str, str, Any, bool], ...]:
    """(field, JSON key, value type, is a list) for each field of ``cls``, from its annotation."""
    out = []
    for name, info in cls.model_fields.items():
        kind: Any = info.annotation
        if isinstance(kind, types.UnionType) or typing.get_origin(kind) is typing.Union:
            kind = next(a for a in typing.get_args(kind) if a is not type(None))
        many = typing.get_origin(kind) is list
        if many:
            (kind,) = typing.get_args(kind)
        out.append((name, _KEYS.get((cls, name), _camel(name)), kind, many))
    return tuple(out)


#: ``Drug: Palbociclib`` -> the ``Drug`` prefix the API puts before arm intervention names.
_TYPE_LABELS = {t.value.replace("_", " ").title(): t for t in InterventionType}
_PREFIX_RE = re.compile(r"^(?P<label>[A-Za-z][A-Za-z ]*?): (?P<name>.+)$", re.DOTALL)
#: A JSON string or a bracket; strings are skipped so brackets inside them don't count.
_STRING_RE = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_DEPTH_TOKEN_RE = re.compile(_STRING_RE.pattern + r"|[\[\]{}]", re.DOTALL)
_NOT_BRACKET_RE = re.compile(r"[^\[\]{}]+")
_DEPTH_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
#: Where a lone surrogate could come from: an escape, or (text not decoded from bytes) itself.
_SURROGATE_RE = re.compile(r"\\u[dD][89a-fA-F]|[\ud800-\udfff]")
_LONE_SURROGATE_RE = re.compile(r"[\ud800-\udfff]")


def detect(text: str) -> bool:
    """JSON starts with an object or an array."""
    return text.lstrip("\ufeff \t\n\r").startswith(("{", "["))


# --------------------------------------------------------------------------- file level


def read(text: str, path: str) -> list[Trial | RecordError]:
    """All studies in ``text``: one Trial, or the RecordError that stopped it, per study."""
    text = text.lstrip("\ufeff")
    data = _loads(text, path)
    located = list(_studies(data, text, path))
    if not located:
        raise RecordError("no studies in this JSON (empty list)", path, 1)
    return [_read_one(study, path, text, where) for study, where in located]


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise ValueError(f"number {literal[:40]} is too large")
    return value


#: Suffix given to the earlier values of a key repeated in one JSON object.
DUPLICATE = " (duplicate)"


def _keep_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object whose repeated keys keep every value: the last under the key (as JSON
    parsers do), earlier ones under ``key (duplicate)``, so the mapper keeps them in extra.
    """
    out = dict(pairs)
    if len(out) == len(pairs):
        return out
    out = {}
    for key, value in reversed(pairs):
        name = key
        while name in out:
            name += DUPLICATE
        out[name] = value
    return dict(reversed(out.items()))


def _loads(text: str, path: str) -> Any:
    """Parse, turning every failure into a RecordError with the line where known."""
    try:
        data = json.loads(
            text,
            parse_constant=_reject_constant,
            parse_float=_finite_float,
            object_pairs_hook=_keep_duplicates,
        )
    except json.JSONDecodeError as exc:
        raise RecordError(
            f"invalid JSON: {exc.msg} (column {exc.colno})", path, exc.lineno
        ) from None
    except RecursionError:
        raise RecordError(f"JSON nested too deeply (more than {MAX_DEPTH} levels)", path) from None
    except ValueError as exc:  # huge integers, NaN/Infinity, out-of-range floats
        why = str(exc)
        if "integer string conversion" in why:  # Python's int_max_str_digits guard
            why = f"a number has more than {sys.get_int_max_str_digits()} digits"
        raise RecordError(f"invalid JSON: {why}", path) from None
    depth = _max_depth(text)
    if depth > MAX_DEPTH:
        raise RecordError(
            f"JSON nested too deeply ({depth} levels; at most {MAX_DEPTH} allowed)",
            path,
            _depth_line(text, MAX_DEPTH),
        )
    if _SURROGATE_RE.search(text):
        data = _fix_surrogates(data)
    return data


def _max_depth(text: str) -> int:
    """Deepest bracket nesting of valid JSON text (strings removed first, all at C speed)."""
    brackets = _NOT_BRACKET_RE.sub("", _STRING_RE.sub("", text))
    return max(itertools.accumulate(map(_DEPTH_STEP.__getitem__, brackets)), default=0)


def _depth_line(text: str, limit: int) -> int:
    """Line where nesting first goes deeper than ``limit`` (only for the error message)."""
    depth = 0
    for m in _DEPTH_TOKEN_RE.finditer(text):
        c = m.group()
        if c in "[{":
            depth += 1
            if depth > limit:
                return text.count("\n", 0, m.start()) + 1
        elif c in "]}":
            depth -= 1
    return 1


def _fix_surrogates(value: Any) -> Any:
    """Lone UTF-16 surrogates (from ``\\ud800`` escapes) can't be written as UTF-8: replace."""
    if isinstance(value, str):
        return _LONE_SURROGATE_RE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_fix_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {_fix_surrogates(k): _fix_surrogates(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class _Where:
    """Where one study sits in the file: its index in a list, offsets and start line."""

    index: int | None
    line: int | None = None
    start: int = 0
    end: int = 0


def _studies(data: Any, text: str, path: str) -> Iterator[tuple[Any, _Where]]:
    """(study, where it is) for each study of a recognised shape."""
    if isinstance(data, list):
        yield from zip(data, _element_spans(text, _first_non_space(text), len(data)), strict=True)
        return
    if isinstance(data, dict):
        if "protocolSection" in data:
            yield data, _Where(None, 1, 0, len(text))
            return
        if "studies" in data:
            studies = data["studies"]
            if not isinstance(studies, list):
                raise RecordError(
                    f'"studies" must be a list of studies, got {_type_name(studies)}', path, 1
                )
            start = _member_start(text, "studies")
            spans = _element_spans(text, start if start is not None else -1, len(studies))
            yield from zip(studies, spans, strict=True)
            return
        keys = ", ".join(sorted(map(repr, data))[:5]) or "none"
        raise RecordError(
            "JSON is not a ClinicalTrials.gov study: expected an object with "
            '"protocolSection", a list of studies, or an API page with "studies" '
            f"(top-level keys: {keys})",
            path,
            1,
        )
    raise RecordError(
        "JSON is not a ClinicalTrials.gov study: expected an object or a list of studies, "
        f"got {_type_name(data)}",
        path,
        1,
    )


_WS = " \t\n\r"


def _first_non_space(text: str, pos: int = 0) -> int:
    while pos < len(text) and text[pos] in _WS:
        pos += 1
    return pos


def _element_spans(text: str, start: int, count: int) -> list[_Where]:
    """Where each of the ``count`` elements of the (valid) JSON array at ``start`` lies.

    ``raw_decode`` at each element is C-speed and the text was already parsed once, so this
    costs one more parse of the file at most. Elements it cannot place get index only.
    """
    decoder = json.JSONDecoder()
    spans: list[_Where] = []
    try:
        if start >= 0 and text[start] == "[":
            pos = _first_non_space(text, start + 1)
            line, counted = 1 + text.count("\n", 0, pos), pos
            while text[pos] != "]" and len(spans) < count:
                line += text.count("\n", counted, pos)
                counted = pos
                _, end = decoder.raw_decode(text, pos)
                spans.append(_Where(len(spans), line, pos, end))
                pos = _first_non_space(text, end)
                if text[pos] == ",":
                    pos = _first_non_space(text, pos + 1)
    except (ValueError, IndexError, RecursionError):
        pass
    spans.extend(_Where(i) for i in range(len(spans), count))
    return spans


def _member_start(text: str, key: str) -> int | None:
    """Offset of the value of top-level ``key`` in a (valid) JSON object, if found.

    The last occurrence, since that is the value a JSON parser keeps for a repeated key.
    """
    decoder = json.JSONDecoder()
    found: int | None = None
    try:
        pos = _first_non_space(text)
        if text[pos] != "{":
            return None
        pos = _first_non_space(text, pos + 1)
        while text[pos] == '"':
            name, end = decoder.raw_decode(text, pos)
            pos = _first_non_space(text, end)
            pos = _first_non_space(text, pos + 1)  # the colon
            if name == key:
                found = pos
            _, end = decoder.raw_decode(text, pos)
            pos = _first_non_space(text, end)
            if text[pos] == ",":
                pos = _first_non_space(text, pos + 1)
    except (ValueError, IndexError, RecursionError):
        return found
    return found


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "an object",
    }.get(type(value), type(value).__name__)


# --------------------------------------------------------------------------- one study


def _read_one(study: Any, path: str, text: str, where: _Where) -> Trial | RecordError:
    """One study -> Trial, or the RecordError saying why it can't be one."""
    which = "" if where.index is None else f"study at index {where.index}: "
    line = where.line
    if not isinstance(study, dict):
        return RecordError(f"{which}expected a study object, got {_type_name(study)}", path, line)
    try:
        return _Mapper(study, path, text, where).trial()
    except _StudyError as exc:
        return RecordError(f"{which}{exc}", path, line)
    except ValidationError as exc:
        return RecordError(f"{which}{_describe_validation(exc)}", path, line)


class _StudyError(Exception):
    """A study that cannot become a trial at all (no usable nctId or title)."""


def _describe_validation(exc: ValidationError) -> str:
    """A pydantic error as one readable sentence naming the model field(s)."""
    parts = []
    for err in exc.errors()[:3]:
        field = ".".join(str(p) for p in err["loc"]) or "trial"
        parts.append(f"{field}: {err['msg']}")
    more = exc.error_count() - len(parts)
    return "invalid value for " + "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def _pattern(path: str) -> str:
    """``locations[3].geoPoint`` -> ``locations[].geoPoint``: one entry for all elements."""
    return re.sub(r"\[\d+\]", "[]", path)


def _summarise(paths: list[str]) -> str:
    """Distinct path patterns with their counts, shortened past MAX_LISTED entries."""
    counts: dict[str, int] = {}
    for p in paths:
        key = _pattern(p)
        counts[key] = counts.get(key, 0) + 1
    items = [k if n == 1 else f"{k} ({n}×)" for k, n in counts.items()]
    text = ", ".join(items[:MAX_LISTED])
    if len(items) > MAX_LISTED:
        text += f", and {len(items) - MAX_LISTED} more"
    return text


def kept_warnings(
    unmapped: list[str], invalid: list[str], line: int | None, invalid_line: int | None = None
) -> list[ReadWarning]:
    """The ``unmapped-fields`` note and the ``invalid-value`` warning of one trial (either
    left out when empty): what a reader kept in ``extra``, summarised for people."""
    out: list[ReadWarning] = []
    if unmapped:
        out.append(
            ReadWarning(
                code="unmapped-fields",
                message="kept in extra, no model field for: " + _summarise(unmapped),
                line=line,
                severity="note",
            )
        )
    if invalid:
        shown = "; ".join(invalid[:MAX_LISTED])
        if len(invalid) > MAX_LISTED:
            shown += f"; and {len(invalid) - MAX_LISTED} more"
        out.append(
            ReadWarning(
                code="invalid-value",
                message="kept in extra, the model cannot take: " + shown,
                line=invalid_line or line,
            )
        )
    return out


class _Mapper:
    """Maps one study dict onto the model, keeping everything it does not map in ``extra``.

    Every dict it visits is finished with :meth:`rest`, which moves the keys it did not
    consume into ``extra``; every value of the wrong type or outside the spec's enumeration
    goes to ``extra`` at its exact path through :meth:`invalid`. That is what the
    "nothing lost" test checks leaf by leaf.
    """

    def __init__(self, study: dict[str, Any], path: str, text: str, where: _Where):
        self.study = study
        self.path = path
        self.text = text
        self.where = where
        self.index = where.index
        self.line = where.line
        self.extra: dict[str, Any] = {}
        self.unmapped: list[str] = []
        self.invalid_notes: list[str] = []

    # ---- bookkeeping

    def key_line(self, key: str) -> int | None:
        """File line of the first ``"key":`` inside this study, else the study's own line.

        A quoted key can't occur inside a JSON string (its quotes would be escaped), so a
        plain search within the study's span is exact enough for pointing people at it.
        """
        w = self.where
        if w.line is None:
            return None
        found = self.text.find(f'"{key}"', w.start, w.end)
        return w.line if found < 0 else w.line + self.text.count("\n", w.start, found)

    def keep(self, path: str, value: Any) -> None:
        """Keep a source part the model has no field for."""
        self.extra[path] = value
        self.unmapped.append(path)

    def invalid(self, path: str, value: Any, why: str) -> None:
        """Keep a value the model cannot take, and say why."""
        self.extra[path] = value
        shown = repr(value) if not isinstance(value, dict | list) else _type_name(value)
        if len(shown) > 60:
            shown = shown[:57] + "..."
        self.invalid_notes.append(f"{path} = {shown} ({why})")

    def rest(self, obj: dict[str, Any], path: str, used: set[str]) -> None:
        """Move every key of ``obj`` not in ``used`` into ``extra``."""
        for key, value in obj.items():
            if key not in used:
                where = f"{path}.{key}" if path else key
                if key.endswith(DUPLICATE):
                    self.invalid(where, value, "key repeated in the source; the last value is used")
                else:
                    self.keep(where, value)

    # ---- typed getters: return the value if usable, else keep it and return None

    def obj(self, parent: dict[str, Any], key: str, path: str) -> dict[str, Any] | None:
        value = parent.get(key)
        if value is None:  # null is the same as absent
            return None
        if not isinstance(value, dict):
            self.invalid(path, value, f"expected an object, got {_type_name(value)}")
            return None
        return value

    def list_(self, parent: dict[str, Any], key: str, path: str) -> list[Any]:
        value = parent.get(key)
        if value is None:  # null is the same as absent
            return []
        if not isinstance(value, list):
            self.invalid(path, value, f"expected a list, got {_type_name(value)}")
            return []
        return value

    def str_(self, parent: dict[str, Any], key: str, path: str) -> str | None:
        value = parent.get(key)
        if value is None:  # null is the same as absent
            return None
        if not isinstance(value, str):
            self.invalid(path, value, f"expected a string, got {_type_name(value)}")
            return None
        return value

    def strs(self, parent: dict[str, Any], key: str, path: str) -> list[str]:
        out: list[str] = []
        for i, value in enumerate(self.list_(parent, key, path)):
            if isinstance(value, str):
                out.append(value)
            else:
                self.invalid(f"{path}[{i}]", value, f"expected a string, got {_type_name(value)}")
        return out

    def bool_(self, parent: dict[str, Any], key: str, path: str) -> bool | None:
        value = parent.get(key)
        if value is None:  # null is the same as absent
            return None
        if not isinstance(value, bool):
            self.invalid(path, value, f"expected true or false, got {_type_name(value)}")
            return None
        return value

    def count(self, parent: dict[str, Any], key: str, path: str) -> int | None:
        value = parent.get(key)
        if value is None:  # null is the same as absent
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**53:
            self.invalid(path, value, "expected a whole number of participants")
            return None
        return value

    def enum(self, parent: dict[str, Any], key: str, path: str, cls: type[_E]) -> _E | None:
        value = parent.get(key)
        if value is None:  # null is the same as absent
            return None
        return self._enum_value(value, path, cls)

    def _enum_value(self, value: Any, path: str, cls: type[_E]) -> _E | None:
        if isinstance(value, str):
            try:
                return cls(value)
            except ValueError:
                pass
            why = f"not an API v2 {cls.__name__} value"
        else:
            why = f"expected a {cls.__name__} value, got {_type_name(value)}"
        self.invalid(path, value, why)
        return None

    def enums(self, parent: dict[str, Any], key: str, path: str, cls: type[_E]) -> list[_E]:
        out: list[_E] = []
        for i, value in enumerate(self.list_(parent, key, path)):
            member = self._enum_value(value, f"{path}[{i}]", cls)
            if member is not None:
                out.append(member)
        return out

    def partial_date(self, parent: dict[str, Any], key: str, path: str) -> str | None:
        """A date at the precision the source gives (``2024``, ``2024-12``, ``2024-12-31``)."""
        day = self.str_(parent, key, path)
        if day is not None and not PARTIAL_DATE_RE.match(day):
            self.invalid(path, day, "expected YYYY, YYYY-MM or YYYY-MM-DD")
            return None
        return day

    def date(
        self, parent: dict[str, Any], key: str, path: str
    ) -> tuple[str | None, DateType | None]:
        """A ``{date, type}`` struct; the date keeps its source precision."""
        struct = self.obj(parent, key, path)
        if struct is None:
            return None, None
        day = self.partial_date(struct, "date", f"{path}.date")
        kind = self.enum(struct, "type", f"{path}.type", DateType)
        self.rest(struct, path, {"date", "type"})
        return day, kind

    def objects(
        self, parent: dict[str, Any], key: str, path: str
    ) -> Iterator[tuple[int, dict[str, Any]]]:
        """(index, element) for each object of a list; other elements are kept as invalid."""
        for i, value in enumerate(self.list_(parent, key, path)):
            if isinstance(value, dict):
                yield i, value
            else:
                self.invalid(f"{path}[{i}]", value, f"expected an object, got {_type_name(value)}")

    def whole(self, parent: dict[str, Any], key: str, path: str) -> int | None:
        value = parent.get(key)
        if value is None:  # null is the same as absent
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**53:
            self.invalid(path, value, "expected a whole number")
            return None
        return value

    def number(self, parent: dict[str, Any], key: str, path: str) -> float | None:
        value = parent.get(key)
        if value is None:  # null is the same as absent
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.invalid(path, value, f"expected a number, got {_type_name(value)}")
            return None
        return float(value)

    def record(
        self,
        cls: type[_M],
        obj: dict[str, Any],
        path: str,
        handled: frozenset[str] = frozenset(),
        **given: Any,
    ) -> _M | None:
        """``cls`` read from ``obj`` field by field (see ``_field_kinds``); nested models and
        lists of them recursively. ``given`` fields come from the caller, which has read the
        keys of ``obj`` named in ``handled``.

        Keys no field reads go to extra; a record missing a required field, or one the model
        refuses (a latitude of 200), is kept whole in extra and gives None.
        """
        values: dict[str, Any] = dict(given)
        used: set[str] = set(handled)
        for name, key, kind, many in _field_kinds(cls):
            if name in given:
                continue
            used.add(key)
            q = f"{path}.{key}"
            if many:
                values[name] = self._many(obj, key, q, kind)
            elif isinstance(kind, type) and issubclass(kind, BaseModel):
                sub = self.obj(obj, key, q)
                values[name] = None if sub is None else self.record(kind, sub, q)
            elif isinstance(kind, type) and issubclass(kind, StrEnum):
                values[name] = self.enum(obj, key, q, kind)
            else:
                getter = {str: self.str_, bool: self.bool_, int: self.whole, float: self.number}
                values[name] = getter[kind](obj, key, q)
        self.rest(obj, path, used)
        missing = [
            key
            for name, key, _, _ in _field_kinds(cls)
            if values.get(name) is None and cls.model_fields[name].is_required()
        ]
        if missing:
            self.invalid(path, obj, f"no {missing[0]}")
            return None
        try:
            return cls(**values)
        except ValidationError as exc:
            self.invalid(path, obj, _describe_validation(exc))
            return None

    def _many(self, obj: dict[str, Any], key: str, path: str, kind: Any) -> list[Any]:
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            return self.records(kind, obj, key, path)
        if isinstance(kind, type) and issubclass(kind, StrEnum):
            return self.enums(obj, key, path, kind)
        return self.strs(obj, key, path)

    def records(
        self, cls: type[_M], parent: dict[str, Any], key: str, path: str, **given: Any
    ) -> list[_M]:
        """``cls`` for each object of the list ``parent[key]``; unusable ones kept in extra."""
        out: list[_M] = []
        for i, obj in self.objects(parent, key, path):
            item = self.record(cls, obj, f"{path}[{i}]", **given)
            if item is not None:
                out.append(item)
        return out

    # ---- the study

    def trial(self) -> Trial:
        s = self.study
        p = "protocolSection"
        need = f"{p}.identificationModule.nctId"
        proto = s.get(p)
        if not isinstance(proto, dict):
            has = (
                "no protocolSection" if proto is None else f"protocolSection is {_type_name(proto)}"
            )
            raise _StudyError(f"no {need} ({has})")
        ident = proto.get("identificationModule")
        if not isinstance(ident, dict):
            has = "no identificationModule"
            if ident is not None:
                has = f"identificationModule is {_type_name(ident)}"
            raise _StudyError(f"no {need} ({has})")
        nct = ident.get("nctId")
        if nct is None:
            raise _StudyError(f"no {need}")
        if not isinstance(nct, str) or not NCT_ID_RE.match(nct):
            shown = repr(nct) if isinstance(nct, str) else _type_name(nct)
            if len(shown) > 40:
                shown = shown[:37] + "..."
            raise _StudyError(f"malformed {need} {shown} (expected NCT followed by 8 digits)")
        fields: dict[str, Any] = {"nct_id": nct}
        self._identification(ident, fields)
        self._status(self.obj(proto, "statusModule", f"{p}.statusModule"), fields)
        self._sponsors(
            self.obj(proto, "sponsorCollaboratorsModule", f"{p}.sponsorCollaboratorsModule"), fields
        )
        self._description(self.obj(proto, "descriptionModule", f"{p}.descriptionModule"), fields)
        self._conditions(self.obj(proto, "conditionsModule", f"{p}.conditionsModule"), fields)
        self._design(self.obj(proto, "designModule", f"{p}.designModule"), fields)
        self._arms(
            self.obj(proto, "armsInterventionsModule", f"{p}.armsInterventionsModule"), fields
        )
        self._eligibility(self.obj(proto, "eligibilityModule", f"{p}.eligibilityModule"), fields)
        self._contacts(
            self.obj(proto, "contactsLocationsModule", f"{p}.contactsLocationsModule"), fields
        )
        self._references(self.obj(proto, "referencesModule", f"{p}.referencesModule"), fields)
        self._outcomes(self.obj(proto, "outcomesModule", f"{p}.outcomesModule"), fields)
        for field, key, cls in (
            ("oversight", "oversightModule", Oversight),
            ("ipd_sharing", "ipdSharingStatementModule", IpdSharingStatement),
        ):
            mod = self.obj(proto, key, f"{p}.{key}")
            if mod is not None:
                fields[field] = self.record(cls, mod, f"{p}.{key}")
        self.rest(
            proto,
            p,
            {
                "identificationModule",
                "statusModule",
                "sponsorCollaboratorsModule",
                "descriptionModule",
                "conditionsModule",
                "designModule",
                "armsInterventionsModule",
                "eligibilityModule",
                "contactsLocationsModule",
                "referencesModule",
                "outcomesModule",
                "oversightModule",
                "ipdSharingStatementModule",
            },
        )
        has_results = self.bool_(s, "hasResults", "hasResults")
        fields["has_results"] = bool(has_results)
        self._derived(self.obj(s, "derivedSection", "derivedSection"), fields)
        self._documents(self.obj(s, "documentSection", "documentSection"), fields)
        results = self.obj(s, "resultsSection", "resultsSection")
        if results is not None:
            fields["results"] = self._results(results)
        self.rest(
            s,
            "",
            {
                "protocolSection",
                "hasResults",
                "derivedSection",
                "documentSection",
                "resultsSection",
            },
        )

        warnings: list[ReadWarning] = fields.pop("_warnings", [])
        warnings += kept_warnings(self.unmapped, self.invalid_notes, self.line)
        return Trial(
            **fields,
            source=Source(format="ctgov-json", path=self.path, index=self.index),
            warnings=warnings,
            extra=self.extra,
        )

    def _identification(self, ident: dict[str, Any], fields: dict[str, Any]) -> None:
        p = "protocolSection.identificationModule"
        title = self.str_(ident, "briefTitle", f"{p}.briefTitle")
        official = self.str_(ident, "officialTitle", f"{p}.officialTitle")
        if title is None or not title.strip():
            if official is None or not official.strip():
                raise _StudyError(f"no title ({p}.briefTitle)")
            title = official
            fields.setdefault("_warnings", []).append(
                ReadWarning(
                    code="missing-title",
                    message=f"no {p}.briefTitle: the official title is shown instead",
                    line=self.line,
                )
            )
        fields["title"] = title
        fields["official_title"] = official
        fields["acronym"] = self.str_(ident, "acronym", f"{p}.acronym")
        identifiers: list[Identifier] = []
        org = self.obj(ident, "orgStudyIdInfo", f"{p}.orgStudyIdInfo")
        if org is not None:
            oid = self.str_(org, "id", f"{p}.orgStudyIdInfo.id")
            kind = self.str_(org, "type", f"{p}.orgStudyIdInfo.type")
            if oid is not None:
                identifiers.append(Identifier(id=oid, type=kind, source="org_study_id"))
            elif kind is not None:
                self.keep(f"{p}.orgStudyIdInfo.type", kind)
            self.rest(org, f"{p}.orgStudyIdInfo", {"id", "type"})
        for i, sec in self.objects(ident, "secondaryIdInfos", f"{p}.secondaryIdInfos"):
            q = f"{p}.secondaryIdInfos[{i}]"
            sid = self.str_(sec, "id", f"{q}.id")
            if sid is None:
                self.invalid(q, sec, "secondary identifier without an id")
                continue
            identifiers.append(
                Identifier(
                    id=sid,
                    type=self.str_(sec, "type", f"{q}.type"),
                    domain=self.str_(sec, "domain", f"{q}.domain"),
                    source="secondary_id",
                )
            )
            self.rest(sec, q, {"id", "type", "domain"})
        fields["identifiers"] = identifiers
        self.rest(
            ident,
            p,
            {
                "nctId",
                "briefTitle",
                "officialTitle",
                "acronym",
                "orgStudyIdInfo",
                "secondaryIdInfos",
            },
        )

    def _status(self, mod: dict[str, Any] | None, fields: dict[str, Any]) -> None:
        if mod is None:
            return
        p = "protocolSection.statusModule"
        fields["status"] = self.enum(mod, "overallStatus", f"{p}.overallStatus", OverallStatus)
        fields["start_date"], fields["start_date_type"] = self.date(
            mod, "startDateStruct", f"{p}.startDateStruct"
        )
        (
            fields["primary_completion_date"],
            fields["primary_completion_date_type"],
        ) = self.date(mod, "primaryCompletionDateStruct", f"{p}.primaryCompletionDateStruct")
        fields["completion_date"], fields["completion_date_type"] = self.date(
            mod, "completionDateStruct", f"{p}.completionDateStruct"
        )
        fields["why_stopped"] = self.str_(mod, "whyStopped", f"{p}.whyStopped")
        fields["last_known_status"] = self.enum(
            mod, "lastKnownStatus", f"{p}.lastKnownStatus", OverallStatus
        )
        fields["status_verified"] = self.partial_date(
            mod, "statusVerifiedDate", f"{p}.statusVerifiedDate"
        )
        used = {
            "overallStatus",
            "startDateStruct",
            "primaryCompletionDateStruct",
            "completionDateStruct",
            "whyStopped",
            "lastKnownStatus",
            "statusVerifiedDate",
            "expandedAccessInfo",
        }
        for field, key in (
            ("last_updated", "lastUpdatePostDateStruct"),
            ("first_posted", "studyFirstPostDateStruct"),
            ("results_first_posted", "resultsFirstPostDateStruct"),
        ):
            # Posting dates are always actual; their `type` stays in extra.
            struct = self.obj(mod, key, f"{p}.{key}")
            used.add(key)
            if struct is not None:
                fields[field] = self.partial_date(struct, "date", f"{p}.{key}.date")
                self.rest(struct, f"{p}.{key}", {"date"})
        access = self.obj(mod, "expandedAccessInfo", f"{p}.expandedAccessInfo")
        if access is not None:
            fields["expanded_access"] = self.record(
                ExpandedAccess, access, f"{p}.expandedAccessInfo"
            )
            # The expanded-access record is another registry entry about the same treatment.
            other = access.get("nctId")
            if isinstance(other, str) and NCT_ID_RE.match(other):
                fields["related_trials"] = [RelatedTrial(nct_id=other)]
        self.rest(mod, p, used)

    def _sponsors(self, mod: dict[str, Any] | None, fields: dict[str, Any]) -> None:
        if mod is None:
            return
        p = "protocolSection.sponsorCollaboratorsModule"
        sponsors: list[Sponsor] = []
        lead = self.obj(mod, "leadSponsor", f"{p}.leadSponsor")
        if lead is not None:
            sponsor = self._sponsor(lead, f"{p}.leadSponsor", lead=True)
            if sponsor is not None:
                sponsors.append(sponsor)
        for i, col in self.objects(mod, "collaborators", f"{p}.collaborators"):
            sponsor = self._sponsor(col, f"{p}.collaborators[{i}]", lead=False)
            if sponsor is not None:
                sponsors.append(sponsor)
        fields["sponsors"] = sponsors
        party = self.obj(mod, "responsibleParty", f"{p}.responsibleParty")
        if party is not None:
            q = f"{p}.responsibleParty"
            rp = ResponsibleParty(
                type=self.str_(party, "type", f"{q}.type"),
                name=self.str_(party, "investigatorFullName", f"{q}.investigatorFullName"),
                title=self.str_(party, "investigatorTitle", f"{q}.investigatorTitle"),
                affiliation=self.str_(
                    party, "investigatorAffiliation", f"{q}.investigatorAffiliation"
                ),
            )
            # Only old-style fields (kept in extra): no party the model could show.
            if rp != ResponsibleParty():
                fields["responsible_party"] = rp
            self.rest(
                party,
                q,
                {"type", "investigatorFullName", "investigatorTitle", "investigatorAffiliation"},
            )
        self.rest(mod, p, {"leadSponsor", "collaborators", "responsibleParty"})

    def _sponsor(self, obj: dict[str, Any], path: str, *, lead: bool) -> Sponsor | None:
        name = self.str_(obj, "name", f"{path}.name")
        if name is None:
            self.invalid(path, obj, "sponsor without a name")
            return None
        agency = self.enum(obj, "class", f"{path}.class", AgencyClass)
        self.rest(obj, path, {"name", "class"})
        return Sponsor(name=name, agency_class=agency, lead=lead)

    def _description(self, mod: dict[str, Any] | None, fields: dict[str, Any]) -> None:
        if mod is None:
            return
        p = "protocolSection.descriptionModule"
        fields["summary"] = self.str_(mod, "briefSummary", f"{p}.briefSummary")
        fields["description"] = self.str_(mod, "detailedDescription", f"{p}.detailedDescription")
        self.rest(mod, p, {"briefSummary", "detailedDescription"})

    def _conditions(self, mod: dict[str, Any] | None, fields: dict[str, Any]) -> None:
        if mod is None:
            return
        p = "protocolSection.conditionsModule"
        fields["conditions"] = self.strs(mod, "conditions", f"{p}.conditions")
        fields["keywords"] = self.strs(mod, "keywords", f"{p}.keywords")
        self.rest(mod, p, {"conditions", "keywords"})

    def _design(self, mod: dict[str, Any] | None, fields: dict[str, Any]) -> None:
        if mod is None:
            return
        p = "protocolSection.designModule"
        fields["study_type"] = self.enum(mod, "studyType", f"{p}.studyType", StudyType)
        fields["phases"] = self.enums(mod, "phases", f"{p}.phases", Phase)
        enroll = self.obj(mod, "enrollmentInfo", f"{p}.enrollmentInfo")
        if enroll is not None:
            q = f"{p}.enrollmentInfo"
            fields["enrollment"] = Enrollment(
                count=self.count(enroll, "count", f"{q}.count"),
                type=self.enum(enroll, "type", f"{q}.type", EnrollmentType),
            )
            self.rest(enroll, q, {"count", "type"})
        info = self.obj(mod, "designInfo", f"{p}.designInfo")
        design = Design()
        if info is not None:
            q = f"{p}.designInfo"
            masking = None
            who: list[WhoMasked] = []
            mask = self.obj(info, "maskingInfo", f"{q}.maskingInfo")
            if mask is not None:
                r = f"{q}.maskingInfo"
                masking = self.enum(mask, "masking", f"{r}.masking", DesignMasking)
                who = self.enums(mask, "whoMasked", f"{r}.whoMasked", WhoMasked)
                self.rest(mask, r, {"masking", "whoMasked"})
            design = Design(
                allocation=self.enum(info, "allocation", f"{q}.allocation", DesignAllocation),
                intervention_model=self.enum(
                    info, "interventionModel", f"{q}.interventionModel", InterventionalAssignment
                ),
                primary_purpose=self.enum(
                    info, "primaryPurpose", f"{q}.primaryPurpose", PrimaryPurpose
                ),
                masking=masking,
                who_masked=who,
                observational_model=self.enum(
                    info, "observationalModel", f"{q}.observationalModel", ObservationalModel
                ),
                time_perspective=self.enum(
                    info, "timePerspective", f"{q}.timePerspective", DesignTimePerspective
                ),
            )
            self.rest(
                info,
                q,
                {
                    "allocation",
                    "interventionModel",
                    "primaryPurpose",
                    "maskingInfo",
                    "observationalModel",
                    "timePerspective",
                },
            )
        fields["design"] = design
        self.rest(mod, p, {"studyType", "phases", "enrollmentInfo", "designInfo"})

    def _arms(self, mod: dict[str, Any] | None, fields: dict[str, Any]) -> None:
        if mod is None:
            return
        p = "protocolSection.armsInterventionsModule"
        interventions: list[Intervention] = []
        for i, obj in self.objects(mod, "interventions", f"{p}.interventions"):
            q = f"{p}.interventions[{i}]"
            name = self.str_(obj, "name", f"{q}.name")
            if name is None:
                self.invalid(q, obj, "intervention without a name")
                continue
            interventions.append(
                Intervention(
                    name=name,
                    type=self.enum(obj, "type", f"{q}.type", InterventionType),
                    description=self.str_(obj, "description", f"{q}.description"),
                    other_names=self.strs(obj, "otherNames", f"{q}.otherNames"),
                    arm_labels=self.strs(obj, "armGroupLabels", f"{q}.armGroupLabels"),
                )
            )
            self.rest(obj, q, {"name", "type", "description", "otherNames", "armGroupLabels"})
        known = {iv.name for iv in interventions}
        arms: list[Arm] = []
        for i, obj in self.objects(mod, "armGroups", f"{p}.armGroups"):
            q = f"{p}.armGroups[{i}]"
            label = self.str_(obj, "label", f"{q}.label")
            if label is None:
                self.invalid(q, obj, "arm without a label")
                continue
            names = self.strs(obj, "interventionNames", f"{q}.interventionNames")
            arms.append(
                Arm(
                    label=label,
                    type=self.enum(obj, "type", f"{q}.type", ArmGroupType),
                    description=self.str_(obj, "description", f"{q}.description"),
                    interventions=[
                        self._intervention_name(n, known, f"{q}.interventionNames[{j}]")
                        for j, n in enumerate(names)
                    ],
                )
            )
            self.rest(obj, q, {"label", "type", "description", "interventionNames"})
        fields["interventions"] = interventions
        fields["arms"] = arms
        self.rest(mod, p, {"interventions", "armGroups"})

    def _intervention_name(self, raw: str, known: set[str], path: str) -> str:
        """``Drug: Palbociclib`` -> ``Palbociclib`` so arm names match intervention names.

        A name that matches no intervention keeps its original spelling in ``extra``.
        """
        if raw in known:
            return raw
        m = _PREFIX_RE.match(raw)
        name = m.group("name") if m and m.group("label") in _TYPE_LABELS else raw
        if name not in known:
            self.keep(path, raw)
        return name

    def _eligibility(self, mod: dict[str, Any] | None, fields: dict[str, Any]) -> None:
        if mod is None:
            return
        p = "protocolSection.eligibilityModule"
        key = "eligibilityCriteria"
        text = self.str_(mod, key, f"{p}.{key}")
        criteria: dict[str, Any] = {}
        if text is not None:
            parsed = parse_criteria(text)
            criteria = {
                "inclusion": parsed.inclusion,
                "exclusion": parsed.exclusion,
                "other": parsed.other,
            }
            for w in parsed.warnings:
                where = (
                    f"eligibility criteria line {w.line}: "
                    if w.line is not None
                    else "eligibility criteria: "
                )
                fields.setdefault("_warnings", []).append(
                    ReadWarning(code=w.code, message=where + w.message, line=self.key_line(key))
                )
        fields["eligibility"] = Eligibility(
            minimum_age=self.str_(mod, "minimumAge", f"{p}.minimumAge"),
            maximum_age=self.str_(mod, "maximumAge", f"{p}.maximumAge"),
            sex=self.enum(mod, "sex", f"{p}.sex", Sex),
            healthy_volunteers=self.bool_(mod, "healthyVolunteers", f"{p}.healthyVolunteers"),
            raw_text=text,
            **criteria,
        )
        self.rest(
            mod, p, {"eligibilityCriteria", "minimumAge", "maximumAge", "sex", "healthyVolunteers"}
        )

    def _contacts(self, mod: dict[str, Any] | None, fields: dict[str, Any]) -> None:
        if mod is None:
            return
        p = "protocolSection.contactsLocationsModule"
        officials: list[Official] = []
        for i, obj in self.objects(mod, "overallOfficials", f"{p}.overallOfficials"):
            q = f"{p}.overallOfficials[{i}]"
            name = self.str_(obj, "name", f"{q}.name")
            if name is None:
                self.invalid(q, obj, "official without a name")
                continue
            officials.append(
                Official(
                    name=name,
                    role=self.enum(obj, "role", f"{q}.role", OfficialRole),
                    affiliation=self.str_(obj, "affiliation", f"{q}.affiliation"),
                )
            )
            self.rest(obj, q, {"name", "role", "affiliation"})
        locations = self.records(Location, mod, "locations", f"{p}.locations")
        fields["officials"] = officials
        fields["contacts"] = self.records(Contact, mod, "centralContacts", f"{p}.centralContacts")
        fields["locations"] = locations
        fields["countries"] = list(dict.fromkeys(loc.country for loc in locations if loc.country))
        self.rest(mod, p, {"overallOfficials", "locations", "centralContacts"})

    def _outcomes(self, mod: dict[str, Any] | None, fields: dict[str, Any]) -> None:
        if mod is None:
            return
        p = "protocolSection.outcomesModule"
        fields["outcomes"] = [
            outcome
            for kind, key in _OUTCOME_KEYS.items()
            for outcome in self.records(Outcome, mod, key, f"{p}.{key}", kind=kind)
        ]
        self.rest(mod, p, set(_OUTCOME_KEYS.values()))

    def _derived(self, sec: dict[str, Any] | None, fields: dict[str, Any]) -> None:
        """MeSH terms; the rest of ``derivedSection`` (registry bookkeeping) stays in extra."""
        if sec is None:
            return
        p = "derivedSection"
        browse: dict[str, MeshBrowse] = {}
        for field, key in (
            ("conditions", "conditionBrowseModule"),
            ("interventions", "interventionBrowseModule"),
        ):
            mod = self.obj(sec, key, f"{p}.{key}")
            found = None if mod is None else self.record(MeshBrowse, mod, f"{p}.{key}")
            if found is not None:
                browse[field] = found
        fields["mesh"] = Mesh(**browse)
        self.rest(sec, p, {"conditionBrowseModule", "interventionBrowseModule"})

    def _documents(self, sec: dict[str, Any] | None, fields: dict[str, Any]) -> None:
        if sec is None:
            return
        p = "documentSection"
        mod = self.obj(sec, "largeDocumentModule", f"{p}.largeDocumentModule")
        if mod is not None:
            q = f"{p}.largeDocumentModule"
            documents: list[Document] = []
            for i, obj in self.objects(mod, "largeDocs", f"{q}.largeDocs"):
                filename = obj.get("filename")
                url = None
                # Registry file names are plain (`Prot_SAP_000.pdf`); no URL from any other.
                if isinstance(filename, str) and _FILENAME_RE.match(filename):
                    nct = fields["nct_id"]
                    url = DOCUMENT_URL.format(tail=nct[-2:], nct=nct, filename=filename)
                doc = self.record(Document, obj, f"{q}.largeDocs[{i}]", url=url)
                if doc is not None:
                    documents.append(doc)
            fields["documents"] = documents
            self.rest(mod, q, {"largeDocs"})
        self.rest(sec, p, {"largeDocumentModule"})

    def _results(self, sec: dict[str, Any]) -> Results | None:
        p = "resultsSection"
        outcomes: list[OutcomeMeasureResult] = []
        mod = self.obj(sec, "outcomeMeasuresModule", f"{p}.outcomeMeasuresModule")
        if mod is not None:
            q = f"{p}.outcomeMeasuresModule"
            outcomes = self.records(
                OutcomeMeasureResult, mod, "outcomeMeasures", f"{q}.outcomeMeasures"
            )
            self.rest(mod, q, {"outcomeMeasures"})
        more: dict[str, Any] = {}
        info = self.obj(sec, "moreInfoModule", f"{p}.moreInfoModule")
        if info is not None:
            q = f"{p}.moreInfoModule"
            caveats = self.obj(info, "limitationsAndCaveats", f"{q}.limitationsAndCaveats")
            if caveats is not None:
                r = f"{q}.limitationsAndCaveats"
                more["limitations"] = self.str_(caveats, "description", f"{r}.description")
                self.rest(caveats, r, {"description"})
            for field, key, cls in (
                ("certain_agreement", "certainAgreement", CertainAgreement),
                ("point_of_contact", "pointOfContact", PointOfContact),
            ):
                part = self.obj(info, key, f"{q}.{key}")
                more[field] = None if part is None else self.record(cls, part, f"{q}.{key}")
            self.rest(info, q, {"limitationsAndCaveats", "certainAgreement", "pointOfContact"})
        return self.record(
            Results,
            sec,
            p,
            frozenset({"outcomeMeasuresModule", "moreInfoModule"}),
            outcome_measures=outcomes,
            limitations=more.get("limitations"),
            certain_agreement=more.get("certain_agreement"),
            point_of_contact=more.get("point_of_contact"),
        )

    def _references(self, mod: dict[str, Any] | None, fields: dict[str, Any]) -> None:
        if mod is None:
            return
        p = "protocolSection.referencesModule"
        refs: list[Reference] = []
        for i, obj in self.objects(mod, "references", f"{p}.references"):
            q = f"{p}.references[{i}]"
            citation = self.str_(obj, "citation", f"{q}.citation")
            if citation is None:
                self.invalid(q, obj, "reference without a citation")
                continue
            refs.append(
                Reference(
                    citation=citation,
                    pmid=self.str_(obj, "pmid", f"{q}.pmid"),
                    type=self.enum(obj, "type", f"{q}.type", ReferenceType),
                )
            )
            self.rest(obj, q, {"citation", "pmid", "type"})
        fields["references"] = refs
        self.rest(mod, p, {"references"})
