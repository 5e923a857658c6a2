"""Registry page text reader benchmark: prints figures, asserts nothing (not a test).

Reads every API v2 study under ``../shared/data/ctgov/v2-json`` (238), writes each as a
registry page in every Study Groups layout of the test writer (``tests/registry_text_writer``:
``kind``, ``multiline``, ``no-placeholders``, ``real``), then times the registry-text reader
over the 238 pages of each layout (CPU time of this process, best of ``--repeat`` runs, so
other load on the machine counts little) and counts the pages whose arm labels, arm
descriptions, intervention names and per-arm intervention lists come back equal.

Run: ``.venv/bin/python benchmarks/registry_text_bench.py [--repeat N]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.registry_text_writer import LAYOUTS, write_registry_text  # noqa: E402
from tests.test_roundtrip import TRIALS, carried  # noqa: E402

from trialpress.models import Trial  # noqa: E402
from trialpress.readers import registry_text  # noqa: E402


def main() -> None:
    """One line per layout: best read time over the 238 pages and how many read back."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per layout (best kept)")
    args = parser.parse_args()
    print(f"{'layout':<16} {'read 238 pages':>15} {'per page':>9} {'arms back':>10}")
    for name, layout in LAYOUTS.items():
        pages = [write_registry_text(t, layout) for t in TRIALS]
        best = float("inf")
        for _ in range(args.repeat):
            start = time.process_time()
            backs = [registry_text.read(page, f"{i}.txt")[0] for i, page in enumerate(pages)]
            best = min(best, time.process_time() - start)
        same = 0
        for trial, back in zip(TRIALS, backs, strict=True):
            if isinstance(back, Trial):
                want, got = carried(trial, from_json=True), carried(back, from_json=False)
                same += all(want[k] == got[k] for k in ("arms", "interventions"))
        print(
            f"{name:<16} {best * 1000:>12.0f} ms {best / len(pages) * 1e6:>6.0f} us "
            f"{same:>4}/{len(pages)}"
        )


if __name__ == "__main__":
    main()
