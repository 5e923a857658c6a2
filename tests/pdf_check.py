"""Reading PDFs back for the tests: text, metadata, tags and the glyphs fonts really hold."""

from __future__ import annotations

import io
import logging
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fontTools.ttLib import TTFont
from pypdf import PdfReader

from trialpress.models import Trial


@dataclass
class ReadBack:
    """What a test needs from one PDF."""

    path: Path
    reader: PdfReader
    pages: list[str]

    @property
    def text(self) -> str:
        return "\n".join(self.pages)

    @property
    def title(self) -> str | None:
        meta = self.reader.metadata
        return None if meta is None else meta.title


def read_back(path: Path) -> ReadBack:
    reader = PdfReader(str(path))
    return ReadBack(path, reader, [p.extract_text() or "" for p in reader.pages])


def squash(text: str) -> str:
    """Compare text regardless of line breaks and spacing (wrapping breaks words anywhere)."""
    return re.sub(r"[\s\u200b]+", "", text)


def body_text(doc: ReadBack, trial: Trial) -> str:
    """The pages' text without the running header and footer (they can fall inside a
    criterion that splits across pages), squashed."""
    out = []
    for page in doc.pages:
        page = re.sub(r"page \d+ of \d+", "", page)
        # the Met / Not met / Unknown boxes float, so they are painted before the text
        page = re.sub(r"☐\s*Met\s*☐\s*Not\s*met\s*☐\s*Unknown", "", page)
        # the checklist's running footer adds the criteria fingerprint to the date
        asof = re.escape(f"Data as of {trial.last_updated or 'an unknown date'}")
        page = re.sub(asof + r"( · Criteria fingerprint [0-9A-F]{8})?", "", page)
        page = page.replace("Eligibility checklist", "").replace("Trial brief", "")
        page = page.replace(trial.nct_id, "")
        out.append(page)
    return squash("".join(out))


_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def ltr_only(text: str) -> str:
    """Text without right-to-left letters: PDFs hold them in visual order, so text
    extraction cannot give back their logical order."""
    return "".join(ch for ch in text if unicodedata.bidirectional(ch) not in ("R", "AL"))


def missing_in_order(needles: list[str], haystack: str) -> list[str]:
    """Needles (squashed) not found in order in ``haystack`` (already squashed).

    Needles with explicit bidi overrides are skipped (their extracted form is reordered);
    right-to-left letters are ignored on both sides.
    """
    missing = []
    pos = 0
    haystack = ltr_only(haystack)
    for needle in needles:
        if _BIDI_CONTROLS & set(needle):
            continue
        n = ltr_only(squash(needle))
        found = haystack.find(n, pos)
        if found < 0:
            missing.append(needle)
        else:
            pos = found + len(n)
    return missing


def is_tagged(doc: ReadBack) -> tuple[bool, str | None]:
    """(has a structure tree and MarkInfo /Marked true, the document language)."""
    root: Any = doc.reader.trailer["/Root"]
    mark = root.get("/MarkInfo")
    marked = bool(mark is not None and mark.get_object().get("/Marked"))
    lang = root.get("/Lang")
    return ("/StructTreeRoot" in root and marked), (str(lang) if lang is not None else None)


def glyph_map(doc: ReadBack) -> dict[str, list[tuple[str, bool]]]:
    """Character -> (embedded font, whether that font's glyph for it has an outline).

    Reads each embedded (subset) font with fontTools and follows the ToUnicode map: a
    character WeasyPrint could not find a font for maps to an empty or .notdef glyph.
    """
    out: dict[str, list[tuple[str, bool]]] = {}
    seen: set[str] = set()
    for page in doc.reader.pages:
        fonts: Any = page["/Resources"].get("/Font", {})
        for ref in fonts.values():
            font = ref.get_object()
            name = str(font["/BaseFont"])
            if name in seen:
                continue
            seen.add(name)
            desc = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            tt = TTFont(io.BytesIO(desc["/FontFile2"].get_object().get_data()))
            order = tt.getGlyphOrder()
            glyf = tt.get("glyf", None)
            cmap = font["/ToUnicode"].get_object().get_data().decode("latin-1")
            for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
                for gid_hex, uni_hex in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
                    gid = int(gid_hex, 16)
                    char = bytes.fromhex(uni_hex).decode("utf-16-be")
                    ok = 0 < gid < len(order)
                    if ok and glyf is not None:
                        ok = glyf[order[gid]].numberOfContours != 0 or char.isspace()
                    out.setdefault(char, []).append((name, ok))
    return out


def glyph_problems(doc: ReadBack, chars: set[str]) -> list[str]:
    """Characters of ``chars`` that are in the document without a real glyph."""
    gmap = glyph_map(doc)
    bad = []
    for ch in sorted(chars):
        if ch.isspace() or ch not in gmap:
            continue
        if not all(ok for _, ok in gmap[ch]):
            bad.append(f"{ch!r} U+{ord(ch):04X} in {[n for n, ok in gmap[ch] if not ok]}")
    return bad


def trial_chars(trial: Trial) -> set[str]:
    """Every character of every string in the trial's data."""
    chars: set[str] = set()

    def walk(obj: object) -> None:
        if isinstance(obj, str):
            chars.update(obj)
        elif isinstance(obj, dict):
            for value in obj.values():
                walk(value)
        elif isinstance(obj, list):
            for value in obj:
                walk(value)

    walk(trial.model_dump(mode="json"))
    return chars


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(f"{record.name}: {record.getMessage()}")


@contextmanager
def collect_logs(*names: str) -> Iterator[list[str]]:
    """Warnings and errors logged to these loggers (in this process) while inside."""
    handler = _Collect()
    loggers = [logging.getLogger(n) for n in names]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield handler.records
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
