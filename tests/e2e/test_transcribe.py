"""Real model, real audio: espeak-ng Vietnamese speech through the whole transcribe stage, and
silence, tones and noise that must yield no words. The model is loaded once for the module.

Expected answers, written beside the generators:
  speech  "Chào mừng quý vị đến với tỉnh Trà Vinh. Ao Bà Om là một danh thắng nổi tiếng." after 0.5 s
          of silence → words in time order inside the audio, "Trà Vinh" spelled right.
  silence 20 s of digital silence → no words.
  tones   20 s of a pulsing A-minor chord (lavfi sine ×3, tremolo) → no words.
  noise   20 s of pink noise (lavfi anoisesrc) → no words.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pytest

from pipeline.asr.engine import FasterWhisperTranscriber, TranscribeSettings
from pipeline.asr.guards import DROP_PROMPT_ECHO
from pipeline.asr.model import BUNDLED_SHA256
from pipeline.asr.transcript import Transcript
from pipeline.errors import MediaError
from pipeline.fsutil import read_json
from pipeline.manifest import Programme
from pipeline.search import search
from pipeline.stages.transcribe import TranscribeReport, transcribe_programme
from pipeline.workspace import Workspace
from tests.asr_fixtures import NO_SPEECH_SOURCES, espeak_available, lavfi_wav, make_programme, speech_wav, write_ingest

pytestmark = [
    pytest.mark.model,
    pytest.mark.slow,
    pytest.mark.skipif(not espeak_available(), reason="needs espeak-ng and ffmpeg"),
]

SPEECH = "Chào mừng quý vị đến với tỉnh Trà Vinh. Ao Bà Om là một danh thắng nổi tiếng."
SETTINGS = TranscribeSettings(cpu_threads=2)


@pytest.fixture(scope="module")
def engine() -> FasterWhisperTranscriber:
    return FasterWhisperTranscriber()


class SpeechRun(NamedTuple):
    programme: Programme
    ws: Workspace
    report: TranscribeReport


@pytest.fixture(scope="module")
def speech_run(engine: FasterWhisperTranscriber, tmp_path_factory: pytest.TempPathFactory) -> SpeechRun:
    base = tmp_path_factory.mktemp("speech")
    programme = make_programme(base / "prog")
    ws = Workspace(base / "ws", programme.id)
    write_ingest(ws, "interview", duration_ms=6000)
    speech_wav(ws.audio16k("interview"), SPEECH, lead_silence_ms=500)
    return SpeechRun(programme, ws, transcribe_programme(programme, ws, SETTINGS, engine))


def test_speech_gives_timed_words_inside_the_audio(speech_run: SpeechRun) -> None:
    ws, report = speech_run.ws, speech_run.report
    assert report.ok and report.clips[0].status == "transcribed"
    transcript = Transcript.from_json(read_json(ws.transcript_json("interview")))
    words = list(transcript.words())
    assert len(words) >= 8, transcript.text
    assert 5000 < transcript.duration_ms < 8000
    previous_end = 0
    for word in words:
        assert isinstance(word.start_ms, int) and isinstance(word.end_ms, int)
        assert previous_end <= word.start_ms <= word.end_ms <= transcript.duration_ms, word
        previous_end = word.end_ms
    assert words[0].start_ms >= 300, "the half second of silence before the speech has no words"


def test_glossary_names_come_out_spelled_right(speech_run: SpeechRun) -> None:
    ws = speech_run.ws
    transcript = Transcript.from_json(read_json(ws.transcript_json("interview")))
    assert "Trà Vinh" in transcript.text, transcript.text


def test_transcript_records_model_options_and_is_reused(
    speech_run: SpeechRun, engine: FasterWhisperTranscriber
) -> None:
    programme, ws = speech_run.programme, speech_run.ws
    transcript = Transcript.from_json(read_json(ws.transcript_json("interview")))
    assert transcript.model.sha256 == BUNDLED_SHA256 and transcript.language == "vi"
    assert transcript.options["transcription_options"]["beam_size"] == 5
    assert transcript.options["vad_options"]["min_silence_duration_ms"] == 500
    assert transcript.options["settings"]["initial_prompt"].startswith("Phóng sự về Trà Vinh")
    assert ws.transcript_txt("interview").read_text(encoding="utf-8").count("\n") >= 2
    again = transcribe_programme(programme, ws, SETTINGS, engine)
    assert again.clips[0].status == "up to date"
    hits = search(programme, ws, "tra vinh")
    assert hits and hits[0].clip_id == "interview" and hits[0].match == "Trà Vinh"


@pytest.mark.parametrize(("name", "source"), NO_SPEECH_SOURCES)
def test_no_words_from_silence_or_music(
    engine: FasterWhisperTranscriber, tmp_path: Path, name: str, source: str
) -> None:
    audio = lavfi_wav(tmp_path / f"{name}.wav", source, 20)
    transcript = engine.transcribe(audio, SETTINGS, clip_id=name)
    assert list(transcript.words()) == [], transcript.text
    assert 19_900 <= transcript.duration_ms <= 20_100


def test_guards_catch_what_gets_past_without_vad(engine: FasterWhisperTranscriber, tmp_path: Path) -> None:
    """With VAD off, Whisper reads its prompt out over noise (measured: every time, at the end of the
    window); the guards must drop it and say why. One temperature keeps it quick and repeatable."""
    audio = lavfi_wav(tmp_path / "noise.wav", "anoisesrc=c=pink:r=16000:a=0.3:seed=3", 10)
    settings = TranscribeSettings(
        cpu_threads=2, vad_filter=False, temperatures=(0.0,), initial_prompt="Phóng sự về Trà Vinh, Ao Bà Om."
    )
    transcript = engine.transcribe(audio, settings, clip_id="noise")
    assert list(transcript.words()) == [], transcript.text
    assert [d.reasons for d in transcript.dropped] == [(DROP_PROMPT_ECHO,)]


def test_undecodable_audio_is_a_media_error(engine: FasterWhisperTranscriber, tmp_path: Path) -> None:
    bad = tmp_path / "audio16k.wav"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEnot really audio")
    with pytest.raises(MediaError, match="speech recognition failed") as caught:
        engine.transcribe(bad, SETTINGS)
    assert caught.value.path == str(bad)


def test_speech_the_decoder_skipped_is_decoded_again(engine: FasterWhisperTranscriber, tmp_path: Path) -> None:
    """Whisper stopping early (a sampled fallback ending the window, measured on the dulich sample)
    is simulated by keeping only the first sentence's nine words; the voice detector still hears
    the second, which comes back from the real model, flagged, after them."""
    import dataclasses

    from pipeline.asr.engine import FLAG_LOST_SPEECH, redecode_lost_speech, speech_regions

    audio = speech_wav(tmp_path / "two.wav", SPEECH, lead_silence_ms=500)
    full = engine.transcribe(audio, SETTINGS, clip_id="two")
    words = list(full.words())
    assert len(words) >= 15, full.text
    first = words[:9]  # "Chào mừng quý vị đến với tỉnh Trà Vinh."
    cut_at = first[-1].end_ms
    kept = (dataclasses.replace(full.segments[0], end_ms=cut_at, words=tuple(first),
                                text=" ".join(w.text for w in first)),)
    speech = speech_regions(audio, SETTINGS)
    assert speech and speech[-1][1] > cut_at + 1500
    again = redecode_lost_speech(engine._load(SETTINGS), audio, SETTINGS, kept, full.duration_ms, speech)
    assert again[0] == kept[0]
    back = [seg for seg in again if FLAG_LOST_SPEECH in seg.flags]
    assert back and all(seg.start_ms >= cut_at - 300 for seg in back)
    heard = " ".join(seg.text for seg in back).lower()
    assert "là một" in heard and "tiếng" in heard, heard  # "Ao Bà Om là một danh thắng nổi tiếng."
