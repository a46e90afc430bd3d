"""Speech recognition speed and accuracy: our transcriber against bare faster-whisper, same run.

    .venv/bin/python benchmarks/asr_whisper_prompt.py [AUDIO.wav ...] [--ref refs.json] [--threads 2]

Audio defaults to every `workspace/*/ingest/*/audio16k.wav` (references then come from the sample
footage's ground truth, `examples/scripts/<programme>.json`, and the glossary from the programme's
manifest in examples/); with none, ~30 s of Vietnamese speech is synthesised with espeak-ng (its
reference text is known, so WER is printed too). For each file
it prints the real-time factor (decode wall time / audio duration; model load excluded) and the CPU
seconds per audio second (steadier than wall time on a shared machine) of
  ours  FasterWhisperTranscriber with default settings (VAD, word timings, glossary prompt, guards,
        glossary correction), and
  nobias  the same without the glossary prompt, and
  bare  faster-whisper's WhisperModel.transcribe(language="vi", beam_size=5), otherwise defaults,
and the word error rate against `--ref` (JSON: {"file name or stem": "reference text"}).
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import glob
import json
import subprocess
import sys
import tempfile
import time
import unicodedata
import wave
from collections.abc import Callable
from pathlib import Path

if not __package__:  # run as a script: make `tests` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.asr.engine import FasterWhisperTranscriber, TranscribeSettings
from pipeline.asr.glossary import Glossary, correct_transcript, load_glossary
from pipeline.asr.model import resolve_model
from pipeline.media.ffmpeg import run_ffmpeg
from pipeline.stages.transcribe import prepare_settings
from pipeline.validate import load_manifest
from tests.speechset import edits, words_of

SYNTH_TEXT = (
    "Chào mừng quý vị đến với tỉnh Trà Vinh. Ao Bà Om là một danh thắng nổi tiếng của tỉnh. "
    "Mỗi năm, lễ hội Ok Om Bok thu hút hàng nghìn du khách. Người dân ở huyện Cầu Ngang nuôi tôm sú "
    "và làm kẹo dừa. Chùa Âng nằm cạnh Ao Bà Om, có kiến trúc Khmer độc đáo. Biển Ba Động là điểm du "
    "lịch hấp dẫn vào mùa hè. Ủy ban nhân dân tỉnh đang phát triển du lịch cộng đồng."
)


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate of one text: word-level edit distance over the reference length (the words
    and the distance are `tests.speechset`'s, the one normalisation every benchmark scores with)."""
    ref = words_of(reference)
    return edits(ref, words_of(hypothesis)) / max(1, len(ref))


def term_hits(glossary: Glossary, reference: str, hypothesis: str) -> tuple[int, int]:
    """(glossary terms said in the reference that the hypothesis spells exactly, terms said)."""
    ref, hyp = unicodedata.normalize("NFC", reference).casefold(), unicodedata.normalize("NFC", hypothesis)
    said = [t.vi for t in glossary.terms if t.vi.casefold() in ref]
    return sum(1 for term in said if term in hyp or (term[:1].islower() and term.capitalize() in hyp)), len(said)


def duration_s(path: Path) -> float:
    with wave.open(str(path)) as handle:
        return float(handle.getnframes() / handle.getframerate())


def synthesise(folder: Path) -> Path:
    raw, out = folder / "speech.espeak.wav", folder / "speech.wav"
    subprocess.run(["espeak-ng", "-v", "vi", "-s", "150", "-w", str(raw), SYNTH_TEXT], check=True)
    run_ffmpeg(["-i", str(raw), "-ar", "16000", "-ac", "1", "-c:a", "pcm_s16le", str(out)], subject=out)
    return out


def sample_refs(files: list[Path]) -> dict[str, str]:
    """Reference texts of sample-footage clips, keyed by audio path, from the ground-truth scripts."""
    refs: dict[str, str] = {}
    for path in files:
        parts = path.parts  # <workspace>/<programme>/ingest/<clip>/audio16k.wav
        if len(parts) >= 4 and parts[-3] == "ingest":
            programme, clip = parts[-4], parts[-2]
            script = Path("examples/scripts") / f"{programme}.json"
            if script.is_file():
                clips = json.loads(script.read_text(encoding="utf-8")).get("clips", {})
                utterances = clips.get(clip, {}).get("utterances", [])
                if utterances:
                    refs[str(path)] = " ".join(u["vi"] for u in utterances)
    return refs


def glossary_for(path: Path) -> Glossary:
    """House glossary plus the sample programme's own, when the audio belongs to one."""
    programme = path.parts[-4] if len(path.parts) >= 4 and path.parts[-3] == "ingest" else ""
    manifest = Path("examples") / f"{programme}.yaml"
    if programme and manifest.is_file():
        return load_glossary(programme=load_manifest(manifest).glossary_path())
    return load_glossary()


@dataclasses.dataclass
class Totals:
    """Audio, wall and CPU seconds, word errors and glossary hits, summed over clips."""

    audio_s: float = 0.0
    wall_s: float = 0.0
    cpu_s: float = 0.0
    errors: float = 0.0
    ref_words: int = 0
    hits: int = 0
    said: int = 0

    def add(self, other: Totals) -> None:
        for field in dataclasses.fields(self):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))

    def line(self, who: str) -> str:
        score = f"{self.errors / self.ref_words:6.2f}" if self.ref_words else "     -"
        terms = f"{self.hits}/{self.said}" if self.said else "-"
        rtf, cpu = self.wall_s / self.audio_s, self.cpu_s / self.audio_s
        return f"{self.audio_s:8.1f} {who:>6} {rtf:6.3f} {cpu:8.3f} {score} {terms:>6}"


def timed(run: Callable[[], str]) -> tuple[str, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    text = run()
    return text, time.perf_counter() - wall, time.process_time() - cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("audio", nargs="*", type=Path)
    parser.add_argument("--ref", type=Path, help="JSON of reference texts by file name or stem")
    parser.add_argument("--synth", action="store_true", help="use ~30 s of espeak-ng speech, not the workspace")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--bias-budget", type=int, default=TranscribeSettings().bias_budget_tokens)
    parser.add_argument("--only", nargs="+", choices=("ours", "nobias", "bare"), help="run only these")
    parser.add_argument("--model", type=Path, help="a CTranslate2 Whisper folder (default: the bundled one)")
    args = parser.parse_args()

    found = [] if args.synth else sorted(Path(p) for p in glob.glob("workspace/*/ingest/*/audio16k.wav"))
    files = args.audio or found
    refs = sample_refs(files)
    refs.update(json.loads(args.ref.read_text(encoding="utf-8")) if args.ref else {})
    tmp = tempfile.TemporaryDirectory()
    if not files:
        files = [synthesise(Path(tmp.name))]
        refs[str(files[0])] = SYNTH_TEXT

    from faster_whisper import WhisperModel

    info = resolve_model(args.model)
    plain = TranscribeSettings(cpu_threads=args.threads, bias_budget_tokens=args.bias_budget)
    ours = FasterWhisperTranscriber(info)
    bare = WhisperModel(str(info.path), device="cpu", compute_type="int8", cpu_threads=args.threads)
    print(f"model {info.name} {info.sha256[:12]}…, int8, {args.threads} threads, beam 5")
    totals: dict[str, Totals] = {}
    print(f"{'clip':32} {'audio s':>8} {'who':>6} {'RTF':>6} {'cpu s/s':>8} {'WER':>6} {'terms':>6}")
    warm = Path(tmp.name) / "warm.wav"
    run_ffmpeg(["-f", "lavfi", "-t", "1", "-i", "anullsrc=r=16000:cl=mono", str(warm)], subject=warm)
    ours.transcribe(warm, plain)  # loads the model: loading is not what we measure

    def run_ours(path: Path, settings: TranscribeSettings, glossary: Glossary) -> str:
        return correct_transcript(ours.transcribe(path, settings), glossary)[0].text

    def run_bare(path: Path) -> str:
        return " ".join(s.text.strip() for s in bare.transcribe(str(path), language="vi", beam_size=5)[0])

    for path in files:
        audio_s = duration_s(path)
        glossary = glossary_for(path)
        settings = prepare_settings(plain, glossary)
        runs: dict[str, Callable[[], str]] = {
            "ours": functools.partial(run_ours, path, settings, glossary),
            "nobias": functools.partial(run_ours, path, dataclasses.replace(settings, initial_prompt=None), glossary),
            "bare": functools.partial(run_bare, path),
        }
        ref = refs.get(str(path)) or refs.get(path.name) or refs.get(path.stem)
        name = (path.parent.name if path.name == "audio16k.wav" else path.name)[-32:]
        for who, run in runs.items():
            if args.only and who not in args.only:
                continue
            text, wall, cpu = timed(run)
            row = Totals(audio_s, wall, cpu)
            if ref:
                row.errors, row.ref_words = wer(ref, text) * len(words_of(ref)), len(words_of(ref))
                row.hits, row.said = term_hits(glossary, ref, text)
            totals.setdefault(who, Totals()).add(row)
            print(f"{name:32} {row.line(who)}")
            print(f"{'':32} {text[:160]}")
    for who, total in totals.items():
        print(f"{'ALL':32} {total.line(who)}")
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
