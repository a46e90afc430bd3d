"""A workspace copied elsewhere, the original gone: the review room plays it, an approval there
hashes its own files, the package stage accepts them and the bag verifies, and `reportage run` finds
every stage up to date; so it does once the footage has moved too, with the batch path map saying
where.

Real stages on lavfi clips (one 25p clip the render cuts from directly, one 29.97p clip with mono
44.1 kHz sound that conform makes a working copy of, inside the workspace), a canned recogniser and
a canned translator (what is tested is where the records point, not the words). Before, the render
record, the ingest records, the timeline's working copies and QC's records named files by absolute
path: the copy showed "Chưa có bản dựng để xem", an approval there hashed the original's files,
and the render cut from a working copy that was no longer there.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.media.ffmpeg import run_ffmpeg
from pipeline.package.verify import verify_bag
from pipeline.records.ingest import read_ingest_record
from pipeline.records.package import read_package_record
from pipeline.render.state import read_render_record
from pipeline.review import state as review_state
from pipeline.review.views import player
from pipeline.stages import subtitles as subtitles_stage
from pipeline.stages import transcribe as transcribe_stage
from pipeline.timeline import load_timeline
from pipeline.translate import SourceCue, TranslationContext
from pipeline.workspace import Workspace
from tests.asr_fixtures import FakeTranscriber

pytestmark = pytest.mark.slow

PID = "doi-cho"
MANIFEST = f"""\
id: {PID}
title: {{vi: "Đổi chỗ", en: "Moved"}}
synopsis: {{vi: "Thử", en: "Test"}}
year: 2026
house: {{width: 320, height: 180}}
footage: [phong_van.mov, canh.mov]
timeline:
  cut:
    - {{clip: phong_van, in: "00:00:00:00", out: "00:00:02:00"}}
    - {{clip: canh, in: "00:00:00:00", out: "00:00:02:00"}}
deliverables: [web-720p]
translation: {{backend: whisper}}
co_producers: ["Sở Thông tin và Truyền thông", "Trung tâm Thông tin đối ngoại"]
"""
HEARD = {"phong_van": "Trà Vinh là điểm hẹn.", "canh": "Cây dừa xanh."}
STAGES = ["ingest", "transcribe", "assemble", "conform", "subtitles", "render", "qc", "publish", "package"]


class EchoTranslator:
    name = "whisper"
    is_machine_draft = True

    def translate(self, cues: Sequence[SourceCue], context: TranslationContext) -> list[str]:
        return [f"EN {c.text}" for c in cues]


def _clip(path: Path, rate: str, audio: list[str]) -> Path:
    run_ffmpeg(["-y", "-f", "lavfi", "-i", f"testsrc2=size=320x180:rate={rate}:duration=2.5",
                "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=2.5",
                "-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                "-c:a", "aac", *audio, f"file:{path}"])
    return path


def _cli(args: list[str]) -> int:
    try:
        main(args)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def _texts(folder: Path) -> dict[Path, str]:
    """Every file under `folder` that reads as text (the catalogue and the media do not)."""
    out: dict[Path, str] = {}
    for path in folder.rglob("*"):
        if path.is_file():
            try:
                out[path] = path.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                continue
    return out


def test_a_copied_workspace_reviews_approves_and_packages_its_own_files(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeTranscriber(HEARD)
    monkeypatch.setattr(transcribe_stage.Settings, "engine", lambda self, programme=None: fake)
    monkeypatch.setattr(subtitles_stage, "make_translator", lambda *_: EchoTranslator())
    footage = tmp_path / "footage"  # the editors' disk, apart from the workspace: it stays, until the end
    (footage / "profiles").mkdir(parents=True)
    (footage / "profiles" / "web-720p.yaml").write_text("video: {width: 320, height: 180, preset: veryfast}\n",
                                                        encoding="utf-8")
    manifest = footage / f"{PID}.yaml"
    manifest.write_text(MANIFEST, encoding="utf-8")
    _clip(footage / "phong_van.mov", "25", ["-ac", "2"])
    _clip(footage / "canh.mov", "30000/1001", ["-ac", "1", "-ar", "44100"])  # conform makes a working copy

    first = tmp_path / "site-a"
    assert _cli(["--workspace", str(first / "ws"), "run", str(manifest), "--allow-unapproved"]) == 0
    assert Workspace(first / "ws", PID).conform("canh").is_file(), "the 29.97p clip has a working copy"

    second = tmp_path / "site-b"
    shutil.copytree(first, second, symlinks=True)
    shutil.rmtree(first)  # nothing may still read the original
    ws = Workspace(second / "ws", PID)
    capsys.readouterr()

    # no record, report or bag file names the original folder
    named = sorted(str(p.relative_to(ws.dir)) for p, text in _texts(ws.dir).items() if str(first) in text)
    assert named == []
    assert read_ingest_record(ws, "canh").working_copy == "ingest/canh/conform.mov"
    assert read_ingest_record(ws, "canh").working_copy_path(ws) == ws.conform("canh")
    timeline = load_timeline(ws.timeline_json)
    assert [s.working_copy for s in timeline.segments] == [str(footage / "phong_van.mov"), "ingest/canh/conform.mov"]
    assert {s.working_copy for s in timeline.located(ws).segments} == {str(footage / "phong_van.mov"),
                                                                       str(ws.conform("canh"))}
    qc = json.loads((ws.qc_dir / "report.json").read_text(encoding="utf-8"))
    assert qc["deliverables"][0]["file"] == f"renders/web-720p/{PID}_WEB_720P.mp4"

    # the review room plays the copy's render
    shown = player(ws, timeline)
    assert shown is not None and shown["kind"] == "render", shown
    assert (ws.dir / shown["url"]).is_file()
    render = read_render_record(ws).deliverables["web-720p"]
    assert render.path.is_relative_to(ws.dir) and render.present()

    # an approval here hashes the files here
    approval = review_state.record_decision(ws, "approved", "Chị Lan", "Được.", standing=[])
    assert approval.files and all(not Path(name).is_absolute() for name in approval.files)
    assert f"renders/web-720p/{PID}_WEB_720P.mp4" in approval.files
    for name, digest in approval.files.items():
        assert (ws.dir / name).is_file(), name
        assert digest == review_state.current_outputs(ws)[name]

    # the package stage accepts them (no override) and the bag verifies
    rendered_at = render.path.stat().st_mtime_ns
    assert _cli(["--workspace", str(ws.root), "package", str(manifest)]) == 0
    delivered = read_package_record(ws)
    assert delivered is not None and delivered.bag_path(ws).is_relative_to(ws.dir)
    verified = verify_bag(delivered.bag_path(ws))
    assert verified.ok, verified
    bag_info = (delivered.bag_path(ws) / "bag-info.txt").read_text(encoding="utf-8")
    assert "Review-Override" not in bag_info and "Stage-Failures" not in bag_info
    capsys.readouterr()

    # and `reportage run` finds every stage up to date: nothing rendered or measured again
    assert _cli(["--workspace", str(ws.root), "--json", "run", str(manifest)]) == 0
    walked = json.loads(capsys.readouterr().out)
    stale = [s["stage"] for s in walked["stages"] if not s.get("up_to_date")]
    assert [s["stage"] for s in walked["stages"]] == STAGES and stale == [], walked
    assert render.path.stat().st_mtime_ns == rendered_at

    # the footage moves too: the batch path map says where its recorded place is now
    disk = Path(shutil.move(footage, tmp_path / "disk-2"))
    monkeypatch.setenv("REPORTAGE_PATH_MAP", f"{footage}={disk}")
    assert _cli(["--workspace", str(ws.root), "--json", "run", str(disk / f"{PID}.yaml")]) == 0
    walked = json.loads(capsys.readouterr().out)
    assert [s["stage"] for s in walked["stages"] if not s.get("up_to_date")] == [], walked
    assert render.path.stat().st_mtime_ns == rendered_at
