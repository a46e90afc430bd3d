"""The stage model's own pieces: the registry, one freshness check, the lock, located manifest needs."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline import stagerun
from pipeline.catalogue import Catalogue
from pipeline.errors import ManifestError, WorkspaceError
from pipeline.lock import ProgrammeBusy, programme_lock
from pipeline.run import STAGES, stage
from pipeline.validate import load_manifest
from pipeline.workspace import Workspace


def test_the_registry_lists_every_stage_in_order_and_each_module_has_the_stage_api() -> None:
    assert [s.name for s in STAGES] == ["ingest", "transcribe", "assemble", "conform", "subtitles", "render", "qc",
                                       "publish", "package"]
    for s in STAGES:
        assert isinstance(s.module.VERSION, int) and s.module.VERSION >= 1, s.name
        s.default_settings()  # defaults are usable as they are
    assert [s.name for s in STAGES if s.per_clip] == ["ingest", "transcribe"]
    with pytest.raises(ManifestError, match="one of ingest, transcribe"):
        stage("encode")


def test_check_is_fresh_only_after_a_recorded_run_with_the_same_inputs_and_outputs_present(tmp_path: Path) -> None:
    ws = Workspace(tmp_path, "p")
    out = tmp_path / "out.txt"
    first = stagerun.check(ws, "demo", "clip1", {"a": 1})
    assert not first.fresh
    out.write_text("x")
    stagerun.record(ws, first, [out])
    assert stagerun.check(ws, "demo", "clip1", {"a": 1}).fresh
    assert not stagerun.check(ws, "demo", "clip1", {"a": 2}).fresh, "other inputs"
    assert not stagerun.check(ws, "demo", "clip2", {"a": 1}).fresh, "other target"
    out.unlink()
    assert not stagerun.check(ws, "demo", "clip1", {"a": 1}).fresh, "an output is gone"
    out.write_text("x")
    stagerun.record_failure(ws, "demo", "clip1", "boom")
    assert stagerun.check(ws, "demo", "clip1", {"a": 1}).fresh, "a failed run does not replace the last good one"
    stagerun.forget(ws, "demo", "clip1")
    assert not stagerun.check(ws, "demo", "clip1", {"a": 1}).fresh


def test_content_hash_survives_a_touch_and_sees_an_edit(tmp_path: Path) -> None:
    ws = Workspace(tmp_path, "p")
    src = tmp_path / "source.mov"
    src.write_bytes(b"frames" * 1000)
    before = stagerun.content_hash(ws, src)
    os.utime(src, ns=(time.time_ns() + 10**9, time.time_ns() + 10**9))
    assert stagerun.content_hash(ws, src) == before, "touch: same content, same key"
    src.write_bytes(b"other!" * 1000)
    assert stagerun.content_hash(ws, src) != before


def test_a_read_only_catalogue_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.sqlite"
    path.write_bytes(b"this is not a database, it is a text file" * 10)
    with pytest.raises(WorkspaceError, match=r"catalogue\.sqlite: is damaged"):
        Catalogue(path)


def test_a_second_holder_is_told_who_holds_the_programme(tmp_path: Path) -> None:
    ws = Workspace(tmp_path, "dautu")
    code = (
        "import sys, time; from pathlib import Path; from pipeline.lock import programme_lock;"
        "from pipeline.workspace import Workspace\n"
        f"with programme_lock(Workspace(Path({str(tmp_path)!r}), 'dautu'), command='reportage run x.yaml'):\n"
        "    print('held', flush=True); time.sleep(30)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        busy = r"programme dautu is busy: `reportage run x\.yaml` \(pid \d+"
        with pytest.raises(ProgrammeBusy, match=busy), programme_lock(ws):
            pass
        with programme_lock(Workspace(tmp_path, "dulich")):
            pass  # another programme of the same workspace is free
    finally:
        holder.kill()
        holder.wait()
    with programme_lock(ws):  # the kernel released the dead holder's lock
        pass


def test_rushes_need_only_an_id_and_footage_until_a_stage_needs_more(tmp_path: Path) -> None:
    manifest = tmp_path / "rushes.yaml"
    manifest.write_text("id: rushes\nfootage: [a.mov]\n", encoding="utf-8")
    programme = load_manifest(manifest)
    programme.require(stage("ingest").needs, "ingest")
    programme.require(stage("transcribe").needs, "transcribe")
    with pytest.raises(ManifestError, match=r"rushes.yaml: timeline is required from the assemble stage on"):
        stage("assemble").run(programme, Workspace(tmp_path / "ws", "rushes"))
    with pytest.raises(ManifestError, match="timeline is required from the render stage on"):
        programme.require(stage("render").needs, "render")
    assert programme.cut == [] and programme.master_path() is None
