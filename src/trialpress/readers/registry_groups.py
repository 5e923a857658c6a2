"""Study Groups and Interventions of a registry page, segmented as a whole.

A registry page lists each arm's label and description lines, each followed by the name and
description lines of every intervention the arm lists, with nothing marking which line is
which; the Interventions section lists each intervention's name and description lines once,
in the page's order. A description may span several lines or be missing (no line at all, or
an empty placeholder line), an arm label may equal an intervention name, a description may
equal a name, an arm may list no intervention and several interventions may share a name.
Line by line this cannot be read; as a whole it mostly can:

* every intervention block in Study Groups is an exact copy of one block of the
  Interventions section (name and every description line), and each arm lists its
  interventions in the Interventions section's order;
* every ``Name: other`` line of Other Intervention Names names an intervention.

So the reader chooses a segmentation of the Interventions section (which lines are names)
and a parse of Study Groups into arms and intervention references together, minimising one
cost: the negative log-likelihood of a simple model of such pages. Its rates (how often a
description is missing or spans several lines, an arm lists nothing, an intervention is
listed by no arm) and its line shapes (labels and names are short and do not end like a
sentence; description lines are long, end with a full stop or open with a list marker) were
measured on the 238 shared ClinicalTrials.gov studies, rounded, and are named constants
below. Study Groups is parsed by dynamic programming over its lines for a given segmentation
of Interventions; segmentations are searched from two starting points (a reading by line
shape and the one-line-description reading) by moving one boundary at a time.

Where the best reading and a different one cost almost the same, the text itself does not
settle it: the reader keeps the best (the one the page's order and line shapes support) and
reports the first line where the two readings differ, for the caller to warn about.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

# -- the model's costs (negative log-likelihoods, in nats) ----------------------------------

#: Each arm, and each intervention block of the Interventions section.
ARM = 1.0
INTERVENTION = 0.5
#: An arm without a description (9% of arms); one with two lines (6%); each further line.
ARM_NO_DESCRIPTION = 2.2
ARM_SECOND_LINE = 2.2
ARM_MORE_LINES = 0.5
#: An intervention without a description (3%), and each further one (a page that leaves one
#: intervention without a description mostly leaves them all); one with two lines (3%);
#: each further line.
INTERVENTION_NO_DESCRIPTION = 3.4
INTERVENTION_NO_DESCRIPTION_AGAIN = 0.5
INTERVENTION_SECOND_LINE = 2.9
INTERVENTION_MORE_LINES = 0.5
#: An arm that lists no intervention, in a study that has interventions: usually a control
#: arm, listed first or last (5% of arms); between two other arms (never seen).
ARM_WITHOUT_INTERVENTION = 3.0
ARM_WITHOUT_INTERVENTION_BETWEEN = 6.0
#: An intervention with the same name as an earlier one (1% of interventions).
SHARED_NAME = 3.0
#: An arm with the same label as an earlier one (the registry requires unique labels).
SHARED_LABEL = 8.0
#: An intervention no arm lists, in a study that has arms.
UNUSED_INTERVENTION = 4.0
#: An arm listing an intervention before one that comes earlier in Interventions (never
#: seen in the shared studies); listing the same one twice in a row is not allowed.
OUT_OF_ORDER = 6.0
#: An Other Intervention Names line that names no intervention.
UNNAMED_OTHER_NAME = 20.0
#: A blank line that is not the placeholder for a missing description (pages write blank
#: lines only as placeholders).
STRAY_BLANK = 8.0
#: A runner-up reading closer than this to the best one is reported as ambiguous.
AMBIGUOUS_MARGIN = 1.0
#: Longest Interventions section (in lines) searched boundary by boundary; a longer one
#: keeps its starting reading (real pages have a few dozen lines at most).
SEARCH_LIMIT = 80

#: Line shape: log-likelihood ratio of "description line" over "label or name" per feature:
#: length (up to 20 or 50 characters with one, two or three, or more words; up to 100
#: characters; longer), last character, list marker.
_LENGTH_LLR = ((20, (-3.7, -1.8, -1.1)), (50, (-0.1, -1.5, -0.7)), (100, 1.3))
_LONG_LLR = 5.4
_END_LLR = {".": 4.8, ":": 3.5, ";": 3.5, ",": 3.5}
_OTHER_END_LLR = -1.1
_MARKER_LLR = 3.2
_COMMA_LLR = 1.5
_MARKER_RE = re.compile(r"^(?:[*\-\u2022]\s|\(?\d+[.)]\s|[a-zA-Z][.)]\s)")


class SourceLine(Protocol):
    """A page line with its 1-based number (the reader's ``Line``)."""

    no: int
    text: str


def text_likeness(text: str) -> float:
    """How much more a line looks like a description line than a label or name (nats)."""
    llr = _length_llr(text)
    llr += _END_LLR.get(text[-1:], _OTHER_END_LLR)
    if _MARKER_RE.match(text):
        llr += _MARKER_LLR
    if "," in text[:-1]:
        llr += _COMMA_LLR
    return llr


def _length_llr(text: str) -> float:
    for limit, by_words in _LENGTH_LLR:
        if len(text) <= limit:
            if isinstance(by_words, float):
                return by_words
            words = len(text.split())
            return by_words[0] if words == 1 else by_words[1] if words <= 3 else by_words[2]
    return _LONG_LLR


def _as_title(text: str) -> float:
    return max(0.0, text_likeness(text))


def _as_text(text: str) -> float:
    return max(0.0, -text_likeness(text))


def _lines_cost(k: int, none: float, second: float, more: float) -> float:
    """Cost of a description of ``k`` lines (-1: the placeholder line, an explicit none)."""
    if k <= 0:
        return 0.0 if k < 0 else none
    return 0.0 if k == 1 else second + (k - 2) * more


# -- result ---------------------------------------------------------------------------------


@dataclass
class Block:
    """A label or name line and the description lines under it (a blank line alone is the
    placeholder for a missing description)."""

    head: SourceLine
    lines: list[SourceLine] = field(default_factory=list)

    @property
    def description(self) -> str | None:
        """The description lines joined with line breaks, as the page shows them."""
        texts = [ln.text.strip() for ln in self.lines if ln.text.strip()]
        return "\n".join(texts) or None


@dataclass
class ArmReading:
    block: Block
    #: Indices into ``Reading.interventions``.
    interventions: list[int] = field(default_factory=list)


@dataclass
class Reading:
    """Interventions in page order, arms with the interventions they list, and the line
    numbers where another reading fits almost as well."""

    interventions: list[Block]
    arms: list[ArmReading]
    ambiguous: list[int] = field(default_factory=list)


# -- Study Groups for one segmentation of Interventions -------------------------------------

#: Roles of Study Groups lines in a parse.
LABEL, DESC, NAME, BODY, BLANK = "L", "d", "N", "n", "b"

_State = tuple[str, int]
_START: _State = ("S", -1)


@dataclass
class _Parse:
    cost: float
    roles: list[str]
    #: The key referenced by each NAME line, by line index.
    refs: dict[int, int]


def _matches(texts: Sequence[str], keys: Sequence[tuple[str, ...]]) -> list[list[tuple[int, int]]]:
    """``(key, end)`` for every key whose lines start at each line."""
    by_first: dict[str, list[int]] = {}
    for j, key in enumerate(keys):
        by_first.setdefault(key[0], []).append(j)
    out: list[list[tuple[int, int]]] = []
    for i, text in enumerate(texts):
        found = []
        for j in by_first.get(text, ()):
            end = i + len(keys[j])
            if tuple(texts[i:end]) == keys[j]:
                found.append((j, end))
        out.append(found)
    return out


def _parse_groups(
    texts: Sequence[str], keys: Sequence[tuple[str, ...]], have_interventions: bool
) -> list[_Parse]:
    """The two cheapest parses of Study Groups (best first), by dynamic programming.

    A state after line ``i`` is ``("D", k)`` inside an arm's label and description (``k``
    description lines, capped at 2; -1 after a placeholder; ``"F"`` for the first arm) or
    ``("R", j)`` after a reference to key ``j``. Each state keeps its two cheapest ways in, so that the
    runner-up reading can be rebuilt too.
    """
    n = len(texts)
    if n == 0:
        return [_Parse(0.0, [], {})]
    matches = _matches(texts, keys)
    # An arm without intervention: first ("F" states) or last, or between two others.
    noiv_edge = ARM_WITHOUT_INTERVENTION if have_interventions else 0.0
    noiv_between = ARM_WITHOUT_INTERVENTION_BETWEEN if have_interventions else 0.0
    # way: (cost, previous position, previous state, rank there, role of the step)
    Way = tuple[float, int, _State, int, str]
    table: list[dict[_State, list[Way]]] = [{} for _ in range(n + 1)]
    table[0][_START] = [(0.0, -1, _START, 0, "")]

    def push(i: int, state: _State, step: float, prev: int, pstate: _State, role: str) -> None:
        ways = table[i].setdefault(state, [])
        for rank, way in enumerate(table[prev][pstate]):
            ways.append((way[0] + step, prev, pstate, rank, role))
        ways.sort(key=lambda w: w[0])
        del ways[2:]

    for i in range(n):
        text = texts[i]
        for state in list(table[i]):
            kind, k = state
            in_arm = kind in ("F", "D")
            if not text:
                push(i + 1, state, STRAY_BLANK, i, state, BLANK)
                if in_arm and k == 0:
                    push(i + 1, (kind, -1), 0.0, i, state, BLANK)
                continue
            close = noiv_edge if kind == "F" else noiv_between if kind == "D" else 0.0
            start = ARM + ARM_NO_DESCRIPTION + _as_title(text)
            push(i + 1, ("F" if kind == "S" else "D", 0), close + start, i, state, LABEL)
            if kind == "S":
                continue
            if in_arm and k >= 0:
                push(i + 1, (kind, min(k + 1, 2)), _as_text(text) + _extra(k), i, state, DESC)
            for j, end in matches[i]:
                if kind == "R" and j == k:
                    continue
                step = OUT_OF_ORDER if kind == "R" and j < k else 0.0
                push(end, ("R", j), step, i, state, NAME)
    finals: list[tuple[float, _State, int]] = []
    for state, ways in table[n].items():
        close = noiv_edge if state[0] in ("F", "D") else 0.0
        finals += [(way[0] + close, state, rank) for rank, way in enumerate(ways)]
    finals.sort(key=lambda f: f[0])
    out: list[_Parse] = []
    for cost, state, rank in finals[:2]:
        roles = [BLANK] * n
        refs: dict[int, int] = {}
        i, st, r = n, state, rank
        while i > 0:
            _, prev, pstate, prank, role = table[i][st][r]
            roles[prev] = role
            if role == NAME:
                refs[prev] = st[1]
                roles[prev + 1 : i] = [BODY] * (i - prev - 1)
            i, st, r = prev, pstate, prank
        out.append(_Parse(cost, roles, refs))
    return out


def _extra(k: int) -> float:
    """Cost of one more arm description line after ``k`` of them (the first one takes back
    the "no description" cost charged when the arm started)."""
    return -ARM_NO_DESCRIPTION if k == 0 else ARM_SECOND_LINE if k == 1 else ARM_MORE_LINES


# -- Interventions: which lines are names ---------------------------------------------------

INF = float("inf")


@dataclass
class _Candidate:
    """One segmentation of Interventions (block starts) with its best Study Groups parses."""

    cost: float
    bounds: tuple[int, ...]
    keys: list[tuple[str, ...]]
    block_keys: list[int]
    parses: list[_Parse]
    extra: float
    """Cost of everything but the Study Groups parse (Interventions, other names)."""


class _Search:
    """Evaluates segmentations of Interventions (memoised) and searches them."""

    def __init__(self, groups: list[str], items: list[str], others: list[str]) -> None:
        self.groups = groups
        self.items = items
        self.n = len(items)
        # Which Other Intervention Names lines each Interventions line would name.
        self.names_other: list[frozenset[int]] = [
            frozenset(
                k for k, other in enumerate(others) if text and other.startswith(text + ":")
            )
            for text in items
        ]
        self.others = len(others)
        self.seen: dict[tuple[int, ...], _Candidate | None] = {}

    def block_cost(self, p: int, q: int) -> float:
        name = self.items[p]
        if not name:
            return INF
        desc = self.items[p + 1 : q]
        texts = [t for t in desc if t]
        cost = INTERVENTION + _as_title(name) + sum(_as_text(t) for t in texts)
        cost += _lines_cost(
            len(texts),
            INTERVENTION_NO_DESCRIPTION,
            INTERVENTION_SECOND_LINE,
            INTERVENTION_MORE_LINES,
        )
        if desc != [""]:
            cost += STRAY_BLANK * (len(desc) - len(texts))
        return cost

    def evaluate(self, bounds: tuple[int, ...]) -> _Candidate | None:
        if bounds in self.seen:
            return self.seen[bounds]
        if not bounds and self.n:
            return None
        ends = (*bounds[1:], self.n) if bounds else ()
        cost = sum(self.block_cost(p, q) for p, q in zip(bounds, ends, strict=True))
        bare = sum(1 for p, q in zip(bounds, ends, strict=True) if not any(self.items[p + 1 : q]))
        if bare > 1:
            again = INTERVENTION_NO_DESCRIPTION_AGAIN - INTERVENTION_NO_DESCRIPTION
            cost += (bare - 1) * again
        cost += SHARED_NAME * (len(bounds) - len({self.items[p] for p in bounds}))
        named: set[int] = set()
        for p in bounds:
            named |= self.names_other[p]
        cost += UNNAMED_OTHER_NAME * (self.others - len(named))
        found = None
        if cost < INF:
            keys: list[tuple[str, ...]] = []
            block_keys: list[int] = []
            for p, q in zip(bounds, ends, strict=True):
                key = tuple(self.items[p:q])
                if key not in keys:
                    keys.append(key)
                block_keys.append(keys.index(key))
            parses = _parse_groups(self.groups, keys, bool(keys))
            for parse in parses:
                parse.cost += self.unused(parse, len(keys)) + self.shared_labels(parse)
            parses.sort(key=lambda p: p.cost)
            found = _Candidate(cost + parses[0].cost, bounds, keys, block_keys, parses, cost)
        self.seen[bounds] = found
        return found

    def shared_labels(self, parse: _Parse) -> float:
        labels = [self.groups[i] for i, role in enumerate(parse.roles) if role == LABEL]
        return SHARED_LABEL * (len(labels) - len(set(labels)))

    @staticmethod
    def unused(parse: _Parse, keys: int) -> float:
        if LABEL not in parse.roles:
            return 0.0
        return UNUSED_INTERVENTION * (keys - len(set(parse.refs.values())))

    def by_shape(self) -> tuple[int, ...]:
        """The cheapest segmentation of Interventions on its own (shapes, other names)."""
        n = self.n
        if n == 0:
            return ()
        best: list[tuple[float, int]] = [(0.0, -1)] + [(INF, -1)] * n
        for q in range(1, n + 1):
            for p in range(q):
                bonus = 2.0 if self.names_other[p] else 0.0
                cost = best[p][0] + self.block_cost(p, q) - bonus
                if cost < best[q][0]:
                    best[q] = (cost, p)
        bounds: list[int] = []
        q = n
        while q > 0 and best[q][1] >= 0:
            q = best[q][1]
            bounds.append(q)
        return tuple(sorted(bounds)) if bounds and bounds[-1] == 0 else (0,)

    def descend(self, start: tuple[int, ...]) -> None:
        """Move one boundary at a time (add, drop, shift by a line) while the cost falls."""
        current = self.evaluate(start)
        if current is None or self.n > SEARCH_LIMIT:
            return
        while True:
            best = current
            bounds = set(current.bounds)
            for r in range(1, self.n):
                moves = [bounds ^ {r}]
                if r in bounds:
                    moves += [(bounds - {r}) | {s} for s in (r - 1, r + 1) if 0 < s < self.n]
                for move in moves:
                    cand = self.evaluate(tuple(sorted(move)))
                    if cand is not None and cand.cost < best.cost - 1e-9:
                        best = cand
            if best is current:
                return
            current = best


def _roles(cand: _Candidate, parse: _Parse, n: int) -> tuple[list[bool], list[str]]:
    names = [False] * n
    for p in cand.bounds:
        names[p] = True
    return names, parse.roles


def read_groups(
    groups: Sequence[SourceLine],
    interventions: Sequence[SourceLine],
    other_names: Sequence[SourceLine],
) -> Reading:
    """Arms and interventions from the three sections' lines (see the module docstring)."""
    items = list(interventions)
    while items and not items[0].text.strip():
        items.pop(0)
    glines = list(groups)
    gtexts = [ln.text.strip() for ln in glines]
    itexts = [ln.text.strip() for ln in items]
    others = [ln.text.strip() for ln in other_names if ln.text.strip()]
    search = _Search(gtexts, itexts, others)
    starts = [search.by_shape()]
    if len(itexts) % 2 == 0 and all(itexts[0::2]):
        starts.append(tuple(range(0, len(itexts), 2)))
    for start in starts:
        search.descend(start)
    found = sorted((c for c in search.seen.values() if c is not None), key=lambda c: c.cost)
    # The shape reading always has a finite cost: its first line is not blank, and blank
    # lines can always be description lines.
    best = found[0]
    parse = best.parses[0]
    # The runner-up: the best parse's second reading of Study Groups, or another
    # segmentation's best; ambiguous if it costs almost the same.
    rivals = [(p.cost + best.extra, best, p) for p in best.parses[1:]]
    rivals += [(c.cost, c, c.parses[0]) for c in found[1:2]]
    ambiguous: list[int] = []
    if rivals:
        cost, cand, rival = min(rivals, key=lambda r: r[0])
        if cost - best.cost < AMBIGUOUS_MARGIN:
            mine = _roles(best, parse, len(itexts))
            theirs = _roles(cand, rival, len(itexts))
            diff = [items[i].no for i, (a, b) in enumerate(zip(mine[0], theirs[0])) if a != b]
            diff += [glines[i].no for i, (a, b) in enumerate(zip(mine[1], theirs[1])) if a != b]
            if diff:
                ambiguous.append(min(diff))
    ends = (*best.bounds[1:], len(items)) if best.bounds else ()
    blocks = [Block(items[p], list(items[p + 1 : q])) for p, q in zip(best.bounds, ends, strict=True)]
    # A reference names the first intervention with that text (they are the same to the page).
    first_block = {k: best.block_keys.index(k) for k in set(best.block_keys)}
    arms: list[ArmReading] = []
    for i, role in enumerate(parse.roles):
        if role == LABEL:
            arms.append(ArmReading(Block(glines[i])))
        elif role == DESC and arms:
            arms[-1].block.lines.append(glines[i])
        elif role == BLANK and arms and not arms[-1].interventions and not arms[-1].block.lines:
            arms[-1].block.lines.append(glines[i])
        elif role == NAME and arms:
            arms[-1].interventions.append(first_block[parse.refs[i]])
    return Reading(blocks, arms, ambiguous)
