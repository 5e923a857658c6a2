"""The demo site builds with every engine that runs MkDocs plugins: MkDocs 1.6 and ProperDocs.

ProperDocs (a maintained fork of MkDocs 1.6.1) loads plugins from the same
``mkdocs.plugins`` entry points, so the trialpress plugin needs no change; the test runs
each engine's own command on the demo config (only its paths made absolute and its
generated folder moved into the test's temporary folder) and checks the result.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.sample_trials import PALMIRA_ID, POLAR_ID
from tests.site_helpers import ROOT, check_links
from trialpress import search

pytestmark = pytest.mark.slow


def demo_config(tmp_path: Path) -> Path:
    """The demo ``mkdocs.yml`` with absolute paths and the generated folder in ``tmp_path``."""
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    config["docs_dir"] = str(ROOT / config["docs_dir"])
    for plugin in config["plugins"]:
        if isinstance(plugin, dict) and "trialpress" in plugin:
            options = plugin["trialpress"]
            options["records"] = [str(ROOT / r) for r in options["records"]]
            options["cache_dir"] = str(tmp_path / "generated")
    path = tmp_path / "mkdocs.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def build_with(engine: str, tmp_path: Path) -> Path:
    """Run ``ENGINE build --strict`` on the demo config; return the site folder."""
    tmp_path.mkdir()
    out = tmp_path / "site"
    cfg = demo_config(tmp_path)
    run = subprocess.run(
        [sys.executable, "-m", engine, "build", "--strict", "-f", str(cfg), "-d", str(out)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    return out


_GENERATOR = re.compile(rb'<meta name="generator" content="[^"]*">')


def test_demo_site_builds_with_mkdocs_and_properdocs(tmp_path: Path) -> None:
    sites = {e: build_with(e, tmp_path / e) for e in ("mkdocs", "properdocs")}
    for out in sites.values():
        for nct in (POLAR_ID, PALMIRA_ID):
            html = (out / "trials" / nct / "index.html").read_text(encoding="utf-8")
            assert f'<a class="tp-nct" href="https://clinicaltrials.gov/study/{nct}">' in html
            assert 'data-md-component="search"' in html  # Material's header search box
            assert search.WORKER_ASSET in html
            assert f'href="../../pdf/{nct}-brief.pdf"' in html
            assert (out / "pdf" / f"{nct}-brief.pdf").read_bytes().startswith(b"%PDF-")
            assert (out / "checklists" / nct / "index.html").is_file()
        assert (out / "pagefind" / "pagefind-entry.json").is_file()
        assert (out / search.WORKER_ASSET).is_file()
        assert check_links(out) > 100
    # The two engines give the same site; pages differ only in the generator they name.
    trees = {
        engine: {
            p.relative_to(out).as_posix(): _GENERATOR.sub(b"", p.read_bytes())
            for p in out.rglob("*")
            if p.is_file() and p.suffix != ".gz"
        }
        for engine, out in sites.items()
    }
    assert trees["mkdocs"].keys() == trees["properdocs"].keys()
    differ = [k for k, v in trees["mkdocs"].items() if trees["properdocs"][k] != v]
    assert differ == []
