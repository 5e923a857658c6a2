"""What ``pip install trialpress`` brings: only what the package itself uses at run time.

Test tools belong in the ``test`` extra, so a user's environment gets no pytest from us.
A runtime dependency must be imported somewhere in ``src/`` (found by parsing the code) or
be the MkDocs theme that the shipped site template names.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import tomllib
from typing import Any

import yaml

from tests.conftest import ROOT


def _dist_name(requirement: str) -> str:
    """``"mkdocs-material>=9.5"`` -> ``"mkdocs-material"`` (normalised as pip does)."""
    match = re.match(r"[A-Za-z0-9._-]+", requirement)
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match.group(0)).lower()


def _project() -> dict[str, Any]:
    with (ROOT / "pyproject.toml").open("rb") as fh:
        project: dict[str, Any] = tomllib.load(fh)["project"]
    return project


def _imported_by_src() -> set[str]:
    """Top-level module names imported anywhere in ``src/``."""
    names: set[str] = set()
    for path in (ROOT / "src").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
    return names


def _dists_of(modules: set[str]) -> set[str]:
    """The installed distributions that provide these top-level modules."""
    provides = importlib.metadata.packages_distributions()
    return {_dist_name(dist) for module in modules for dist in provides.get(module, [])}


def test_every_runtime_dependency_is_used_by_the_package() -> None:
    deps = {_dist_name(r) for r in _project()["dependencies"]}
    shipped = ROOT / "templates" / "site" / "default" / "mkdocs.yml"
    site = yaml.safe_load(shipped.read_text(encoding="utf-8"))
    theme = site["theme"]["name"]
    used = _dists_of(_imported_by_src() | {theme})
    assert deps - used == set()


def test_test_tools_are_only_in_the_test_extra() -> None:
    project = _project()
    deps = {_dist_name(r) for r in project["dependencies"]}
    test_extra = {_dist_name(r) for r in project["optional-dependencies"]["test"]}
    assert {"pytest", "pytest-xdist", "hypothesis"} <= test_extra
    assert deps & test_extra == set()
