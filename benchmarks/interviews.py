"""Real speech run as an editor runs a programme of interviews: every development-set clip under a
plain picture, cut back to back, through ingest → transcribe → assemble → subtitles with the
manifest's default recogniser and translator.

    .venv/bin/python benchmarks/interviews.py [--clips N] [--keep DIR]

Prints the WER of the transcripts and of the Vietnamese subtitle track against the human
transcripts, how many clips were transcribed, how many English cues end in "…", how many recognised
words lie outside any speech, and each stage's time.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

if not __package__:  # run as a script: make `tests` and `pipeline` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.manifest import Programme
from pipeline.validate import load_manifest
from pipeline.workspace import Workspace
from tests.speechset import SpeechClip, corpus_wer, load_set

FPS = 25


@dataclass
class InterviewRun:
    programme: Programme
    ws: Workspace
    clips: list[SpeechClip]
    seconds: dict[str, float]


def _frames(seconds: float) -> int:
    return int(seconds * FPS)


def _tc(frames: int) -> str:
    return f"00:{frames // (60 * FPS):02d}:{frames // FPS % 60:02d}:{frames % FPS:02d}"


def make_programme(folder: Path, clips: list[SpeechClip], manifest_extra: str = "") -> Path:
    """Each clip as a MOV under a grey picture, and a manifest cutting them all back to back."""
    folder.mkdir(parents=True, exist_ok=True)
    cut = []
    for clip in clips:
        mov = folder / f"{clip.id}.mov"
        subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                        f"color=c=gray:s=320x180:r={FPS}", "-i", str(clip.path), "-map", "0:v", "-map", "1:a",
                        "-shortest", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                        "-c:a", "pcm_s16le", "-ar", "48000", str(mov)], check=True)
        probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                                str(mov)], capture_output=True, text=True, check=True)
        frames = _frames(float(probe.stdout.strip())) - 1
        cut.append(f"    - {{clip: {clip.id}, in: '00:00:00:00', out: '{_tc(frames)}'}}")
    manifest = folder / "interviews.yaml"
    manifest.write_text(
        "id: interviews\ntitle: {vi: Phỏng vấn, en: Interviews}\nsynopsis: {vi: Thử, en: Test}\n"
        "house: {width: 320, height: 180}\n"
        f"footage: [{', '.join(c.id + '.mov' for c in clips)}]\n"
        "timeline:\n  cut:\n" + "\n".join(cut) + "\n" + manifest_extra, encoding="utf-8")
    return manifest


def run_interviews(folder: Path, clips: list[SpeechClip], manifest_extra: str = "") -> InterviewRun:
    from pipeline.run import stage
    from pipeline.stages.assemble import assemble_programme
    from pipeline.stages.ingest import Settings as IngestSettings
    from pipeline.stages.ingest import ingest_programme
    from pipeline.stages.subtitles import subtitles_programme

    programme = load_manifest(make_programme(folder / "footage", clips, manifest_extra))
    ws = Workspace(folder / "ws", programme.id)
    seconds: dict[str, float] = {}
    began = time.monotonic()
    report = ingest_programme(programme, ws, IngestSettings(thumbnails=1, detect_shots=False))
    assert report.ok, report.to_dict()
    seconds["ingest"] = time.monotonic() - began
    began = time.monotonic()
    stage("transcribe").run(programme, ws)  # the settings `reportage run` builds from the manifest
    seconds["transcribe"] = time.monotonic() - began
    began = time.monotonic()
    assemble_programme(programme, ws)
    subtitles_programme(programme, ws)
    seconds["assemble+subtitles"] = time.monotonic() - began
    return InterviewRun(programme, ws, clips, seconds)


def transcript_texts(run: InterviewRun) -> list[tuple[str, str]]:
    from pipeline.asr.transcript import Transcript
    from pipeline.fsutil import read_json

    pairs = []
    for clip in run.clips:
        path = run.ws.transcript_json(clip.id)
        text = Transcript.from_json(read_json(path)).text if path.is_file() else ""
        pairs.append((clip.text, text))
    return pairs


def subtitle_text(run: InterviewRun, lang: str) -> list[str]:
    from pipeline.subs import read_subtitles

    path = run.ws.subtitle(lang, "srt")
    return [" ".join(cue.lines) for cue in read_subtitles(path).cues] if path.is_file() else []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=0, help="only the first N clips (default: all)")
    parser.add_argument("--keep", type=Path, help="leave the programme and workspace here")
    args = parser.parse_args()
    clips = load_set()
    if args.clips:
        clips = clips[:args.clips]
    folder = args.keep or Path(tempfile.mkdtemp(prefix="interviews-"))
    try:
        run = run_interviews(folder, clips)
        pairs = transcript_texts(run)
        vi = subtitle_text(run, "vi")
        en = subtitle_text(run, "en")
        reference = " ".join(c.text for c in clips)
        print(f"{len(clips)} clips, {sum(c.duration_s for c in clips):.0f} s of real speech")
        print(f"transcripts: WER {corpus_wer(pairs):.3f}, {sum(1 for _r, t in pairs if t)} of {len(pairs)} clips "
              "transcribed")
        print(f"Vietnamese subtitle track: WER {corpus_wer([(reference, ' '.join(vi))]):.3f} over {len(vi)} cues")
        print(f"English: {len(en)} cues, {sum(1 for t in en if t.rstrip().endswith(('…', '...')))} ending in '…'")
        print("stage times: " + ", ".join(f"{k} {v:.1f} s" for k, v in run.seconds.items()))
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
