"""Voice-overs as they arrive: one tiny audio-only file per format a glob picks up, ingested through
the real CLI (an MP3 with cover art too), and the MP3 transcribed and found by search.

Expected, per file (espeak-ng Vietnamese speech, ~2 s): probe facts with no video, the source's
SHA-256, a 48 kHz stereo PCM working copy unless the file already is 48 kHz stereo PCM (the AIFF
and WAV here are), 16 kHz mono ASR audio with the speech in it, no proxy/poster/thumbnails/shots
(and the outcome says so), the sources untouched, a rerun that does nothing.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from pipeline.media.ffmpeg import ffprobe_json, run_ffmpeg
from pipeline.stages.conform import conform_clips
from pipeline.text import fold
from pipeline.validate import load_manifest
from pipeline.workspace import Workspace

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")

SPEECH = "Xin chào quý vị, đây là lời bình của phóng sự."
BEXT_TIME_REFERENCE = 48000 * 3600  # samples since midnight: 01:00:00 at 48 kHz


class Format(NamedTuple):
    ext: str
    args: tuple[str, ...]
    codec: str
    rate: int
    channels: int
    needs_copy: bool  # not already 48 kHz stereo PCM
    cover: bool = False  # with a picture attached (ID3 cover art), which is not video

    @property
    def clip_id(self) -> str:
        return f"vo_{self.ext}" + ("_cover" if self.cover else "")


FORMATS = (
    Format("mp3", ("-c:a", "libmp3lame", "-b:a", "64k"), "mp3", 44100, 1, True),
    Format("mp3", ("-c:a", "libmp3lame", "-b:a", "64k", "-c:v", "png", "-disposition:v", "attached_pic",
                   "-id3v2_version", "3"), "mp3", 48000, 2, True, cover=True),
    Format("m4a", ("-c:a", "aac", "-b:a", "96k"), "aac", 48000, 2, True),
    Format("aac", ("-c:a", "aac", "-b:a", "64k", "-f", "adts"), "aac", 44100, 1, True),
    Format("flac", ("-c:a", "flac"), "flac", 48000, 2, True),
    Format("ogg", ("-c:a", "libvorbis"), "vorbis", 44100, 2, True),
    Format("oga", ("-c:a", "flac", "-f", "ogg"), "flac", 48000, 1, True),
    Format("opus", ("-c:a", "libopus", "-b:a", "32k"), "opus", 48000, 1, True),
    Format("aif", ("-c:a", "pcm_s16be", "-f", "aiff"), "pcm_s16be", 48000, 2, False),
    Format("aiff", ("-c:a", "pcm_s24be", "-f", "aiff"), "pcm_s24be", 44100, 1, True),
    Format("bwf", ("-c:a", "pcm_s24le", "-write_bext", "1", "-metadata", f"time_reference={BEXT_TIME_REFERENCE}",
                   "-f", "wav"), "pcm_s24le", 48000, 1, True),
    Format("wav", ("-c:a", "pcm_s16le"), "pcm_s16le", 48000, 2, False),
)

MANIFEST = """
id: voice-overs
title: {vi: "Lời bình", en: "Voice-overs"}
synopsis: {vi: "Thử", en: "Test"}
house: {width: 320, height: 180, fps: "25"}
footage:
  - glob: "Lời bình/*"
"""


def reportage(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("reportage")
    return subprocess.run([str(exe), *args], cwd=cwd, capture_output=True, text=True, check=False)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def stream(path: Path) -> dict[str, Any]:
    data = ffprobe_json(path)
    assert [s["codec_type"] for s in data["streams"]] == ["audio"], path
    return {**data["streams"][0], "duration": float(data["format"]["duration"])}


def mean_volume_db(path: Path) -> float:
    err = run_ffmpeg(["-i", f"file:{path}", "-af", "volumedetect", "-f", "null", "-"], subject=path)
    line = next(line for line in err.splitlines() if "mean_volume" in line)
    return float(line.split("mean_volume:")[1].split()[0])


class Ingested(NamedTuple):
    root: Path
    ws: Path
    sources: dict[str, Path]
    before: dict[str, str]
    speech_s: float
    first: subprocess.CompletedProcess[str]


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Ingested:
    root = tmp_path_factory.mktemp("voice-overs")
    folder = root / "Lời bình"
    folder.mkdir()
    speech = root / "speech.wav"
    subprocess.run(["espeak-ng", "-v", "vi", "-s", "170", "-a", "50", "-w", str(speech), SPEECH], check=True)
    cover = root / "cover.png"
    run_ffmpeg(["-f", "lavfi", "-i", "color=c=red:s=64x64", "-frames:v", "1", f"file:{cover}"], subject=cover)
    sources: dict[str, Path] = {}
    for fmt in FORMATS:
        path = folder / f"{fmt.clip_id}.{fmt.ext}"
        picture = ["-i", f"file:{cover}", "-map", "0:a", "-map", "1:v"] if fmt.cover else []
        run_ffmpeg(["-i", f"file:{speech}", *picture, "-ar", str(fmt.rate), "-ac", str(fmt.channels), *fmt.args,
                    f"file:{path}"], subject=path)
        sources[fmt.clip_id] = path
    (root / "prog.yaml").write_text(MANIFEST, encoding="utf-8")
    before = {p.name: sha(p) for p in folder.iterdir()}
    first = reportage("--workspace", str(root / "ws"), "--json", "ingest", "prog.yaml", cwd=root)
    return Ingested(root, root / "ws" / "voice-overs", sources, before, stream(speech)["duration"], first)


def outcomes(result: subprocess.CompletedProcess[str]) -> dict[str, dict[str, object]]:
    assert result.returncode == 0, result.stderr
    return {c["clip_id"]: c for c in json.loads(result.stdout)["clips"]}


def test_every_format_ingests_as_audio_only(ingested: Ingested) -> None:
    clips = outcomes(ingested.first)
    assert set(clips) == {f.clip_id for f in FORMATS}, "the glob picks up every voice-over format"
    for fmt in FORMATS:
        clip = clips[fmt.clip_id]
        assert clip["status"] == "ingested" and clip["has_audio"] and not clip["has_video"], clip
        assert clip["notes"] == ["audio only: no proxy, poster, thumbnails or shot list"]
        assert clip["shot_count"] == 0 and str(clip["summary"]).startswith("audio only / "), clip
        assert clip["conformed"] is fmt.needs_copy, clip


def test_probe_facts_and_checksum(ingested: Ingested) -> None:
    for fmt in FORMATS:
        clip_id = fmt.clip_id
        probe = json.loads((ingested.ws / "ingest" / clip_id / "probe.json").read_text(encoding="utf-8"))
        assert probe["video"] is None
        audio = probe["audio"][0]
        assert (audio["codec"], audio["sample_rate"], audio["channels"]) == (fmt.codec, fmt.rate, fmt.channels)
        assert abs(probe["duration_ms"] / 1000 - ingested.speech_s) < 0.1, (fmt.ext, probe["duration_ms"])
        record = json.loads((ingested.ws / "ingest" / clip_id / "ingest.json").read_text(encoding="utf-8"))
        assert record["sha256"] == sha(ingested.sources[clip_id])
        assert record["has_audio"] is True
    bwf = json.loads((ingested.ws / "ingest" / "vo_bwf" / "probe.json").read_text(encoding="utf-8"))
    assert bwf["time_reference_ms"] == 3_600_000, "the bext time reference, as time of day"


def test_working_audio_is_house_format_and_holds_the_speech(ingested: Ingested) -> None:
    assert not list(ingested.ws.rglob("conform.mov")), "ingest makes no working copy: conform does"
    programme = load_manifest(ingested.root / "prog.yaml")
    made = conform_clips(programme, Workspace(ingested.root / "ws", programme.id), [f.clip_id for f in FORMATS])
    assert made.ok, made.to_dict()
    for fmt in FORMATS:
        folder = ingested.ws / "ingest" / fmt.clip_id
        record = json.loads((folder / "ingest.json").read_text(encoding="utf-8"))
        conform = folder / "conform.mov"
        assert conform.exists() is fmt.needs_copy, fmt.ext
        working = Workspace(ingested.root / "ws", programme.id).resolve(record["working_copy"])  # relative inside
        assert working == (conform if fmt.needs_copy else ingested.sources[fmt.clip_id])
        if fmt.needs_copy:
            copy = stream(conform)
            assert (copy["codec_name"], copy["sample_rate"], copy["channels"]) == ("pcm_s24le", "48000", 2)
            assert abs(float(copy["duration"]) - ingested.speech_s) < 0.1, fmt.ext
            assert mean_volume_db(conform) > -45, f"{fmt.ext}: the working copy is silent"
        asr = stream(folder / "audio16k.wav")
        assert (asr["codec_name"], asr["sample_rate"], asr["channels"]) == ("pcm_s16le", "16000", 1)
        assert abs(float(asr["duration"]) - ingested.speech_s) < 0.1, fmt.ext
        assert mean_volume_db(folder / "audio16k.wav") > -45, f"{fmt.ext}: the ASR audio is silent"
        for picture in ("proxy.mp4", "poster.jpg", "thumbs.jpg", "shots.json"):
            assert not (folder / picture).exists(), f"{fmt.ext}: {picture} for a clip with no picture"


def test_sources_untouched_and_rerun_does_nothing(ingested: Ingested) -> None:
    folder = ingested.root / "Lời bình"
    assert {p.name: sha(p) for p in folder.iterdir()} == ingested.before
    again = reportage("--workspace", str(ingested.root / "ws"), "--json", "ingest", "prog.yaml", cwd=ingested.root)
    assert {c["status"] for c in outcomes(again).values()} == {"up to date"}


@pytest.mark.model
def test_mp3_voice_over_is_transcribed_and_searchable(ingested: Ingested) -> None:
    ws = str(ingested.root / "ws")
    done = reportage("--workspace", ws, "--json", "transcribe", "prog.yaml", "--clip", "vo_mp3", "--beam", "1",
                     cwd=ingested.root)  # beam 1: seconds, not tens of them, on two cores
    assert done.returncode == 0, done.stderr
    transcript = json.loads((ingested.ws / "transcripts" / "vo_mp3.json").read_text(encoding="utf-8"))
    words = [w for seg in transcript["segments"] for w in seg["words"]]
    assert len(words) >= 4, transcript["segments"]
    assert all(0 <= w["start_ms"] <= w["end_ms"] <= transcript["duration_ms"] for w in words)
    heard = next(w["text"].strip(".,") for w in words if len(w["text"].strip(".,")) >= 3)
    found = reportage("--workspace", ws, "--json", "search", "prog.yaml", fold(heard), cwd=ingested.root)
    assert found.returncode == 0, found.stderr
    assert any(hit["clip_id"] == "vo_mp3" for hit in json.loads(found.stdout)), found.stdout
