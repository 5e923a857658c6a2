"""PDF briefs and checklists, rendered for real by WeasyPrint and read back with pypdf.

Rendering is done once per session (jobs=2) and the files are reused by every test.
Reuse of unchanged PDFs is shown by counting renders in this process (jobs=1), never by
timing them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.pdf_check import (
    ReadBack,
    body_text,
    collect_logs,
    glyph_problems,
    is_tagged,
    ltr_only,
    missing_in_order,
    read_back,
    squash,
    trial_chars,
)
from tests.pdf_samples import (
    all_samples,
    big_trial,
    hostile_trial,
    long_criterion_trial,
    minimal_trial,
    unbroken_word_trial,
)
from trialpress import pdf
from trialpress.errors import RenderError
from trialpress.models import Criterion, Trial
from trialpress.templating import default_templates_dir

ROOT = Path(__file__).resolve().parents[1]
SITE_URL = "https://trials.example.org/site"


# --------------------------------------------------------------------------------------
# Pure helpers
# --------------------------------------------------------------------------------------


def test_label_reads_like_words_and_as_on_the_page() -> None:
    """The PDF and the page share one label table: the same words for the same value."""
    from trialpress import render

    label = pdf._make_env(None).filters["label"]
    assert label is render.environment(None).filters["label"]
    assert label("ACTIVE_NOT_RECRUITING") == "Active, not recruiting"
    assert label("PHASE2") == "Phase 2"
    assert label("NA") == "Not applicable"
    assert label("OTHER_GOV") == "Other government"
    assert label(None) == ""


def test_number_label_keeps_source_numbering() -> None:
    assert pdf.number_label(Criterion(number="2", text="x")) == "2."
    assert pdf.number_label(Criterion(number="8.-10.", text="x")) == "8.-10."
    assert pdf.number_label(Criterion(number="13)", text="x")) == "13)"
    assert pdf.number_label(Criterion(number=None, text="x")) == "•"


def test_shorten_criteria_counts_what_the_brief_leaves_out() -> None:
    crits = [Criterion(number=str(i), text=f"criterion {i} " + "w " * 50) for i in range(1, 21)]
    crits[0].children = [Criterion(text="child a"), Criterion(text="child b")]
    short = pdf.shorten_criteria(crits, budget=400, max_items=6)
    assert short.total == 22
    assert 1 <= len(short.shown) <= 6
    assert all(not c.children for c in short.shown)
    assert short.more == short.total - len(short.shown)
    assert [c.number for c in short.shown] == [str(i) for i in range(1, len(short.shown) + 1)]


def test_shorten_criteria_clips_a_single_huge_criterion_and_counts_it() -> None:
    crits = [Criterion(number="1", text="word " * 2000)]
    short = pdf.shorten_criteria(crits, budget=300)
    assert len(short.shown) == 1
    assert len(short.shown[0].text) <= 302
    assert short.shown[0].text.endswith("…")
    assert short.more == 1


def test_country_counts_most_sites_first() -> None:
    counts = pdf.country_counts(big_trial())
    assert sum(n for _, n in counts) == 437
    assert counts[0][1] >= counts[-1][1]
    assert {name for name, _ in counts} == set(big_trial().countries)


def test_document_date_comes_from_record_or_source_date_epoch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    trial = minimal_trial()
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert pdf.document_date(trial) is None
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert pdf.document_date(trial) == "2023-11-14T22:13:20Z"
    assert pdf.document_date(big_trial()) == "2025-03-07"


def test_content_key_changes_with_everything_a_pdf_depends_on() -> None:
    trial = big_trial()
    digest = pdf.templates_digest(None)
    base = pdf.content_key(trial, "brief", pdf.Options(), digest)
    assert base == pdf.content_key(big_trial(), "brief", pdf.Options(), digest)
    changed = trial.model_copy(update={"title": "Other"})
    assert base != pdf.content_key(changed, "brief", pdf.Options(), digest)
    assert base != pdf.content_key(trial, "checklist", pdf.Options(), digest)
    assert base != pdf.content_key(trial, "brief", pdf.Options(page_size="Letter"), digest)
    assert base != pdf.content_key(trial, "brief", pdf.Options(site_url=SITE_URL), digest)
    assert base != pdf.content_key(trial, "brief", pdf.Options(), "other-templates")


def test_templates_digest_sees_an_override(tmp_path: Path) -> None:
    (tmp_path / "pdf").mkdir()
    (tmp_path / "pdf" / "print.css").write_text("p { color: red }")
    assert pdf.templates_digest(tmp_path) != pdf.templates_digest(None)


def test_templates_start_with_their_context() -> None:
    folder = default_templates_dir() / "pdf"
    names = sorted(p.name for p in folder.glob("*.html"))
    assert names == ["base.html", "brief.html", "checklist.html"]
    for name in names:
        assert (folder / name).read_text(encoding="utf-8").startswith("{# context:"), name


def _context_comment(name: str) -> str:
    text = (default_templates_dir() / "pdf" / name).read_text(encoding="utf-8")
    return text[: text.index("#}")]


def test_template_context_comments_match_the_context() -> None:
    renderer = pdf.get_renderer()
    context = renderer.context(big_trial(), "brief", pdf.Options())
    known = set(context) | set(renderer.env.globals) | set(renderer.env.filters)
    for name in ("base.html", "brief.html", "checklist.html"):
        named = set(re.findall(r"(\w+) \(", _context_comment(name)))
        assert named, name
        assert named <= known, (name, named - known)
    brief = _context_comment("brief.html")
    assert [key for key in context if key not in brief] == []


def test_qr_code_is_a_local_svg() -> None:
    uri = pdf.qr_data_uri(f"{SITE_URL}/trials/NCT03820830/")
    assert uri.startswith("data:image/svg+xml")
    assert "http" not in uri.split(",", 1)[1].replace("http%3A%2F%2Fwww.w3.org", "")


def test_printable_replaces_what_no_font_or_xmp_can_hold() -> None:
    assert pdf.printable("a\x00b\x1b\x7f\x85\ud800\ufffe\U0001fffe") == "a\ufffdb" + "\ufffd" * 6
    kept = "tab\there\nnew é ≥ （） 😀 עברית \u202e"
    assert pdf.printable(kept) == kept


def test_break_long_words_only_in_body_text() -> None:
    html = (
        f"<html><head><title>{'T' * 50}</title></head><body>"
        f'<p title="{"a" * 60}">{"x" * 45} short &amp;{"y" * 19}&lt;{"z" * 30}</p></body></html>'
    )
    out = pdf.break_long_words(html)
    assert out.replace("\u200b", "") == html
    assert f"<title>{'T' * 50}</title>" in out
    assert f'title="{"a" * 60}"' in out
    assert f"{'x' * 20}\u200b{'x' * 20}\u200b{'x' * 5} short" in out
    assert f"&amp;{'y' * 19}\u200b&lt;{'z' * 19}\u200b{'z' * 11}" in out


def test_record_text_is_escaped_not_rendered_as_template() -> None:
    html = pdf.get_renderer().html(hostile_trial(), "brief", pdf.Options())
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "{{ 7*7 }}" in html
    assert "{% if 1 %}jinja{% endif %}" in html
    assert 'src="http://example.invalid' not in html


# --------------------------------------------------------------------------------------
# Rendering the hand-built samples (once per session)
# --------------------------------------------------------------------------------------


@dataclass
class Rendered:
    out: Path
    trials: dict[str, Trial]
    paths: list[Path]
    logs: list[str]

    def doc(self, nct_id: str, kind: str) -> ReadBack:
        return read_back(self.out / f"{nct_id}-{kind}.pdf")


@pytest.fixture(scope="session")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    out = tmp_path_factory.mktemp("sample-pdfs")
    trials = all_samples()
    with collect_logs("weasyprint", "trialpress") as logs:
        paths = pdf.render_pdfs(trials, out, jobs=2, site_url=SITE_URL)
    return Rendered(out, {t.nct_id: t for t in trials}, paths, logs)


SAMPLE_IDS = [t.nct_id for t in all_samples()]


@pytest.mark.slow
def test_samples_render_every_pdf_without_warnings(samples: Rendered) -> None:
    expected = [samples.out / f"{n}-{k}.pdf" for n in SAMPLE_IDS for k in pdf.KINDS]
    assert samples.paths == expected
    assert all(p.read_bytes().startswith(b"%PDF-1.7") for p in expected)
    assert samples.logs == []
    leftovers = [p.name for p in samples.out.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


@pytest.mark.slow
@pytest.mark.parametrize("nct_id", SAMPLE_IDS)
@pytest.mark.parametrize("kind", pdf.KINDS)
def test_sample_metadata_tags_and_text(samples: Rendered, nct_id: str, kind: str) -> None:
    trial = samples.trials[nct_id]
    doc = samples.doc(nct_id, kind)
    assert doc.title == pdf.printable(trial.title)
    assert trial.nct_id in doc.text
    tagged, lang = is_tagged(doc)
    assert tagged
    assert lang == "en"
    n = len(doc.pages)
    for i, page in enumerate(doc.pages, start=1):
        assert f"page {i} of {n}" in page
    assert glyph_problems(doc, trial_chars(trial)) == []


@pytest.mark.slow
@pytest.mark.parametrize("nct_id", SAMPLE_IDS)
def test_sample_checklist_has_every_criterion_in_order(samples: Rendered, nct_id: str) -> None:
    trial = samples.trials[nct_id]
    doc = samples.doc(nct_id, "checklist")
    crits = trial.eligibility.all_criteria()
    text = body_text(doc, trial)
    texts = [pdf.printable(c.text) for c in crits]
    assert missing_in_order(texts, text) == []
    # ... and each exactly once (as a whole, after squashing; the title may quote one)
    text = text.replace(squash(pdf.printable(trial.title)), "", 1)
    for crit_text in texts:
        if len(squash(crit_text)) > 40 and ltr_only(crit_text) == crit_text:
            assert text.count(squash(crit_text)) == 1, crit_text[:60]


@pytest.mark.slow
def test_big_trial_fits_its_brief_and_covers_cjk_punctuation(samples: Rendered) -> None:
    trial = samples.trials["NCT09000001"]
    brief = samples.doc(trial.nct_id, "brief")
    assert len(brief.pages) <= 2
    assert "437 sites in 7 countries" in brief.text
    assert "see the eligibility checklist" in brief.text
    assert f"{SITE_URL}/trials/{trial.nct_id}/" in squash(brief.text)
    assert f"https://clinicaltrials.gov/study/{trial.nct_id}" in squash(brief.text)
    chars = set(brief.text + samples.doc(trial.nct_id, "checklist").text)
    for ch in "≥≤µ（），ÉÅ":
        assert ch in chars, ch
    assert len(trial.eligibility.raw_text or "") >= 19000


@pytest.mark.slow
def test_a_criterion_longer_than_a_page_splits_instead_of_hanging(samples: Rendered) -> None:
    trial = long_criterion_trial()
    doc = samples.doc(trial.nct_id, "checklist")
    assert len(doc.pages) >= 2
    assert squash(trial.eligibility.inclusion[0].text) in body_text(doc, trial)


@pytest.mark.slow
def test_unbroken_words_wrap(samples: Rendered) -> None:
    trial = unbroken_word_trial()
    doc = samples.doc(trial.nct_id, "checklist")
    assert "x" * 20000 in body_text(doc, trial)
    assert len(doc.pages) <= 8  # about 65 characters a line
    brief = samples.doc(trial.nct_id, "brief")
    assert "F" * 300 in squash(brief.text)
    assert squash(trial.summary or "") in squash(brief.text)
    for page in doc.reader.pages:
        assert float(page.mediabox.width) < 600


@pytest.mark.slow
def test_hostile_text_shows_literally(samples: Rendered) -> None:
    trial = hostile_trial()
    brief = samples.doc(trial.nct_id, "brief")
    assert brief.title == pdf.printable(trial.title)
    assert "\ufffd[31mred\ufffd" in brief.title
    text = squash(brief.text)
    assert squash("<script>alert(1)</script>") in text
    assert squash("{{ 7*7 }}") in text
    assert squash('<img src="http://example.invalid/x.png">') in text
    uris = []
    for page in brief.reader.pages:
        for annot in page.get("/Annots") or []:
            action = annot.get_object().get("/A")
            if action is not None and "/URI" in action:
                uris.append(str(action["/URI"]))
    assert uris
    assert all(
        u.startswith((SITE_URL, "https://clinicaltrials.gov/study/NCT09000004")) for u in uris
    ), uris
    checklist = samples.doc(trial.nct_id, "checklist").text
    assert "עברית" in checklist
    assert "live" in checklist  # the override reversed "evil" inside its own run only
    assert squash("then left to right again") in squash(checklist)
    assert squash("[link](javascript:alert(1)) # heading") in squash(checklist)


@pytest.mark.slow
def test_minimal_trial_renders_its_placeholders(samples: Rendered) -> None:
    doc = samples.doc("NCT09000005", "checklist")
    assert "The record lists no inclusion criteria." in doc.text
    assert len(samples.doc("NCT09000005", "brief").pages) == 1


# --------------------------------------------------------------------------------------
# Reproducibility, caching, atomic writes, errors
# --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_in_process_render_is_byte_identical_to_workers(samples: Rendered) -> None:
    trial = minimal_trial()
    again = pdf.render_brief(trial, site_url=SITE_URL)
    assert again == (samples.out / f"{trial.nct_id}-brief.pdf").read_bytes()
    assert pdf.render_brief(trial, site_url=SITE_URL) == again


@pytest.mark.slow
def test_jobs_1_gives_the_same_bytes_as_jobs_2(samples: Rendered, tmp_path: Path) -> None:
    trials = [big_trial(), hostile_trial()]
    paths = pdf.render_pdfs(trials, tmp_path, jobs=1, site_url=SITE_URL)
    for path in paths:
        assert path.read_bytes() == (samples.out / path.name).read_bytes(), path.name


@pytest.mark.slow
def test_another_process_with_another_hash_seed_gives_the_same_bytes(
    samples: Rendered, tmp_path: Path
) -> None:
    code = (
        "import sys; from pathlib import Path; from tests.pdf_samples import hostile_trial;"
        "from trialpress.pdf import render_checklist;"
        f"Path(sys.argv[1]).write_bytes(render_checklist(hostile_trial(), site_url={SITE_URL!r}))"
    )
    out = tmp_path / "again.pdf"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run(
        [sys.executable, "-c", code, str(out)], cwd=ROOT, env=env, check=True, timeout=300
    )
    assert out.read_bytes() == (samples.out / "NCT09000004-checklist.pdf").read_bytes()


@pytest.mark.slow
def test_letter_page_size(tmp_path: Path) -> None:
    data = pdf.render_brief(minimal_trial(), page_size="Letter")
    (tmp_path / "x.pdf").write_bytes(data)
    box = read_back(tmp_path / "x.pdf").reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)
    a4 = read_back_bytes(tmp_path, pdf.render_brief(minimal_trial())).reader.pages[0].mediabox
    assert (round(float(a4.width)), round(float(a4.height))) == (595, 842)


def read_back_bytes(folder: Path, data: bytes) -> ReadBack:
    path = folder / f"doc-{len(data)}.pdf"
    path.write_bytes(data)
    return read_back(path)


@dataclass
class Spy:
    """What this process rendered: each PDF asked of a renderer and each WeasyPrint layout."""

    renders: list[tuple[str, str]] = field(default_factory=list)
    layouts: int = 0


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Spy:
    """Count renders (with jobs=1 they happen in this process); the real ones still run."""
    seen = Spy()
    render_logged = pdf.Renderer.render_logged
    pdf_from_html = pdf.Renderer.pdf_from_html

    def counted_render(
        self: pdf.Renderer, trial: Trial, kind: pdf.Kind, options: pdf.Options
    ) -> tuple[bytes, list[tuple[int, str]]]:
        seen.renders.append((trial.nct_id, kind))
        return render_logged(self, trial, kind, options)

    def counted_layout(self: pdf.Renderer, html: str, options: pdf.Options) -> bytes:
        seen.layouts += 1
        return pdf_from_html(self, html, options)

    monkeypatch.setattr(pdf.Renderer, "render_logged", counted_render)
    monkeypatch.setattr(pdf.Renderer, "pdf_from_html", counted_layout)
    return seen


@pytest.mark.slow
def test_cache_reuses_unchanged_pdfs_and_redoes_changed_ones(tmp_path: Path, spy: Spy) -> None:
    trials = [minimal_trial(), long_criterion_trial()]
    first = pdf.render_pdfs(trials, tmp_path, jobs=1)
    assert len(spy.renders) == 4
    spy.renders.clear()
    again = pdf.render_pdfs(trials, tmp_path, jobs=1)
    assert again == first
    assert spy.renders == []

    changed = [trials[0].model_copy(update={"title": "Minimal, retitled"}), trials[1]]
    (tmp_path / "NCT09000002-brief.pdf").write_bytes(b"damaged")
    third = pdf.render_pdfs(changed, tmp_path, jobs=1)
    assert third == first
    # the retitled trial's two PDFs and the damaged one; the other checklist is reused
    assert sorted(spy.renders) == [
        ("NCT09000002", "brief"),
        ("NCT09000005", "brief"),
        ("NCT09000005", "checklist"),
    ]
    assert (tmp_path / "NCT09000002-brief.pdf").read_bytes().startswith(b"%PDF")
    assert read_back(tmp_path / "NCT09000005-brief.pdf").title == "Minimal, retitled"


def _broken_templates(tmp_path: Path) -> Path:
    override = tmp_path / "templates"
    (override / "pdf").mkdir(parents=True)
    (override / "pdf" / "brief.html").write_text(
        "{# context: trial #}<html><title>{{ trial.title }}</title>{{ trial.no_such_field }}",
        encoding="utf-8",
    )
    return override


@pytest.mark.slow
def test_render_error_names_trial_and_source_and_keeps_old_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    trial = minimal_trial()
    pdf.render_pdfs([trial], out, jobs=1)
    old = (out / "NCT09000005-brief.pdf").read_bytes()
    with pytest.raises(RenderError) as info:
        pdf.render_pdfs([trial], out, jobs=1, templates=_broken_templates(tmp_path))
    message = str(info.value)
    assert message.startswith("samples/minimal.txt: NCT09000005: cannot render the brief PDF")
    assert "no_such_field" in message
    assert (out / "NCT09000005-brief.pdf").read_bytes() == old
    assert [p.name for p in out.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.slow
def test_collected_errors_let_the_other_pdfs_render(tmp_path: Path) -> None:
    errors: list[RenderError] = []
    trials = [minimal_trial(), hostile_trial()]
    paths = pdf.render_pdfs(
        trials, tmp_path / "out", jobs=2, templates=_broken_templates(tmp_path), errors=errors
    )
    assert sorted(e.path or "" for e in errors) == [
        "samples/NCT09000004.json",
        "samples/minimal.txt",
    ]
    assert sorted(p.name for p in paths) == [
        "NCT09000004-checklist.pdf",
        "NCT09000005-checklist.pdf",
    ]


@pytest.mark.slow
def test_cache_dir_reuses_an_earlier_build_into_a_fresh_folder(tmp_path: Path, spy: Spy) -> None:
    trials = [minimal_trial()]
    old = tmp_path / "old"
    first = pdf.render_pdfs(trials, old, jobs=1)
    assert len(spy.renders) == 2
    spy.renders.clear()
    new = tmp_path / "new"
    with collect_logs("trialpress") as logs:
        second = pdf.render_pdfs(trials, new, jobs=1, cache_dir=old)
    assert [p.read_bytes() for p in second] == [p.read_bytes() for p in first]
    assert spy.renders == []  # copied, not rendered
    assert logs == []
    # the new folder's own manifest now makes it a cache too
    assert pdf.render_pdfs(trials, new, jobs=1) == second
    assert spy.renders == []


def test_duplicate_nct_id_is_an_error_naming_both_sources(tmp_path: Path) -> None:
    first = minimal_trial()
    second = first.model_copy(
        update={"source": first.source.model_copy(update={"path": "other/minimal.json"})}
    )
    with pytest.raises(RenderError) as info:
        pdf.render_pdfs([first, second], tmp_path, jobs=1)
    assert str(info.value) == (
        "other/minimal.json: NCT09000005: duplicate NCT ID, PDFs already made from "
        "samples/minimal.txt"
    )
    assert list(tmp_path.glob("*.pdf")) == []


@pytest.mark.slow
def test_workers_from_a_threaded_process_give_the_same_bytes(
    samples: Rendered, tmp_path: Path
) -> None:
    """With another thread alive (as in ``mkdocs serve``) workers come from a fork server."""
    import threading

    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, daemon=True)
    thread.start()
    try:
        assert threading.active_count() > 1
        paths = pdf.render_pdfs([minimal_trial()], tmp_path, jobs=2, site_url=SITE_URL)
    finally:
        stop.set()
        thread.join()
    for path in paths:
        assert path.read_bytes() == (samples.out / path.name).read_bytes()


@pytest.mark.slow
def test_countries_without_sites_are_listed_without_counts(tmp_path: Path) -> None:
    trial = minimal_trial().model_copy(update={"countries": ["France", "Česko"]})
    doc = read_back_bytes(tmp_path, pdf.render_brief(trial))
    assert "France; Česko" in doc.text
    assert "(0)" not in doc.text
    assert "sites in" not in doc.text


@pytest.mark.slow
def test_an_edited_override_stylesheet_is_used_at_once(tmp_path: Path) -> None:
    """The renderer a process keeps is rebuilt when the templates change on disk."""
    override = tmp_path / "templates"
    (override / "pdf").mkdir(parents=True)
    css = (default_templates_dir() / "pdf" / "print.css").read_text(encoding="utf-8")
    (override / "pdf" / "print.css").write_text(css, encoding="utf-8")
    trial = minimal_trial()
    before = pdf.render_brief(trial, templates=override)
    (override / "pdf" / "print.css").write_text(css + "\nh1 { font-size: 30pt; }\n")
    after = pdf.render_brief(trial, templates=override)
    assert after != before
    assert after == pdf.Renderer(override).render(trial, "brief", pdf.Options())
    out = tmp_path / "out"
    paths = pdf.render_pdfs([trial], out, jobs=2, templates=override)
    assert paths[0].read_bytes() == after


def test_a_record_too_long_to_print_is_a_clear_error(tmp_path: Path, spy: Spy) -> None:
    huge = long_criterion_trial(pdf.MAX_HTML_CHARS + 1000)
    errors: list[RenderError] = []
    paths = pdf.render_pdfs([huge, minimal_trial()], tmp_path, jobs=1, errors=errors)
    # four PDFs asked for, three laid out: WeasyPrint never sees the too-long checklist
    assert len(spy.renders) == 4
    assert spy.layouts == 3
    assert [str(e) for e in errors] == [
        f"samples/NCT09000002.json: NCT09000002: the checklist PDF would be too long to print "
        f"({len(pdf.get_renderer().html(huge, 'checklist', pdf.Options())):,} characters of "
        f"HTML, at most {pdf.MAX_HTML_CHARS:,})"
    ]
    assert [p.name for p in paths] == [
        "NCT09000002-brief.pdf",
        "NCT09000005-brief.pdf",
        "NCT09000005-checklist.pdf",
    ]
