"""The executor pages and PDFs render on, and the publish stage's use of it.

- :func:`trialpress.executor.run_tasks` runs tasks in this process (jobs=1) or in worker
  processes (jobs=2), and a failed task raises where its outcome is read;
- a trial's pages rendered from its :class:`~trialpress.publish.CorpusView` (all a worker
  gets of the corpus) equal the pages rendered from the whole corpus, and a page that asks
  the view something its key does not record fails instead of differing;
- trials are sent in batches, only those the store lacks; a stop request during a batch
  ends the build after that batch and the previous output stays as it was;
- standalone pages (their theme render) run in forked workers with two jobs: the same
  bytes as in one process, each page rendered once, workers' warnings counted by strict
  mode, and a stop while they render leaves the previous output as it was.

Byte-identical output of one process, a pool and a Dask ``LocalCluster`` is in
``tests/test_publish.py``.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.sample_trials import PALMIRA_ID, hostile_trial, palmira, polar
from tests.site_helpers import demo_site, v2_sample
from trialpress import plugin as plugin_module
from trialpress import publish
from trialpress.build import build_trials
from trialpress.corpus import Corpus
from trialpress.errors import RenderError
from trialpress.executor import Tasks, run_tasks, task_pool
from trialpress.layout import FINDER_DATA
from trialpress.models import Trial
from trialpress.plugin import TrialpressPlugin
from trialpress.publish import CorpusView, PublishOptions, corpus_view, generate
from trialpress.render import TRIAL_PAGES, SiteContext
from trialpress.stopping import BuildInterrupted, stop_on_signals


def _pid() -> int:
    return os.getpid()


def _fail(n: int) -> int:
    if n == 2:
        raise ValueError(f"task {n} failed")
    return n * 10


def test_one_job_runs_tasks_here_two_jobs_in_worker_processes() -> None:
    with run_tasks(_pid, [()] * 4, jobs=1) as outcomes:
        here = {i: o.result() for i, o in outcomes}
    assert here == dict.fromkeys(range(4), os.getpid())
    with run_tasks(_pid, [()] * 4, jobs=2) as outcomes:
        there = {i: o.result() for i, o in outcomes}
    assert sorted(there) == [0, 1, 2, 3]
    assert os.getpid() not in there.values()


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_failed_task_raises_where_its_outcome_is_read(jobs: int) -> None:
    results: dict[int, int] = {}
    failed: list[str] = []
    with run_tasks(_fail, [(n,) for n in range(4)], jobs=jobs) as outcomes:
        for i, outcome in outcomes:
            try:
                results[i] = outcome.result()
            except ValueError as exc:
                failed.append(str(exc))
    assert results == {0: 0, 1: 10, 3: 30}
    assert failed == ["task 2 failed"]


def test_in_one_process_a_task_runs_only_when_its_outcome_is_read() -> None:
    ran: list[int] = []
    with run_tasks(ran.append, [(1,), (2,), (3,)], jobs=1) as outcomes:
        listed = list(outcomes)
        assert [i for i, _ in listed] == [0, 1, 2] and ran == []
        listed[1][1].result()
    assert ran == [2]


class _Result:
    """A task's result (weak references can follow it in the caller's process)."""

    def __init__(self, n: int) -> None:
        self.n = n


def _result(n: int) -> _Result:
    return _Result(n)


def test_a_finished_tasks_result_is_let_go_once_handed_out() -> None:
    """The caller keeps what it needs of each result: the executor holds no finished task's
    result after handing it out (a read of 10,000 records returns hundreds of megabytes of
    JSON), while later tasks still run."""
    seen: list[weakref.ref[_Result]] = []
    with run_tasks(_result, [(n,) for n in range(6)], jobs=2) as outcomes:
        for _, outcome in outcomes:
            seen.append(weakref.ref(outcome.result()))
            del outcome
            gc.collect()
            assert [r() for r in seen[:-1]] == [None] * (len(seen) - 1)
    assert len(seen) == 6


# ----------------------------------------------------------------- the corpus a worker sees


def _trials() -> list[Trial]:
    return [polar(), palmira(), hostile_trial(), *v2_sample(every=10)]


def test_pages_from_a_trials_corpus_view_equal_pages_from_the_whole_corpus() -> None:
    trials = _trials()
    corpus = Corpus(trials)
    whole = SiteContext(corpus=corpus, pdf=frozenset(corpus.trials))
    compared = 0
    for trial in corpus.trials.values():
        view = SiteContext(
            corpus=CorpusView(corpus_view(corpus, trial)),
            pdf=frozenset({trial.nct_id}),
            jinja=whole.env,
        )
        for page in TRIAL_PAGES:
            if page.applies(trial):
                assert page.render(trial, view) == page.render(trial, whole), (
                    trial.nct_id,
                    page.template,
                )
                compared += 1
    assert compared >= 2 * len(corpus)
    # The views named related trials on the site and MeSH terms, so the check covered them.
    views = [corpus_view(corpus, t) for t in corpus.trials.values()]
    assert any(any(v["on_site"].values()) for v in views)
    assert any(v["terms"]["condition"] for v in views)


def test_a_page_asking_what_its_key_does_not_record_fails(tmp_path: Path) -> None:
    override = tmp_path / "tpl" / "site"
    override.mkdir(parents=True)
    shipped = Path(__file__).resolve().parents[1] / "templates" / "site" / "checklist.md"
    (override / "checklist.md").write_text(
        shipped.read_text("utf-8").replace(
            "{% block body %}", '{% block body %}{{ "NCT99999999" in corpus.trials }}', 1
        ),
        encoding="utf-8",
    )
    options = PublishOptions(pdf=False, templates=override.parent, jobs=1)
    with pytest.raises(RenderError, match="reuse key does not record"):
        generate(Corpus([polar()]), options, tmp_path / "out")


# ----------------------------------------------------------------- batches and stopping


def digest_tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no mkdocs.yml here: the bundled config is used
    return tmp_path


Spy = list[tuple[str, int, int | None]]


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> Spy:
    """(task, number of tasks, jobs) of each executor the publish stage makes, by task."""
    calls: Spy = []
    real = task_pool

    @contextmanager
    def spy(**kw: Any) -> Iterator[Tasks]:
        with real(**kw) as tasks:
            counts: dict[str, int] = {}
            submit = tasks.submit

            def counted(fn: Callable[..., Any], *args: Any, key: str | None = None) -> Any:
                counts[fn.__name__] = counts.get(fn.__name__, 0) + 1
                return submit(fn, *args, key=key)

            tasks.submit = counted  # type: ignore[method-assign]
            yield tasks
            calls.extend((name, n, kw.get("jobs")) for name, n in counts.items())

    monkeypatch.setattr("trialpress.publish.task_pool", spy)
    return calls


@pytest.mark.slow
def test_only_trials_the_store_lacks_are_sent_in_batches(in_tmp: Path, sent: Spy) -> None:
    trials = _trials()[:12]
    cache = in_tmp / "cache"
    first = build_trials(trials, in_tmp / "site", cache=cache, pdf=False, jobs=2)
    assert first.errors == []
    # 12 trials on 2 jobs: batches of at least BATCH_MIN trials, more than one of them.
    assert sent == [("render_batch", 12 // publish.BATCH_MIN, 2)]
    sent.clear()
    again = build_trials(trials, in_tmp / "site", cache=cache, pdf=False, jobs=2)
    assert again.rendered == [] and sent == []  # nothing sent to any worker
    sent.clear()
    changed = [
        t.model_copy(update={"title": "Retitled"}) if t.nct_id == PALMIRA_ID else t for t in trials
    ]
    third = build_trials(changed, in_tmp / "site", cache=cache, pdf=False, jobs=2)
    assert sent == [("render_batch", 1, 2)]
    # Of the per-trial outputs, only the changed trial's were made again.
    per_trial = [r for r in third.rendered if r.split(":")[0] in ("page", "data", "exports")]
    assert [r for r in per_trial if PALMIRA_ID not in r] == [f"data:{FINDER_DATA}"]


def _built_once(folder: Path) -> tuple[list[Trial], Path, dict[str, str]]:
    """Eight trials built into ``folder/site`` in one process: the trials, the site and its
    digests (a stopped rebuild must leave them as they are)."""
    trials = _trials()[:8]
    out = folder / "site"
    assert build_trials(trials, out, pdf=False, jobs=1).errors == []
    return trials, out, digest_tree(out)


@pytest.mark.slow
def test_a_stop_during_a_batch_ends_the_build_after_it(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trials, out, before = _built_once(in_tmp)
    batches: list[list[str]] = []
    real = publish.render_batch

    def stopped_during(batch: publish.Batch) -> list[str]:
        batches.append([w.nct_id for w in batch.work])
        done = real(batch)
        signal.raise_signal(signal.SIGTERM)  # arrives as the batch ends
        return done

    monkeypatch.setattr(publish, "render_batch", stopped_during)
    changed = [t.model_copy(update={"title": t.title + " (amended)"}) for t in trials]
    with stop_on_signals(), pytest.raises(BuildInterrupted):
        build_trials(changed, out, pdf=False, jobs=1)
    # The batch that was rendering finished; no other batch started.
    assert len(batches) == 1 and 1 <= len(batches[0]) < len(trials)
    assert digest_tree(out) == before
    assert sorted(p.name for p in in_tmp.iterdir() if p.name != ".trialpress") == ["site"]


def test_workers_that_cannot_see_the_output_folder_fail_the_build_clearly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cluster whose workers write into a folder of their own machine: the build says so
    instead of failing later on a missing file or publishing without the pages."""
    real = publish.render_batch

    def elsewhere(batch: publish.Batch) -> list[str]:
        return real(replace(batch, out=tmp_path / "worker-machine"))

    monkeypatch.setattr(publish, "render_batch", elsewhere)
    with pytest.raises(RenderError, match="must see the output and cache folders"):
        generate(Corpus([polar(), palmira()]), PublishOptions(pdf=False, jobs=1), tmp_path / "out")
    assert (tmp_path / "worker-machine" / "trials" / f"{PALMIRA_ID}.md").is_file()


# ----------------------------------------------------------------- reading records


@pytest.mark.slow
def test_records_parsed_in_workers_equal_records_read_here(tmp_path: Path) -> None:
    from benchmarks.scale_bench import write_records

    from trialpress.readers import READ_BATCH, read_records
    from trialpress.store import Store

    folder = tmp_path / "records"
    write_records(2 * READ_BATCH + 7, folder)
    (folder / "broken.json").write_text('{"protocolSection": ', encoding="utf-8")
    (folder / "empty.json").write_text("", encoding="utf-8")

    def read(jobs: int, store: Store | None = None) -> tuple[list[str], list[str], list[str]]:
        seen: list[str] = []
        trials, errors = read_records(
            [folder],
            on_result=lambda r: seen.append(getattr(r, "nct_id", None) or str(r)),
            store=store,
            jobs=jobs,
        )
        return [t.model_dump_json() for t in trials], [str(e) for e in errors], seen

    here = read(1)
    assert len(here[0]) == 2 * READ_BATCH + 7 and len(here[1]) == 2
    assert read(2) == here
    # Parsed in workers into a store, then read back from it here: the same again.
    store = Store(tmp_path / "store")
    assert read(2, store) == here
    assert len([p for p in (tmp_path / "store").rglob("*") if p.is_file()]) == len(here[0])
    assert read(2, Store(tmp_path / "store")) == here


# ----------------------------------------------------------------- standalone pages in workers


def _demo_build(work: Path, jobs: int, *, strict: bool = False) -> TrialpressPlugin:
    """A plain MkDocs build of the demo site with ``jobs``; its trialpress plugin."""
    from mkdocs.commands.build import build

    config = demo_site(work)
    config.strict = strict
    plugin = config.plugins["trialpress"]
    assert isinstance(plugin, TrialpressPlugin)
    plugin.config.jobs = jobs
    build(config)
    return plugin


def _html_rendered(plugin: TrialpressPlugin) -> list[str]:
    assert plugin.generated is not None
    return [r.removeprefix("html:") for r in plugin.generated.rendered if r.startswith("html:")]


@pytest.fixture
def ran_in_fresh_process(request: pytest.FixtureRequest) -> bool:
    """Standalone pages render in forked workers only in a process with one thread, and an
    earlier test in this process may have left an idle library thread (Dask's offload
    thread lives as long as its process). Then the test runs in a fresh interpreter, where
    it passes or fails as it would alone, and this returns True (the test body stops)."""
    if threading.active_count() == 1:
        return False
    if os.environ.get("TRIALPRESS_FRESH_TEST"):
        pytest.fail(f"a fresh interpreter has other threads: {threading.enumerate()}")
    root = Path(__file__).resolve().parents[1]
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-n", "0"]
    proc = subprocess.run(
        [*command, "-p", "no:cacheprovider", request.node.nodeid],
        cwd=root,
        env={**os.environ, "TRIALPRESS_FRESH_TEST": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "\n1 passed" in proc.stdout, proc.stdout[-2000:]
    return True


@pytest.mark.slow
def test_standalone_pages_rendered_in_workers_equal_pages_rendered_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ran_in_fresh_process: bool
) -> None:
    """With two jobs the standalone pages' theme render runs in forked workers, in several
    batches; each page is rendered once, and the site is byte-identical to one process's."""
    if ran_in_fresh_process:
        return
    monkeypatch.setattr(plugin_module, "HTML_BATCH_MIN", 2)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # the sitemap's date
    here = _demo_build(tmp_path / "one", 1)
    there = _demo_build(tmp_path / "two", 2)
    assert here.generated is not None and there.generated is not None
    standalone = there.generated.standalone
    assert len(standalone) > 4 * plugin_module.HTML_BATCH_MIN  # more than one batch a worker
    assert here.html_workers == set()
    assert len(there.html_workers) == 2 and os.getpid() not in there.html_workers
    assert _html_rendered(here) == _html_rendered(there) == standalone
    assert set(here.fast_pages) == set(there.fast_pages) >= set(standalone)
    assert digest_tree(tmp_path / "two" / "out") == digest_tree(tmp_path / "one" / "out")
    # Built again with nothing changed: every page comes from the working folder.
    (tmp_path / "two" / "mkdocs.yml").unlink()
    shutil.rmtree(tmp_path / "two" / "docs")
    again = _demo_build(tmp_path / "two", 2)
    assert _html_rendered(again) == [] and again.html_workers == set()
    assert digest_tree(tmp_path / "two" / "out") == digest_tree(tmp_path / "one" / "out")


@pytest.mark.slow
def test_a_warning_in_a_worker_fails_a_strict_build_as_one_here_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """MkDocs counts warnings in the build's own process: a worker's log lines are handled
    there, so strict mode fails alike whichever process rendered the page."""
    from mkdocs.exceptions import Abort

    real = TrialpressPlugin._render

    def warned(self: TrialpressPlugin, src: str, *args: Any) -> tuple[str, bool]:
        if src.startswith("checklists/"):
            logging.getLogger("mkdocs.plugins.trialpress").warning("odd page %s", src)
        return real(self, src, *args)

    monkeypatch.setattr(TrialpressPlugin, "_render", warned)
    monkeypatch.setattr(plugin_module, "HTML_BATCH_MIN", 2)
    seen: dict[int, list[str]] = {}
    for jobs in (1, 2):
        caplog.clear()
        with pytest.raises(Abort, match="Aborted with 2 warnings in strict mode"):
            _demo_build(tmp_path / str(jobs), jobs, strict=True)
        seen[jobs] = sorted(r.getMessage() for r in caplog.records if r.levelname == "WARNING")
    assert seen[1] == seen[2] and len(seen[2]) == 2
    assert all(m.startswith("odd page checklists/") for m in seen[2])


@pytest.mark.slow
def test_a_stop_while_workers_render_standalone_pages_leaves_the_previous_output(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch, ran_in_fresh_process: bool
) -> None:
    if ran_in_fresh_process:
        return
    trials, out, before = _built_once(in_tmp)
    monkeypatch.setattr(plugin_module, "HTML_BATCH_MIN", 2)
    parent, pids = os.getpid(), in_tmp / "pids.txt"
    real = TrialpressPlugin._render

    def stopping(self: TrialpressPlugin, src: str, *args: Any) -> tuple[str, bool]:
        done = real(self, src, *args)
        if src.startswith("checklists/"):  # the user stops the build while workers render
            with pids.open("a") as fh:
                fh.write(f"{os.getpid()}\n")
            os.kill(parent, signal.SIGTERM)
        return done

    # Patched on the class: the forked workers inherit it (a task function is pickled).
    monkeypatch.setattr(TrialpressPlugin, "_render", stopping)
    changed = [t.model_copy(update={"title": t.title + " (amended)"}) for t in trials]
    with stop_on_signals(), pytest.raises(BuildInterrupted):
        build_trials(changed, out, pdf=False, jobs=2)
    ran = pids.read_text().split()
    assert ran and str(parent) not in ran  # the workers rendered, then the build stopped
    assert digest_tree(out) == before
    assert sorted(p.name for p in in_tmp.iterdir() if p.name != ".trialpress") == [
        "pids.txt",
        "site",
    ]


def test_workers_see_the_source_date_epoch_of_the_build_that_sends_them_work(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With another thread alive, workers come from a fork server, which keeps the
    environment it started with (a build's SOURCE_DATE_EPOCH, for every later build in the
    process: `trialpress serve`). Each task carries the sender's value instead, so PDF dates
    follow the build that asked for them."""
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        seen = []
        for value in ("1700000000", None, "1600000000"):
            if value is None:
                monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
            else:
                monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
            args = [("SOURCE_DATE_EPOCH",)] * 2
            with run_tasks(os.getenv, args, jobs=2) as outcomes:
                seen.append(sorted(str(o.result()) for _, o in outcomes))
    finally:
        stop.set()
        thread.join()
    assert seen == [["1700000000"] * 2, ["None"] * 2, ["1600000000"] * 2]
