"""A build's trials and Python's cyclic garbage collector (:mod:`trialpress.heap`).

Counted with ``gc.callbacks`` (collector passes), ``gc.get_freeze_count`` (objects kept
out of the passes) and ``gc.collect`` (cyclic garbage found), never timed.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import v2_study_files
from tests.sample_trials import palmira, polar
from trialpress import heap
from trialpress.build import build_trials
from trialpress.readers import read_records
from trialpress.store import Store


@contextmanager
def counting_passes() -> Iterator[list[int]]:
    """The generation of every collector pass made while the body runs."""
    passes: list[int] = []

    def seen(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            passes.append(info["generation"])

    gc.callbacks.append(seen)
    try:
        yield passes
    finally:
        gc.callbacks.remove(seen)


def test_stored_records_are_validated_without_collector_passes_and_make_no_cyclic_garbage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading records from the store makes hundreds of thousands of objects: the collector
    is off from the first record validated to the last (its passes would walk them again
    and again as the heap grows), and is on again after. Pausing it is sound because
    reading makes no cyclic garbage (a trial is a tree that reference counting frees)."""
    from trialpress import readers

    files = v2_study_files()
    store = Store(tmp_path / "store")
    first, errors = read_records(files, store=store, jobs=1)
    assert first and not errors
    del first
    gc.collect()
    stored = readers._stored
    collecting: list[bool] = []

    with counting_passes() as passes:

        def marking(*args: Any) -> Any:
            collecting.append(gc.isenabled())
            return stored(*args)

        monkeypatch.setattr(readers, "_stored", marking)
        trials, _ = read_records(files, store=store, jobs=1)
        assert gc.isenabled()
        assert len(collecting) == len(files) and len(trials) >= 200
        assert not any(collecting)  # no pass could start while the records were validated
        # ... and the reading left nothing cyclic behind (other threads of the test
        # process may have: only objects of trialpress or pydantic count).
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            gc.collect()
            ours = [
                o for o in gc.garbage if type(o).__module__.startswith(("trialpress", "pydantic"))
            ]
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
        assert ours == []

        # The same validations with the collector on make passes: the count is not vacuous.
        before = len(passes)
        kept = [stored(store, readers._record_key(p, p.read_bytes())) for p in files]
        assert len(passes) > before and all(kept)
    # Outside a build scope nothing is kept out of the collector's passes.
    assert gc.get_freeze_count() == 0


def test_a_build_keeps_what_it_read_out_of_the_collector_until_the_outermost_scope_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a build scope (the CLI's: reading and building), the trials read are frozen when
    reading ends and stay so through the build, also past a nested scope (build_trials has
    its own); the outermost scope gives them back, also when the build fails."""
    from trialpress import plugin

    monkeypatch.chdir(tmp_path)
    seen: list[int] = []
    files = plugin.TrialpressPlugin._files

    def watching(self: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(gc.get_freeze_count())
        return files(self, *args, **kwargs)

    monkeypatch.setattr(plugin.TrialpressPlugin, "_files", watching)
    store = Store(tmp_path / "store")
    read_records(v2_study_files()[:3], store=store, jobs=1)
    with heap.build_scope():
        before = gc.get_freeze_count()
        trials, _ = read_records(v2_study_files()[:3], store=store, jobs=1)
        read = gc.get_freeze_count()
        assert read > before  # the trials just read are kept out of the passes
        build_trials([polar(), palmira(), *trials], tmp_path / "site", pdf=False)
        assert seen and seen[0] >= read
        assert gc.get_freeze_count() >= read  # the nested scope did not give them back
    assert gc.get_freeze_count() == 0

    def fail(self: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(gc.get_freeze_count())
        raise RuntimeError("the build failed")

    monkeypatch.setattr(plugin.TrialpressPlugin, "_files", fail)
    with pytest.raises(RuntimeError):
        build_trials([polar()], tmp_path / "site", pdf=False)
    assert seen[-1] > 0  # build_trials alone is a scope too
    assert gc.get_freeze_count() == 0
