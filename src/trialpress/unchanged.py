"""A ``trialpress build`` whose inputs and output are exactly as the last build left them.

Such a build would write the same bytes again, so it is skipped: the CLI reports the last
build's summary, warnings and errors (same exit status) and leaves the output untouched.
What the last build was made from is recorded beside its working folder (see
:func:`trialpress.build.build_trials`), under the same lock:

- the inputs: every record file's bytes, the MkDocs config file and its settings, the
  docs folder, theme overrides and hooks, the shipped and override templates, the build's
  options, the current folder, the environment variables a build reads, trialpress's own
  source and the version of every installed distribution (MkDocs, the theme, Pagefind, ...);
- the history store as the build left it (it is read and written by every build);
- the output: every file's path, size, modification time and inode.

Anything that differs, or a file added to or removed from any of them, means a real build.
A record that could not be read is reported again, as the last build reported it. A build
after one that printed MkDocs warnings is never skipped (they would be lost), nor one
without a reuse store (``--no-cache``).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from trialpress import __version__
from trialpress.store import digest, write_if_changed

#: Environment variables that change what a build makes.
_ENVIRONMENT = ("SOURCE_DATE_EPOCH", "PAGEFIND_BINARY_PATH", "TRIALPRESS_NO_CACHE")


@dataclass
class Outcome:
    """What the CLI reported for a build, to report it again."""

    trials: int
    warnings: int
    #: Every error line, in the order printed (record errors, then build errors).
    errors: list[str] = field(default_factory=list)
    #: ``(level, text)`` lines printed about the records (warnings and notes, --verbose).
    messages: list[tuple[str, str]] = field(default_factory=list)


def _file_digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        return f"unreadable: {exc.errno}"


def _tree(root: Path | None) -> list[tuple[str, str]]:
    """(relative path, SHA-256) of every file under ``root``, bytecode caches left out:
    any process that first imports a module writes one, which changes no build."""
    if root is None or not root.is_dir():
        return []
    out: list[tuple[str, str]] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            path = Path(folder) / name
            out.append((path.relative_to(root).as_posix(), _file_digest(path)))
    return out


def _stats(root: Path, prefix: str = "") -> list[tuple[str, int, int, int]]:
    """(relative path, size, modification time, inode) of every file under ``root``
    (links as links; thousands of files, so directory entries rather than paths)."""
    out: list[tuple[str, int, int, int]] = []
    with os.scandir(root) as it:
        entries = sorted(it, key=lambda e: e.name)
    for e in entries:
        if e.is_dir(follow_symlinks=False):
            out += _stats(Path(e.path), f"{prefix}{e.name}/")
        else:
            st = e.stat(follow_symlinks=False)
            out.append((prefix + e.name, st.st_size, st.st_mtime_ns, st.st_ino))
    return out


def _object(o: object) -> Any:
    if isinstance(o, set | frozenset):
        return sorted(str(x) for x in o)  # in no order from one process to the next
    text = str(o)
    return type(o).__name__ if " at 0x" in text else text  # never a memory address


def _plain(value: Any) -> Any:
    """A config value as JSON (objects by their text, or type when it holds an address)."""
    return json.loads(json.dumps(value, default=_object, sort_keys=True))


def fingerprint(
    record_files: Sequence[Path],
    config: Any,
    config_file: Path,
    templates: Sequence[Path | None],
    options: dict[str, Any],
) -> str:
    """Digest of what a build is made from (see the module's docstring)."""
    hooks = [
        getattr(sys.modules.get(getattr(m, "__name__", "")), "__file__", None)
        for m in (config.get("hooks") or {}).values()
    ]
    distributions = sorted(
        (d.metadata["Name"] or "", d.version) for d in importlib.metadata.distributions()
    )
    return digest(
        "build",
        __version__,
        _tree(Path(__file__).parent),  # an editable install changes without a new version
        distributions,
        str(Path.cwd()),
        {k: os.environ.get(k) for k in _ENVIRONMENT},
        options,
        [(str(p), _file_digest(p)) for p in record_files],
        str(config_file),
        _file_digest(config_file),
        {k: _plain(v) for k, v in config.items() if k not in ("theme", "plugins")},
        # The theme's and plugins' own options (an INHERITed file may set them).
        _plain(dict(config.theme)),
        [config.theme.name, config.theme.dirs, sorted(config.theme.static_templates)],
        {name: _plain(dict(plugin.config)) for name, plugin in config.plugins.items()},
        _tree(Path(config.docs_dir)),
        _tree(Path(config.theme.custom_dir) if config.theme.custom_dir else None),
        [(h, _file_digest(Path(h))) for h in hooks if h],
        [_tree(t) for t in templates],
    )


def _history(root: Path) -> str:
    """The history store's state: every index file's bytes, every version file's size."""
    if not root.is_dir():
        return "none"
    parts: list[Any] = []
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            path = Path(folder) / name
            rel = path.relative_to(root).as_posix()
            if name == "versions.json":
                parts.append((rel, _file_digest(path)))
            elif not name.startswith("."):
                parts.append((rel, path.stat().st_size))
    return digest(parts)


class LastBuild:
    """The record of the last build into one output, kept beside its working folder."""

    def __init__(self, work: Path) -> None:
        self.path = work.parent / f"{work.name}.last-build.json"

    def matches(self, inputs: str, history: Path, out: Path) -> Outcome | None:
        """The last build's outcome, when its inputs, the history and the output are as
        it left them; else None."""
        try:
            data = json.loads(self.path.read_bytes())
            if data["inputs"] != inputs or data["history"] != _history(history):
                return None
            if not out.is_dir() or data["output"] != digest(_stats(out)):
                return None
            outcome = data["outcome"]
            outcome["messages"] = [tuple(m) for m in outcome["messages"]]
            return Outcome(**outcome)
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def save(self, inputs: str, history: Path, out: Path, outcome: Outcome) -> None:
        """Record a finished build (its output in place)."""
        data = {
            "inputs": inputs,
            "history": _history(history),
            "output": digest(_stats(out)),
            "outcome": asdict(outcome),
        }
        write_if_changed(self.path, json.dumps(data, indent=1).encode("utf-8"))

    def forget(self) -> None:
        """A build that cannot be skipped next time (it failed, or printed warnings)."""
        self.path.unlink(missing_ok=True)
