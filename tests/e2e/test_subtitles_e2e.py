"""Real media through ingest → transcribe (bundled Whisper model) → assemble → subtitles (whisper
translate backend). Expected: Vietnamese speech by espeak-ng, two clips cut together; every cue
written passes lint with zero errors, and each Vietnamese cue starts within 3 frames of its first
word (in programme time)."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest

from pipeline.asr.engine import TranscribeSettings
from pipeline.manifest import load_manifest
from pipeline.media.ffmpeg import run_ffmpeg
from pipeline.stages.assemble import assemble_programme
from pipeline.stages.ingest import Settings as IngestSettings
from pipeline.stages.ingest import ingest_programme
from pipeline.stages.subtitles import subtitles_programme, timeline_words
from pipeline.subs import lint, load_style, read_subtitles
from pipeline.subs.cues import frame_at
from pipeline.timeline import load_timeline
from pipeline.workspace import Workspace
from tests.asr_fixtures import espeak_available, speech_wav

pytestmark = [pytest.mark.model, pytest.mark.slow,
              pytest.mark.skipif(not espeak_available(), reason="needs espeak-ng and ffmpeg")]

SPEECH = {
    "mot": "Chào mừng quý vị đến với tỉnh Trà Vinh. Ao Bà Om là một danh thắng nổi tiếng.",
    "hai": "Người dân ở đây sống bằng nghề trồng dừa và làm kẹo dừa.",
}


def _clip(folder: Path, name: str, text: str) -> int:
    """A gray 25p MOV with the speech after 0.5 s and 0.8 s of silence after it; its length in frames."""
    wav = speech_wav(folder / f"{name}.wav", text, lead_silence_ms=500)
    with wave.open(str(wav)) as handle:
        frames = (handle.getnframes() * 25 // handle.getframerate()) + 20
    out = folder / f"{name}.mov"
    run_ffmpeg(["-f", "lavfi", "-i", "color=c=gray:size=320x180:rate=25", "-i", str(wav),
                "-af", "apad=pad_dur=0.8", "-shortest", "-c:v", "libx264", "-preset", "ultrafast",
                "-pix_fmt", "yuv420p", "-c:a", "aac", "-ar", "48000", "-f", "mov", f"file:{out}"])
    wav.unlink()
    return frames - 2


def _tc(frames: int) -> str:
    return f"00:00:{frames // 25:02d}:{frames % 25:02d}"


def test_real_speech_to_bilingual_subtitles(tmp_path: Path) -> None:
    footage = tmp_path / "prog"
    footage.mkdir()
    lengths = {name: _clip(footage, name, text) for name, text in SPEECH.items()}
    (footage / "p.yaml").write_text(
        "id: e2e\ntitle: {vi: Trà Vinh, en: Trà Vinh}\nsynopsis: {vi: Thử, en: Test}\n"
        "house: {width: 320, height: 180}\nfootage: [mot.mov, hai.mov]\n"
        "timeline:\n  cut:\n"
        f"    - {{clip: mot, in: '00:00:00:00', out: '{_tc(lengths['mot'])}'}}\n"
        f"    - {{clip: hai, in: '00:00:00:05', out: '{_tc(lengths['hai'])}'}}\n"
        "translation: {backend: whisper, options: {beam_size: 1, cpu_threads: 2}}\n", encoding="utf-8")
    programme = load_manifest(footage / "p.yaml")
    ws = Workspace(tmp_path / "ws", programme.id)
    ingest = ingest_programme(programme, ws, IngestSettings(thumbnails=1, detect_shots=False))
    assert ingest.ok, ingest.to_dict()
    from pipeline.stages.transcribe import transcribe_programme

    assert transcribe_programme(programme, ws, TranscribeSettings(cpu_threads=2, beam_size=1, best_of=1)).ok
    assemble_programme(programme, ws)
    report = subtitles_programme(programme, ws)
    assert not report.up_to_date and [r.lang for r in report.languages] == ["vi", "en"]

    timeline = load_timeline(ws.timeline_json)
    words, _ = timeline_words(timeline, ws)
    for lang in ("vi", "en"):
        for fmt in ("srt", "vtt"):
            cues = list(read_subtitles(ws.subtitle(lang, fmt)).cues)
            assert cues, f"{lang}.{fmt} is empty"
            result = lint(cues, load_style(lang), timeline.rate, shot_changes_ms=timeline.shot_changes_ms)
            assert result.ok, result.format_text(f"{lang}.{fmt}")
    vi = read_subtitles(ws.subtitle("vi", "srt")).cues
    starts = sorted(w.start_ms for w in words)
    for cue in vi:
        first = min((s for s in starts if s >= cue.start_ms - 500), default=None)
        assert first is not None
        assert abs(frame_at(cue.start_ms, timeline.rate) - frame_at(first, timeline.rate)) <= 3, cue
    assert subtitles_programme(programme, ws).up_to_date
    assert report.record["languages"]["en"]["machine_draft"] is True
