"""Each escaping filter against hostile strings, checked with real parsers.

HTML output is parsed with html5lib (as a browser would) and Markdown output is converted
with Python-Markdown using the extensions MkDocs sites commonly enable, so a test fails if
any record text becomes markup.
"""

from __future__ import annotations

import json
import re

import markdown
import pytest
import yaml
from bs4 import BeautifulSoup
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2 import Environment, StrictUndefined
from markupsafe import Markup

from tests.sample_trials import HOSTILE
from trialpress import escaping

EXTENSIONS = ["toc", "admonition", "attr_list", "tables", "def_list", "md_in_html", "abbr"]


def _soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(f"<div id='wrap'>{html}</div>", "html5lib")


def _visible(text: str) -> str:
    """What a reader sees for a record string: controls as pictures, whitespace collapsed."""
    return " ".join(escaping.clean(text).split())


@pytest.mark.parametrize("text", HOSTILE)
def test_html_text_is_inert_and_literal(text: str) -> None:
    out = escaping.html_text(text)
    soup = _soup(f"<p>{out}</p>")
    wrap = soup.find(id="wrap")
    assert [t.name for t in wrap.find_all(True)] == ["p"]
    assert " ".join(wrap.get_text().split()) == _visible(text)
    assert "\n" not in out
    assert "<" not in out and ">" not in out


@pytest.mark.parametrize("text", HOSTILE)
def test_html_text_survives_markdown_in_a_raw_html_block(text: str) -> None:
    """The page shape we generate: a raw HTML block holding escaped record text."""
    source = f'# Page\n\n<div class="x">\n<p>{escaping.html_text(text)}</p>\n</div>\n\nafter\n'
    html = markdown.markdown(source, extensions=EXTENSIONS)
    soup = _soup(html)
    tags = [t.name for t in soup.find(id="wrap").find_all(True)]
    assert tags == ["h1", "div", "p", "p"]
    assert " ".join(soup.find("div", class_="x").get_text().split()) == _visible(text)


@pytest.mark.parametrize("text", HOSTILE)
def test_attribute_value_cannot_break_out(text: str) -> None:
    soup = _soup(f'<span title="{escaping.html_attr(text)}" class="k">x</span>')
    span = soup.find("span")
    assert span.attrs["class"] == ["k"]
    assert set(span.attrs) == {"title", "class"}
    assert " ".join(span["title"].split()) == _visible(text)


@pytest.mark.parametrize("text", HOSTILE)
def test_markdown_inline_context(text: str) -> None:
    """In a Markdown table cell or paragraph the text stays one cell / one paragraph."""
    cell = escaping.markdown_text(text)
    source = f"| a | b |\n|---|---|\n| {cell} | z |\n\npara {cell}\n"
    soup = _soup(markdown.markdown(source, extensions=EXTENSIONS))
    tags = sorted({t.name for t in soup.find(id="wrap").find_all(True)})
    assert tags == ["p", "table", "tbody", "td", "th", "thead", "tr"]
    assert len(soup.find_all("td")) == 2
    assert " ".join(soup.find("td").get_text().split()) == _visible(text)


def test_bdi_and_paragraphs() -> None:
    assert str(escaping.bdi("مرحبا <b>")) == "<bdi>مرحبا &lt;b&gt;</bdi>"
    out = escaping.paragraphs("one <i>\n\n two\nthree")
    soup = _soup(out)
    assert [p.get_text() for p in soup.find_all("p")] == ["one <i>", "two", "three"]
    assert all(p["dir"] == "auto" for p in soup.find_all("p"))
    assert escaping.paragraphs("  \n ") == ""


@pytest.mark.parametrize(
    "value",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:x",
        "//evil.example/x",
        "/relative",
        "https://ok.example/a\nb",
    ],
)
def test_url_refuses_dangerous_and_relative(value: str) -> None:
    assert escaping.url(value) == "#"


def test_url_keeps_https_and_encodes_quotes() -> None:
    out = escaping.url('https://example.org/a b"><script>')
    soup = _soup(f'<a href="{out}">x</a>')
    href = soup.find("a")["href"]
    assert href.startswith("https://example.org/a%20b%22%3E%3Cscript%3E")
    assert len(soup.find_all(True)) == 5  # html, head, body, div, a


def test_url_part_and_path() -> None:
    assert escaping.url_part("a/b c?d&e#f") == "a%2Fb%20c%3Fd%26e%23f"
    assert escaping.url_path('10.1200/JCO-24-01865"<') == "10.1200/JCO-24-01865%22%3C"
    assert escaping.url_path("10.1016/S1470-2045(13)70589-8") == "10.1016/S1470-2045(13)70589-8"


@pytest.mark.parametrize("text", HOSTILE)
def test_json_script_cannot_close_the_script(text: str) -> None:
    data = {"name": text, "nested": [{"x": text}]}
    out = escaping.json_script(data)
    assert "<" not in out and ">" not in out and "&" not in out
    assert "{{" not in out and "{%" not in out
    assert "\n" not in out
    soup = _soup(f'<script type="application/ld+json">{out}</script><p>after</p>')
    scripts = soup.find_all("script")
    assert len(scripts) == 1
    assert json.loads(scripts[0].string) == json.loads(json.dumps(data))
    assert soup.find("p").get_text() == "after"


def test_json_script_replaces_lone_surrogates() -> None:
    out = escaping.json_script({"a": "x\ud800y"})
    assert json.loads(out) == {"a": "x\ufffdy"}


@pytest.mark.parametrize("text", [*HOSTILE, "a: b", "- item", "'quoted'", "#c", "x\ud800"])
def test_front_matter_is_one_yaml_string_and_html_safe(text: str) -> None:
    out = escaping.front_matter(text)
    doc = yaml.safe_load(f"title: {out}\nother: 1\n")
    assert doc["other"] == 1
    value = doc["title"]
    assert isinstance(value, str)
    assert "<" not in value and '"' not in value
    # The theme prints it raw into <title>: it must read as the original text.
    soup = BeautifulSoup(f"<title>{value}</title>", "html5lib")
    assert " ".join(soup.title.get_text().split()) == _visible(text.replace("\ud800", "\ufffd"))


def test_control_characters_become_visible_pictures() -> None:
    assert escaping.clean("a\x00b\x07c\x1bd\x7fe\x85f\tg") == "a␀b␇c␛d␡e\ufffdf\tg"
    assert escaping.clean("a\r\nb\rc") == "a\nb\nc"


def test_markdown_and_jinja_punctuation_is_encoded() -> None:
    out = str(escaping.html_text("{{ x }} {% y %} --8<-- !!! {: .c} <!-- --> `code` [l](u)"))
    for seq in ("{{", "{%", "8<", "!!!", "{:", "<!--", "`", "]("):
        assert seq not in out
    bare = re.sub(r"&(#\d+|[a-z]+);", "", out)
    assert not set(bare) & set("&<>\"'`*_[]{}#+!|\\~^=:$%@;/")


def test_finalize_escapes_anything_printed_without_a_filter() -> None:
    env = Environment(autoescape=True, undefined=StrictUndefined)
    escaping.register(env)
    tpl = env.from_string("<p>{{ v }}|{{ n }}|{{ nothing }}|{{ m }}</p>")
    out = tpl.render(v="<b>{{x}}</b>", n=5, nothing=None, m=Markup("<i>ok</i>"))
    assert out == "<p>&lt;b&gt;&#123;&#123;x&#125;&#125;&lt;&#47;b&gt;|5||<i>ok</i></p>"


def test_css_token() -> None:
    assert escaping.css_token("ACTIVE_NOT_RECRUITING") == "active-not-recruiting"
    assert escaping.css_token('" onload=x') == "onload-x"
    assert escaping.css_token("") == "x"


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_stays_text_in_every_context(text: str) -> None:
    """Property: no string can produce markup, a newline, or Jinja/snippet syntax."""
    out = str(escaping.html_text(text))
    assert not set(out) & set("<>\"'`\n\r")
    for seq in ("{{", "{%", "--8<", "!!!", "{:"):
        assert seq not in out
    soup = _soup(f'<p title="{escaping.html_attr(text)}">{out}</p>')
    assert [t.name for t in soup.find(id="wrap").find_all(True)] == ["p"]
    assert " ".join(soup.find("p").get_text().split()) == " ".join(
        escaping.clean(text).replace("\x00", "␀").split()
    )
    json_out = str(escaping.json_script({"t": text}))
    assert not set(json_out) & set("<>&\n")
    fm = yaml.safe_load(f"t: {escaping.front_matter(text)}\n")["t"]
    assert isinstance(fm, str) and "<" not in fm


def _clean_by_table(text: str) -> str:
    """:func:`escaping.clean` as first written: every character looked up in the table."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return re.sub("[\ud800-\udfff]", "\ufffd", text).translate(escaping._CONTROL)


def test_every_character_is_cleaned_and_encoded_as_the_tables_say() -> None:
    """The searches that skip clean text change exactly what the tables name: each code point
    alone and next to an ordinary letter (all 1,114,112, surrogates included)."""
    for start in range(0, 0x110000, 0x1000):
        chars = [chr(c) for c in range(start, start + 0x1000)]
        for text in ("".join(chars), *chars, *(f"a{c}\r\nb" for c in chars[:64])):
            assert escaping.clean(text) == _clean_by_table(text)
            assert escaping._encode(text) == text.translate(escaping._ENTITY)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec=None, max_codepoint=0x2500)))
def test_any_text_is_cleaned_and_encoded_as_the_tables_say(text: str) -> None:
    assert escaping.clean(text) == _clean_by_table(text)
    assert escaping._encode(text) == text.translate(escaping._ENTITY)
