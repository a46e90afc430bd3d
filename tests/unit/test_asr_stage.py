"""The transcribe stage with a fake transcriber: which clips, caching, failures, progress, outputs."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from pipeline.asr.engine import TranscribeSettings
from pipeline.asr.glossary import Glossary, Term, load_glossary
from pipeline.asr.transcript import Transcript
from pipeline.errors import ModelError, WorkspaceError
from pipeline.fsutil import read_json
from pipeline.manifest import Programme
from pipeline.stages.transcribe import prepare_settings, transcribe_programme
from pipeline.validate import load_manifest
from pipeline.workspace import Workspace
from tests.asr_fixtures import FakeTranscriber, make_programme, write_ingest

GLOSSARY = Glossary((Term("Trà Vinh", "Trà Vinh", mishearings=("chà vinh",)),))


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Programme, Workspace]:
    programme = make_programme(tmp_path / "prog")
    ws = Workspace(tmp_path / "ws", programme.id)
    write_ingest(ws, "master", duration_ms=2000)
    write_ingest(ws, "b-roll", has_audio=False)
    write_ingest(ws, "a-interview", duration_ms=1000)
    return programme, ws


def run(programme: Programme, ws: Workspace, fake: FakeTranscriber, **kwargs: object) -> object:
    return transcribe_programme(programme, ws, TranscribeSettings(), fake, glossary=GLOSSARY, **kwargs)  # type: ignore[arg-type]


def test_transcribes_clips_with_audio_in_id_order_and_writes_outputs(setup: tuple[Programme, Workspace]) -> None:
    programme, ws = setup
    fake = FakeTranscriber({"a-interview": "đến với tỉnh Chà Vinh", "master": "xin chào"})
    report = transcribe_programme(programme, ws, TranscribeSettings(), fake, glossary=GLOSSARY)
    assert [c.clip_id for c in report.clips] == ["a-interview", "b-roll", "master"]
    assert [c.status for c in report.clips] == ["transcribed", "no audio", "transcribed"]
    assert [call[0] for call in fake.calls] == ["a-interview", "master"]
    saved = Transcript.from_json(read_json(ws.transcript_json("a-interview")))
    assert saved.segments[0].text == "đến với tỉnh Trà Vinh", "glossary applied after decoding"
    assert saved.cache_key and saved.glossary_sha256 == GLOSSARY.sha256
    assert report.clips[0].corrections == 1 and report.ok
    text = ws.transcript_txt("a-interview").read_text(encoding="utf-8")
    assert "00:00:00:02 - " in text and "Trà Vinh" in text
    assert report.to_dict()["model"]["name"] == "fake-model"


def test_bias_goes_into_the_prompt_by_default(setup: tuple[Programme, Workspace]) -> None:
    programme, ws = setup
    fake = FakeTranscriber({})
    run(programme, ws, fake)
    settings = fake.calls[0][1]
    assert settings.initial_prompt == "Phóng sự về Trà Vinh." and settings.hotwords is None
    hot = prepare_settings(TranscribeSettings(glossary_bias="hotwords"), GLOSSARY)
    assert hot.hotwords == "Phóng sự về Trà Vinh." and hot.initial_prompt is None
    assert prepare_settings(TranscribeSettings(glossary_bias="off"), GLOSSARY).initial_prompt is None
    mine = prepare_settings(TranscribeSettings(initial_prompt="Tin tức."), GLOSSARY)
    assert mine.initial_prompt == "Tin tức."


def test_second_run_is_up_to_date_until_something_changes(setup: tuple[Programme, Workspace]) -> None:
    programme, ws = setup
    run(programme, ws, FakeTranscriber({}))
    again = FakeTranscriber({})
    report = run(programme, ws, again)
    assert again.calls == []
    assert [c.status for c in report.clips] == ["up to date", "no audio", "up to date"]  # type: ignore[attr-defined]
    ws.transcript_txt("master").unlink()
    run(programme, ws, again)
    assert ws.transcript_txt("master").is_file() and again.calls == [], "text rebuilt from the JSON"
    beam1 = FakeTranscriber({})
    transcribe_programme(programme, ws, TranscribeSettings(beam_size=1), beam1, glossary=GLOSSARY)
    assert len(beam1.calls) == 2, "changed settings → transcribed again"
    write_ingest(ws, "master", duration_ms=3000)  # new audio
    after_reingest = FakeTranscriber({})
    transcribe_programme(programme, ws, TranscribeSettings(beam_size=1), after_reingest, glossary=GLOSSARY)
    assert [c[0] for c in after_reingest.calls] == ["master"]


def test_one_failing_clip_does_not_stop_the_others(setup: tuple[Programme, Workspace]) -> None:
    programme, ws = setup
    report = run(programme, ws, FakeTranscriber({}, fail=["a-interview"]))
    statuses = {c.clip_id: (c.status, c.message) for c in report.clips}  # type: ignore[attr-defined]
    assert statuses["a-interview"] == ("failed", "RuntimeError: boom in a-interview")
    assert statuses["master"][0] == "transcribed"
    assert not report.ok and not ws.transcript_json("a-interview").exists()  # type: ignore[attr-defined]


def test_a_model_error_stops_the_stage(setup: tuple[Programme, Workspace]) -> None:
    programme, ws = setup
    with pytest.raises(ModelError):
        run(programme, ws, FakeTranscriber({}, fail=["a-interview"], error=ModelError("cannot load")))


def test_missing_audio_file_is_reported(setup: tuple[Programme, Workspace]) -> None:
    programme, ws = setup
    ws.audio16k("master").unlink()
    report = run(programme, ws, FakeTranscriber({}))
    master = report.clips[2]  # type: ignore[attr-defined]
    assert master.status == "failed" and "audio16k.wav is missing" in master.message


def test_progress_counts_audio_over_all_clips(setup: tuple[Programme, Workspace]) -> None:
    programme, ws = setup
    seen: list[tuple[str, float, float]] = []
    run(programme, ws, FakeTranscriber({}), progress=lambda p: seen.append((p.task, p.done, p.total)))
    assert seen[0] == ("transcribe a-interview", 0, 3.0) and seen[-1] == ("transcribe master", 3.0, 3.0)
    done = [s[1] for s in seen]
    assert done == sorted(done) and ("transcribe master", 2.0, 3.0) in seen


def test_a_clip_taken_out_of_the_manifest_loses_its_transcript(setup: tuple[Programme, Workspace]) -> None:
    programme, ws = setup
    run(programme, ws, FakeTranscriber({}))
    assert ws.transcript_json("a-interview").is_file()
    manifest = programme.manifest_path
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("a-interview.mov, ", ""), encoding="utf-8")
    again = FakeTranscriber({})
    report = run(load_manifest(manifest), ws, again)
    assert again.calls == []
    assert {c.clip_id: c.status for c in report.clips}["a-interview"] == "removed"  # type: ignore[attr-defined]
    assert not ws.transcript_json("a-interview").exists() and not ws.transcript_txt("a-interview").exists()
    assert ws.transcript_json("master").is_file()


def test_one_clip_alone(setup: tuple[Programme, Workspace]) -> None:
    programme, ws = setup
    fake = FakeTranscriber({})
    report = transcribe_programme(programme, ws, TranscribeSettings(), fake, glossary=GLOSSARY, clips=("master",))
    assert [c[0] for c in fake.calls] == ["master"] and [c.clip_id for c in report.clips] == ["master"]


def test_nothing_ingested_says_what_to_do(tmp_path: Path) -> None:
    programme = make_programme(tmp_path / "prog")
    with pytest.raises(WorkspaceError, match="run `reportage ingest` first"):
        run(programme, Workspace(tmp_path / "ws", "demo"), FakeTranscriber({}))


def test_programme_glossary_from_the_manifest(tmp_path: Path) -> None:
    programme = make_programme(tmp_path / "prog", 'terms:\n  - {vi: "Nhà Lồng", en: "Market Hall"}\n')
    ws = Workspace(tmp_path / "ws", programme.id)
    write_ingest(ws, "c1")
    fake = FakeTranscriber({"c1": "chợ nhà Lồng"})
    transcribe_programme(programme, ws, TranscribeSettings(), fake)
    assert Transcript.from_json(read_json(ws.transcript_json("c1"))).segments[0].text == "chợ Nhà Lồng"
    assert fake.calls[0][1].initial_prompt == "Phóng sự về Nhà Lồng và Trà Vinh.", "programme terms first"
    assert load_glossary(programme=programme.glossary_path()).terms[0].vi == "Nhà Lồng"


def test_the_recogniser_is_chosen_in_one_place(tmp_path: Path) -> None:
    """The settings' engine wins, then a Whisper model folder, then the manifest's asr.engine."""
    from pipeline.asr.engine import FasterWhisperTranscriber
    from pipeline.asr.vietctc import VietCtcTranscriber
    from pipeline.stages.transcribe import Settings, resolve

    programme = make_programme(tmp_path)
    assert resolve(TranscribeSettings(), programme).engine == "vietctc"
    assert resolve(TranscribeSettings(), None, tmp_path).engine == "whisper"
    assert resolve(TranscribeSettings(engine="combined"), programme).engine == "combined"
    manifest = programme.manifest.model_copy(update={"asr": programme.manifest.asr.model_copy(
        update={"engine": "whisper"})})
    whisper_programme = dataclasses.replace(programme, manifest=manifest)
    assert resolve(TranscribeSettings(), whisper_programme).engine == "whisper"
    assert isinstance(Settings().engine(whisper_programme), FasterWhisperTranscriber)
    assert isinstance(Settings().engine(programme), VietCtcTranscriber)
    assert not whisper_programme.manifest.asr.forced_script_timing and programme.manifest.asr.forced_script_timing
