"""faster-whisper's batched pipeline against today's sequential decode, through our own engine.

    .venv/bin/python benchmarks/asr_batched.py [--threads 2] [--repeats 2] [--variants seq b4 b8 b8nots]

Why: `BatchedInferencePipeline` decodes several 30 s VAD chunks in one call, which may be faster,
but it ignores some of the options `pipeline/asr/engine.py` sets (see `UNSUPPORTED`). Whether it
is worth switching depends on speed *and* on the words and word timings staying as good.

Audio: every sample clip with speech in `examples/scripts/<programme>.json` (its 16 kHz ASR
audio taken from `workspace/<programme>/ingest/<clip>/audio16k.wav` when ingested, else made with
ingest's own ffmpeg arguments), plus each programme's clips joined into one file (a "long" clip:
the sample clips are each under 30 s, one VAD chunk, so only the joined ones give a batch of more
than one). References are the ground-truth sentences; the glossary prompt is the programme's,
filled in as the transcribe stage does.

Every variant runs through `FasterWhisperTranscriber.transcribe` (guards, re-decode of prompt
echoes, provenance), glossary correction after it; only the decoder call differs (`_Decoder`):
  seq     WhisperModel.transcribe(**settings.engine_options())   (today)
  b4, b8  BatchedInferencePipeline.transcribe(same options, batch_size=4/8, without_timestamps=False,
          as the sequential call's default)
  b8nots  the same at batch 8 with the batched default without_timestamps=True
Variants alternate within each repeat (seq b4 b8 …, seq b4 b8 …). Printed per variant: decode
wall seconds and RTF (model load excluded), CPU seconds per audio second, WER of the raw decoder
text and of the pipeline's output (after guards and correction), and whether every word of every
decoded segment came back with a finite start and end.
"""

from __future__ import annotations

import argparse
import dataclasses
import glob
import json
import math
import statistics
import sys
import tempfile
import time
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

if not __package__:  # run as a script: make `benchmarks.asr_whisper_prompt` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.asr_whisper_prompt import wer, words_of
from pipeline.asr.engine import FasterWhisperTranscriber, TranscribeSettings
from pipeline.asr.glossary import Glossary, correct_transcript, load_glossary
from pipeline.asr.model import resolve_model
from pipeline.media.ffmpeg import run_ffmpeg
from pipeline.media.ingest_args import IngestOutputs, ingest_args
from pipeline.media.probe import probe
from pipeline.stages.transcribe import prepare_settings
from pipeline.validate import load_manifest

PROGRAMMES = ("dautu", "dulich")
VARIANTS: dict[str, tuple[int, bool] | None] = {
    "seq": None,  # today's WhisperModel.transcribe
    "b4": (4, False),  # (batch_size, without_timestamps)
    "b8": (8, False),
    "b8nots": (8, True),
}
UNSUPPORTED = (
    "temperature: only the first value (0.0) is used; no fallback to 0.2..1.0",
    "compression_ratio_threshold, log_prob_threshold: accepted, unused (they only drive the fallback)",
    "no_speech_threshold: accepted, unused (ours is None anyway)",
    "best_of: accepted, unused (sampling never happens at temperature 0)",
    "hallucination_silence_threshold: forced None (ours is None anyway)",
    "condition_on_previous_text: forced False (ours is False anyway)",
    "max_initial_timestamp: forced 0.0 (sequential default 1.0)",
    "vad_parameters.max_speech_duration_s: replaced by chunk_length (30 s; ours is inf); speech "
    "is merged into <=30 s chunks",
    "initial_prompt/hotwords: given to every chunk (sequential: the first 30 s window only, since "
    "condition_on_previous_text=False); encoded without the leading space the sequential path adds",
    "clip_timestamps: list of {'start','end'} dicts in seconds, not the sequential flat list, so "
    "redecode_echoes must keep calling WhisperModel.transcribe",
)


@dataclasses.dataclass(frozen=True)
class Clip:
    """One audio file to transcribe, with its reference text and glossary."""

    name: str
    audio: Path
    reference: str
    glossary: Glossary
    duration_s: float


@dataclasses.dataclass
class Timing:
    """What the decoder's raw segments looked like: word timings and the raw text."""

    segments: int = 0
    text_words: int = 0
    timed_words: int = 0
    untimed_segments: int = 0
    bad_times: int = 0
    redecodes: int = 0
    texts: list[str] = dataclasses.field(default_factory=list)

    def every_word_timed(self) -> bool:
        return self.untimed_segments == 0 and self.bad_times == 0 and self.timed_words >= self.text_words


class _Decoder:
    """Stands in for the loaded WhisperModel inside `FasterWhisperTranscriber`: the main decode goes
    to the batched pipeline (or the model itself for `seq`), re-decodes of prompt echoes
    (`clip_timestamps` given) to the model, as they would have to; raw segments are inspected."""

    def __init__(self, model: Any, batched: Any, spec: tuple[int, bool] | None) -> None:
        self.model, self.batched, self.spec = model, batched, spec
        self.timing = Timing()

    def transcribe(self, audio: str, **options: Any) -> tuple[Iterator[Any], Any]:
        if "clip_timestamps" in options:
            self.timing.redecodes += 1
            return self.model.transcribe(audio, **options)  # type: ignore[no-any-return]
        if self.spec is None:
            segments, info = self.model.transcribe(audio, **options)
        else:
            batch_size, without_timestamps = self.spec
            segments, info = self.batched.transcribe(
                audio, batch_size=batch_size, without_timestamps=without_timestamps, **options
            )
        return self._watch(segments), info

    def _watch(self, segments: Iterator[Any]) -> Iterator[Any]:
        for seg in segments:
            t = self.timing
            t.segments += 1
            t.texts.append(str(seg.text).strip())
            said = len(words_of(seg.text))
            t.text_words += said
            if said and not seg.words:
                t.untimed_segments += 1
            for w in seg.words or []:
                t.timed_words += len(words_of(w.word))
                ok = w.start is not None and w.end is not None and math.isfinite(w.start) and math.isfinite(w.end)
                t.bad_times += 0 if ok and w.end >= w.start else 1
            yield seg


def duration_of(path: Path) -> float:
    with wave.open(str(path)) as handle:
        return float(handle.getnframes() / handle.getframerate())


def clips_of(programme_id: str, tmp: Path) -> list[Clip]:
    """The programme's clips with speech, ASR audio made as ingest makes it, plus all joined."""
    programme = load_manifest(Path("examples") / f"{programme_id}.yaml")
    glossary = load_glossary(programme=programme.glossary_path())
    script = json.loads((Path("examples/scripts") / f"{programme_id}.json").read_text(encoding="utf-8"))
    refs = {cid: " ".join(u["vi"] for u in c.get("utterances", [])) for cid, c in script["clips"].items()}
    clips: list[Clip] = []
    for source in programme.sources():
        if not refs.get(source.clip_id):
            continue
        ingested = glob.glob(f"workspace/{programme_id}/ingest/{source.clip_id}/audio16k.wav")
        audio = Path(ingested[0]) if ingested else tmp / f"{source.clip_id}.wav"
        if not ingested:
            out = IngestOutputs(conform=None, proxy=None, audio16k=audio)
            run_ffmpeg(ingest_args(probe(source.path), source.path, programme.house, out), subject=audio)
        clips.append(Clip(source.clip_id, audio, refs[source.clip_id], glossary, duration_of(audio)))
    joined = tmp / f"{programme_id}_joined.wav"
    args: list[str] = []
    for clip in clips:
        args += ["-i", str(clip.audio)]
    args += ["-filter_complex", "".join(f"[{i}:a]" for i in range(len(clips))) + f"concat=n={len(clips)}:v=0:a=1",
             "-c:a", "pcm_s16le", "-ar", "16000", "-ac", "1", str(joined)]
    run_ffmpeg(args, subject=joined)
    reference = " ".join(c.reference for c in clips)
    clips.append(Clip(f"{programme_id} (all joined)", joined, reference, glossary, duration_of(joined)))
    return clips


@dataclasses.dataclass
class Row:
    """Totals of one variant over one repeat of a set of clips."""

    audio_s: float = 0.0
    wall_s: float = 0.0
    cpu_s: float = 0.0
    raw_errors: float = 0.0
    out_errors: float = 0.0
    ref_words: int = 0
    all_timed: bool = True
    segments: int = 0
    dropped: int = 0
    redecodes: int = 0


def run_one(transcriber: FasterWhisperTranscriber, decoder: _Decoder, clip: Clip,
            settings: TranscribeSettings) -> tuple[Row, str]:
    decoder.timing = Timing()
    wall, cpu = time.perf_counter(), time.process_time()
    transcript = transcriber.transcribe(clip.audio, settings)
    corrected, _ = correct_transcript(transcript, clip.glossary, settings.correction)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    t = decoder.timing
    n = len(words_of(clip.reference))
    row = Row(clip.duration_s, wall, cpu, wer(clip.reference, " ".join(t.texts)) * n,
              wer(clip.reference, corrected.text) * n, n, t.every_word_timed(), t.segments,
              len(transcript.dropped), t.redecodes)
    return row, corrected.text


def add(total: Row, row: Row) -> None:
    for f in dataclasses.fields(Row):
        if f.name == "all_timed":
            total.all_timed = total.all_timed and row.all_timed
        else:
            setattr(total, f.name, getattr(total, f.name) + getattr(row, f.name))


def line(label: str, who: str, rows: list[Row]) -> str:
    """Median wall/cpu over repeats; WER and counts from the last repeat (they do not vary)."""
    wall = statistics.median(r.wall_s for r in rows)
    cpu = statistics.median(r.cpu_s for r in rows)
    last = rows[-1]
    audio = last.audio_s
    raw = last.raw_errors / max(1, last.ref_words)
    out = last.out_errors / max(1, last.ref_words)
    walls = "/".join(f"{r.wall_s:.1f}" for r in rows)
    same = "same" if len({round(r.out_errors, 3) for r in rows}) == 1 else "varies"
    return (f"{label:28} {who:>7} {audio:7.1f} {walls:>11} {wall / audio:6.3f} {cpu / audio:7.3f} "
            f"{raw:6.3f} {out:6.3f} {same:>6} {'yes' if all(r.all_timed for r in rows) else 'NO':>5} "
            f"{last.segments:4} {last.dropped:4} {last.redecodes:4}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--variants", nargs="+", choices=tuple(VARIANTS), default=list(VARIANTS))
    parser.add_argument("--clips", nargs="+", help="only these clip names (e.g. dautu_01_dinh_an)")
    parser.add_argument("--show-text", action="store_true", help="print each variant's output text")
    args = parser.parse_args()

    import faster_whisper
    from faster_whisper import BatchedInferencePipeline

    tmpdir = tempfile.TemporaryDirectory()
    tmp = Path(tmpdir.name)
    clips = [c for p in PROGRAMMES for c in clips_of(p, tmp)]
    if args.clips:
        clips = [c for c in clips if c.name in args.clips]
    info = resolve_model()
    base = TranscribeSettings(cpu_threads=args.threads)
    seq = FasterWhisperTranscriber(info)
    warm = tmp / "warm.wav"
    run_ffmpeg(["-f", "lavfi", "-t", "1", "-i", "anullsrc=r=16000:cl=mono", str(warm)], subject=warm)
    seq.transcribe(warm, base)  # loads the model once; loading is not measured
    model = seq._loaded
    batched = BatchedInferencePipeline(model=model)
    engines: dict[str, tuple[FasterWhisperTranscriber, _Decoder]] = {}
    for who in args.variants:
        transcriber = FasterWhisperTranscriber(info)
        decoder = _Decoder(model, batched, VARIANTS[who])
        transcriber._loaded, transcriber._loaded_key = decoder, seq._loaded_key
        engines[who] = (transcriber, decoder)

    print(f"faster-whisper {faster_whisper.__version__}, model {info.name} {info.sha256[:12]}…, "
          f"{base.resolved_compute_type()}, {args.threads} threads, beam {base.beam_size}, language {base.language}")
    print("batched API: options it does not honour:")
    for note in UNSUPPORTED:
        print(f"  - {note}")
    rows: dict[tuple[str, str], list[Row]] = {}
    texts: dict[tuple[str, str], str] = {}
    for repeat in range(args.repeats):
        for clip in clips:
            settings = prepare_settings(base, clip.glossary)
            for who, (transcriber, decoder) in engines.items():
                row, text = run_one(transcriber, decoder, clip, settings)
                rows.setdefault((clip.name, who), []).append(row)
                texts[(clip.name, who)] = text
                print(f"  repeat {repeat + 1} {clip.name:28} {who:>7} {row.wall_s:6.1f} s", flush=True)

    print()
    print(f"{'clip':28} {'variant':>7} {'audio s':>7} {'wall s':>11} {'RTF':>6} {'cpu s/s':>7} "
          f"{'WERraw':>6} {'WERout':>6} {'repeat':>6} {'timed':>5} {'segs':>4} {'drop':>4} {'redc':>4}")
    for clip in clips:
        for who in engines:
            print(line(clip.name, who, rows[(clip.name, who)]))
    for label, chosen in (("ALL single clips", [c for c in clips if "joined" not in c.name]),
                          ("ALL joined clips", [c for c in clips if "joined" in c.name])):
        if not chosen:
            continue
        for who in engines:
            totals = []
            for repeat in range(args.repeats):
                total = Row()
                for clip in chosen:
                    add(total, rows[(clip.name, who)][repeat])
                totals.append(total)
            print(line(label, who, totals))
    if args.show_text:
        for clip in clips:
            print(f"\n{clip.name}\n  {'ref':>7} {clip.reference}")
            for who in engines:
                print(f"  {who:>7} {texts[(clip.name, who)]}")
    tmpdir.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
