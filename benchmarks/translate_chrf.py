"""chrF of every available English backend against the sample scripts' English, in one run.

For every spoken utterance in examples/scripts/*.json the script gives the Vietnamese, the
translator's English (the reference) and the utterance's place in its clip. Each backend available
is scored on the same utterances, from two Vietnamese sources:
  - the script's Vietnamese (what the subtitles stage translates when the programme has a script);
  - the recognised Vietnamese: the words of the clip's transcript inside the utterance's span, from
    the workspace's transcripts when they exist, else from faster-whisper (the bundled model, as the
    transcribe stage runs it) on the clip's audio.
Backends: `llama` (the local language model, as the subtitles stage runs it: batches with
neighbours, the glossary, one line per cue), `whisper` (Whisper's translate task on the utterance's
audio — it hears the sound, so both sources give it the same English), and `script` (the script's
own English, which the references are: 100 by construction, the ceiling). The identity baseline
(the Vietnamese itself scored as if it were English) is printed beside them, measured in the same run.

Audio comes from the workspace (`ingest/<clip>/audio16k.wav`) or, where a clip is not ingested,
is extracted from the sample footage (examples/footage/<programme>/) into a scratch folder.
chrF: character 1–6-grams, β = 2, spaces ignored, corpus-level statistics (the sacrebleu
definition, implemented here so no extra package is needed). Seconds per cue exclude model loading,
which is printed apart.

    .venv/bin/python -m benchmarks.translate_chrf [--workspace workspace] [--limit N] [--beam 5]
        [--threads 2] [--backends llama,whisper,script]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.asr.engine import FasterWhisperTranscriber, TranscribeSettings
from pipeline.asr.glossary import Glossary, load_glossary
from pipeline.asr.transcript import Transcript
from pipeline.errors import ReportageError
from pipeline.fsutil import read_json
from pipeline.media.ffmpeg import run_ffmpeg, safe_input
from pipeline.translate import AudioSpan, SourceCue, TranslationContext
from pipeline.translate.llama_backend import LlamaTranslator
from pipeline.translate.whisper_backend import WhisperTranslator
from pipeline.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]
BACKENDS = ("llama", "whisper", "script")
SOURCES = ("script", "recognised")


def _ngrams(text: str, n: int) -> Counter[str]:
    chars = "".join(text.split())
    return Counter(chars[i : i + n] for i in range(len(chars) - n + 1))


def chrf(hypotheses: list[str], references: list[str], max_n: int = 6, beta: float = 2.0) -> float:
    """Corpus chrF in 0–100: per n, matches/precision/recall summed over sentences, then averaged."""
    precisions, recalls = [], []
    for n in range(1, max_n + 1):
        match = hyp_total = ref_total = 0
        for hyp, ref in zip(hypotheses, references, strict=True):
            hyp_grams, ref_grams = _ngrams(hyp, n), _ngrams(ref, n)
            match += sum((hyp_grams & ref_grams).values())
            hyp_total += sum(hyp_grams.values())
            ref_total += sum(ref_grams.values())
        if hyp_total and ref_total:
            precisions.append(match / hyp_total)
            recalls.append(match / ref_total)
    if not precisions:
        return 0.0
    p, r = sum(precisions) / len(precisions), sum(recalls) / len(recalls)
    if p + r == 0:
        return 0.0
    return 100 * (1 + beta**2) * p * r / (beta**2 * p + r)


@dataclass(frozen=True)
class Utterance:
    """One scripted utterance, with what recognition heard in its span."""

    programme: str
    clip_id: str
    number: int
    start_ms: int
    end_ms: int
    vi: str
    en: str
    heard: str

    def cue(self, index: int, source: str) -> SourceCue:
        text = self.vi if source == "script" else self.heard
        span = AudioSpan(self.clip_id, self.start_ms, self.end_ms)
        return SourceCue(index, self.start_ms, self.end_ms, text, (span,))


def words_in(transcript: Transcript, start_ms: int, end_ms: int) -> str:
    """The recognised words whose middle lies inside [start_ms, end_ms)."""
    return " ".join(w.text for w in transcript.words() if start_ms <= (w.start_ms + w.end_ms) // 2 < end_ms)


class Sources:
    """Audio and transcripts per clip: the workspace's where they exist, made in `scratch` otherwise."""

    def __init__(self, workspace: Path, scratch: Path, beam: int, threads: int) -> None:
        self.workspace = workspace
        self.scratch = scratch
        self.settings = TranscribeSettings(beam_size=beam, cpu_threads=threads)
        self.transcriber: FasterWhisperTranscriber | None = None
        self.made: Counter[str] = Counter()

    def audio_ws(self, programme: str, clip_id: str, footage: Path) -> Workspace | None:
        """The workspace holding this clip's 16 kHz audio (extracting it from the footage if needed)."""
        ws = Workspace(self.workspace, programme)
        if ws.audio16k(clip_id).is_file():
            return ws
        mine = Workspace(self.scratch, programme)
        target = mine.audio16k(clip_id)
        if not target.is_file():
            if not footage.is_file():
                return None
            target.parent.mkdir(parents=True, exist_ok=True)
            run_ffmpeg(["-i", safe_input(footage), "-map", "0:a:0", "-ac", "1", "-ar", "16000", "-c:a", "pcm_s16le",
                        "-f", "wav", f"file:{target}"], subject=footage)
            self.made["audio"] += 1
        return mine

    def transcript(self, programme: str, clip_id: str, audio_ws: Workspace) -> Transcript:
        """The workspace's transcript of the clip, else a fresh faster-whisper one."""
        saved = Workspace(self.workspace, programme).transcript_json(clip_id)
        if saved.is_file():
            return Transcript.from_json(read_json(saved), source=str(saved))
        if self.transcriber is None:
            self.transcriber = FasterWhisperTranscriber()
        self.made["transcripts"] += 1
        return self.transcriber.transcribe(audio_ws.audio16k(clip_id), self.settings, clip_id=clip_id)


def collect(sources: Sources, limit: int) -> tuple[list[Utterance], dict[str, Workspace]]:
    """Every utterance of the sample scripts that has audio, and the workspace of each clip's audio."""
    utterances: list[Utterance] = []
    audio: dict[str, Workspace] = {}
    for script in sorted((ROOT / "examples" / "scripts").glob("*.json")):
        data = json.loads(script.read_text(encoding="utf-8"))
        programme = data["programme"]
        for clip_id, clip in data["clips"].items():
            if not clip.get("utterances") or (limit and len(utterances) >= limit):
                continue
            ws = sources.audio_ws(programme, clip_id, ROOT / "examples" / "footage" / programme / clip["file"])
            if ws is None:
                print(f"skip {clip_id}: not ingested and no footage (run ./scripts/demo or make the samples)",
                      file=sys.stderr)
                continue
            audio[clip_id] = ws
            transcript = sources.transcript(programme, clip_id, ws)
            for n, utt in enumerate(clip["utterances"], 1):
                if limit and len(utterances) >= limit:
                    break
                utterances.append(Utterance(programme, clip_id, n, utt["start_ms"], utt["end_ms"], utt["vi"],
                                            utt["en"], words_in(transcript, utt["start_ms"], utt["end_ms"])))
    return utterances, audio


def by_programme(utterances: Sequence[Utterance]) -> dict[str, list[Utterance]]:
    groups: dict[str, list[Utterance]] = {}
    for utt in utterances:
        groups.setdefault(utt.programme, []).append(utt)
    return groups


def run_llama(translator: LlamaTranslator, utterances: Sequence[Utterance], glossary: Glossary,
              source: str) -> tuple[list[str], float]:
    """One programme at a time, as the subtitles stage sends its cues; returns English and seconds."""
    out: list[str] = []
    began = time.monotonic()
    for programme, group in by_programme(utterances).items():
        cues = [utt.cue(i, source) for i, utt in enumerate(group, 1)]
        out.extend(translator.translate(cues, TranslationContext(glossary, programme)))
    return out, time.monotonic() - began


def run_whisper(audio: dict[str, Workspace], utterances: Sequence[Utterance], glossary: Glossary, beam: int,
                threads: int) -> tuple[list[str], float, float]:
    """Whisper's translate task per utterance; returns English, seconds translating, seconds loading
    (each translator is warmed up on half a second of silence, which loads its model)."""
    import numpy as np

    translators: dict[Workspace, WhisperTranslator] = {}
    out: list[str] = []
    translating = loading = 0.0
    for i, utt in enumerate(utterances, 1):
        ws = audio[utt.clip_id]
        if ws not in translators:
            began = time.monotonic()
            translators[ws] = WhisperTranslator(ws, {"beam_size": beam, "cpu_threads": threads})
            translators[ws].translate_audio(np.zeros(8000, dtype=np.float32))
            loading += time.monotonic() - began
        began = time.monotonic()
        out.extend(translators[ws].translate([utt.cue(i, "script")], TranslationContext(glossary, utt.programme)))
        translating += time.monotonic() - began
    return out, translating, loading


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", type=Path, default=ROOT / "workspace")
    parser.add_argument("--limit", type=int, default=0, help="only the first N utterances")
    parser.add_argument("--beam", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--backends", default=",".join(BACKENDS), help=f"comma-separated, of {', '.join(BACKENDS)}")
    args = parser.parse_args(argv)
    wanted = [b for b in args.backends.split(",") if b]
    if unknown := [b for b in wanted if b not in BACKENDS]:
        parser.error(f"unknown backends {unknown}")

    glossary = load_glossary(programme=ROOT / "examples" / "glossary.yaml")
    with tempfile.TemporaryDirectory(prefix="reportage-chrf-") as scratch:
        sources = Sources(args.workspace.absolute(), Path(scratch), args.beam, args.threads)
        began = time.monotonic()
        utterances, audio = collect(sources, args.limit)
        prepare_s = time.monotonic() - began
        if not utterances:
            print("no utterances with audio: run ./scripts/demo (or ingest the examples) first")
            return 1
        refs = [u.en for u in utterances]
        rows: list[tuple[str, float | None, float | None, float | None]] = []
        notes: list[str] = []
        hyps: dict[tuple[str, str], list[str]] = {}
        if "llama" in wanted:
            translator = LlamaTranslator({"n_threads": args.threads})
            try:
                loading = time.monotonic()
                translator.load()
                notes.append(f"llama: {translator.model_info().name}, loaded in {time.monotonic() - loading:.1f} s")
                seconds = 0.0
                for source in SOURCES:
                    english, spent = run_llama(translator, utterances, glossary, source)
                    hyps["llama", source] = english
                    seconds += spent
                rows.append(("llama", chrf(hyps["llama", "script"], refs), chrf(hyps["llama", "recognised"], refs),
                             seconds / (2 * len(utterances))))
            except ReportageError as exc:
                notes.append(f"llama: unavailable ({exc.one_line()})")
        if "whisper" in wanted:
            english, spent, load_s = run_whisper(audio, utterances, glossary, args.beam, args.threads)
            hyps["whisper", "script"] = hyps["whisper", "recognised"] = english
            score = chrf(english, refs)
            rows.append(("whisper", score, score, spent / len(utterances)))
            notes.append(f"whisper: translate task on the audio (beam {args.beam}), loaded in {load_s:.1f} s; "
                         "it hears the sound, so both columns are the same run")
        if "script" in wanted:
            rows.append(("script", chrf(refs, refs), None, None))
        rows.append(("identity", chrf([u.vi for u in utterances], refs), chrf([u.heard for u in utterances], refs),
                     None))

    for n, utt in enumerate(utterances):
        print(f"{utt.clip_id} #{utt.number}\n  vi    {utt.vi}\n  heard {utt.heard}\n  ref   {utt.en}", file=sys.stderr)
        for (backend, source), lines in sorted(hyps.items()):
            if backend != "whisper" or source == "script":
                print(f"  {backend}/{source}: {lines[n]}", file=sys.stderr)
    made = ", ".join(f"{count} {what}" for what, count in sources.made.items()) or "none"
    print(f"utterances: {len(utterances)} ({', '.join(f'{p} {len(g)}' for p, g in by_programme(utterances).items())})"
          f"; made here: {made} ({prepare_s:.1f} s); threads {args.threads}")
    print(f"{'backend':<10} {'chrF from script vi':>20} {'chrF from recognised vi':>24} {'s/cue':>7}")

    def cell(value: float | None, width: int, digits: int = 1) -> str:
        return f"{value:>{width}.{digits}f}" if value is not None else f"{'—':>{width}}"

    for name, from_script, from_heard, per_cue in rows:
        print(f"{name:<10} {cell(from_script, 20)} {cell(from_heard, 24)} {cell(per_cue, 7, 2)}")
    for note in notes:
        print(note)
    scores = {name: (a, b) for name, a, b, _ in rows}
    if "llama" in scores and "whisper" in scores:
        (ls, lh), (ws_, _) = scores["llama"], scores["whisper"]
        assert ls is not None and lh is not None and ws_ is not None
        verdict = "beats" if ls > ws_ and lh > ws_ else "does NOT beat"
        print(f"llama {verdict} whisper on both sources: {ls:.1f} and {lh:.1f} against {ws_:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
