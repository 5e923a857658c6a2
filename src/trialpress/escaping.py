"""Escaping of untrusted record text, one function per output context.

Every string that comes from a record is hostile until escaped: registry text is written by
third parties. Generated pages are Markdown files whose body is raw HTML blocks, so record
text must be inert both as HTML *and* for every Markdown pass that may see the raw lines
(Python-Markdown preprocessors such as ``pymdownx.snippets``, ``mkdocs-macros`` Jinja,
admonitions, attribute lists). We therefore entity-encode HTML specials and every
Markdown/Jinja-significant ASCII punctuation character, map control characters to visible
Unicode control pictures, and never let record text carry a newline (so no blank line can
end an HTML block early). Filters are registered in the Jinja environment by
:func:`register`; the environment's ``finalize`` applies :func:`html_text` to any value a
template prints without a filter, so forgetting a filter is still safe.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import yaml
from jinja2 import Environment
from markupsafe import Markup

#: ASCII punctuation that means something to HTML, Markdown, Python-Markdown extensions,
#: pymdownx (snippets ``--8<--``, critic, blocks ``///``), MkDocs macros (``{{ }}``,
#: ``{% %}``) or YAML. ``. , ( ) ?`` are left alone: they are only significant next to
#: characters in this set, and they make up most punctuation in clinical text.
_SPECIAL = "&<>\"'`*_[]{}#+!|\\~^=:$%@;/"
_ENTITY = {ord(c): f"&#{ord(c)};" for c in _SPECIAL}
_ENTITY.update({ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;", ord('"'): "&quot;"})

#: C0 controls (but tab and newline), DEL and C1 controls: shown as visible symbols
#: (U+2400 control pictures, U+FFFD for C1) instead of being dropped or passed through.
_CONTROL = {c: chr(0x2400 + c) for c in range(0x20) if c not in (0x09, 0x0A)}
_CONTROL[0x7F] = "\u2421"
_CONTROL.update({c: "\ufffd" for c in range(0x80, 0xA0)})
_SURROGATE_RE = re.compile("[\ud800-\udfff]")
#: What :func:`clean` changes besides CR: most text has none of it, and a search is several
#: times cheaper than ``translate``, which looks up every character.
_UNCLEAN_RE = re.compile("[" + "".join(re.escape(chr(c)) for c in _CONTROL) + "\ud800-\udfff]")
#: :data:`_ENTITY` as a pattern and a table: a search finds the few specials in clinical
#: text several times faster than ``translate`` visits every character.
_SPECIAL_RE = re.compile("[" + re.escape(_SPECIAL) + "]")
_ENTITY_OF = {chr(c): entity for c, entity in _ENTITY.items()}
_BLANK_LINES_RE = re.compile(r"\n[ \t]*\n[\s]*")
_SPACE_RE = re.compile(r"[ \t]*\n[ \t]*")


def clean(value: object) -> str:
    """Text safe to encode: controls made visible, lone surrogates replaced, CR normalised."""
    text = "" if value is None else str(value)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _UNCLEAN_RE.search(text) is None:
        return text
    text = _SURROGATE_RE.sub("\ufffd", text)
    return text.translate(_CONTROL)


def _entity(m: re.Match[str]) -> str:
    return _ENTITY_OF[m.group()]


def _encode(text: str) -> str:
    return _SPECIAL_RE.sub(_entity, text)


def html_text(value: object) -> Markup:
    """Record text for HTML element content or an attribute value, on one line.

    Newlines become spaces: no blank line can end the surrounding raw HTML block.
    """
    if isinstance(value, Markup):
        return value
    return Markup(_encode(_SPACE_RE.sub(" ", clean(value))))


def html_attr(value: object) -> Markup:
    """Record text for a double-quoted attribute value (same encoding as text)."""
    return Markup(_encode(_SPACE_RE.sub(" ", clean(value))))


def bdi(value: object) -> Markup:
    """Inline record text isolated for bidirectional layout (right-to-left names)."""
    return Markup("<bdi>") + html_text(value) + Markup("</bdi>")


def paragraphs(value: object, css_class: str = "") -> Markup:
    """Multi-paragraph record text as ``<p dir=auto>`` elements, one per source paragraph.

    A paragraph is separated by a blank line or, as registries write them, a single newline.
    """
    text = clean(value).strip()
    if not text:
        return Markup("")
    cls = f' class="{_encode(css_class)}"' if css_class else ""
    parts = [p for p in re.split(r"\n", text) if p.strip()]
    return Markup("").join(
        Markup(f'<p dir="auto"{cls}>') + html_text(p.strip()) + Markup("</p>") for p in parts
    )


def markdown_text(value: object) -> Markup:
    """Record text for a Markdown inline context (a table cell, link text, heading).

    Entities work in Markdown too; additionally ``.`` ``(`` ``)`` are encoded so a text
    cannot start an ordered list or a link destination, and newlines become spaces so it
    cannot start a block.
    """
    text = html_text(value)
    return Markup(str(text).replace(".", "&#46;").replace("(", "&#40;").replace(")", "&#41;"))


#: The punctuation that makes Markdown markup: emphasis, code, links and images, raw HTML,
#: entities, headings, tables, strikethrough. A backslash before each keeps it literal;
#: ``.``, ``(``, ``-`` and the like stay bare so the text still reads well as plain text
#: (at worst they make a list, which is structure, not markup).
_MARKDOWN_PUNCT = re.compile(r"([\\`*_\[\]<>&!#|~])")
_MARKDOWN_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def markdown_literal(value: object) -> str:
    """Record text for a field that consumers render as Markdown (FHIR ``markdown``).

    The source's own backslash escapes (API v2 text has ``\\<``) are removed first, then
    the markup characters are escaped, so a renderer never makes a link, image, heading,
    entity or HTML tag of it. Controls are made visible as in :func:`clean`.
    """
    return _MARKDOWN_PUNCT.sub(r"\\\1", _MARKDOWN_ESCAPE.sub(r"\1", clean(value)))


#: Every line boundary ``str.splitlines`` knows, plus runs of blanks around them.
_LINE_BREAKS_RE = re.compile(r"\s*[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]+\s*")


def one_line(value: object) -> str:
    """Record text for a line-based format (RIS ``TAG  - value``): one line, controls shown.

    Line breaks of every kind become a space *before* controls are made visible, so no
    record text can start a line (a forged ``ER  -`` or ``TY  -`` tag) of its own.
    """
    text = "" if value is None else str(value)
    return clean(_LINE_BREAKS_RE.sub(" ", text)).strip()


#: First characters that make a spreadsheet read a cell as a formula, and the tab and line
#: ends some strip before doing so (a CR is already a newline after :func:`clean`).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\n")


def csv_cell(value: object) -> str:
    """Record text for a CSV cell: a cell a spreadsheet would run as a formula is prefixed
    with ``'`` (OWASP's advice), so ``=HYPERLINK(...)`` stays text; controls are shown."""
    text = clean(value)
    return "'" + text if text.lstrip(" ").startswith(_FORMULA_START) else text


_URL_SCHEMES = ("https://", "http://")


def url(value: object) -> Markup:
    """An absolute http(s) URL from a record for ``href``; anything else becomes ``#``.

    ``javascript:``, ``data:`` and relative URLs are refused; quotes and spaces are
    percent-encoded so the value cannot leave its attribute.
    """
    text = clean(value).strip()
    if not text.lower().startswith(_URL_SCHEMES) or any(c in text for c in "\n\t"):
        return Markup("#")
    quoted = quote(text, safe="/:?#[]@!$&'()*+,;=%~-._")
    return html_attr(quoted)


#: A phone number as registries write them: digits with spaces, dots, dashes, slashes,
#: brackets and one leading plus; nothing else (no letters, so no ``javascript:``).
_PHONE_RE = re.compile(r"^\+?[0-9(][0-9 ().\-/]*[0-9]$")
_EXT_RE = re.compile(r"^[0-9]{1,10}$")
#: An e-mail address of the ordinary shape (no quotes, comments, spaces or IP literals).
_EMAIL_RE = re.compile(r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}$")


def tel(value: object, ext: object = None) -> Markup:
    """A ``tel:`` URL when the record's phone value has the shape of a number, else empty.

    Only digits and a leading ``+`` reach the URL (``tel:+18002430127;ext=12``), so text
    that merely mentions a number, or a ``javascript:`` value, stays plain text.
    """
    text = clean(value).strip()
    digits = re.sub(r"[^0-9]", "", text)
    if not _PHONE_RE.match(text) or not 5 <= len(digits) <= 20:
        return Markup("")
    href = ("+" if text.startswith("+") else "") + digits
    extension = clean(ext).strip()
    if _EXT_RE.match(extension):
        href += f";ext={extension}"
    return Markup(f"tel:{href}")


def mailto(value: object) -> Markup:
    """A ``mailto:`` URL when the record's value has the shape of one e-mail address, else empty."""
    text = clean(value).strip()
    if len(text) > 254 or not _EMAIL_RE.match(text):
        return Markup("")
    return html_attr("mailto:" + quote(text, safe="@+"))


def url_part(value: object) -> Markup:
    """One path segment or query value from a record: percent-encoded completely."""
    return Markup(quote(clean(value), safe=""))


def url_path(value: object) -> Markup:
    """A path from a record (a DOI) for the end of a URL we build: ``/`` kept, rest encoded."""
    return Markup(quote(clean(value), safe="/()"))


def _json_script(text: str) -> str:
    # U+0085, U+2028 and U+2029 are line boundaries to str.splitlines() (the page's HTML
    # block is re-joined line by line) but not escaped by json.dumps: a raw one would become
    # a newline inside a JSON string, and the JSON-LD would no longer parse.
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\x85", "\\u0085")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def json_script(value: Any) -> Markup:
    """JSON for ``<script type="application/ld+json">``: ``<``, ``>``, ``&`` as ``\\u003c``..

    Also encodes Markdown/Jinja punctuation inside strings via ``\\u`` escapes is not needed:
    JSON-LD sits inside a raw HTML block, so only the script-closing sequence matters, plus
    ``{`` pairs which a Jinja-based MkDocs plugin could try to render.
    """
    text = json.dumps(_clean_tree(value), ensure_ascii=False, sort_keys=False, indent=None)
    text = _json_script(text)
    text = text.replace("{{", "{\\u007b").replace("{%", "{\\u0025").replace("{#", "{\\u0023")
    return Markup(text)


def _clean_tree(value: Any) -> Any:
    if isinstance(value, str):
        return _SURROGATE_RE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {str(k): _clean_tree(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean_tree(v) for v in value]
    return value


def front_matter(value: object) -> Markup:
    """A YAML scalar for front matter, HTML-escaped first.

    MkDocs themes print ``page.meta.title``/``description`` without escaping (into
    ``<title>`` and ``<meta content>``), so the value is stored already escaped.
    """
    escaped = str(html_text(value))
    dumped = yaml.safe_dump(escaped, allow_unicode=True, default_style='"', width=1_000_000)
    return Markup(dumped.removesuffix("\n...\n").strip())


def css_token(value: object) -> Markup:
    """A value reduced to ``[a-z0-9-]`` for class names and ids built from enum values."""
    return Markup(re.sub(r"[^a-z0-9-]+", "-", clean(value).lower()).strip("-") or "x")


def finalize(value: Any) -> Any:
    """Jinja ``finalize``: None prints nothing, anything not already Markup is escaped."""
    if value is None:
        return ""
    if isinstance(value, Markup):
        return value
    if isinstance(value, bool | int | float):
        return Markup(str(value))
    return html_text(value)


FILTERS: dict[str, Callable[..., Markup]] = {
    "h": html_text,
    "attr": html_attr,
    "bdi": bdi,
    "paragraphs": paragraphs,
    "md": markdown_text,
    "url": url,
    "url_part": url_part,
    "tel": tel,
    "mailto": mailto,
    "url_path": url_path,
    "json_script": json_script,
    "front_matter": front_matter,
    "css_token": css_token,
}


def register(env: Environment) -> None:
    """Add the escaping filters and the safe ``finalize`` to a Jinja environment."""
    env.filters.update(FILTERS)
    env.finalize = finalize
