"""The history store: append-only, content-addressed, deterministic, never breaking a build."""

from __future__ import annotations

import json
import logging
import pickle
import shutil
from pathlib import Path

import pytest

from tests import amendments as am
from trialpress.history import HistoryStore, dump, stored_form, version_id
from trialpress.models import Trial


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*.json"))}


def record(store: HistoryStore, *trials: Trial) -> int:
    """One build's worth of history: compare, then store."""
    return store.commit(store.changelog(list(trials)))


def test_first_build_stores_one_version_and_an_identical_rebuild_adds_nothing(
    tmp_path: Path,
) -> None:
    store = HistoryStore(tmp_path / "h")
    trial = am.amended(tmp_path, name="v1")
    assert record(store, trial) == 1
    before = files(store.root)
    vid = version_id(stored_form(trial))
    assert sorted(before) == [f"{am.NCT}/{vid}.json", f"{am.NCT}/versions.json"]
    again = store.changelog([trial])
    assert again.pending == []
    assert record(store, trial) == 0
    assert files(store.root) == before
    timeline = again.timeline(am.NCT)
    assert timeline is not None and len(timeline.steps) == 1 and timeline.changed == []


def test_the_same_record_read_from_another_folder_is_the_same_version(tmp_path: Path) -> None:
    """source.path is build-local: it is not stored, so it is not a change."""
    a = am.amended(tmp_path / "a", name="rec")
    b = am.amended(tmp_path / "b", name="rec")
    assert a.source.path != b.source.path
    store = HistoryStore(tmp_path / "h")
    record(store, a)
    assert store.changelog([b]).pending == []
    stored = json.loads((store.root / am.NCT / f"{version_id(stored_form(a))}.json").read_text())
    assert "path" not in stored["source"] and stored["nct_id"] == am.NCT


def test_versions_are_appended_never_rewritten(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h")
    v1 = am.amended(tmp_path, name="v1")
    v2 = am.amended(tmp_path, am.status_change, am.updated("2025-03-01"), name="v2")
    record(store, v1)
    first = files(store.root)
    assert record(store, v2) == 1
    second = files(store.root)
    for name, data in first.items():
        if not name.endswith("versions.json"):
            assert second[name] == data  # content-addressed files never change
    index = json.loads(second[f"{am.NCT}/versions.json"])
    assert [v["last_updated"] for v in index["versions"]] == ["2025-01-24", "2025-03-01"]
    # going back to the first version's content is a new version too: the index only grows
    assert record(store, v1) == 1
    timeline = store.changelog([v1]).timeline(am.NCT)
    assert timeline is not None
    assert [s.version.id for s in timeline.steps] == [
        version_id(stored_form(t)) for t in (v1, v2, v1)
    ]
    assert [[c.text for c in s.changes] for s in timeline.steps] == [
        [],
        ["Recruitment status: Recruiting → Active, not recruiting"],
        ["Recruitment status: Active, not recruiting → Recruiting"],
    ]


def test_two_stores_of_the_same_builds_are_byte_identical(tmp_path: Path) -> None:
    trials = [am.amended(tmp_path, name="v1"), am.amended(tmp_path, am.site_added, name="v2")]
    stores = [HistoryStore(tmp_path / name) for name in ("one", "two")]
    for store in stores:
        for trial in trials:
            record(store, trial)
    assert files(stores[0].root) == files(stores[1].root)
    text = (stores[0].root / am.NCT / "versions.json").read_text(encoding="utf-8")
    assert text.endswith("}\n") and '\n  "versions": [\n' in text  # pretty: diffs line by line


def test_deleting_the_store_loses_history_but_builds_on(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h")
    record(store, am.amended(tmp_path, name="v1"))
    shutil.rmtree(store.root)
    v2 = am.amended(tmp_path, am.status_change, name="v2")
    log = store.changelog([v2])
    timeline = log.timeline(am.NCT)
    assert timeline is not None and len(timeline.steps) == 1 and timeline.changed == []
    assert record(store, v2) == 1


def test_an_unreadable_index_is_reported_and_left_alone(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = HistoryStore(tmp_path / "h")
    index = store.root / am.NCT / "versions.json"
    index.parent.mkdir(parents=True)
    index.write_text("{broken", encoding="utf-8")
    trial = am.amended(tmp_path, name="v1")
    with caplog.at_level(logging.WARNING, logger="trialpress.history"):
        log = store.changelog([trial])
        assert record(store, trial) == 0
    assert index.read_text(encoding="utf-8") == "{broken"
    assert f"{index} is unreadable" in caplog.text
    timeline = log.timeline(am.NCT)
    assert timeline is not None and len(timeline.steps) == 1


def test_a_tampered_version_file_is_skipped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = HistoryStore(tmp_path / "h")
    v1 = am.amended(tmp_path, name="v1")
    record(store, v1)
    record(store, am.amended(tmp_path, am.site_added, name="v2"))
    path = store.version_path(am.NCT, version_id(stored_form(v1)))
    path.write_text("{}", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="trialpress.history"):
        versions = store.load(am.NCT)
    assert versions is not None and len(versions) == 1
    assert "does not match its id" in caplog.text


def test_a_new_version_of_the_same_update_keeps_the_eligibility_warning(tmp_path: Path) -> None:
    """A newer trialpress reading more of the same record stores a version with no changes:
    the latest registry update still counts as having changed eligibility."""
    store = HistoryStore(tmp_path / "h")
    v1 = am.amended(tmp_path, name="v1")
    v2 = am.amended(tmp_path, am.criterion_removed, am.updated("2025-03-01"), name="v2")
    record(store, v1)
    record(store, v2)
    reread = stored_form(v2)
    del reread["outcomes"]  # as an older trialpress stored it
    index = store.root / am.NCT / "versions.json"
    data = json.loads(index.read_text(encoding="utf-8"))
    data["versions"][-1]["id"] = version_id(reread)
    index.write_bytes(dump(data))
    store.version_path(am.NCT, version_id(reread)).write_bytes(dump(reread))
    timeline = store.changelog([v2]).timeline(am.NCT)
    assert timeline is not None and len(timeline.steps) == 3
    assert timeline.latest.changes == [] and timeline.eligibility_changed_latest
    assert [s.date for s in timeline.changed] == ["2025-03-01"]
    v3 = am.amended(tmp_path, am.criterion_removed, am.updated("2025-04-01"), name="v3")
    record(store, v2)
    later = store.changelog([v3]).timeline(am.NCT)
    assert later is not None and not later.eligibility_changed_latest


def test_an_unchanged_trial_costs_its_index_not_its_latest_version_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The latest stored version of an unchanged trial is the trial itself (same id, same
    content): a build reads only the older versions' files, and the timeline is the same."""
    store = HistoryStore(tmp_path / "h")
    v1 = am.amended(tmp_path, name="v1")
    v2 = am.amended(tmp_path, am.status_change, am.updated("2025-03-01"), name="v2")
    record(store, v1)
    record(store, v2)
    expected = store.changelog([v2]).timeline(am.NCT)
    read: list[str] = []
    read_bytes = Path.read_bytes

    def counted(self: Path) -> bytes:
        read.append(self.name)
        return read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", counted)
    changes = store.changelog([v2])
    assert read == [f"{version_id(stored_form(v1))}.json"]
    timeline = changes.timeline(am.NCT)
    assert timeline is not None and expected is not None
    assert [(s.version.id, s.changes) for s in timeline.steps] == [
        (s.version.id, s.changes) for s in expected.steps
    ]
    assert len(timeline.steps) == 2 and timeline.steps[1].changes
    read.clear()
    # A missing latest file is not taken for the trial: it is read (and reported) as before.
    store.version_path(am.NCT, version_id(stored_form(v2))).unlink()
    store.changelog([v2])
    assert f"{version_id(stored_form(v2))}.json" in read


def test_known_version_ids_spare_the_stored_form_and_never_falsify_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the reuse store, an unchanged trial's version id comes from the last build's
    ids (its stored form is not made); a changed trial's version is made afresh; a memo
    that names a wrong id only costs the real comparison, never a version."""
    from trialpress import history
    from trialpress.store import Store

    memo = Store(tmp_path / "store")
    h = HistoryStore(tmp_path / "h")
    v1 = am.amended(tmp_path, name="v1")
    assert h.commit(h.changelog([v1], memo)) == 1
    made: list[str] = []
    real = history.stored_form

    def counting(trial: Trial) -> dict[str, object]:
        made.append(trial.nct_id)
        return real(trial)

    monkeypatch.setattr(history, "stored_form", counting)
    again = h.changelog([v1], memo)
    assert again.pending == [] and made == []
    timeline = again.timeline(am.NCT)
    assert timeline is not None
    assert [s.version.id for s in timeline.steps] == [version_id(real(v1))]
    # A timeline goes to render workers pickled: the stored form is made to go with it.
    sent = pickle.loads(pickle.dumps(timeline))
    assert sent.latest.version.id == timeline.latest.version.id
    assert sent.latest.version.data == real(v1)
    assert timeline.latest.version.data == real(v1)  # made when asked for
    made.clear()
    v2 = am.amended(tmp_path, am.status_change, am.updated("2025-03-01"), name="v2")
    changed = h.changelog([v2], memo)
    assert made == [am.NCT]
    assert [v.id for _, v in changed.pending] == [version_id(real(v2))]
    # A memo naming a wrong id for v1: the real id is made and matches what is stored.
    key = history._VersionIds(memo)._key
    name = history._VersionIds._name(v1)
    memo.put(key, json.dumps({name: "0" * 16}).encode())
    wrong = h.changelog([v1], memo)
    assert wrong.pending == []
    timeline = wrong.timeline(am.NCT)
    assert timeline is not None and [s.version.id for s in timeline.steps] == [version_id(real(v1))]


def test_digests_made_by_the_caller_name_the_memo_entry_without_dumping_the_trial(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The publish stage already has each trial's JSON digest: history takes it instead of
    dumping the trial again, and finds the same memo entry by it."""
    from trialpress import history
    from trialpress.store import Store

    memo = Store(tmp_path / "store")
    h = HistoryStore(tmp_path / "h")
    v1 = am.amended(tmp_path, name="v1")
    assert h.commit(h.changelog([v1], memo)) == 1
    name = history._VersionIds._name(v1)
    made: list[str] = []
    real = history.stored_form

    def counting(trial: Trial) -> dict[str, object]:
        made.append(trial.nct_id)
        return real(trial)

    def no_dump(trial: Trial) -> str:
        raise AssertionError("the trial was dumped again")

    monkeypatch.setattr(history, "stored_form", counting)
    monkeypatch.setattr(history._VersionIds, "_name", staticmethod(no_dump))
    again = h.changelog([v1], memo, {am.NCT: name})
    assert again.pending == [] and made == []  # the memo answered, by the caller's digest
    timeline = again.timeline(am.NCT)
    assert timeline is not None
    assert [s.version.id for s in timeline.steps] == [version_id(real(v1))]
    with pytest.raises(AssertionError, match="dumped again"):
        h.changelog([v1], memo)  # without the digest the trial is dumped (and that is seen)
