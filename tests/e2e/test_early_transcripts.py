"""A card is searchable clip by clip: in a walk of ingest and transcribe, each clip is transcribed
as soon as ingest has it, while the other clips are still being ingested (real ingest, real media;
a canned transcriber, since what is tested is the order, not the words)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from pipeline.run import run_programme, stage
from pipeline.stages import ingest
from pipeline.stages.transcribe import STATUS_DONE, Settings
from pipeline.validate import load_manifest
from pipeline.workspace import Workspace
from tests.asr_fixtures import FakeTranscriber
from tests.mediagen import clip_25p_mov

MANIFEST = """\
id: the
title: {vi: "Thẻ nhớ", en: "A card"}
footage: [footage/a.mov, footage/b.mov, footage/c.mov]
house: {width: 320, height: 180}
"""


def test_each_clip_is_transcribed_while_the_rest_of_the_card_ingests(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "footage").mkdir()
    for name, seconds in (("a", 3.0), ("b", 2.5), ("c", 2.0)):
        clip_25p_mov(tmp_path / "footage" / f"{name}.mov", seconds)
    (tmp_path / "the.yaml").write_text(MANIFEST, encoding="utf-8")
    programme = load_manifest(tmp_path / "the.yaml")
    ws = Workspace(tmp_path / "ws", programme.id)
    monkeypatch.setenv("REPORTAGE_INGEST_JOBS", "1")  # biggest first: a, then b, then c

    first_transcribed = threading.Event()
    fake = FakeTranscriber({"a": "Trà Vinh", "b": "điểm hẹn", "c": "nhà đầu tư"})
    real_transcribe = fake.transcribe

    def transcribe(*args: Any, **kwargs: Any) -> Any:
        result = real_transcribe(*args, **kwargs)
        first_transcribed.set()
        return result

    fake.transcribe = transcribe  # type: ignore[method-assign]
    real_ingest_one = ingest._ingest_one
    waited: dict[str, bool] = {}

    def ingest_one(src: Any, *args: Any) -> Any:
        if src.clip_id == "c":  # the last clip is not done until a's transcript exists
            waited["c"] = first_transcribed.wait(timeout=20)
            waited["a transcript"] = ws.transcript_json("a").is_file()
        return real_ingest_one(src, *args)

    monkeypatch.setattr(ingest, "_ingest_one", ingest_one)
    report = run_programme(programme, ws, {"transcribe": Settings(transcriber=fake)},
                           stages=[stage("ingest"), stage("transcribe")])

    assert waited == {"c": True, "a transcript": True}
    assert report.ok, report.to_dict()
    transcribed = report.stages[1].to_dict()["report"]["clips"]
    assert {c["clip_id"]: c["status"] for c in transcribed} == {"a": STATUS_DONE, "b": STATUS_DONE, "c": STATUS_DONE}
    assert sorted(call[0] for call in fake.calls) == ["a", "b", "c"]  # each once, none again at the end
    assert not report.stages[1].report.up_to_date  # type: ignore[union-attr]
