"""Where templates come from: a user's override folder first, then the shipped defaults.

The defaults live in the repository's top-level ``templates/`` and are installed inside the
package as ``trialpress/templates`` (see ``pyproject.toml``), so a wheel carries them.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def default_templates_dir() -> Path:
    """The shipped templates: inside the installed package, or the source tree's top level."""
    installed = _PACKAGE_DIR / "templates"
    if installed.is_dir():
        return installed
    source_tree = _PACKAGE_DIR.parents[1] / "templates"
    if source_tree.is_dir():
        return source_tree
    raise FileNotFoundError("trialpress templates not found; reinstall the package")


def template_dirs(override: str | Path | None = None) -> list[Path]:
    """Search path for templates: the override folder (if any) before the defaults."""
    dirs = [Path(override)] if override else []
    return [*dirs, default_templates_dir()]
