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
* every ``Name: other`` line of Other Intervention Names names an intervention;
* arm labels are unique (the registry requires it).

So the reader chooses a segmentation of the Interventions section (which lines are names)
and a parse of Study Groups into arms and intervention references together, minimising one
cost: the negative log-likelihood of a simple model of such pages. Its rates (how often a
description is missing or spans several lines, an arm lists nothing, an intervention is
listed by no arm) and its line shapes (labels and names are short and do not end like a
sentence; description lines are long, end with a full stop, hold commas or open with a list
marker) were measured on the 238 shared ClinicalTrials.gov studies, rounded, and are the
named constants below.

For one segmentation of Interventions, Study Groups is parsed by dynamic programming over
its lines. Segmentations are searched from three starting points (the best by
Interventions alone, the one-line-description reading, and names alone) by adding,
dropping or shifting one boundary at a time while the total cost falls; a segmentation
whose own cost plus a lower bound of any Study Groups parse cannot come near the best is
not parsed at all.

Where the best reading and a different one cost almost the same, the text itself does not
settle it: the reader keeps the best (the one the page's order and line shapes support) and
reports the first line where the two readings differ, for the caller to warn about.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

# -- the model's costs (negative log-likelihoods, in nats) ----------------------------------

#: Each arm, and each intervention of the Interventions section.
ARM = 1.0
INTERVENTION = 0.5
#: An arm without a description (9% of arms); with a second line (10% of the rest); each
#: further line.
ARM_NO_DESCRIPTION = 2.2
ARM_SECOND_LINE = 2.2
ARM_MORE_LINES = 0.5
#: An intervention without a description (3%), and each further one (a page that leaves one
#: intervention without a description mostly leaves them all); with a second line (5% of the
#: rest); each further line.
INTERVENTION_NO_DESCRIPTION = 3.4
INTERVENTION_NO_DESCRIPTION_AGAIN = 0.5
INTERVENTION_SECOND_LINE = 2.9
INTERVENTION_MORE_LINES = 0.5
#: An arm that lists no intervention, in a study that has interventions: usually a control
#: arm, listed first or last (5% of arms); between two other arms (never seen).
ARM_WITHOUT_INTERVENTION = 3.0
ARM_WITHOUT_INTERVENTION_BETWEEN = 6.0
#: A new arm where the previous one could go on listing interventions in page order (the
#: new arm's lines copy the next intervention exactly).
ARM_INSTEAD_OF_INTERVENTION = 2.0
#: An intervention no arm lists, in a study that has arms.
UNUSED_INTERVENTION = 4.0
#: An intervention with the same name as an earlier one (1% of interventions).
SHARED_NAME = 3.0
#: An arm with the same label as an earlier one (the registry requires unique labels).
SHARED_LABEL = 8.0
#: An arm listing an intervention before one that comes earlier in Interventions (never
#: seen); listing the same one twice in a row is not a reading at all.
OUT_OF_ORDER = 6.0
#: One arm where the design's intervention model needs several (parallel, crossover,
#: factorial, sequential: never seen), and several in a single-group design (8% of them).
ARMS_AGAINST_DESIGN = {False: 5.0, True: 2.5}
#: An Other Intervention Names line that names no intervention.
UNNAMED_OTHER_NAME = 20.0
#: A blank line that is not the placeholder for a missing description (pages write blank
#: lines only as placeholders).
STRAY_BLANK = 8.0
#: A runner-up reading closer than this to the best one is reported as ambiguous.
AMBIGUOUS_MARGIN = 0.5
#: Longest Interventions section (in lines) searched boundary by boundary; a longer one
#: keeps its best reading by Interventions alone (real pages have a few dozen lines).
SEARCH_LIMIT = 60
#: Shortest Interventions section (in lines) worth a lower bound to skip segmentations.
PRUNE_FROM = 4
#: Most lines one intervention (name and description) may span (real ones: a dozen).
MAX_BLOCK_LINES = 40
#: Most steps one parse of Study Groups may take (a real page takes a few thousand); a page
#: that would need more (thousands of repeated lines) is read as arms alone, to stay fast.
PARSE_LIMIT = 100_000
#: Most steps all the parses for one page may take, searching segmentations; the search
#: stops there and keeps the best reading so far.
SEARCH_BUDGET = 1_000_000

#: Line shape: log-likelihood ratio of "description line" over "label or name" per feature:
#: length (up to 20 or 50 characters with one, two or three, or more words; up to 100
#: characters; longer), last character, list marker, a comma inside.
_LENGTH_LLR: tuple[tuple[int, tuple[float, float, float]], ...] = (
    (20, (-3.7, -1.8, -1.1)),
    (50, (-0.1, -1.5, -0.7)),
    (100, (1.3, 1.3, 1.3)),
)
_LONG_LLR = 5.4
_END_LLR = {".": 4.8, ":": 3.5, ";": 3.5, ",": 3.5}
_OTHER_END_LLR = -1.1
_MARKER_LLR = 3.2
_MARKER_RE = re.compile(r"^(?:[*\-\u2022]\s|\(?\d+[.)]\s|[a-zA-Z][.)]\s)")
_COMMA_LLR = 1.5
#: The most a line's shape may count (the features above are not independent, and pages
#: unlike the measured ones have labels that read like sentences).
SHAPE_CAP = 5.0


def text_likeness(text: str) -> float:
    """How much more a line looks like a description line than a label or name (nats)."""
    llr = _LONG_LLR
    for limit, by_words in _LENGTH_LLR:
        if len(text) <= limit:
            words = len(text.split())
            llr = by_words[0] if words == 1 else by_words[1] if words <= 3 else by_words[2]
            break
    llr += _END_LLR.get(text[-1:], _OTHER_END_LLR)
    if _MARKER_RE.match(text):
        llr += _MARKER_LLR
    if "," in text[:-1]:
        llr += _COMMA_LLR
    return llr


class SourceLine(Protocol):
    """A page line with its 1-based number (the reader's ``Line``)."""

    no: int
    text: str


class _Lines:
    """Stripped texts of a section's lines with what each costs as a title or a text line."""

    def __init__(self, lines: Sequence[SourceLine]) -> None:
        self.lines = list(lines)
        self.texts = [ln.text.strip() for ln in lines]
        likeness = [text_likeness(t) if t else 0.0 for t in self.texts]
        self.as_title = [min(SHAPE_CAP, max(0.0, v)) for v in likeness]
        self.as_text = [min(SHAPE_CAP, max(0.0, -v)) for v in likeness]


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
        return "\n".join(t for ln in self.lines if (t := ln.text.strip())) or None


@dataclass
class ArmReading:
    """An arm and the interventions it lists (indices into ``Reading.interventions``)."""

    block: Block
    interventions: list[int] = field(default_factory=list)


@dataclass
class Reading:
    """Interventions in page order, arms with the interventions they list, and the line
    where another reading fits almost as well (``None`` when none does)."""

    interventions: list[Block]
    arms: list[ArmReading]
    ambiguous: int | None = None


# -- Study Groups for one segmentation of Interventions -------------------------------------

#: Roles of Study Groups lines in a parse.
LABEL, DESC, NAME, BODY, BLANK = "L", "d", "N", "n", "b"

#: A parser state: ("S", -1) before the first arm; ("F", k) / ("D", k) in the first / a
#: later arm's label and description with k description lines (capped at 2; -1 after a
#: placeholder); ("Q", j) / ("R", j) after the first / a later arm's reference to key j.
_State = tuple[str, int]
_START: _State = ("S", -1)
#: One way into a state: cost, previous position, previous state, rank there, step's role.
_Way = tuple[float, int, _State, int, str]


@dataclass
class _Parse:
    cost: float
    roles: list[str]
    refs: dict[int, int]
    """The key each NAME line refers to, by line index."""


def _more_lines(k: int) -> float:
    """One more arm description line after ``k`` of them (the first one takes back the
    "no description" cost charged when the arm started)."""
    return -ARM_NO_DESCRIPTION if k == 0 else ARM_SECOND_LINE if k == 1 else ARM_MORE_LINES


def _parse_groups(
    groups: _Lines,
    keys: Sequence[tuple[str, ...]],
    single_group: bool | None,
    spent: list[int],
    ordered: bool = True,
) -> list[_Parse] | None:
    """The two cheapest parses of Study Groups (best first), by dynamic programming over
    its lines; each state keeps its two cheapest ways in, so the runner-up can be rebuilt.

    ``keys`` are the distinct intervention blocks in page order; ``single_group`` is what
    the design says (one group, several, or nothing); ``ordered=False`` drops the order
    cost (for a lower bound over segmentations). ``spent[0]`` counts the steps taken; None
    when the parse would take more than ``PARSE_LIMIT`` of them.
    """
    texts = groups.texts
    n = len(texts)
    if n == 0:
        return [_Parse(0.0, [], {})]
    found, steps = _references(texts, keys)
    spent[0] += steps
    if found is None:
        return None
    noiv_edge = ARM_WITHOUT_INTERVENTION if keys else 0.0
    noiv_between = ARM_WITHOUT_INTERVENTION_BETWEEN if keys else 0.0
    table: list[dict[_State, list[_Way]]] = [{} for _ in range(n + 1)]
    table[0][_START] = [(0.0, -1, _START, 0, "")]

    def push(i: int, state: _State, step: float, prev: int, pstate: _State, role: str) -> None:
        ways = table[i].setdefault(state, [])
        for rank, way in enumerate(table[prev][pstate]):
            new = (way[0] + step, prev, pstate, rank, role)
            if len(ways) < 2:
                ways.append(new)
                if len(ways) == 2 and new[0] < ways[0][0]:
                    ways.reverse()
            elif new[0] < ways[1][0]:
                if new[0] < ways[0][0]:
                    ways[0], ways[1] = new, ways[0]
                else:
                    ways[1] = new
            else:
                break  # the ways in are sorted: the next one costs more

    for i, text in enumerate(texts):
        matches = found[i]
        for state in list(table[i]):
            kind, k = state
            in_arm = kind in ("F", "D")
            first = kind in ("F", "Q")
            if not text:
                push(i + 1, state, STRAY_BLANK, i, state, BLANK)
                if in_arm and k == 0:
                    push(i + 1, (kind, -1), 0.0, i, state, BLANK)
                continue
            close = noiv_edge if kind == "F" else noiv_between if kind == "D" else 0.0
            if not in_arm and any(j > k for j, _ in matches):
                close += ARM_INSTEAD_OF_INTERVENTION
            start = ARM + ARM_NO_DESCRIPTION + groups.as_title[i]
            push(i + 1, ("F" if kind == "S" else "D", 0), close + start, i, state, LABEL)
            if kind == "S":
                continue
            if in_arm and k >= 0:
                step = groups.as_text[i] + _more_lines(k)
                push(i + 1, (kind, min(k + 1, 2)), step, i, state, DESC)
            for j, end in matches:
                if not in_arm and j == k:
                    continue
                step = OUT_OF_ORDER if ordered and not in_arm and j < k else 0.0
                push(end, ("Q" if first else "R", j), step, i, state, NAME)
    finals: list[tuple[float, _State, int]] = []
    for state, ways in table[n].items():
        close = noiv_edge if state[0] in ("F", "D") else 0.0
        if single_group is not None and single_group != (state[0] in ("F", "Q")):
            close += ARMS_AGAINST_DESIGN[single_group]
        finals += [(way[0] + close, state, rank) for rank, way in enumerate(ways)]
    finals.sort(key=lambda f: f[0])
    return [_rebuild(table, n, cost, state, rank) for cost, state, rank in finals[:2]]


def _references(
    texts: Sequence[str], keys: Sequence[tuple[str, ...]]
) -> tuple[list[list[tuple[int, int]]] | None, int]:
    """``(key, end)`` of every key that starts at each line (None when parsing with them
    would take more than ``PARSE_LIMIT`` steps: each state at a line tries each match), and
    the steps counted."""
    by_first: dict[str, list[int]] = {}
    for j, key in enumerate(keys):
        by_first.setdefault(key[0], []).append(j)
    found: list[list[tuple[int, int]]] = []
    ending = [0] * (len(texts) + 1)
    steps = 0
    for i, text in enumerate(texts):
        here = []
        for j in by_first.get(text, ()):
            steps += 1
            end = i + len(keys[j])
            if tuple(texts[i:end]) == keys[j]:
                here.append((j, end))
                ending[end] += 1
        # States at this line: a handful in arms, one per reference ending here.
        steps += (6 + ending[i]) * (2 + len(here))
        if steps > PARSE_LIMIT and keys:
            return None, steps
        found.append(here)
    return found, steps


def _rebuild(
    table: list[dict[_State, list[_Way]]], n: int, cost: float, state: _State, rank: int
) -> _Parse:
    roles = [BLANK] * n
    refs: dict[int, int] = {}
    i = n
    while i > 0:
        _, prev, pstate, prank, role = table[i][state][rank]
        roles[prev] = role
        if role == NAME:
            refs[prev] = state[1]
            roles[prev + 1 : i] = [BODY] * (i - prev - 1)
        i, state, rank = prev, pstate, prank
    return _Parse(cost, roles, refs)


# -- Interventions: which lines are names ---------------------------------------------------

INF = float("inf")


@dataclass
class _Candidate:
    """One segmentation of Interventions (block starts) with its best Study Groups parses."""

    bounds: tuple[int, ...]
    own: float
    """Cost of the segmentation itself: Interventions and Other Intervention Names."""
    keys: list[tuple[str, ...]]
    block_keys: list[int]
    parses: list[_Parse]

    @property
    def cost(self) -> float:
        return self.own + self.parses[0].cost


class _Search:
    """Evaluates segmentations of Interventions (memoised) and searches among them."""

    def __init__(
        self, groups: _Lines, items: _Lines, others: Sequence[str], single_group: bool | None
    ) -> None:
        self.groups = groups
        self.single_group = single_group
        self.items = items
        self.n = len(items.texts)
        # The Other Intervention Names lines each Interventions line would name.
        texts = {t for t in items.texts if t}
        sizes = {len(t) for t in texts}
        named: dict[str, set[int]] = {}
        for k, other in enumerate(others):
            for size in sizes:
                if other[size : size + 1] == ":" and other[:size] in texts:
                    named.setdefault(other[:size], set()).add(k)
        self.names = [frozenset(named.get(t, ())) for t in items.texts]
        # Prefix sums over Interventions lines: text costs and non-blank lines.
        self.text_sum = [0.0]
        self.filled = [0]
        for t, cost in zip(items.texts, items.as_text, strict=True):
            self.text_sum.append(self.text_sum[-1] + (cost if t else 0.0))
            self.filled.append(self.filled[-1] + bool(t))
        self.others = len(others)
        self.done: dict[tuple[int, ...], _Candidate] = {}
        self.best = INF
        self.spent = [0]
        self._floor: float | None = None

    @property
    def floor(self) -> float:
        """A lower bound of any Study Groups parse: every run of Interventions lines that
        starts with a name is a key, and order is free (worked out once, when needed)."""
        if self._floor is None:
            self._floor = self._lower_bound()
        return self._floor

    def _lower_bound(self) -> float:
        texts = self.items.texts
        keys = {
            tuple(texts[p:q]): None
            for p in range(self.n)
            if texts[p]
            for q in range(p + 1, min(p + MAX_BLOCK_LINES, self.n) + 1)
        }
        parses = _parse_groups(self.groups, list(keys), self.single_group, self.spent, False)
        return 0.0 if parses is None else parses[0].cost  # no parse costs less than nothing

    def block_cost(self, p: int, q: int) -> float:
        """One intervention: its name and description lines ``p+1 .. q-1``."""
        if not self.items.texts[p] or q - p > MAX_BLOCK_LINES:
            return INF
        lines = self.filled[q] - self.filled[p + 1]
        cost = INTERVENTION + self.items.as_title[p] + self.text_sum[q] - self.text_sum[p + 1]
        if not lines:
            cost += INTERVENTION_NO_DESCRIPTION
        elif lines > 1:
            cost += INTERVENTION_SECOND_LINE + (lines - 2) * INTERVENTION_MORE_LINES
        if q - p > 2:  # a blank line alone is the placeholder
            cost += STRAY_BLANK * (q - p - 1 - lines)
        return cost

    def own_cost(self, bounds: tuple[int, ...]) -> float:
        blocks = list(zip(bounds, (*bounds[1:], self.n), strict=False))
        cost = sum(self.block_cost(p, q) for p, q in blocks)
        bare = sum(1 for p, q in blocks if not any(self.items.texts[p + 1 : q]))
        if bare > 1:
            cost += (bare - 1) * (INTERVENTION_NO_DESCRIPTION_AGAIN - INTERVENTION_NO_DESCRIPTION)
        cost += SHARED_NAME * (len(bounds) - len({self.items.texts[p] for p in bounds}))
        named = frozenset[int]().union(*(self.names[p] for p in bounds))
        return cost + UNNAMED_OTHER_NAME * (self.others - len(named))

    def evaluate(self, bounds: tuple[int, ...], prune: bool = True) -> _Candidate | None:
        """The segmentation starting blocks at ``bounds``, or None when it cannot come
        within the ambiguity margin of the best one seen (then it is not parsed)."""
        if bounds in self.done:
            return self.done[bounds]
        own = self.own_cost(bounds)
        if own == INF:
            return None
        if prune:
            # Any parse of Study Groups costs at least nothing; a tighter bound costs a parse
            # of its own, worth it only when there are many segmentations to try.
            limit = self.best + AMBIGUOUS_MARGIN
            if own >= limit or (self.n >= PRUNE_FROM and own + self.floor >= limit):
                return None
        keys: list[tuple[str, ...]] = []
        block_keys: list[int] = []
        for p, q in zip(bounds, (*bounds[1:], self.n), strict=False):
            key = tuple(self.items.texts[p:q])
            if key not in keys:
                keys.append(key)
            block_keys.append(keys.index(key))
        # Too many references to weigh (thousands of repeated lines): arms alone.
        parses = _parse_groups(self.groups, keys, self.single_group, self.spent) or _parse_groups(
            self.groups, [], self.single_group, self.spent
        )
        assert parses is not None  # without keys there is no limit
        for parse in parses:
            parse.cost += self._global_costs(parse, len(keys))
        parses.sort(key=lambda p: p.cost)
        found = _Candidate(bounds, own, keys, block_keys, parses)
        self.done[bounds] = found
        self.best = min(self.best, found.cost)
        return found

    def _global_costs(self, parse: _Parse, keys: int) -> float:
        """Costs the parser cannot see line by line: unused interventions, shared labels."""
        labels = [self.groups.texts[i] for i, role in enumerate(parse.roles) if role == LABEL]
        cost = SHARED_LABEL * (len(labels) - len(set(labels)))
        if labels:
            cost += UNUSED_INTERVENTION * (keys - len(set(parse.refs.values())))
        return cost

    def by_interventions(self) -> tuple[int, ...]:
        """The cheapest segmentation by Interventions alone (shapes and other names)."""
        best: list[tuple[float, int]] = [(0.0, -1)] + [(INF, -1)] * self.n
        for q in range(1, self.n + 1):
            for p in range(max(0, q - MAX_BLOCK_LINES), q):
                bonus = 2.0 if self.names[p] else 0.0
                cost = best[p][0] + self.block_cost(p, q) - bonus
                if cost < best[q][0]:
                    best[q] = (cost, p)
        bounds: list[int] = []
        q = self.n
        while q > 0:
            q = best[q][1]
            bounds.append(q)
        return tuple(reversed(bounds))

    def descend(self, start: tuple[int, ...]) -> None:
        """Add, drop or shift one boundary at a time while the cost falls (from the first
        start always; from a later one when it can come near the best so far)."""
        current = self.evaluate(start, prune=bool(self.done))
        if current is None or self.n > SEARCH_LIMIT:
            return
        while self.spent[0] < SEARCH_BUDGET:
            best = current
            for move in self._moves(set(current.bounds)):
                if self.spent[0] >= SEARCH_BUDGET:
                    break
                found = self.evaluate(move)
                if found is not None and found.cost < best.cost - 1e-9:
                    best = found
            if best is current:
                return
            current = best

    def _moves(self, bounds: set[int]) -> Iterable[tuple[int, ...]]:
        for r in range(1, self.n):
            yield tuple(sorted(bounds ^ {r}))
            if r in bounds:
                for s in (r - 1, r + 1):
                    if 0 < s < self.n and s not in bounds:
                        yield tuple(sorted((bounds - {r}) | {s}))


def _first_difference(
    mine: tuple[_Candidate, _Parse], theirs: tuple[_Candidate, _Parse], search: _Search
) -> int | None:
    """The first line (Study Groups or Interventions) two readings read differently."""
    lines: list[int] = []
    names = set(mine[0].bounds) ^ set(theirs[0].bounds)
    lines += [search.items.lines[p].no for p in names]
    roles = zip(mine[1].roles, theirs[1].roles, strict=True)
    lines += [search.groups.lines[i].no for i, (a, b) in enumerate(roles) if a != b]
    return min(lines, default=None)


def _content(lines: Sequence[SourceLine]) -> list[SourceLine]:
    """The lines without leading blank lines and with one blank line for several (only a
    blank line alone can be a placeholder; more carry nothing)."""
    out: list[SourceLine] = []
    for line in lines:
        if line.text.strip() or (out and out[-1].text.strip()):
            out.append(line)
    return out


def read_groups(
    groups: Sequence[SourceLine],
    interventions: Sequence[SourceLine],
    other_names: Sequence[SourceLine],
    single_group: bool | None = None,
) -> Reading:
    """Arms and interventions from the three sections' lines (see the module docstring);
    ``single_group`` is whether the design's intervention model has one group or several
    (None when it does not say)."""
    items = _content(interventions)
    others = [t for ln in other_names if (t := ln.text.strip())]
    search = _Search(_Lines(_content(groups)), _Lines(items), others, single_group)
    # Starting points: the best by Interventions alone, every description on one line, and
    # no descriptions at all (a page that leaves them out does so throughout, which no
    # one-boundary move from the others reaches).
    texts = search.items.texts
    starts = [search.by_interventions() if items else ()]
    if len(items) % 2 == 0 and all(texts[0::2]):
        starts.append(tuple(range(0, len(items), 2)))
    starts.append(tuple(i for i, t in enumerate(texts) if t))
    for start in starts:
        search.descend(start)
    found = sorted(search.done.values(), key=lambda c: c.cost)
    best = found[0]
    parse = best.parses[0]
    # The runner-up: the best segmentation's second parse, or the next segmentation's best.
    rivals = [(best.own + p.cost, (best, p)) for p in best.parses[1:]]
    rivals += [(c.cost, (c, c.parses[0])) for c in found[1:2]]
    ambiguous = None
    if rivals:
        cost, rival = min(rivals, key=lambda r: r[0])
        if cost - best.cost < AMBIGUOUS_MARGIN:
            ambiguous = _first_difference((best, parse), rival, search)
    ends = (*best.bounds[1:], len(items))
    blocks = [Block(items[p], items[p + 1 : q]) for p, q in zip(best.bounds, ends, strict=False)]
    # A reference names the first intervention with that text (the page cannot tell them
    # apart, and they share the name).
    first = {k: best.block_keys.index(k) for k in best.block_keys}
    arms: list[ArmReading] = []
    for i, role in enumerate(parse.roles):
        line = search.groups.lines[i]
        if role == LABEL:
            arms.append(ArmReading(Block(line)))
        elif role == NAME:
            arms[-1].interventions.append(first[parse.refs[i]])
        elif role == DESC or (role == BLANK and arms and not arms[-1].interventions):
            arms[-1].block.lines.append(line)
    return Reading(blocks, arms, ambiguous)
