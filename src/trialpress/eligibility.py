"""Eligibility criteria parser: free-form criteria text -> inclusion/exclusion criteria trees.

Used on the registry page text's eligibility section (no indentation, no blank lines) and on
the API v2 ``eligibilityCriteria`` text (Markdown-ish: blank lines, indentation, escapes).
The parse never renumbers and never drops text: every character that is not a list marker,
a Markdown backslash escape, whitespace or a plain heading line ends up in exactly one
criterion's ``text``, in source order (``other``, then ``inclusion``, then ``exclusion``
holds the source order whenever the source has the usual order).

Choices, so that callers know what to expect:

* **Headings.** A line that is only ``[Key] Inclusion Criteria[:]`` or
  ``[Key] Exclusion Criteria[:]`` (any case, optionally in ``**``/``#`` Markdown decoration)
  switches the section and is dropped (``raw_text`` keeps it). Any other unmarked line that
  reads as a heading for one of the two (``Patient Inclusion Criteria:``, ``Disease-specific
  exclusion criteria:``, ``III.6 EXCLUSION CRITERIA``, ``Inclusion:``, or a paragraph
  starting ``Inclusion criteria.``) also switches the section, but is kept, whole, as an
  unnumbered top-level criterion of the section it opens, so nothing is lost. Lines naming
  both (``inclusion/exclusion criteria apply``) are ordinary text.
* **Text before the first heading** goes to ``other``, in order (warning
  ``text-outside-sections``); with no heading at all, everything is in ``other`` (warning
  ``no-headings``).
* **Markers.** Bullets ``*``, ``-``, ``+``, ``•``, ``o``; numbers ``2.``, ``2)``, ``13.)``,
  ranges ``8.-10.``; letters ``a.``/``a)``; roman numerals ``iv.``/``iv)``; escaped markers
  (``8\\.``, ``\\-``) count as markers; in ``* 1. Text`` the number counts, the bullet
  not. ``number`` keeps the source's numbering: ``"2"`` for ``2.``/``2)``/``2.)``, ranges
  verbatim (``"8.-10."``), letters and numerals as written (``"a"``, ``"iv"``); ``None`` for
  bullets and plain lines.
* **Nesting**, with a stack of open lists. Deeper indentation opens a child list (unless the
  number continues an open list: ``* 4. A`` then ``  5. B`` are siblings); shallower
  indentation closes lists. At equal indentation (always, in registry text) numbering decides:
  an item that continues an open list (last + 1, same style) goes there, the nearest
  indentation winning; an item numbered ``1``/``a``/``i`` after a marked item opens a list
  under that item; a bullet after an item of another style is that item's child unless a
  list of that bullet style is already open (then it continues it). Anything else (a gap, a
  repeat, a list that starts at 2) is kept where the innermost list of its style is, with a
  warning; the numbering is never changed.
* **Plain lines** (no marker): after a marked item ending with ``:`` they are that item's
  unnumbered children; indented deeper than the item (or, in blank-line-separated Markdown,
  directly following it) they continue the item's text (joined with a newline); otherwise
  they are unnumbered top-level criteria ("notes") that leave the numbering open.
* **Run-on lines** are split only at the *next expected* marker of the item's own list
  (``11.`` after ``8.-10.``; ``ii.`` after ``i.``) preceded by whitespace and followed by
  whitespace and, for ``.`` markers, not by a lower-case letter, so doses, ``grade 1.`` or
  ``v.1.1`` are not split.
* **Escapes**: a backslash before ASCII punctuation is removed (``\\<60`` -> ``<60``).

To check that nothing is lost, compare the criteria texts (in line order) with the source
after removing escapes, whitespace, the plain heading lines and list markers *wherever they
stand*: a run-on line is split at markers in the middle of the line, and ``* 1.`` carries
two markers (``tests/test_eligibility.py`` has such a comparison).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from trialpress.models import Criterion, ReadWarning

__all__ = ["ParsedCriteria", "parse_criteria", "starts_item", "unescape"]

Section = str  # "other" | "inclusion" | "exclusion"

#: Lists nest at most this deep (real records use 3 or 4): a hostile record cannot make
#: trees that overflow recursive renderers.
MAX_DEPTH = 12

_ESCAPE_RE = re.compile(r"\\([!-/:-@\[-`{-~])")

_DECOR = r"(?:#{1,6}\s*)?(?:\*\*|__)?\s*"
_PURE_HEADING_RE = re.compile(
    rf"^{_DECOR}(?:key\s+)?(?P<kind>inclusion|exclusion)\s+criteria\s*:?\s*(?:\*\*|__)?\s*:?$",
    re.IGNORECASE,
)
_PREFIX_HEADING_RE = re.compile(
    rf"^{_DECOR}(?:(?:study|key|main|major)\s+)?(?P<kind>inclusion|exclusion)"
    r"(?:\s+criteria)?\s*[:.]",
    re.IGNORECASE,
)
_WORD_RE = re.compile(r"\b(inclusion|exclusion)\b", re.IGNORECASE)
_ENDS_LIKE_HEADING_RE = re.compile(r"(?::|\bcriteria\s*)$", re.IGNORECASE)

_MARKER_RE = re.compile(
    r"""
    (?P<range>\d{1,3}\.-\d{1,3}\.?)(?=\s|$)
    | (?P<num>\d{1,3})(?:\.\)|\.|\))(?=\s|$)
    | (?P<numtight>\d{1,3})\.(?=[A-Z])
    | (?P<roman>[ivxlcdm]{1,6}|[IVXLCDM]{1,6})[.)](?=\s|$)
    | (?P<alpha>[a-zA-Z])[.)](?=\s|$)
    | (?P<bullet>[*+•\-o·▪])(?=\s|$)
    """,
    re.VERBOSE,
)

_ROMAN_VALUES = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100, "d": 500, "m": 1000}


def unescape(text: str) -> str:
    """Remove Markdown backslash escapes (``\\<`` -> ``<``); other backslashes stay."""
    return _ESCAPE_RE.sub(r"\1", text)


def starts_item(line: str) -> bool:
    """Whether ``line`` (without indentation) starts with a list marker this parser knows.

    Readers of hard-wrapped text (legacy XML textblocks) use it to tell a new item from a
    wrapped continuation, so both agree on what a marker is.
    """
    return _match_marker(line) is not None


def _roman_to_int(s: str) -> int | None:
    s = s.lower()
    total = 0
    prev = 0
    for ch in reversed(s):
        v = _ROMAN_VALUES[ch]
        if v < prev:
            total -= v
        else:
            total += v
            prev = v
    return total if total > 0 and _int_to_roman(total) == s else None


def _int_to_roman(n: int) -> str:
    out = []
    for v, sym in (
        (1000, "m"),
        (900, "cm"),
        (500, "d"),
        (400, "cd"),
        (100, "c"),
        (90, "xc"),
        (50, "l"),
        (40, "xl"),
        (10, "x"),
        (9, "ix"),
        (5, "v"),
        (4, "iv"),
        (1, "i"),
    ):
        while n >= v:
            out.append(sym)
            n -= v
    return "".join(out)


def _format_value(style: str, value: int) -> str:
    """The marker text (without punctuation) that would carry ``value`` in ``style``."""
    if style == "num":
        return str(value)
    if style in ("alpha", "ALPHA"):
        if not 1 <= value <= 26:
            return ""
        ch = chr(ord("a") + value - 1)
        return ch if style == "alpha" else ch.upper()
    if style in ("roman", "ROMAN"):
        r = _int_to_roman(value)
        return r if style == "roman" else r.upper()
    return ""


@dataclass
class _Marker:
    """A list marker at the start of a line (or at a run-on split point)."""

    number: str | None
    #: Possible (style, value) readings: ``i`` may be roman 1 or the letter 9.
    readings: list[tuple[str, int]]
    end: int
    #: ``8.-10.`` covers items 8 to 10: readings hold 8, ``span`` is 2.
    span: int = 0

    @property
    def is_bullet(self) -> bool:
        return self.number is None


def _match_marker(s: str) -> _Marker | None:
    m = _MARKER_RE.match(s)
    if m is None:
        return None
    if m.group("range"):
        rng = m.group("range")
        lo, hi = (int(n) for n in re.findall(r"\d+", rng))
        return _Marker(rng, [("num", lo)], m.end(), max(hi - lo, 0))
    for g in ("num", "numtight"):
        if m.group(g):
            return _Marker(m.group(g), [("num", int(m.group(g)))], m.end())
    if m.group("roman"):
        letters = m.group("roman")
        style = "roman" if letters.islower() else "ROMAN"
        readings: list[tuple[str, int]] = []
        value = _roman_to_int(letters)
        if value is not None:
            readings.append((style, value))
        if len(letters) == 1:
            alpha_style = "alpha" if letters.islower() else "ALPHA"
            readings.append((alpha_style, ord(letters.lower()) - ord("a") + 1))
        if not readings:
            return None
        return _Marker(letters, readings, m.end())
    if m.group("alpha"):
        ch = m.group("alpha")
        style = "alpha" if ch.islower() else "ALPHA"
        return _Marker(ch, [(style, ord(ch.lower()) - ord("a") + 1)], m.end())
    bullet = m.group("bullet")
    return _Marker(None, [("bullet" + bullet, 0)], m.end())


@dataclass
class _Level:
    """One open list: where its items go, its indentation, style and last value."""

    container: list[Criterion]
    indent: int
    parent: Criterion | None
    style: str | None = None
    last: int = 0


@dataclass
class _Item:
    """The most recently placed criterion and what kind of line made it."""

    crit: Criterion
    level: _Level
    marked: bool
    plain_child: bool = False


@dataclass
class ParsedCriteria:
    """Criteria trees by section, plus what the parser noticed (with line numbers)."""

    inclusion: list[Criterion] = field(default_factory=list)
    exclusion: list[Criterion] = field(default_factory=list)
    other: list[Criterion] = field(default_factory=list)
    warnings: list[ReadWarning] = field(default_factory=list)


def _heading(stripped: str) -> tuple[Section, bool] | None:
    """``(section, keep_text)`` if the line is an inclusion/exclusion heading."""
    m = _PURE_HEADING_RE.match(stripped)
    if m:
        return m.group("kind").lower(), False
    words = {w.lower() for w in _WORD_RE.findall(stripped)}
    if len(words) != 1 or len(stripped) > 200:
        return None
    kind = words.pop()
    if _PREFIX_HEADING_RE.match(stripped):
        return kind, True
    # "Exclusion criteria for the biomarker substudy:", "III.6 EXCLUSION CRITERIA"
    if (
        len(stripped) <= 120
        and _ENDS_LIKE_HEADING_RE.search(stripped)
        and (
            stripped.endswith(":")
            or re.search(rf"\b{kind}\b.*\bcriteri", stripped, re.IGNORECASE) is not None
        )
    ):
        return kind, True
    return None


class _SectionState:
    """The stack of open lists for one section (inclusion, exclusion or other)."""

    def __init__(self, name: Section, root: list[Criterion]) -> None:
        self.name = name
        self.root = _Level(root, 0, None)
        self.stack: list[_Level] = [self.root]
        self.last: _Item | None = None

    def reset(self) -> None:
        """A heading inside the section: start again from its top level."""
        del self.stack[1:]
        self.root.indent = 0 if not self.root.container else self.root.indent


class _Parser:
    def __init__(self, first_line: int) -> None:
        self.first_line = first_line
        self.out = ParsedCriteria()
        self.sections: dict[Section, _SectionState] = {
            "other": _SectionState("other", self.out.other),
            "inclusion": _SectionState("inclusion", self.out.inclusion),
            "exclusion": _SectionState("exclusion", self.out.exclusion),
        }
        self.current = self.sections["other"]
        self.markdownish = False

    # -- warnings -----------------------------------------------------------------------
    def warn(self, code: str, message: str, line: int | None) -> None:
        self.out.warnings.append(ReadWarning(code=code, message=message, line=line))

    def _where(self, level: _Level) -> str:
        if level.parent is None:
            return f"{self.current.name} list"
        label = level.parent.number or "unnumbered"
        return f"list under {self.current.name} item {label}"

    # -- placing items --------------------------------------------------------------------
    def _append(self, level: _Level, crit: Criterion, *, marked: bool) -> None:
        level.container.append(crit)
        if level.parent is None and len(level.container) == 1:
            level.indent = self._indent
        self.current.last = _Item(crit, level, marked)

    def _open_child(self, parent: _Item, indent: int) -> _Level:
        if len(self.current.stack) >= MAX_DEPTH:
            # Deeper nesting than any real record has: keep the item, as a sibling.
            return self.current.stack[-1]
        level = _Level(parent.crit.children, indent, parent.crit)
        self.current.stack.append(level)
        return level

    def _pop_to(self, level: _Level) -> None:
        stack = self.current.stack
        while stack[-1] is not level:
            stack.pop()

    def _pop_deeper(self, indent: int) -> None:
        stack = self.current.stack
        while len(stack) > 1 and stack[-1].indent > indent:
            stack.pop()

    def place_marked(self, marker: _Marker, text: str, indent: int, line: int) -> Criterion:
        """Put a bulleted or numbered item where its indentation and numbering say."""
        self._indent = indent
        st = self.current
        crit = Criterion(number=marker.number, text=text, line=line)
        last = st.last
        top = st.stack[-1]

        # Deeper than the last item: a child list under it, unless the number continues an
        # open list ("* 4. ..." then an indented "5. ...": the indentation is an accident).
        continues = any(
            level.style == style and level.last + 1 == value and level.container
            for level in st.stack
            for style, value in marker.readings
        )
        if last is not None and indent > last.level.indent and last.marked and not continues:
            level = self._open_child(last, indent)
            style, value = self._choose_reading(marker)
            level.style, level.last = style, value + marker.span
            self._append(level, crit, marked=True)
            if not marker.is_bullet and value > 1 and not self._first_value(style, value):
                self.warn(
                    "list-starts-late",
                    f"{self._where(level)} starts at item {marker.number} in the source; "
                    "numbering kept",
                    line,
                )
            return crit

        if marker.is_bullet:
            style = marker.readings[0][0]
            self._pop_deeper(indent)
            top = st.stack[-1]
            open_level = self._bullet_level(style, indent)
            if top.style == style:
                level = top
            elif open_level is not None:
                # A list of this bullet style is open further out: back to it.
                self._pop_to(open_level)
                level = open_level
            elif last is not None and last.marked and last.level is top and top.style:
                # Bullets right after an item of another style are its sub-items.
                level = self._open_child(last, indent)
            else:
                level = top
            level.style = style
            self._append(level, crit, marked=True)
            return crit

        # Numbered, lettered or roman: continue an open list if the numbering says so.
        best: tuple[int, int, _Level, str, int] | None = None
        for depth, level in enumerate(st.stack):
            for style, value in marker.readings:
                if level.style == style and level.last + 1 == value and level.container:
                    key = (abs(level.indent - indent), -depth)
                    if best is None or key < best[:2]:
                        best = (key[0], key[1], level, style, value + marker.span)
        if best is not None:
            _, _, level, style, value = best
            self._pop_to(level)
            level.last = value
            self._append(level, crit, marked=True)
            return crit

        self._pop_deeper(indent)
        last = st.last
        first = next(((s, v) for s, v in marker.readings if self._first_value(s, v)), None)
        if first is not None and last is not None and last.marked and last.level in st.stack:
            # "1." (or "a.", "i.") right after an item: a list under that item.
            self._pop_to(last.level)
            level = self._open_child(last, indent)
            level.style, level.last = first
            self._append(level, crit, marked=True)
            return crit
        if first is not None and last is not None:
            # A numbering restart after a note ("For parents:" then "1."): not a gap.
            if last.plain_child and last.level in st.stack:
                self._pop_to(last.level)
                if len(st.stack) > 1:
                    st.stack.pop()
            level = st.stack[-1]
            level.style, level.last = first
            self._append(level, crit, marked=True)
            return crit

        # A gap, a repeat or a late start: keep the number, say so.
        style, value = self._choose_reading(marker)
        level = next((lv for lv in reversed(st.stack) if lv.style == style), st.stack[-1])
        self._pop_to(level)
        if level.style != style or not level.container:
            if not self._first_value(style, value):
                self.warn(
                    "list-starts-late",
                    f"{self._where(level)} starts at item {marker.number} in the source; "
                    "numbering kept",
                    line,
                )
        else:
            prev = _format_value(style, level.last) or str(level.last)
            self.warn(
                "numbering-gap",
                f"{self.current.name} item {marker.number} follows item {prev} in the "
                "source; numbering kept",
                line,
            )
        level.style = style
        level.last = value + marker.span
        self._append(level, crit, marked=True)
        return crit

    def _bullet_level(self, style: str, indent: int) -> _Level | None:
        for level in reversed(self.current.stack):
            if level.style == style and level.indent <= indent:
                return level
        return None

    @staticmethod
    def _first_value(style: str, value: int) -> bool:
        return value == 1 and not style.startswith("bullet")

    def _choose_reading(self, marker: _Marker) -> tuple[str, int]:
        """``i`` is roman 1 unless a lettered list is at ``h``; ``c``, ``d``, ... are letters.

        (Readings that continue an open list were already taken by the caller.)
        """
        if len(marker.readings) == 1:
            return marker.readings[0]
        roman = next(r for r in marker.readings if r[0] in ("roman", "ROMAN"))
        alpha = next(r for r in marker.readings if r[0] in ("alpha", "ALPHA"))
        if roman[1] == 1 and not any(
            lv.style == alpha[0] and lv.last >= 8 for lv in self.current.stack
        ):
            return roman
        return alpha

    def place_plain(self, text: str, indent: int, line: int, after_blank: bool) -> None:
        """A line with no marker: a child, a continuation, or a top-level note."""
        self._indent = indent
        st = self.current
        last = st.last
        if last is not None and last.marked and last.crit.text.rstrip().endswith(":"):
            level = self._open_child(last, indent)
            level.style = "plain"
            crit = Criterion(number=None, text=text, line=line)
            self._append(level, crit, marked=False)
            assert st.last is not None
            st.last.plain_child = True
            return
        if last is not None and last.plain_child and indent >= last.level.indent:
            crit = Criterion(number=None, text=text, line=line)
            level = last.level
            self._pop_to(level)
            self._append(level, crit, marked=False)
            assert st.last is not None
            st.last.plain_child = True
            return
        if last is not None and (
            indent > last.level.indent or (self.markdownish and not after_blank and last.marked)
        ):
            joiner = "\n\n" if after_blank else "\n"
            last.crit.text = f"{last.crit.text}{joiner}{text}" if last.crit.text else text
            return
        del st.stack[1:]
        crit = Criterion(number=None, text=text, line=line)
        st.root.container.append(crit)
        if len(st.root.container) == 1:
            st.root.indent = indent
        st.last = _Item(crit, st.root, marked=False)

    # -- run-on lines -------------------------------------------------------------------
    def split_run_on(self, marker: _Marker, text: str) -> list[tuple[_Marker, str]]:
        """``8.-10. A 11. B 12. C`` -> three items, split only at the expected next number."""
        if marker.is_bullet or not text:
            return [(marker, text)]
        style, value = self._run_on_reading(marker)
        value += marker.span
        out: list[tuple[_Marker, str]] = []
        current, rest = marker, text
        while True:
            nxt = _format_value(style, value + 1)
            if not nxt:
                break
            pattern = re.compile(
                rf"(?<=\s)(?P<n>{re.escape(nxt)})(?P<p>\.\)|\.|\))\s+(?=\S)",
            )
            found = None
            for m in pattern.finditer(rest):
                after = rest[m.end() : m.end() + 1]
                if m.group("p") != ")" and after.islower() and after.isascii():
                    continue
                found = m
                break
            if found is None:
                break
            out.append((current, rest[: found.start()].rstrip()))
            current = _Marker(nxt, [(style, value + 1)], 0)
            rest = rest[found.end() :]
            value += 1
        out.append((current, rest))
        return out

    def _run_on_reading(self, marker: _Marker) -> tuple[str, int]:
        if len(marker.readings) == 1:
            return marker.readings[0]
        st = self.current
        for style, value in marker.readings:
            if any(lv.style == style and lv.last + 1 == value for lv in st.stack):
                return style, value
        return self._choose_reading(marker)

    def _real_marker(self, marker: _Marker | None, line: str) -> _Marker | None:
        """``None`` for a single letter and a full stop before a lower-case word ("T.
        bilirubin", "C. difficile") unless it starts a lettered list or continues an open
        one: an abbreviation, not item T."""
        if marker is None or marker.number is None or not re.fullmatch(r"[A-Za-z]", marker.number):
            return marker
        rest = line[marker.end :].lstrip()
        if line[marker.end - 1] != "." or not rest[:1].islower():
            return marker
        for style, value in marker.readings:
            if self._first_value(style, value) or any(
                lv.style == style and lv.last + 1 == value and lv.container
                for lv in self.current.stack
            ):
                return marker
        return None

    # -- driver -------------------------------------------------------------------------
    def run(self, text: str) -> ParsedCriteria:
        lines = text.split("\n")
        self.markdownish = any(not ln.strip() for ln in lines[1:-1]) and len(lines) > 2
        saw_heading = False
        outside_warned = False
        after_blank = False
        heading_line: dict[Section, int] = {}
        for idx, raw in enumerate(lines):
            line_no = self.first_line + idx
            line = raw.rstrip("\r")
            # Unescape first: "8\\. Text" and "\\- Text" are items whose marker was escaped.
            stripped = unescape(line.strip())
            if not stripped:
                after_blank = True
                continue
            indent = len(line) - len(line.lstrip())
            marker = self._real_marker(_match_marker(stripped), stripped)
            heading = None if marker is not None else _heading(stripped)
            if marker is not None and marker.is_bullet:
                # "-  INCLUSION CRITERIA:": a heading written as a bullet is still a heading
                pure = _PURE_HEADING_RE.match(stripped[marker.end :].strip())
                heading = (pure.group("kind").lower(), False) if pure else None
            if heading is not None:
                marker = None
                kind, keep = heading
                saw_heading = True
                self.current = self.sections[kind]
                self.current.reset()
                self.current.last = None
                heading_line.setdefault(kind, line_no)
                if keep:
                    self.place_plain(stripped, 0, line_no, after_blank=True)
                after_blank = False
                continue
            if self.current.name == "other" and not outside_warned:
                outside_warned = True
                self._first_other_line = line_no
            if marker is None:
                self.place_plain(stripped, indent, line_no, after_blank)
            else:
                body = stripped[marker.end :].strip()
                inner = self._real_marker(_match_marker(body), body) if marker.is_bullet else None
                if inner is not None and not inner.is_bullet:
                    # "* 1. Text": a numbered item written inside a bullet; the number counts.
                    marker, body = inner, body[inner.end :].strip()
                if marker.is_bullet and not body:
                    after_blank = False
                    continue  # a lone bullet carries no text
                for mk, part in self.split_run_on(marker, body):
                    self.place_marked(mk, part.strip(), indent, line_no)
            after_blank = False

        if not saw_heading and any(ln.strip() for ln in lines):
            self.warn(
                "no-headings",
                "no Inclusion/Exclusion Criteria heading: all criteria kept under other",
                self.first_line,
            )
        elif outside_warned:
            self.warn(
                "text-outside-sections",
                "text before the first inclusion/exclusion heading kept under other",
                self._first_other_line,
            )
        for kind in ("inclusion", "exclusion"):
            sec = self.sections[kind]
            if kind in heading_line and not sec.root.container:
                self.warn(
                    "empty-section",
                    f"{kind} criteria heading has no criteria under it",
                    heading_line[kind],
                )
        self.out.warnings.sort(key=lambda w: w.line or 0)
        return self.out

    _indent: int = 0
    _first_other_line: int | None = None


def parse_criteria(text: str, *, first_line: int = 1) -> ParsedCriteria:
    """Parse eligibility text; ``first_line`` is the file line of the text's first line."""
    return _Parser(first_line).run(text)
