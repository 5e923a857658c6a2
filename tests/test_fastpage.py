"""The Markdown fast path (:mod:`trialpress.fastpage`) gives MkDocs' own ``Page.render``
output byte for byte, and is really taken.

Every standalone page (trial, checklist, results, term) of the 238 shared API v2 studies, the
two registry-text examples and the hostile records is rendered twice with the site's real
Markdown settings (the repository's ``mkdocs.yml`` and the bundled default config): once by
``Page.render``, once by ``fastpage.render``. Content, toc, title, meta and anchor ids must be
equal, and the fast path must have been taken for the pages of the studies (so a fast path
that quietly always falls back fails). A sample runs by default; every page under ``slow``.
Property tests mix the constructs the fast path understands with ones it must refuse.
The plugin's use of it is shown by a real MkDocs build; the built pages equal MkDocs' page
loop's in ``tests/test_publish.py::test_trial_pages_are_the_pages_mkdocs_makes``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mkdocs.config import load_config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page

from tests.conftest import PALMIRA, POLAR, read_trials, v2_study_files
from tests.hostile_corpus import build_corpus
from tests.sample_trials import hostile_trial
from tests.site_helpers import demo_site
from trialpress import fastpage
from trialpress.build import bundled_config
from trialpress.corpus import Corpus
from trialpress.models import Trial
from trialpress.publish import PublishOptions, generate
from trialpress.readers import read_paths

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = {"repo": ROOT / "mkdocs.yml", "bundled": bundled_config()}


@dataclass
class Pages:
    """Standalone pages by source path, and which of them belong to hostile records."""

    markdown: dict[str, str]
    hostile: set[str]


def _load(path: Path) -> MkDocsConfig:
    config = load_config(str(path))
    return config.plugins.on_config(config)  # as a build does (it adds the plugin's assets)


@pytest.fixture(scope="module")
def configs() -> dict[str, MkDocsConfig]:
    return {name: _load(path) for name, path in CONFIGS.items()}


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Pages:
    tmp = tmp_path_factory.mktemp("fastpage")
    studies = read_trials(*v2_study_files(), POLAR, PALMIRA)
    hostile: list[Trial] = [hostile_trial()]
    for result in read_paths(build_corpus().write(tmp / "hostile")):
        assert isinstance(result, Trial), str(result)
        hostile.append(result)
    generated = generate(Corpus([*studies, *hostile]), PublishOptions(pdf=False), tmp / "docs")
    ids = {t.nct_id for t in hostile}
    markdown = {src: generated.pages[src].read_text("utf-8") for src in generated.standalone}
    return Pages(markdown, {src for src in markdown if Path(src).stem in ids})


def _page(src: str, text: str, config: MkDocsConfig) -> Page:
    file = File.generated(config, src, content=text, inclusion=InclusionLevel.NOT_IN_NAV)
    page = Page(None, file, config)
    page.read_source(config)
    return page


def _rendered(page: Page) -> dict[str, Any]:
    return {
        "content": page.content,
        "toc": str(page.toc),
        "toc_ids": [(i.id, i.level, i.title, [c.id for c in i.children]) for i in page.toc],
        "title": page.title,
        "title_from_render": page._title_from_render,
        "meta": page.meta,
        "anchor_ids": page.present_anchor_ids,
        "links_to_anchors": {f.src_uri: a for f, a in (page.links_to_anchors or {}).items()},
    }


def _both(src: str, text: str, config: MkDocsConfig) -> bool:
    """Render ``text`` both ways; assert equality; return whether the fast path was taken."""
    files = Files([])
    engine = _page(src, text, config)
    engine.render(config, files)
    fast = _page(src, text, config)
    took = fastpage.render(fast, config, files)
    assert _rendered(fast) == _rendered(engine), src
    assert fast.markdown == engine.markdown  # the page keeps its own source
    return took


def _check(pages: Pages, configs: dict[str, MkDocsConfig], every: int) -> None:
    srcs = sorted(pages.markdown)
    chosen = [s for i, s in enumerate(srcs) if i % every == 0 or s in pages.hostile]
    kinds = {s.split("/")[0] for s in chosen}
    assert {"trials", "checklists", "results", "conditions", "interventions"} <= kinds
    for name, config in configs.items():
        slow = [s for s in chosen if not _both(s, pages.markdown[s], config)]
        assert [s for s in slow if s not in pages.hostile] == [], name
        # The hostile pages are compared too, and most of them take the fast path.
        assert len(slow) < len(pages.hostile) / 2, (name, slow)


def test_fast_path_equals_page_render_on_a_sample(
    pages: Pages, configs: dict[str, MkDocsConfig]
) -> None:
    assert len(pages.markdown) > 1500  # 240 studies' pages and their term pages
    _check(pages, configs, every=9)


@pytest.mark.slow
def test_fast_path_equals_page_render_on_every_page(
    pages: Pages, configs: dict[str, MkDocsConfig]
) -> None:
    _check(pages, configs, every=1)


# --------------------------------------------------------------------- constructs, one by one

_FRONT = "---\ntitle: T\n---\n\n"
#: Pages the fast path takes: what the templates make, and the extractor's subtler cases.
FAST = {
    "blocks and headings": "<div class='a'>\n<p>x</p>\n</div>\n\n## Key facts\n\n<dl></dl>\n",
    "entities and a permalink heading": "## A &amp; B &#35;1\n\n<p>x &lt; y &#x2F; &copy;</p>\n",
    "duplicate headings": "## Same\n\n<div>a</div>\n\n## Same\n\n<div>b</div>\n",
    "attr_list on a heading": '## Custom {: #mine }\n\n<div id="d&amp;1">x</div>\n',
    "an h1 heading first": '# Title\n\n<section><h1 id="raw">Raw</h1></section>\n',
    "nested same tags": "<div><div>in</div>\n<div>two</div></div>\n\n## Next\n",
    "void and self-closing tags": '<ul><li><br>b<br/><input id="c"><hr><img src="x" /></li></ul>\n',
    "a blank line inside a block": "<div>\n<p>a</p>\n\n<p>b</p>\n</div>\n",
    "tabs, CR and blank spaces": "<div>\n\ta\tb\r\n   \n</div>\r\n\r\n## H\t1\n",
    "json-ld script": '<script type="application/ld+json">{"a": "b & c", "d": "``` x"}</script>\n',
    "no newline at the end": "<div>x</div>",
    "named anchor": '<p><a name="n1"></a><a id="i1">x</a></p>\n',
    "block right after a heading": "## H\n<div>x</div>\n\n## J\n",
    "a markdown attribute (no md_in_html)": '<div markdown="1">\n*x*\n</div>\n',
    "anchors in attributes": '<table id="t"><tr><td id="a&#35;b">1</td></tr></table>\n',
    "single-quoted attributes": "<div id='s&amp;q' class=\"x\"><a name='n'>a</a></div>\n",
    "a noscript table": '<div>\n<noscript>\n<table id="t"><tr><td>a &amp; b</td></tr></table>\n'
    "</noscript>\n</div>\n",
}
#: Pages it must leave to the engine (it would get them wrong, or cannot be sure).
FALLBACK = {
    "a paragraph": "Some *text*.\n\n<div>x</div>\n",
    "a list": "- item\n\n<div>x</div>\n",
    "indented code": "    code\n\n<div>x</div>\n",
    "a comment": "<!-- c -->\n\n<div>x</div>\n",
    "a stray <": "<div>a < b</div>\n",
    "a bare &": "<div>a & b</div>\n",
    "an entity without ;": "<div>&#35 x</div>\n",
    "an inline tag at the top": "<span>x</span>\n",
    "text after the end tag": "<div>x</div> tail\n\n## H\n",
    "no blank line after a block": "<div>x</div>\n## H\n",
    "an unclosed block": "<div><p>x</p>\n",
    "a stray end tag": "<div>x</p></div>\n",
    "a top-level hr": "<hr>\n\n<div>x</div>\n",
    "an indented block": "  <div>x</div>\n",
    "upper-case tags": "<DIV>x</DIV>\n",
    "a code fence": "```\n<div>x</div>\n```\n",
    "a code fence in a block": "<div>\n```\nx\n```\n</div>\n",
    "a placeholder lookalike": "## tpfastpath0z\n\n<div>x</div>\n",
    "a textarea": "<div><textarea>&</textarea></div>\n",
    "a block tag name on its own line": "<div\nclass='a'>x</div>\n",
    "nothing but headings": "## A\n\n## B\n",
}


@pytest.mark.parametrize("name", sorted(FAST))
def test_the_fast_path_takes_these_pages(name: str, configs: dict[str, MkDocsConfig]) -> None:
    for config in configs.values():
        assert _both("trials/x.md", _FRONT + FAST[name], config)


@pytest.mark.parametrize("name", sorted(FALLBACK))
def test_these_pages_fall_back_to_page_render(name: str, configs: dict[str, MkDocsConfig]) -> None:
    for config in configs.values():
        assert not _both("trials/x.md", _FRONT + FALLBACK[name], config)


def test_noscript_is_left_to_the_engine_where_the_parser_reads_its_content_as_text(
    configs: dict[str, MkDocsConfig], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fast path reads <noscript> as markup only because this Python's parser does
    (asked of the parser itself): with one that reads it as text, as some versions read
    other elements, the page falls back and is still the engine's."""
    from markdown.htmlparser import htmlparser

    body = _FRONT + FAST["a noscript table"]
    assert "noscript" not in fastpage._unsupported()
    elements = htmlparser.HTMLParser.CDATA_CONTENT_ELEMENTS
    monkeypatch.setattr(htmlparser.HTMLParser, "CDATA_CONTENT_ELEMENTS", (*elements, "noscript"))
    fastpage._unsupported.cache_clear()
    try:
        assert "noscript" in fastpage._unsupported()
        for config in configs.values():
            assert not _both("trials/x.md", body, config)
    finally:
        monkeypatch.undo()
        fastpage._unsupported.cache_clear()
    assert "noscript" not in fastpage._unsupported()


def test_an_engine_that_reads_raw_html_gets_no_fast_path(tmp_path: Path) -> None:
    cfg = tmp_path / "mkdocs.yml"
    (tmp_path / "docs").mkdir()
    cfg.write_text("site_name: t\nmarkdown_extensions:\n  - md_in_html\n  - toc\n")
    config = _load(cfg)
    for body in ('<div>\n<p id="a">x</p>\n</div>\n', '<div markdown="1">\n*x*\n</div>\n'):
        assert not _both("trials/x.md", _FRONT + body, config)


_SNIPPETS = [*FAST.values(), *FALLBACK.values(), "## H", "", "<p>x</p>", "text", "&amp;"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    parts=st.lists(st.sampled_from(_SNIPPETS), min_size=1, max_size=6),
    seps=st.lists(st.sampled_from(["\n", "\n\n", ""]), min_size=6, max_size=6),
)
def test_any_mix_renders_as_page_render_does(
    parts: list[str], seps: list[str], configs: dict[str, MkDocsConfig]
) -> None:
    text = "".join(p + s for p, s in zip(parts, seps, strict=False))
    for config in configs.values():
        _both("trials/x.md", _FRONT + text, config)


# ------------------------------------------------------------------------------ the plugin


def test_the_plugin_renders_standalone_pages_on_the_fast_path(tmp_path: Path) -> None:
    from mkdocs.commands.build import build

    from trialpress.plugin import TrialpressPlugin

    config = demo_site(tmp_path)
    build(config)
    plugin = config.plugins["trialpress"]
    assert isinstance(plugin, TrialpressPlugin) and plugin.generated is not None
    standalone = plugin.generated.standalone
    assert len(standalone) > 10 and set(standalone) <= set(plugin.fast_pages)
    html = (tmp_path / "out" / "trials" / "NCT03820830" / "index.html").read_text("utf-8")
    assert '<h2 id="key-facts">Key facts<a class="headerlink" href="#key-facts"' in html
    assert '<div class="tp-trial tp-head">' in html and "<p><div" not in html


def test_index_pages_in_the_engine_loop_take_the_fast_path_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kind and change pages go through MkDocs' own page loop; their Markdown is raw
    HTML blocks too. Built with and without the fast path, the sites are byte-identical.
    (The all-trials page keeps its table in ``<noscript>``, which this Python's parser reads
    as markup: that page takes the fast path too.)"""
    from mkdocs.commands.build import build

    from trialpress.plugin import TrialpressPlugin

    sites: dict[bool, dict[str, bytes]] = {}
    for fast in (True, False):
        work = tmp_path / ("fast" if fast else "slow")
        config = demo_site(work)
        plugin = config.plugins["trialpress"]
        assert isinstance(plugin, TrialpressPlugin)
        if not fast:  # no engine is one the fast path reproduces: every page falls back
            monkeypatch.setattr(fastpage, "_engine_ok", lambda config: False)
        build(config)
        if fast:
            kinds = {"conditions/index.md", "sponsors/index.md", "countries/index.md"}
            assert kinds <= set(plugin.fast_pages)
            assert "trials/index.md" in plugin.fast_pages
        else:
            assert plugin.fast_pages == []
        out = work / "out"
        sites[fast] = {
            p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*.html"))
        }
    assert sites[True].keys() == sites[False].keys()
    assert "trials/index.html" in sites[True]
    assert [k for k in sites[True] if sites[True][k] != sites[False][k]] == []


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    inner=st.text(alphabet="<>&#;/=\"' \n\t\r`~!-adivpx0", max_size=40),
    tail=st.sampled_from(["\n\n## H\n", "\n", "", " x\n", "\n## H", "\n\n<p>y</p>"]),
)
def test_any_text_in_a_block_renders_as_page_render_does(
    inner: str, tail: str, configs: dict[str, MkDocsConfig]
) -> None:
    """Tags, entities, comments and stray signs the scanner must read as the extractor does
    (or refuse): whichever path is taken, the output is the engine's."""
    for config in configs.values():
        _both("trials/x.md", f'{_FRONT}## A\n\n<div id="d">{inner}</div>{tail}', config)
