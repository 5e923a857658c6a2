"""What changed between two versions of a trial, in clinical terms, field by field.

Versions are compared as their public JSON (``Trial.model_dump(mode="json")``), not as
models: a version stored by an older trialpress must still compare after the model grows.
A field the older version does not have at all is *unknown before*, not *added*, so
upgrading trialpress never reports a whole new field as a change of the trial.

Only meaning counts: list order, whitespace and case of a site's name are not changes.
Eligibility is compared criterion by criterion (added, removed, reworded), each named by
its source number, so a screener knows which line of the checklist to look at again.

To compare a new field, add one entry to :data:`SCALARS` (a value), :data:`NAMED_LISTS`
(items identified by a name) or write a comparer and add it to :data:`COMPARERS`.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any, Literal, TypeVar

from trialpress.facts import criterion_ref
from trialpress.labels import enum_label
from trialpress.models import Criterion

ChangeKind = Literal[
    "status",
    "phase",
    "enrollment",
    "dates",
    "arms",
    "outcomes",
    "eligibility",
    "sites",
    "contacts",
    "results",
]
#: Kinds the recent-changes page offers as filters, with their headings, in page order.
FILTER_KINDS: dict[str, str] = {
    "status": "Recruitment status",
    "eligibility": "Eligibility",
    "sites": "Sites",
    "results": "Results",
}
#: Words for a criterion list in change lines.
_LIST_NAMES = {"inclusion": "Inclusion", "exclusion": "Exclusion", "other": "Eligibility text"}
#: Two criteria at least this similar (difflib ratio of their normalised texts) are the
#: same criterion reworded; below it, one was removed and another added.
REWORD_RATIO = 0.6

Version = dict[str, Any]
T = TypeVar("T")


@dataclass(frozen=True)
class Change:
    """One change, worded for people (``text``) and typed for machines (``kind``, ``field``)."""

    kind: ChangeKind
    field: str
    text: str
    old: Any = None
    new: Any = None

    def as_json(self) -> dict[str, Any]:
        """The change as a JSON object (``trialpress diff --format json``)."""
        return asdict(self)


def norm(text: object) -> str:
    """Text with whitespace runs collapsed: layout is never a change."""
    return " ".join(str(text or "").split())


def _shown(value: object, enum: bool = False) -> str:
    """A value in a change line: enumerations as labels, nothing as "not given"."""
    if value is None or value == "" or value == []:
        return "not given"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_shown(v, enum) for v in value)
    return enum_label(value) if enum else norm(value)


def _get(version: Version, path: str) -> tuple[bool, Any]:
    """(present, value) at a dotted path; ``present`` is False when a key is missing (a
    field the version's trialpress did not have), True with None when a parent is None."""
    value: Any = version
    for key in path.split("."):
        if value is None:
            return True, None
        if not isinstance(value, dict) or key not in value:
            return False, None
        value = value[key]
    return True, value


# ------------------------------------------------------------------------ scalar fields

#: How a scalar field compares and shows: text (whitespace aside), an enumeration (shown
#: as its label), a set of enumerations (order aside) or a plain value.
How = Literal["text", "enum", "enums", "value"]
#: (path, kind, people's name, how): one change line when the value differs.
SCALARS: tuple[tuple[str, ChangeKind, str, How], ...] = (
    ("status", "status", "Recruitment status", "enum"),
    ("why_stopped", "status", "Why stopped", "text"),
    ("phases", "phase", "Phase", "enums"),
    ("enrollment.count", "enrollment", "Enrollment", "value"),
    ("enrollment.type", "enrollment", "Enrollment type", "enum"),
    ("start_date", "dates", "Start date", "value"),
    ("start_date_type", "dates", "Start date type", "enum"),
    ("primary_completion_date", "dates", "Primary completion date", "value"),
    ("primary_completion_date_type", "dates", "Primary completion date type", "enum"),
    ("completion_date", "dates", "Completion date", "value"),
    ("completion_date_type", "dates", "Completion date type", "enum"),
    ("eligibility.minimum_age", "eligibility", "Minimum age", "text"),
    ("eligibility.maximum_age", "eligibility", "Maximum age", "text"),
    ("eligibility.sex", "eligibility", "Sex", "enum"),
    ("eligibility.healthy_volunteers", "eligibility", "Healthy volunteers", "value"),
)


def _scalars(old: Version, new: Version) -> Iterator[Change]:
    for path, kind, name, how in SCALARS:
        had, before = _get(old, path)
        has, after = _get(new, path)
        if not had or not has:
            continue
        if how == "text":
            same = norm(before) == norm(after)
        elif how == "enums":
            same = sorted(map(str, before or [])) == sorted(map(str, after or []))
        else:
            same = before == after
        if not same:
            enum = how in ("enum", "enums")
            text = f"{name}: {_shown(before, enum)} → {_shown(after, enum)}"
            yield Change(kind, path, text, before, after)


def _results(old: Version, new: Version) -> Iterator[Change]:
    """Results posted: the registry's flag, or posted results appearing (either may lag)."""
    had, before = _get(old, "has_results")
    has, after = _get(new, "has_results")
    if not had or not has:
        return
    before = bool(before) or bool(old.get("results"))
    after = bool(after) or bool(new.get("results"))
    if before != after:
        text = "Results posted" if after else "Results no longer posted"
        if after and new.get("results_first_posted"):
            text += f" (first posted {new['results_first_posted']})"
        yield Change("results", "has_results", text, before, after)


# ------------------------------------------------- outcomes and contacts: matched items

Item = dict[str, Any]


def _unmatched(items: list[T], others: list[T], key: Callable[[T], Hashable]) -> list[T]:
    """The items ``others`` has no equal of (by ``key``, counting repeats), in order."""
    left = Counter(key(i) for i in others)
    out: list[T] = []
    for item in items:
        if left[key(item)]:
            left[key(item)] -= 1
        else:
            out.append(item)
    return out


def _match(
    before: list[Item], after: list[Item], parts: tuple[str, ...], identity: Callable[[Item], Any]
) -> tuple[list[tuple[Item, Item]], list[Item], list[Item]]:
    """(changed pairs, added, removed): items equal in every part (whitespace aside) match
    first, whatever their order or repeats; the rest pair up by ``identity`` in order."""

    def whole(item: Item) -> tuple[Any, ...]:
        return (identity(item), *(norm(item.get(p)) for p in parts))

    old_rest, new_rest = _unmatched(before, after, whole), _unmatched(after, before, whole)
    pairs: list[tuple[Item, Item]] = []
    removed: list[Item] = []
    for item in old_rest:
        partner = next((n for n in new_rest if identity(n) == identity(item)), None)
        if partner is None:
            removed.append(item)
        else:
            new_rest.remove(partner)
            pairs.append((item, partner))
    return pairs, new_rest, removed


def _outcome_identity(outcome: Item) -> tuple[str, str]:
    return (str(outcome.get("kind")), _name_key(outcome.get("measure")))


def _outcome_name(outcome: Item) -> str:
    return f"{str(outcome.get('kind')).capitalize()} outcome “{norm(outcome.get('measure'))}”"


def _outcomes(old: Version, new: Version) -> Iterator[Change]:
    """Outcome measures added or removed (by kind and measure), or measured differently
    (time frame or description reworded)."""
    had, before = _get(old, "outcomes")
    has, after = _get(new, "outcomes")
    if not had or not has:
        return
    parts = ("time_frame", "description")
    pairs, added, removed = _match(before or [], after or [], parts, _outcome_identity)
    for a, b in pairs:
        for part, words in (("time_frame", "time frame"), ("description", "description")):
            if norm(a.get(part)) != norm(b.get(part)):
                was, now = norm(a.get(part)) or "not given", norm(b.get(part)) or "not given"
                text = f"{_outcome_name(b)}: {words} “{was}” → “{now}”"
                yield Change("outcomes", f"outcomes.{part}", text, a.get(part), b.get(part))
    for o in added:
        yield Change("outcomes", "outcomes", f"{_outcome_name(o)} added", None, o.get("measure"))
    for o in removed:
        yield Change("outcomes", "outcomes", f"{_outcome_name(o)} removed", o.get("measure"), None)


#: What a contact is reached by, in change lines.
_CONTACT_PARTS = (("phone", "phone"), ("phone_ext", "extension"), ("email", "e-mail"))


def _contact_name(contact: Item) -> str:
    return norm(contact.get("name") or contact.get("email") or contact.get("phone"))


def _contact_identity(contact: Item) -> str:
    return _contact_name(contact).casefold()


def _contact_changes(
    before: list[Item], after: list[Item], who: str, field: str
) -> Iterator[Change]:
    """Contacts added, removed, or reached differently; ``who`` names whose they are."""
    parts = tuple(p for p, _ in _CONTACT_PARTS)
    pairs, added, removed = _match(before, after, parts, _contact_identity)
    for a, b in pairs:
        for part, words in _CONTACT_PARTS:
            if norm(a.get(part)) != norm(b.get(part)):
                was, now = _shown(norm(a.get(part))), _shown(norm(b.get(part)))
                text = f"{who} {_contact_name(b)}: {words} {was} → {now}"
                yield Change("contacts", f"{field}.{part}", text, a.get(part), b.get(part))
    for c in added:
        yield Change("contacts", field, f"{who} added: {_contact_name(c)}", None, _contact_name(c))
    for c in removed:
        yield Change(
            "contacts", field, f"{who} removed: {_contact_name(c)}", _contact_name(c), None
        )


def _contacts(old: Version, new: Version) -> Iterator[Change]:
    """Central contacts, then each site's (sites matched as :func:`_sites` matches them)."""
    had, before = _get(old, "contacts")
    has, after = _get(new, "contacts")
    if had and has:
        yield from _contact_changes(before or [], after or [], "Central contact", "contacts")
    had, old_sites = _get(old, "locations")
    has, new_sites = _get(new, "locations")
    if not had or not has:
        return
    old_by, new_by = _sites_by_key(old_sites), _sites_by_key(new_sites)
    for key in sorted(old_by.keys() & new_by.keys()):
        if len(old_by[key]) == len(new_by[key]) == 1 and "contacts" in old_by[key][0]:
            site = new_by[key][0]
            yield from _contact_changes(
                old_by[key][0]["contacts"] or [],
                site.get("contacts") or [],
                f"Site {site_name(site)}: contact",
                "locations.contacts",
            )


# ----------------------------------------------------------------- lists of named items

#: (path, kind, singular noun, key of the item's name): added and removed by name.
NAMED_LISTS: tuple[tuple[str, ChangeKind, str, str], ...] = (
    ("arms", "arms", "Arm", "label"),
    ("interventions", "arms", "Intervention", "name"),
)


def _name_key(name: object) -> str:
    return norm(name).casefold()


def _named_lists(old: Version, new: Version) -> Iterator[Change]:
    for path, kind, noun, key in NAMED_LISTS:
        had, before = _get(old, path)
        has, after = _get(new, path)
        if not had or not has:
            continue
        old_names = {_name_key(item.get(key)): item.get(key) for item in before or []}
        new_names = {_name_key(item.get(key)): item.get(key) for item in after or []}
        for k in sorted(new_names.keys() - old_names.keys()):
            yield Change(kind, path, f"{noun} added: {norm(new_names[k])}", None, new_names[k])
        for k in sorted(old_names.keys() - new_names.keys()):
            yield Change(kind, path, f"{noun} removed: {norm(old_names[k])}", old_names[k], None)


# ------------------------------------------------------------------------------ sites


def site_name(site: dict[str, Any]) -> str:
    """A site as people name it: facility, city, country."""
    parts = [site.get("facility"), site.get("city"), site.get("country")]
    return ", ".join(norm(p) for p in parts if p) or "Site without a name"


def _site_key(site: dict[str, Any]) -> tuple[str, ...]:
    return tuple(_name_key(site.get(k)) for k in ("facility", "city", "state", "country"))


def _sites_by_key(
    sites: list[dict[str, Any]] | None,
) -> dict[tuple[str, ...], list[dict[str, Any]]]:
    """Sites grouped by name and place (a site's identity across versions)."""
    out: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for site in sites or []:
        out.setdefault(_site_key(site), []).append(site)
    return out


def _sites(old: Version, new: Version) -> Iterator[Change]:
    had, before = _get(old, "locations")
    has, after = _get(new, "locations")
    if not had or not has:
        return
    old_by, new_by = _sites_by_key(before), _sites_by_key(after)
    added: list[Change] = []
    removed: list[Change] = []
    status: list[Change] = []
    for key in sorted(old_by.keys() | new_by.keys()):
        olds, news = old_by.get(key, []), new_by.get(key, [])
        # Same-named sites pair up by status first, so a reorder is never a change.
        old_status = Counter(s.get("status") for s in olds)
        new_status = Counter(s.get("status") for s in news)
        common = old_status & new_status
        gone = list((old_status - common).elements())
        came = list((new_status - common).elements())
        name = site_name((news or olds)[0])
        for before_s, after_s in zip(sorted(gone, key=str), sorted(came, key=str), strict=False):
            text = f"Site {name}: {_shown(before_s, True)} → {_shown(after_s, True)}"
            status.append(Change("sites", "locations.status", text, before_s, after_s))
        for _ in came[len(gone) :]:
            added.append(Change("sites", "locations", f"Site added: {name}", None, name))
        for _ in gone[len(came) :]:
            removed.append(Change("sites", "locations", f"Site removed: {name}", name, None))
    yield from added
    yield from removed
    yield from status


# ------------------------------------------------------------------------ eligibility


@dataclass(frozen=True)
class _Item:
    """A criterion flattened out of its list: people's reference and normalised text."""

    ref: str
    text: str


def _item_text(item: _Item) -> str:
    return item.text


def _flatten(items: Iterable[dict[str, Any]], parent_ref: str = "") -> list[_Item]:
    """Every criterion of stored JSON, depth first, named as pages and facts name it."""
    out: list[_Item] = []
    for pos, crit in enumerate(items, start=1):
        number = crit.get("number")
        ref = criterion_ref(parent_ref, Criterion(number=number, text=""), pos)
        out.append(_Item(ref, norm(crit.get("text"))))
        out.extend(_flatten(crit.get("children") or [], ref))
    return out


def _criteria_lists(old: Version, new: Version) -> Iterator[Change]:
    for name, label in _LIST_NAMES.items():
        had, before = _get(old, f"eligibility.{name}")
        has, after = _get(new, f"eligibility.{name}")
        if not had or not has:
            continue
        yield from _criteria_changes(name, label, _flatten(before or []), _flatten(after or []))


def _criteria_changes(
    name: str, label: str, old: list[_Item], new: list[_Item]
) -> Iterator[Change]:
    """Exact texts match first (so a reorder is nothing), then the closest remaining pairs
    are rewordings, and what is left was removed or added."""
    field = f"eligibility.{name}"
    old_rest = _unmatched(old, new, _item_text)
    new_rest = _unmatched(new, old, _item_text)
    pairs = sorted(
        (
            (difflib.SequenceMatcher(None, o.text, n.text, autojunk=False).ratio(), i, j)
            for i, o in enumerate(old_rest)
            for j, n in enumerate(new_rest)
        ),
        key=lambda p: (-p[0], p[1], p[2]),
    )
    used_old: set[int] = set()
    used_new: set[int] = set()
    reworded: list[tuple[int, int]] = []
    for ratio, i, j in pairs:
        if ratio < REWORD_RATIO:
            break
        if i in used_old or j in used_new:
            continue
        used_old.add(i)
        used_new.add(j)
        reworded.append((i, j))
    for i, j in sorted(reworded, key=lambda p: p[1]):
        o, n = old_rest[i], new_rest[j]
        text = f"{label} criterion {n.ref} reworded: “{n.text}” (was “{o.text}”)"
        yield Change("eligibility", field, text, o.text, n.text)
    for j, n in enumerate(new_rest):
        if j not in used_new:
            yield Change(
                "eligibility", field, f"{label} criterion {n.ref} added: “{n.text}”", None, n.text
            )
    for i, o in enumerate(old_rest):
        if i not in used_old:
            yield Change(
                "eligibility", field, f"{label} criterion {o.ref} removed: “{o.text}”", o.text, None
            )


# ------------------------------------------------------------------------------- API

Comparer = Callable[[Version, Version], Iterator[Change]]
#: Every comparer, in the order their changes are listed.
COMPARERS: tuple[Comparer, ...] = (
    _results,
    _scalars,
    _criteria_lists,
    _named_lists,
    _outcomes,
    _sites,
    _contacts,
)


def compare(old: Version, new: Version) -> list[Change]:
    """Every change from ``old`` to ``new`` (two trials' public JSON), in a stable order."""
    changes = [c for comparer in COMPARERS for c in comparer(old, new)]
    order = list(FILTER_KINDS)
    return sorted(changes, key=lambda c: order.index(c.kind) if c.kind in order else len(order))


def kinds_of(changes: Iterable[Change]) -> list[str]:
    """The filter kinds these changes fall under, in page order."""
    present = {c.kind for c in changes}
    return [k for k in FILTER_KINDS if k in present]


def _canonical_criteria(items: Iterable[dict[str, Any]]) -> list[Any]:
    """A criteria tree as sorted (text, children) pairs: order and numbering drop out."""
    return sorted(
        [norm(c.get("text")), _canonical_criteria(c.get("children") or [])] for c in items
    )


def criteria_fingerprint(eligibility: dict[str, Any]) -> str:
    """Eight hex digits that change exactly when a criterion, the age limits, sex or
    healthy volunteers change; reordering, renumbering and whitespace leave it as it is."""
    canonical = {
        "limits": [
            norm(eligibility.get("minimum_age")),
            norm(eligibility.get("maximum_age")),
            eligibility.get("sex"),
            eligibility.get("healthy_volunteers"),
        ],
        **{k: _canonical_criteria(eligibility.get(k) or []) for k in _LIST_NAMES},
    }
    data = json.dumps(canonical, ensure_ascii=False, sort_keys=True).encode("utf-8", "replace")
    return hashlib.sha256(data).hexdigest()[:8].upper()
