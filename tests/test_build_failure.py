"""Failure mid-build leaves the previous site exactly as it was, and no temp folders.

A site is built once; then builds that fail (a template override that raises) or are
interrupted (SIGINT, SIGTERM while PDFs render) run into the same output folder. Afterwards
every file of the old site has the same bytes, nothing was added or removed, the folder that
holds the site has no leftovers, and the exit status is non-zero.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tests.conftest import default_sigint, terminal_sigint, v2_study_files
from tests.hostile_site import TRIALPRESS, cli_env, run_trialpress
from tests.pdf_samples import failing_brief

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "records"


def digest_tree(root: Path) -> dict[str, str]:
    """sha256 of every file (and the names of empty folders) under ``root``."""
    out: dict[str, str] = {}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        out[rel] = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
    return out


@pytest.fixture(scope="module")
def previous(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A good site with PDFs in ``work/site``, and its digest."""
    work = tmp_path_factory.mktemp("failure")
    out = work / "site"
    result = run_trialpress("build", EXAMPLES, "--out", out, "--pdf", env=cli_env())
    assert result.returncode == 0, result.stderr[-4000:]
    assert (out / "pdf" / "NCT03820830-brief.pdf").is_file()
    return out, digest_tree(out)


def assert_untouched(out: Path, before: dict[str, str]) -> None:
    after = digest_tree(out)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert not changed, changed[:20]
    leftovers = sorted(p.name for p in out.parent.iterdir() if p.name != out.name)
    assert not leftovers, f"left beside the site: {leftovers}"


def many_records(tmp: Path) -> list[Path]:
    """Enough real studies that PDF rendering takes several seconds."""
    folder = tmp / "many"
    folder.mkdir()
    n = 0
    for path in v2_study_files():
        data = json.loads(path.read_text(encoding="utf-8"))
        for study in data if isinstance(data, list) else [data]:
            (folder / f"{n:03d}.json").write_text(json.dumps(study), encoding="utf-8")
            n += 1
            if n >= 40:
                return [EXAMPLES, folder]
    return [EXAMPLES, folder]


def test_exception_in_a_template_keeps_the_previous_site(
    previous: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    out, before = previous
    override = tmp_path / "templates"
    (override / "site").mkdir(parents=True)
    (override / "site" / "checklist.md").write_text(
        "{# raises on render #}{{ trial.no_such_attribute.deeper }}\n", encoding="utf-8"
    )
    result = run_trialpress("build", EXAMPLES, "--out", out, "--templates", override, env=cli_env())
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert "Error:" in result.stderr
    assert_untouched(out, before)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_build_keeps_the_previous_site(
    previous: tuple[Path, dict[str, str]], tmp_path: Path, sig: signal.Signals
) -> None:
    out, before = previous
    records = many_records(tmp_path)
    proc = subprocess.Popen(
        [str(TRIALPRESS), "build", *map(str, records), "--out", str(out), "--pdf"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(),
        cwd=ROOT,
        start_new_session=True,
        preexec_fn=default_sigint,
    )
    # Wait until PDFs are being written into the build's temporary folder, then signal.
    deadline = time.monotonic() + 90
    rendering = False
    while time.monotonic() < deadline and proc.poll() is None and not rendering:
        temps = [p for p in out.parent.iterdir() if p.name != out.name]
        rendering = any(any(t.rglob("*.pdf")) for t in temps if t.is_dir())
        time.sleep(0.05)
    assert rendering, "never saw PDFs being rendered in a temporary folder beside the site"
    assert proc.poll() is None, "build ended before it could be interrupted"
    proc.send_signal(sig)
    try:
        _, stderr = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail(f"build did not stop within 60 s of {sig.name}")
    assert proc.returncode != 0, stderr[-3000:]
    assert "Traceback" not in stderr, stderr[-3000:]
    assert "Error:" in stderr, stderr[-3000:]
    assert_untouched(out, before)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_whose_exception_was_swallowed_still_stops_the_build(
    previous: tuple[Path, dict[str, str]], sig: signal.Signals
) -> None:
    """A stop signal only sets a flag; whatever happens to the code it interrupted (CPython
    swallows exceptions in at-fork callbacks, libraries wrap them), the build stops at its
    next checkpoint, at the latest before the swap, so the previous output survives."""
    from trialpress.build import build_trials
    from trialpress.readers import read_paths
    from trialpress.stopping import BuildInterrupted, stop_on_signals

    out, before = previous
    trials = [t for t in read_paths([EXAMPLES]) if not isinstance(t, Exception)]
    with terminal_sigint(), stop_on_signals():
        # what CPython does to the exception of a handler run in an at-fork callback
        with contextlib.suppress(BaseException):
            signal.raise_signal(sig)
        with pytest.raises(KeyboardInterrupt if sig == signal.SIGINT else BuildInterrupted):
            build_trials(trials, out, pdf=False)
    assert_untouched(out, before)
    # Outside the context the handlers are back and nothing is remembered.
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_a_failing_pdf_leaves_its_trial_without_pdf_links(tmp_path: Path) -> None:
    """PDFs render while the pages are made, and the pages link the PDFs expected: a trial
    whose PDF then fails has its pages made again without the links (exactly the pages a
    build without PDFs makes), the rest is built with them, and the exit status is 1."""
    failing, fine = "NCT03809988", "NCT03820830"
    override = failing_brief(tmp_path / "templates", failing)
    site = tmp_path / "site"
    result = run_trialpress(
        "build", EXAMPLES, "--out", site, "--pdf", "--templates", override, "--jobs", "2"
    )
    assert result.returncode == 1, result.stderr[-3000:]
    assert f"{failing}: cannot render the brief PDF" in result.stderr
    assert "no_such_field" in result.stderr
    no_pdf = tmp_path / "no-pdf"
    result = run_trialpress("build", EXAMPLES, "--out", no_pdf, "--no-pdf", "--templates", override)
    assert result.returncode == 0, result.stderr[-3000:]

    def pdf_links(page: Path) -> list[str]:
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html5lib")
        return sorted(str(a["href"]) for a in soup.find_all("a", href=re.compile(r"\.pdf$")))

    for folder in ("trials", "checklists"):
        page = Path(folder) / failing / "index.html"
        assert pdf_links(site / page) == []
        assert (site / page).read_bytes() == (no_pdf / page).read_bytes()
        assert pdf_links(site / folder / fine / "index.html"), f"{folder}: {fine} links no PDF"
    assert (site / "pdf" / f"{fine}-brief.pdf").is_file()
    assert not (site / "pdf" / f"{failing}-brief.pdf").exists()
