"""Memory of a build's own process, stage by stage: prints figures, asserts nothing.

Writes N records the way ``scale_bench.py`` does, then runs ``trialpress build --no-pdf``
in this process (worker processes as usual) and, at each stage boundary (records read,
corpus made, ``generate`` done, MkDocs' files event done, ``on_env`` done, post-build),
prints the process's current and peak RSS and, with ``--trace``, the largest holders of
live Python memory by file and line (tracemalloc: the build runs several times slower and
its figures include tracemalloc's own bookkeeping; RSS figures are meaningful without it).

Run: ``.venv/bin/python benchmarks/mem_stages.py --n 2000 [--trace] [--top 12]``.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.scale_bench import write_records  # noqa: E402


def _status(field: str) -> int:
    """A ``/proc/self/status`` memory field (kB there), in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0


class Stages:
    """Prints memory at each stage boundary; keeps the figures for the summary."""

    def __init__(self, trace: bool, top: int) -> None:
        self.trace = trace
        self.top = top
        self.start = time.perf_counter()
        self.rows: list[tuple[str, float, int, int, int]] = []

    def mark(self, name: str) -> None:
        gc.collect()
        traced, peak = tracemalloc.get_traced_memory() if self.trace else (0, 0)
        if self.trace:
            tracemalloc.reset_peak()
        row = (name, time.perf_counter() - self.start, _status("VmRSS"), _status("VmHWM"), traced)
        self.rows.append(row)
        print(
            f"\n== {name}: {row[1]:.1f} s, RSS {row[2] / 1e6:.0f} MB, peak RSS "
            f"{row[3] / 1e6:.0f} MB"
            + (f", traced live {traced / 1e6:.0f} MB, peak {peak / 1e6:.0f} MB" if traced else ""),
            flush=True,
        )
        if self.trace:
            snap = tracemalloc.take_snapshot().filter_traces(
                [tracemalloc.Filter(False, tracemalloc.__file__)]
            )
            for stat in snap.statistics("lineno")[: self.top]:
                frame = stat.traceback[0]
                where = f"{Path(frame.filename).parent.name}/{Path(frame.filename).name}"
                print(f"   {stat.size / 1e6:8.1f} MB {stat.count:9d} blocks {where}:{frame.lineno}")

    def wrap(self, owner: Any, attr: str, name: str, before: str | None = None) -> None:
        """Mark ``name`` after ``owner.attr`` returns (and ``before`` when it is called)."""
        original: Callable[..., Any] = getattr(owner, attr)
        stages = self

        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if before:
                stages.mark(before)
            result = original(*args, **kwargs)
            stages.mark(name)
            return result

        setattr(owner, attr, wrapped)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--trace", action="store_true", help="tracemalloc top allocators")
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--frames", type=int, default=1)
    parser.add_argument("--records", type=Path, default=None, help="reuse these records")
    args = parser.parse_args()

    import trialpress.build as build
    import trialpress.cli as cli
    import trialpress.plugin as plugin

    stages = Stages(args.trace, args.top)
    stages.wrap(cli, "read_shelved", "records read")
    stages.wrap(plugin, "Corpus", "corpus made")
    stages.wrap(plugin, "generate", "generate done")
    import trialpress.exports as exports
    import trialpress.publish as publish

    stages.wrap(publish, "_history", "history compared")
    stages.wrap(publish, "_batches", "trials checked (reuse loop done)")
    stages.wrap(publish, "_index_pages", "index pages done")
    stages.wrap(exports, "write_corpus_files", "corpus files (CSV, FHIR Bundle) written")
    stages.wrap(publish, "_prune", "pruned")
    stages.wrap(plugin.TrialpressPlugin, "on_files", "on_files done")
    stages.wrap(plugin.TrialpressPlugin, "on_env", "on_env done", before="MkDocs page loop done")
    stages.wrap(plugin.TrialpressPlugin, "on_post_build", "post-build done", before="post-build")
    stages.wrap(build, "_swap_into_place", "site swapped in")

    with tempfile.TemporaryDirectory(prefix="tp-mem-") as tmp:
        work = Path(tmp)
        records = args.records
        if records is None:
            records = work / "records"
            write_records(args.n, records)
        (work / "pages").mkdir()
        if args.trace:
            tracemalloc.start(args.frames)
        stages.mark("start")
        import os

        os.chdir(work / "pages")
        try:
            cli.cli(["build", str(records), "--out", "site", "--no-pdf"], obj={})
        except SystemExit as exc:
            print(f"exit status {exc.code}")
        print("\n| stage | seconds | RSS | peak RSS | traced |")
        print("| --- | --- | --- | --- | --- |")
        for name, secs, rss, hwm, traced in stages.rows:
            print(
                f"| {name} | {secs:.1f} | {rss / 1e6:.0f} MB | {hwm / 1e6:.0f} MB | "
                f"{traced / 1e6:.0f} MB |"
            )


if __name__ == "__main__":
    main()
