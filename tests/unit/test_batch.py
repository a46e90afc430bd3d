"""Batch logic without media: finding manifests, path maps, the options' settings, the default
number of jobs, and the morning summary built from what programmes reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.batch.discover import find_manifests, load_entries
from pipeline.batch.html import summary_html
from pipeline.batch.local import default_jobs, result_from_child
from pipeline.batch.options import BatchOptions
from pipeline.batch.pathmap import PathMap
from pipeline.batch.spawn import ChildResult
from pipeline.batch.summary import ProgrammeResult, build_summary, write_summary
from pipeline.errors import ManifestError, MediaError, ReportageError
from pipeline.validate import load_manifest

GOOD = "id: {id}\ntitle: {{vi: \"Trà Vinh – Điểm hẹn\", en: T}}\nfootage: [a.mov]\n"


def _outcome(stage: str, ok: bool = True, up_to_date: bool = False, **extra: object) -> dict[str, object]:
    return {"stage": stage, "ok": ok, "seconds": 1.5, "up_to_date": up_to_date, "report": {}, **extra}


def test_folders_give_their_manifests_but_not_glossaries(tmp_path: Path) -> None:
    (tmp_path / "b.yaml").write_text(GOOD.format(id="b"), encoding="utf-8")
    (tmp_path / "a.yml").write_text(GOOD.format(id="a"), encoding="utf-8")
    (tmp_path / "glossary.yaml").write_text("Trà Vinh: Tra Vinh\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    found = find_manifests([tmp_path, tmp_path / "b.yaml"])
    assert [p.name for p in found] == ["a.yml", "b.yaml"]  # each once, in order


def test_folders_are_searched_with_their_subfolders_but_not_workspaces_hidden_folders_or_footage(
        tmp_path: Path) -> None:
    def manifest(relative: str, programme: str) -> None:
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(GOOD.format(id=programme), encoding="utf-8")

    manifest("top.yaml", "top")
    manifest("dautu/dautu.yaml", "dautu")
    manifest("2024/06/dulich/dulich.yaml", "dulich")  # three levels down: the deepest searched
    manifest("a/b/c/d/too-deep.yaml", "deep")
    manifest(".git/hidden.yaml", "hidden")
    manifest("workspace/dautu/ingest/copied.yaml", "ws")  # the batch's own workspace
    manifest("old-ws/dautu/notes.yaml", "old")
    (tmp_path / "old-ws" / "dautu" / "catalogue.sqlite").write_bytes(b"")  # another programme workspace
    manifest("card/DCIM/100/on-card.yaml", "dcim")
    (tmp_path / "rushes").mkdir()
    (tmp_path / "rushes" / "C0001.MP4").write_bytes(b"")
    manifest("rushes/deeper/in-footage.yaml", "rushes")  # under a folder of media and no manifest
    (tmp_path / "dautu" / "loop").symlink_to(tmp_path)  # a link back up the tree
    found = find_manifests([tmp_path], skip=[tmp_path / "workspace"])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "top.yaml", "2024/06/dulich/dulich.yaml", "dautu/dautu.yaml"]
    assert [e.key for e in load_entries([tmp_path], skip=[tmp_path / "workspace"])] == ["top", "dulich", "dautu"]


def test_a_missing_path_is_a_located_error(tmp_path: Path) -> None:
    with pytest.raises(ManifestError) as err:
        find_manifests([tmp_path / "nope"])
    assert "nope" in err.value.one_line()


def test_bad_manifests_and_duplicate_ids_become_entries_with_their_error(tmp_path: Path) -> None:
    (tmp_path / "one.yaml").write_text(GOOD.format(id="same"), encoding="utf-8")
    (tmp_path / "two.yaml").write_text(GOOD.format(id="same"), encoding="utf-8")
    (tmp_path / "bad.yaml").write_text("id: bad\nfootage: [a.mov]\nbogus: 1\n", encoding="utf-8")
    entries = {e.manifest.name: e for e in load_entries([tmp_path])}
    assert entries["one.yaml"].programme is not None and entries["one.yaml"].error is None
    assert entries["two.yaml"].error is not None and "already used" in entries["two.yaml"].error.problem
    assert entries["bad.yaml"].programme is None and "bogus" in entries["bad.yaml"].error.one_line()  # type: ignore[union-attr]


def test_path_map_round_trips_and_prefers_the_longest_prefix() -> None:
    pm = PathMap.parse(["/srv/reportage=/mnt/nas; /srv/reportage/footage=/Volumes/footage"])
    assert pm.to_local("/srv/reportage/ws/dautu") == "/mnt/nas/ws/dautu"
    assert pm.to_local("/srv/reportage/footage/Phỏng vấn.mov") == "/Volumes/footage/Phỏng vấn.mov"
    assert pm.to_shared("/Volumes/footage/Phỏng vấn.mov") == "/srv/reportage/footage/Phỏng vấn.mov"
    assert pm.to_shared("/mnt/nas") == "/srv/reportage"
    assert pm.to_local("/srv/reportagex/y") == "/srv/reportagex/y"  # not under the prefix
    assert pm.to_local("/elsewhere/z") == "/elsewhere/z"


@pytest.mark.parametrize("spec", ["relative=/mnt/x", "/srv/x", "/srv/x=mnt"])
def test_a_malformed_path_map_is_one_clear_error(spec: str) -> None:
    with pytest.raises(ReportageError) as err:
        PathMap.parse([spec])
    assert "SHARED=LOCAL" in err.value.problem


def test_options_make_stage_settings_and_travel_as_json(tmp_path: Path) -> None:
    manifest = tmp_path / "p.yaml"
    manifest.write_text("id: p\nlanguage: en\nfootage: [a.mov]\n", encoding="utf-8")
    programme = load_manifest(manifest)
    opts = BatchOptions(allow_fail=True, english=False, beam=1)
    again = BatchOptions.from_json(json.loads(json.dumps(opts.to_json())))
    assert again == opts
    settings = again.stage_settings(programme)
    assert settings["package"].allow_fail is True
    assert settings["subtitles"].english is False
    assert settings["transcribe"].asr.beam_size == 1
    assert settings["transcribe"].asr.language == "en", "the manifest's language, as `reportage transcribe` has it"
    assert "subtitles" not in BatchOptions().stage_settings(programme)


def test_default_jobs_keeps_two_programmes_going_on_two_cores() -> None:
    assert default_jobs(1) == 1
    assert default_jobs(2) == 2
    assert default_jobs(4) == 2
    assert default_jobs(16) == 8
    assert default_jobs(64) == 8


def _batch(tmp_path: Path) -> list[ProgrammeResult]:
    good = ProgrammeResult("dautu", "/m/dautu.yaml", [_outcome(s) for s in
                           ("ingest", "transcribe", "assemble", "conform", "subtitles", "render", "qc", "publish",
                            "package")],
                           finished=True, seconds=60)
    clip_error = MediaError("cannot read media", path="/m/footage/Hỏng.mov", hint="copy it again from the card")
    broken = ProgrammeResult("hong", "/m/hong.yaml", [_outcome("ingest", ok=False, report={"clips": [
        {"clip_id": "hong_01", "status": "failed", "error": clip_error.one_line(),
         "failure": clip_error.failure().to_json()}]})], finished=True,
        stopped_after="ingest", stop_reason="clips the timeline needs failed to ingest: hong_01")
    render = ProgrammeResult("dulich", "/m/dulich.yaml", [
        _outcome("ingest", up_to_date=True), _outcome("transcribe", up_to_date=True),
        _outcome("assemble", up_to_date=True), _outcome("conform", up_to_date=True), _outcome("subtitles"),
        _outcome("render", ok=False, error="/w/dulich/renders: ffmpeg failed (Conversion failed)",
                 problem="ffmpeg failed (Conversion failed)", path="/w/dulich/renders", hint=None)],
        finished=True, stopped_after="render", stop_reason="/w/dulich/renders: ffmpeg failed (Conversion failed)")
    manifest = ProgrammeResult("bad", "/m/bad.yaml", finished=True, error={
        "type": "ManifestError", "manifest": True, "problem": "bogus is not a known field", "path": "/m/bad.yaml",
        "hint": "fix every field listed", "line": "/m/bad.yaml: bogus is not a known field — fix every field listed"})
    return [good, broken, render, manifest]


def test_the_summary_says_what_failed_why_and_the_fix(tmp_path: Path) -> None:
    summary = build_summary(_batch(tmp_path), tmp_path, 1_000.0, 1_090.0, titles={"dautu": "Điểm hẹn"})
    by = {p["programme"]: p for p in summary["programmes"]}
    assert not summary["ok"] and summary["totals"]["finished"] == 1 and summary["totals"]["failed"] == 3
    assert by["dautu"]["ok"] and by["dautu"]["failure"] is None
    assert [s["state"] for s in by["dautu"]["stages"]] == ["done"] * 9
    assert by["hong"]["failure"] == {"stage": "ingest", "reason": "clip hong_01 failed to ingest: "
                                     "/m/footage/Hỏng.mov: cannot read media", "fix": "copy it again from the card"}
    assert [s["state"] for s in by["hong"]["stages"]][:2] == ["failed", "not run"]
    assert by["dulich"]["failure"]["stage"] == "render"
    assert "ffmpeg failed" in by["dulich"]["failure"]["reason"] and "-vv render" in by["dulich"]["failure"]["fix"]
    assert [s["state"] for s in by["dulich"]["stages"]][:6] == ["up to date"] * 4 + ["done", "failed"]
    assert by["bad"]["failure"] == {"stage": "manifest", "reason": "/m/bad.yaml: bogus is not a known field",
                                    "fix": "fix every field listed"}
    assert summary["totals"]["stages_up_to_date"] == 4 and summary["totals"]["seconds"] == 90.0


def test_the_summary_files_are_written_and_the_html_is_self_contained(tmp_path: Path) -> None:
    summary = build_summary(_batch(tmp_path), tmp_path, 1_000.0, 1_090.0, titles={"dautu": "Điểm hẹn <b>"})
    json_path, html_path = write_summary(summary, tmp_path, 1_000.0)
    assert json_path.name.startswith("batch-") and json_path.suffix == ".json"
    assert json.loads(json_path.read_text(encoding="utf-8"))["totals"]["failed"] == 3
    page = html_path.read_text(encoding="utf-8")
    assert "Điểm hẹn &lt;b&gt;" in page  # escaped, and NFC Vietnamese as is
    assert "<script" not in page and "http" not in page and "<link" not in page
    assert "copy it again from the card" in page
    assert list(tmp_path.glob("*.tmp*")) == []


def test_an_interrupted_programme_is_reported_as_stopped_with_how_to_resume(tmp_path: Path) -> None:
    r = ProgrammeResult("p", "/m/p.yaml")
    result_from_child(r, ChildResult(143, outcomes=[_outcome("ingest")], error={"type": "Interrupted",
                                                                                "line": "stopped by SIGTERM"}))
    assert r.interrupted and r.error is None
    summary = build_summary([r], tmp_path, 0.0, 1.0, interrupted=True)
    p = summary["programmes"][0]
    assert not summary["ok"] and "again" in p["failure"]["fix"]
    assert [s["state"] for s in p["stages"]][:2] == ["done", "stopped"]
    assert "stopped" in summary_html(summary)


def test_a_crashed_work_process_is_a_failure_with_its_last_words(tmp_path: Path) -> None:
    r = ProgrammeResult("p", "/m/p.yaml")
    result_from_child(r, ChildResult(-9, stderr_tail="Traceback...\nMemoryError\n"))
    assert r.crash is not None and "signal 9" in r.crash and "MemoryError" in r.crash
    assert not r.ok
