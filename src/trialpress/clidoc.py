"""Generate the README's CLI reference from the CLI itself, so the two never drift apart.

``python -m trialpress.clidoc`` rewrites the part of README.md between the markers
``<!-- cli-reference:start -->`` and ``<!-- cli-reference:end -->`` with click's help of
the group and of every command; ``--check`` only reports whether it is up to date (a test
runs that check). Help is rendered at a fixed width so the output does not depend on the
terminal it was generated in.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

START = "<!-- cli-reference:start -->"
END = "<!-- cli-reference:end -->"
WIDTH = 88


def _help(command: click.Command, name: str, parent: click.Context | None) -> str:
    settings = {**command.context_settings, "terminal_width": WIDTH, "max_content_width": WIDTH}
    ctx = click.Context(command, info_name=name, parent=parent, **settings)
    return command.get_help(ctx)


def render(group: click.Group | None = None) -> str:
    """Markdown for the group's help and each command's help, commands in name order."""
    if group is None:
        from trialpress.cli import cli

        group = cli
    root = click.Context(group, info_name="trialpress", **group.context_settings)
    parts = [
        "Generated from the CLI by `python -m trialpress.clidoc`; do not edit by hand.",
        "",
        "```text",
        _help(group, "trialpress", None),
        "```",
    ]
    for name in sorted(group.commands):
        command = group.commands[name]
        if command.hidden:
            continue
        parts += ["", f"### `trialpress {name}`", "", "```text", _help(command, name, root), "```"]
    return "\n".join(parts) + "\n"


def replace_section(text: str, body: str) -> str:
    """``text`` with everything between the markers replaced by ``body``."""
    start = text.find(START)
    end = text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"markers {START} ... {END} not found in order")
    return text[: start + len(START)] + "\n" + body + text[end:]


def main(argv: list[str] | None = None) -> int:
    """Update (or with --check, verify) the README's CLI reference; 1 when out of date."""
    args = list(sys.argv[1:] if argv is None else argv)
    check = "--check" in args
    args = [a for a in args if a != "--check"]
    readme = Path(args[0]) if args else Path("README.md")
    try:
        old = readme.read_text(encoding="utf-8")
        new = replace_section(old, render())
    except (OSError, ValueError) as exc:
        print(f"Error: {readme}: {exc}", file=sys.stderr)
        return 1
    if new == old:
        return 0
    if check:
        print(
            f"Error: {readme}: CLI reference is out of date; run python -m trialpress.clidoc",
            file=sys.stderr,
        )
        return 1
    readme.write_text(new, encoding="utf-8")
    print(f"Updated the CLI reference in {readme}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
