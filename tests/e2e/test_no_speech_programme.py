"""Programmes without speech are made, end to end on real media (lavfi clips, a canned recogniser
that hears nothing, as on B-roll with music or a drone shot): `run` walks every stage; no subtitle
file is written (never a 0-byte one), nothing is burned in and no sidecar is copied; QC says "no
speech" as INFO. Without any sound the render goes on with the fix and QC fails the loudness with it,
instead of the walk stopping at "out of loudness tolerance"."""

from __future__ import annotations

import json
from pathlib import Path

import bagit
import pytest

from pipeline.asr.engine import AudioProgress, TranscribeSettings
from pipeline.asr.transcript import ModelRef, Transcript
from pipeline.errors import WorkspaceError
from pipeline.media.ffmpeg import run_ffmpeg
from pipeline.run import RunReport, run_programme, stage
from pipeline.stages.ingest import Settings as IngestSettings
from pipeline.stages.package import Settings as PackageSettings
from pipeline.stages.package import package_programme
from pipeline.stages.qc import Settings as QCSettings
from pipeline.stages.transcribe import Settings as TranscribeStageSettings
from pipeline.validate import load_manifest
from pipeline.workspace import Workspace
from tests.asr_fixtures import FAKE_MODEL

pytestmark = pytest.mark.slow

MANIFEST = """\
id: {id}
title: {{vi: "Trà Vinh từ trên cao", en: "Tra Vinh from above"}}
synopsis: {{vi: "Không lời", en: "No words"}}
year: 2026
house: {{width: 320, height: 180}}
footage: [{file}]
timeline: {{cut: [{{clip: {clip}, in: "00:00:00:00", out: "00:00:02:00"}}]}}
deliverables: [{deliverables}]
social: {{in: "00:00:00:00", out: "00:00:02:00"}}
translation: {{backend: whisper}}
co_producers: ["Sở Thông tin và Truyền thông", "Trung tâm Thông tin đối ngoại"]
"""


class HearsNothing:
    """A recogniser on music or wind: no words."""

    def model_info(self) -> object:
        return FAKE_MODEL

    def transcribe(self, audio_path: Path, settings: TranscribeSettings, *, clip_id: str = "",
                   on_progress: AudioProgress | None = None) -> Transcript:
        return Transcript(clip_id, "vi", 2000, "0" * 64, ModelRef(FAKE_MODEL.name, FAKE_MODEL.sha256), ())


def music_clip(path: Path) -> Path:
    """320×180 25p with a stereo chord for sound: B-roll cut to music."""
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=2.5",
                "-f", "lavfi", "-i", "sine=frequency=220:sample_rate=48000:duration=2.5",
                "-f", "lavfi", "-i", "sine=frequency=330:sample_rate=48000:duration=2.5",
                "-filter_complex", "[1:a][2:a]amix=inputs=2,aformat=channel_layouts=stereo[a]",
                "-map", "0:v", "-map", "[a]", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                "-c:a", "aac", f"file:{path}"])
    return path


SMALL = {  # the shipped profiles at a tenth of their size, so a walk takes seconds
    "web-720p": "video: {width: 320, height: 180, preset: veryfast}\n",
    "social-9x16": "video: {width: 180, height: 320, preset: veryfast}\n",
}


def drone_clip(path: Path) -> Path:
    """320×180 25p picture and no audio track at all, as a drone or an action camera delivers it."""
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=2.5", "-c:v", "libx264",
                "-preset", "ultrafast", "-pix_fmt", "yuv420p", f"file:{path}"])
    return path


def _walk(folder: Path, pid: str, file: str, deliverables: str) -> tuple[RunReport, Workspace]:
    (folder / "profiles").mkdir(exist_ok=True)
    for name, patch in SMALL.items():
        (folder / "profiles" / f"{name}.yaml").write_text(patch, encoding="utf-8")
    (folder / f"{pid}.yaml").write_text(MANIFEST.format(id=pid, file=file, clip=Path(file).stem,
                                                        deliverables=deliverables), encoding="utf-8")
    programme = load_manifest(folder / f"{pid}.yaml")
    ws = Workspace(folder / "ws", pid)
    settings = {"ingest": IngestSettings(thumbnails=1, detect_shots=False),
                "transcribe": TranscribeStageSettings(transcriber=HearsNothing()),  # type: ignore[arg-type]
                "qc": QCSettings(posters=False),
                "package": stage("package").settings(allow_unapproved=True)}
    return run_programme(programme, ws, settings), ws


def _subtitle_files(ws: Workspace) -> list[Path]:
    return [p for p in ws.dir.rglob("*") if p.suffix in (".srt", ".vtt", ".ass")]


def test_b_roll_with_music_is_made_without_subtitles(tmp_path: Path) -> None:
    music_clip(tmp_path / "nhac.mov")
    report, ws = _walk(tmp_path, "nhac", "nhac.mov", "web-720p, social-9x16")
    assert report.stopped_after is None, report.stop_reason
    assert [s.name for s in report.stages][-1] == "package" and report.ok, report.to_dict()
    assert _subtitle_files(ws) == [], "no subtitle file anywhere: not written, not burned, not copied"
    assert not [p for p in ws.dir.rglob("*") if p.is_file() and p.stat().st_size == 0
                and p.suffix not in (".lock",) and p.name != ".lock"]
    render = next(s.report for s in report.stages if s.name == "render")
    assert not [w for w in render.warnings if "subtitle" in w], render.warnings  # type: ignore[union-attr]
    qc = json.loads((ws.qc_dir / "report.json").read_text(encoding="utf-8"))
    subtitles = {c["id"]: c for c in qc["subtitles"]["checks"]}
    assert {(k, c["status"]) for k, c in subtitles.items()} == {("subtitles.vi", "INFO"), ("subtitles.en", "INFO")}
    assert "no speech" in subtitles["subtitles.vi"]["detail"]
    assert qc["verdict"] != "FAIL", qc["failed"]
    bag = bagit.Bag(str(next((ws.delivery_dir).glob("NHAC_2026"))))
    bag.validate()
    assert "QC-Override" not in bag.info and "Stage-Failures" not in bag.info


def test_a_programme_without_sound_renders_and_qc_says_what_to_do(tmp_path: Path) -> None:
    drone_clip(tmp_path / "drone.mp4")
    report, ws = _walk(tmp_path, "drone", "drone.mp4", "web-720p")
    assert [s.name for s in report.stages] == ["ingest", "transcribe", "assemble", "conform", "subtitles",
                                               "render", "qc", "publish", "package"], report.stop_reason
    render = next(s.report for s in report.stages if s.name == "render")
    assert render is not None and render.ok
    warning = next(w for w in render.warnings if "web-720p" in w)  # type: ignore[attr-defined]
    assert "no clip in the edit has an audio track" in warning and "add a music bed" in warning
    assert _subtitle_files(ws) == []
    qc = json.loads((ws.qc_dir / "report.json").read_text(encoding="utf-8"))
    checks = {c["id"]: c for c in qc["deliverables"][0]["checks"]}
    assert checks["loudness.integrated"]["status"] == "FAIL"
    assert "silent" in checks["loudness.integrated"]["measured"]
    assert "add a music bed or a voice-over" in checks["loudness.integrated"]["detail"]
    package = next(s for s in report.stages if s.name == "package")
    assert package.error is not None and "Integrated loudness" in package.error.one_line()
    programme = load_manifest(tmp_path / "drone.yaml")
    with pytest.raises(WorkspaceError, match="failed check"):
        package_programme(programme, ws, PackageSettings(allow_unapproved=True))
    made = package_programme(programme, ws, PackageSettings(allow_fail=True, allow_unapproved=True))
    assert "Integrated loudness" in bagit.Bag(str(made.bag)).info["QC-Failed-Checks"]
