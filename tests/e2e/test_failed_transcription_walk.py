"""A clip changes and its transcription fails: `run` must not deliver the old speech's subtitles.

Real ingest, conform, render, QC and package on lavfi clips; a canned recogniser that can be told to
fail and a canned translator (what is tested is the walk, not the words). Before: the subtitles were
"up to date" on the old transcript, rendered and bagged, and the bag said nothing. Now the old words
are gone, every stage after the failure says it is stale and why, QC fails the programme over it,
the bag is refused without --allow-fail and records the failure with it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import bagit
import pytest

from pipeline.media.ffmpeg import run_ffmpeg
from pipeline.run import RunReport, run_programme, stage
from pipeline.stages import subtitles as subtitles_stage
from pipeline.stages.ingest import Settings as IngestSettings
from pipeline.stages.qc import Settings as QCSettings
from pipeline.stages.transcribe import Settings as TranscribeSettings
from pipeline.translate import SourceCue, TranslationContext
from pipeline.validate import load_manifest
from pipeline.workspace import Workspace
from tests.asr_fixtures import FakeTranscriber

pytestmark = pytest.mark.slow

MANIFEST = """\
id: doi
title: {vi: "Đổi cảnh", en: "A changed clip"}
synopsis: {vi: "Thử", en: "Test"}
year: 2026
house: {width: 320, height: 180}
footage: [phong_van.mov, canh.mov]
timeline:
  cut:
    - {clip: phong_van, in: "00:00:00:00", out: "00:00:02:00"}
    - {clip: canh, in: "00:00:00:00", out: "00:00:02:00"}
deliverables: [web-720p]
translation: {backend: whisper}
co_producers: ["Sở Thông tin và Truyền thông", "Trung tâm Thông tin đối ngoại"]
"""
HEARD = {"phong_van": "Trà Vinh là điểm hẹn.", "canh": "Cây dừa xanh."}


class EchoTranslator:
    name = "whisper"
    is_machine_draft = True

    def translate(self, cues: Sequence[SourceCue], context: TranslationContext) -> list[str]:
        return [f"EN {c.text}" for c in cues]


def clip(path: Path, hz: int) -> Path:
    run_ffmpeg(["-y", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=2.5",
                "-f", "lavfi", "-i", f"sine=frequency={hz}:sample_rate=48000:duration=2.5",
                "-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                "-c:a", "aac", "-ac", "2", f"file:{path}"])
    return path


def walk(folder: Path, fake: FakeTranscriber, *, allow_fail: bool = False) -> RunReport:
    programme = load_manifest(folder / "doi.yaml")
    settings = {"ingest": IngestSettings(thumbnails=1, detect_shots=False),
                "transcribe": TranscribeSettings(transcriber=fake),  # type: ignore[arg-type]
                "qc": QCSettings(posters=False),
                "package": stage("package").settings(allow_fail=allow_fail, allow_unapproved=True)}
    return run_programme(programme, Workspace(folder / "ws", "doi"), settings)


def test_a_failed_transcription_is_not_delivered_as_the_old_words(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(subtitles_stage, "make_translator", lambda *_: EchoTranslator())
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "web-720p.yaml").write_text(
        "video: {width: 320, height: 180, preset: veryfast}\n", encoding="utf-8")
    (tmp_path / "doi.yaml").write_text(MANIFEST, encoding="utf-8")
    clip(tmp_path / "phong_van.mov", 330)
    clip(tmp_path / "canh.mov", 440)
    first = walk(tmp_path, FakeTranscriber(HEARD))
    assert first.stopped_after is None, first.stop_reason
    ws = Workspace(tmp_path / "ws", "doi")
    assert "điểm hẹn" in ws.subtitle("vi", "srt").read_text(encoding="utf-8")

    clip(tmp_path / "phong_van.mov", 550)  # the interview is replaced, and its transcription fails
    second = walk(tmp_path, FakeTranscriber(HEARD, fail=["phong_van"]))
    by = {s.name: s for s in second.stages}
    assert [c.clip_id for c in by["transcribe"].report.failed] == ["phong_van"]  # type: ignore[union-attr]
    for name in ("subtitles", "render", "qc", "package"):
        assert by[name].failed_upstream and "transcribe failed on phong_van" in by[name].failed_upstream[0]
        assert not by[name].up_to_date, f"{name} says it is stale"
    vi = ws.subtitle("vi", "srt").read_text(encoding="utf-8")
    assert "điểm hẹn" not in vi and "dừa" in vi, "the old speech's words are gone, the other clip's stay"
    assert not ws.transcript_json("phong_van").exists()
    qc = json.loads((ws.qc_dir / "report.json").read_text(encoding="utf-8"))
    assert "pipeline: transcribe phong_van failed" in qc["failed"]
    assert by["package"].error is not None and "failed check" in by["package"].error.one_line()

    third = walk(tmp_path, FakeTranscriber(HEARD, fail=["phong_van"]), allow_fail=True)
    assert third.stopped_after is None, third.stop_reason
    bag = bagit.Bag(str(ws.delivery_dir / "DOI_2026"))
    assert "transcribe failed on phong_van: RuntimeError: boom in phong_van" in bag.info["Stage-Failures"]
    bag.validate()

    fixed = walk(tmp_path, FakeTranscriber({**HEARD, "phong_van": "Trà Vinh đổi mới."}), allow_fail=True)
    assert all(not s.failed_upstream for s in fixed.stages)
    assert "đổi mới" in ws.subtitle("vi", "srt").read_text(encoding="utf-8")
    assert "Stage-Failures" not in bagit.Bag(str(ws.delivery_dir / "DOI_2026")).info
