"""MkDocs' ``Page.render`` without parsing our raw HTML blocks with ``html.parser``.

Trial, checklist, results and term pages are Markdown made of ``## Heading`` lines and large
raw HTML blocks (the templates' ``html_block`` filter). Python-Markdown finds those blocks
with ``html.parser`` (its ``HtmlBlockPreprocessor``), and MkDocs parses the whole page once
more for anchor ids: most of a cold build's Markdown time, spent on HTML that passes
through untouched.

:func:`render` gives the same ``Page`` as ``page.render(config, files)`` (content, toc,
title, anchor ids: byte for byte, ``tests/test_fastpage.py``) at a fraction of the cost.
It finds the top-level raw HTML blocks with a strict tag scanner that reproduces what
Python-Markdown's ``HTMLExtractor`` does for such pages, and renders a *skeleton* through
MkDocs' own ``Page.render``: the page with each block replaced by a placeholder paragraph
exactly where the extractor would have put its stash placeholder. So headings, ids,
permalinks, the toc and every extension's work are the engine's own. The blocks are then
put back where ``RawHtmlPostprocessor`` puts them (a block-level block replaces its
``<p>placeholder</p>``).

Anything the scanner does not fully understand (a paragraph or list outside the blocks,
comments, an unclosed or oddly nested tag, a stray ``<`` or ``&``, an extension that could
see raw HTML, ...) makes :func:`render` fall back to ``page.render`` unchanged: correctness
first. Record text cannot steer this: it is entity-encoded (:mod:`trialpress.escaping`), so
every ``<`` in a page is the templates'.
"""

from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass, field
from typing import Any

import markdown
from markdown.extensions.fenced_code import FencedBlockPreprocessor
from markdown.postprocessors import AndSubstitutePostprocessor, RawHtmlPostprocessor
from markdown.preprocessors import HtmlBlockPreprocessor, NormalizeWhitespace
from markdown.util import BLOCK_LEVEL_ELEMENTS
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

#: Python-Markdown extensions whose work cannot depend on the text of a raw HTML block:
#: they act on the element tree or on block structure, never on raw text before the HTML
#: blocks are stashed or on the HTML after it is put back (checked again in :func:`_engine_ok`).
_SAFE_EXTENSIONS = frozenset(
    {"toc", "tables", "fenced_code", "admonition", "attr_list", "def_list", "sane_lists", "abbr"}
)
#: The processors those extensions and Python-Markdown itself run on the raw text.
_SAFE_PREPROCESSORS: frozenset[type] = frozenset(
    {NormalizeWhitespace, HtmlBlockPreprocessor, FencedBlockPreprocessor}
)
_SAFE_POSTPROCESSORS: frozenset[type] = frozenset(
    {RawHtmlPostprocessor, AndSubstitutePostprocessor}
)
#: Elements whose content ``html.parser`` reads as text up to their end tag.
_CDATA = frozenset({"script", "style"})
#: Elements with special content rules in some ``html.parser`` versions: not understood.
_SPECIAL = frozenset(
    {"textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript", "plaintext"}
)
#: Of those, the ones understood where this Python's parser reads markup inside them as
#: markup (the all-trials page keeps its table in ``<noscript>``); see :func:`_unsupported`.
_PROBED = frozenset({"noscript"})


@functools.cache
def _unsupported() -> frozenset[str]:
    """The elements the scanner refuses: :data:`_SPECIAL`, less those of :data:`_PROBED`
    whose content the parser Python-Markdown and MkDocs use reads as markup here (asked of
    the parser itself, so a Python whose parser reads them as text falls back)."""
    from markdown.htmlparser import htmlparser

    def reads_markup(tag: str) -> bool:
        seen: list[str] = []

        class Probe(htmlparser.HTMLParser):  # type: ignore[misc]
            def handle_starttag(self, name: str, attrs: Any) -> None:
                seen.append(name)

        probe = Probe()
        probe.feed(f'<{tag}><p id="x">a</p></{tag}>')
        probe.close()
        return seen == [tag, "p"]

    return _SPECIAL - {tag for tag in _PROBED if reads_markup(tag)}


#: Python-Markdown's ``HTMLExtractor.empty_tags``: never pushed on its stack.
_EMPTY = frozenset({"hr"})
#: Python-Markdown's default block-level elements (an engine with others falls back).
_BLOCK_LEVEL = frozenset(BLOCK_LEVEL_ELEMENTS)

_PLACEHOLDER = "tpfastpath{}z"
_PLACEHOLDER_RE = re.compile(r"<p>tpfastpath([0-9]+)z</p>")
#: Attributes with lower-case names (html.parser lowers them; upper case is refused).
_ATTRS = r"(?:[ \n]+[a-z_:][-a-z0-9_:.]*(?:=\"[^\"<]*\"|='[^'<]*')?)*[ \n]*"
#: A tag, or (no group set) a ``<`` that is none or an ``&`` that ``html.parser`` (as
#: Python-Markdown patches it) would not give back as it is.
_TOKEN_RE = re.compile(
    rf"<(?:([a-z][a-z0-9]*)({_ATTRS})(/?)|/([a-z][a-z0-9]*))>"
    r"|<|&(?!#[0-9]+;|#[xX][0-9a-fA-F]+;|[a-zA-Z][-.a-zA-Z0-9]*;)"
)
_ATTR_RE = re.compile(r"([a-z_:][-a-z0-9_:.]*)(?:=\"([^\"<]*)\"|='([^'<]*)')?")
#: Text the fast path does not reason about anywhere in a page (a code fence at the start
#: of a line: the fenced_code preprocessor reads raw HTML blocks too).
_REFUSED = ("\x00", "tpfastpath", "\n```", "\n~~~")
#: A line outside the blocks: blank or an ATX heading (no tags: every ``<`` is a block's).
_OUTSIDE_LINE_RE = re.compile(r"(?:#{1,6}(?:[ ][^<\n]*)?)?")
_BLANK_SPACES_RE = re.compile(r"(?<=\n) +\n")


@dataclass
class _Split:
    """A page body as the extractor sees it: skeleton text, raw blocks, their anchor ids."""

    skeleton: str
    blocks: list[str] = field(default_factory=list)
    anchor_ids: set[str] = field(default_factory=set)


def _normalize(text: str, tab_length: int) -> str:
    """Python-Markdown's ``NormalizeWhitespace``, without the two newlines it appends
    (its output is stable under a second pass, which the skeleton gets)."""
    if "\x02" in text or "\x03" in text:
        text = text.replace("\x02", "").replace("\x03", "")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\t" in text:
        text = text.expandtabs(tab_length)
    return _BLANK_SPACES_RE.sub("\n", text) if " \n" in text else text


def _outside_ok(text: str) -> bool:
    return all(_OUTSIDE_LINE_RE.fullmatch(line) for line in text.split("\n"))


def _block(body: str, start: int, split: _Split) -> int:
    """The end (after its end tag) of the raw block whose first tag is at ``start``, as
    ``HTMLExtractor`` delimits it; -1 when the block is not one the scanner understands."""
    first = _TOKEN_RE.match(body, start)
    if first is None or first.group(1) not in _BLOCK_LEVEL or first.group(3):
        return -1  # not a start tag the extractor opens a block with
    if first.group(1) in _EMPTY or first.group(2)[:1] == "\n":
        return -1  # ... or one RawHtmlPostprocessor would not see as block-level
    stack: list[str] = []
    cdata = ""  # inside <script> or <style>: html.parser reads text up to its end tag
    for m in _TOKEN_RE.finditer(body, start):
        name, attrs, self_closing, end_name = m.groups()
        if cdata:
            if end_name == cdata:
                cdata = ""
            elif name is not None or end_name is not None or m.group(0) == "<":
                return -1  # only its own end tag may follow; an "&" there is text
            else:
                continue
        if name is not None:
            if name in _unsupported():
                return -1
            if "id" in attrs or "name" in attrs:
                for a in _ATTR_RE.finditer(attrs):
                    if a.group(1) == "id" or (a.group(1) == "name" and name == "a"):
                        value = a.group(2) if a.group(3) is None else a.group(3)
                        if value is None:
                            return -1
                        split.anchor_ids.add(html.unescape(value))
            if not self_closing and name not in _EMPTY:
                stack.append(name)
                if name in _CDATA:
                    cdata = name
            continue
        if end_name is None:
            return -1  # a "<" that is no tag, or an "&" html.parser would rewrite
        if stack and stack[-1] == end_name:
            stack.pop()
        elif end_name in stack:
            while stack.pop() != end_name:
                pass
        else:
            return -1  # a stray end tag: left to the engine
        if not stack:
            return m.end()
    return -1  # unclosed


def split(body: str, tab_length: int = 4) -> _Split | None:
    """The skeleton and raw blocks of a page body (Markdown after its front matter), or None
    when the body is not made only of blank lines, ATX headings and raw HTML blocks."""
    text = _normalize(body, tab_length)
    if text.startswith(("```", "~~~")) or any(r in text for r in _REFUSED):
        return None
    out = _Split("")
    parts: list[str] = []
    pos = 0
    while True:
        lt = text.find("<", pos)
        outside = text[pos:] if lt < 0 else text[pos:lt]
        if not _outside_ok(outside):
            return None
        parts.append(outside)
        if lt < 0:
            break
        if lt > 0 and text[lt - 1] != "\n":
            return None  # not at the start of a line
        end = _block(text, lt, out)
        # The extractor ends a block (keeping one newline) only before a blank line.
        if end < 0 or not (text.startswith("\n\n", end) or text[end:] in ("", "\n")):
            return None
        parts.append(f"\n{_PLACEHOLDER.format(len(out.blocks))}\n\n")
        out.blocks.append(text[lt:end] + "\n")
        pos = end
    if not out.blocks:
        return None
    out.skeleton = "".join(parts)
    return out


def _extension_name(ext: Any) -> str | None:
    if isinstance(ext, str):
        name = ext.removeprefix("markdown.extensions.")
        return name if name in _SAFE_EXTENSIONS else None
    module = type(ext).__module__.removeprefix("markdown.extensions.")
    return module if module in _SAFE_EXTENSIONS else None


_ENGINE_OK: dict[str, bool] = {}


def _engine_ok(config: MkDocsConfig) -> bool:
    """Whether the site's Markdown engine is one the fast path reproduces exactly."""
    extensions = list(config["markdown_extensions"])
    configs = config["mdx_configs"] or {}
    key = repr((extensions, configs))
    if key not in _ENGINE_OK:
        ok = all(_extension_name(e) for e in extensions)
        if ok:
            md = markdown.Markdown(extensions=extensions, extension_configs=configs)
            ok = (
                {type(p) for p in md.preprocessors} <= _SAFE_PREPROCESSORS
                and {type(p) for p in md.postprocessors} <= _SAFE_POSTPROCESSORS
                and frozenset(md.block_level_elements) == _BLOCK_LEVEL
                and md.tab_length == 4
            )
        _ENGINE_OK[key] = ok
    return _ENGINE_OK[key]


def render(page: Page, config: MkDocsConfig, files: Files) -> bool:
    """``page.render(config, files)``, fast when the page is headings and raw HTML blocks.

    Returns whether the fast path was taken (else the engine rendered the page as usual).
    """
    # The class's own render: a caller may have put this function on the page instance.
    engine_render = type(page).render
    source = page.markdown
    parts = split(source) if source is not None and _engine_ok(config) else None
    if parts is None:
        engine_render(page, config, files)
        return False
    page.markdown = parts.skeleton
    try:
        engine_render(page, config, files)
    finally:
        page.markdown = source
    content = page.content or ""
    placed: list[int] = []

    def put_back(m: re.Match[str]) -> str:
        placed.append(int(m.group(1)))
        return parts.blocks[int(m.group(1))]

    # Markdown.convert strips its output after the postprocessors: so do we.
    content = _PLACEHOLDER_RE.sub(put_back, content).strip()
    if sorted(placed) != list(range(len(parts.blocks))) or "tpfastpath" in content:
        engine_render(page, config, files)  # a placeholder landed somewhere unexpected
        return False
    page.content = content
    page.present_anchor_ids = (page.present_anchor_ids or set()) | parts.anchor_ids
    return True
