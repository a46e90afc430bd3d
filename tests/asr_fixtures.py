"""Test helpers for speech recognition: hand-made transcripts, a fake transcriber, a tiny programme
with an ingested workspace, and generated audio (espeak-ng Vietnamese speech, silence, tones, noise).

Each generator says what the audio contains, so tests can state the expected answer beside it.
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import wave
from collections.abc import Sequence
from pathlib import Path

from pipeline.asr.engine import AudioProgress, TranscribeSettings
from pipeline.asr.model import ModelInfo
from pipeline.asr.transcript import ModelRef, Transcript, TranscriptSegment, TranscriptWord
from pipeline.fsutil import sha256_file, write_json
from pipeline.manifest import Programme
from pipeline.media.ffmpeg import run_ffmpeg
from pipeline.validate import load_manifest
from pipeline.workspace import Workspace

FAKE_MODEL = ModelInfo(Path("/nonexistent/fake-model"), "fake-model", "f" * 64, 1, bundled=False)


def words_from(
    text: str, start_ms: int = 0, step_ms: int = 300, probability: float = 0.9
) -> tuple[TranscriptWord, ...]:
    """One TranscriptWord per whitespace token, `step_ms` apart, back to back."""
    return tuple(
        TranscriptWord(start_ms + i * step_ms, start_ms + (i + 1) * step_ms, token, probability)
        for i, token in enumerate(text.split())
    )


def segment(
    text: str,
    start_ms: int = 0,
    *,
    step_ms: int = 300,
    avg_logprob: float = -0.3,
    no_speech_prob: float = 0.05,
    compression_ratio: float = 1.2,
    probability: float = 0.9,
    with_words: bool = True,
) -> TranscriptSegment:
    """A segment whose words are spaced `step_ms` apart from `start_ms`."""
    words = words_from(text, start_ms, step_ms, probability) if with_words else ()
    end_ms = start_ms + step_ms * max(1, len(text.split()))
    return TranscriptSegment(start_ms, end_ms, text, avg_logprob, no_speech_prob, compression_ratio, words)


def transcript(clip_id: str, segments: Sequence[TranscriptSegment], duration_ms: int = 60_000) -> Transcript:
    return Transcript(
        clip_id=clip_id,
        language="vi",
        duration_ms=duration_ms,
        audio_sha256="a" * 64,
        model=ModelRef(FAKE_MODEL.name, FAKE_MODEL.sha256),
        segments=tuple(segments),
        options={"settings": {"beam_size": 5}},
        timings_ms={"load_ms": 1, "decode_ms": 2},
    )


class FakeTranscriber:
    """Returns canned segments per clip (or raises), and records what it was asked."""

    def __init__(self, texts: dict[str, str], fail: Sequence[str] = (), error: Exception | None = None) -> None:
        self.texts = texts
        self.fail = set(fail)
        self.error = error
        self.calls: list[tuple[str, TranscribeSettings]] = []

    def model_info(self) -> ModelInfo:
        return FAKE_MODEL

    def transcribe(
        self,
        audio_path: Path,
        settings: TranscribeSettings,
        *,
        clip_id: str = "",
        on_progress: AudioProgress | None = None,
    ) -> Transcript:
        self.calls.append((clip_id, settings))
        if clip_id in self.fail:
            raise self.error or RuntimeError(f"boom in {clip_id}")
        with wave.open(str(audio_path)) as handle:
            duration_ms = handle.getnframes() * 1000 // handle.getframerate()
        if on_progress is not None:
            on_progress(duration_ms // 2)
        result = transcript(clip_id, [segment(self.texts.get(clip_id, "xin chào"), 100)], duration_ms)
        return dataclasses.replace(result, audio_sha256=sha256_file(audio_path))


CLIPS = ("a-interview", "b-roll", "c1", "interview")
"""The clip ids the unit tests write ingest records for; the manifest lists them all (plus `master`)."""


def make_programme(folder: Path, glossary_yaml: str | None = None) -> Programme:
    """A minimal manifest (files need not exist to load it), optionally with its own glossary."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [
        "id: demo",
        "title: {vi: Trà Vinh, en: Tra Vinh}",
        "synopsis: {vi: Phóng sự, en: Report}",
        "footage: [" + ", ".join(f"{c}.mov" for c in CLIPS) + "]",
        "timeline: {master: master.mov}",
    ]
    if glossary_yaml is not None:
        (folder / "glossary.yaml").write_text(glossary_yaml, encoding="utf-8")
        lines.append("glossary: glossary.yaml")
    (folder / "programme.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return load_manifest(folder / "programme.yaml")


def write_silent_wav(path: Path, duration_ms: int, rate: int = 16000) -> Path:
    """A 16 kHz mono s16 WAV of digital silence, without ffmpeg (for fast unit tests)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(b"\0\0" * (rate * duration_ms // 1000))
    return path


def write_ingest(ws: Workspace, clip_id: str, *, has_audio: bool = True, duration_ms: int = 1000) -> None:
    """What ingest leaves for one clip: ingest.json and, with audio, audio16k.wav."""
    if has_audio:
        write_silent_wav(ws.audio16k(clip_id), duration_ms)
    write_json(
        ws.ingest_dir(clip_id) / "ingest.json",
        {
            "clip_id": clip_id,
            "source": f"/footage/{clip_id}.mov",
            "sha256": "0" * 64,
            "has_audio": has_audio,
            "duration_ms": duration_ms,
            "fps": "25/1",
        },
    )


def espeak_available() -> bool:
    return shutil.which("espeak-ng") is not None and shutil.which("ffmpeg") is not None


def speech_wav(path: Path, text: str, *, words_per_minute: int = 150, lead_silence_ms: int = 0) -> Path:
    """`text` spoken by espeak-ng's Vietnamese voice, as 16 kHz mono s16 WAV (what ingest makes)."""
    raw = path.with_suffix(".espeak.wav")
    subprocess.run(
        ["espeak-ng", "-v", "vi", "-s", str(words_per_minute), "-w", str(raw), text], check=True, capture_output=True
    )
    delay = ["-af", f"adelay={lead_silence_ms}:all=1"] if lead_silence_ms else []
    run_ffmpeg(["-i", str(raw), *delay, "-ar", "16000", "-ac", "1", "-c:a", "pcm_s16le", str(path)], subject=path)
    raw.unlink()
    return path


def lavfi_wav(path: Path, source: str, seconds: float) -> Path:
    """Audio from an ffmpeg lavfi source (e.g. `anullsrc`, `sine=f=440`, `anoisesrc=c=pink`), 16 kHz mono."""
    run_ffmpeg(
        ["-f", "lavfi", "-t", f"{seconds}", "-i", source, "-ar", "16000", "-ac", "1", "-c:a", "pcm_s16le", str(path)],
        subject=path,
    )
    return path


def speech_mov(folder: Path, name: str, text: str, *, lead_silence_ms: int = 500, size: str = "320x180") -> int:
    """`name`.mov in `folder`: gray 25p picture, `text` spoken after `lead_silence_ms` and 0.8 s of
    silence after it; returns the frames a cut may use (its length less two)."""
    wav = speech_wav(folder / f"{name}.wav", text, lead_silence_ms=lead_silence_ms)
    with wave.open(str(wav)) as handle:
        frames = (handle.getnframes() * 25 // handle.getframerate()) + 20
    out = folder / f"{name}.mov"
    run_ffmpeg(["-f", "lavfi", "-i", f"color=c=gray:size={size}:rate=25", "-i", str(wav),
                "-af", "apad=pad_dur=0.8", "-shortest", "-c:v", "libx264", "-preset", "ultrafast",
                "-pix_fmt", "yuv420p", "-c:a", "aac", "-ar", "48000", "-f", "mov", f"file:{out}"])
    wav.unlink()
    return frames - 2


def tc25(frames: int) -> str:
    """Source timecode at 25 fps for a frame count under a minute."""
    return f"00:00:{frames // 25:02d}:{frames % 25:02d}"


NO_SPEECH_SOURCES = [
    ("silence", "anullsrc=r=16000:cl=mono"),
    ("tones", "sine=f=220:r=16000[a];sine=f=277:r=16000[b];sine=f=330:r=16000[c];"
              "[a][b][c]amix=inputs=3,tremolo=f=2:d=0.7"),
    ("noise", "anoisesrc=c=pink:r=16000:a=0.3"),
]
"""lavfi sources of 20 s in which no recogniser may find a word (`lavfi_wav`)."""
