"""chrF of the offline Whisper translate backend against the sample scripts' English references.

For every spoken utterance in examples/scripts/*.json, the utterance's audio is cut from the
ingested clip (workspace/<programme>/ingest/<clip>/audio16k.wav — run `reportage ingest` on the
examples first) and translated by `WhisperTranslator` exactly as the subtitles stage does; the
English is scored with chrF (character 1–6-grams, β = 2, spaces ignored, corpus-level statistics —
the sacrebleu definition, implemented here so no extra package is needed). A reference translator
would score 100; the identity baseline (the Vietnamese text itself scored against the English) is
printed beside it, measured in the same run, so the number is read as a ratio, not in a vacuum.

    .venv/bin/python -m benchmarks.translate_chrf [--workspace workspace] [--limit N] [--beam 5]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

from pipeline.asr.glossary import load_glossary
from pipeline.translate import AudioSpan, SourceCue, TranslationContext
from pipeline.translate.whisper_backend import WhisperTranslator
from pipeline.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]


def _ngrams(text: str, n: int) -> Counter[str]:
    chars = "".join(text.split())
    return Counter(chars[i : i + n] for i in range(len(chars) - n + 1))


def chrf(hypotheses: list[str], references: list[str], max_n: int = 6, beta: float = 2.0) -> float:
    """Corpus chrF in 0–100: per n, matches/precision/recall summed over sentences, then averaged."""
    precisions, recalls = [], []
    for n in range(1, max_n + 1):
        match = hyp_total = ref_total = 0
        for hyp, ref in zip(hypotheses, references, strict=True):
            h, r = _ngrams(hyp, n), _ngrams(ref, n)
            match += sum((h & r).values())
            hyp_total += sum(h.values())
            ref_total += sum(r.values())
        if hyp_total and ref_total:
            precisions.append(match / hyp_total)
            recalls.append(match / ref_total)
    if not precisions:
        return 0.0
    p, r = sum(precisions) / len(precisions), sum(recalls) / len(recalls)
    if p + r == 0:
        return 0.0
    return 100 * (1 + beta**2) * p * r / (beta**2 * p + r)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", type=Path, default=ROOT / "workspace")
    parser.add_argument("--limit", type=int, default=0, help="only the first N utterances")
    parser.add_argument("--beam", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)

    glossary = load_glossary(programme=ROOT / "examples" / "glossary.yaml")
    hyps: list[str] = []
    refs: list[str] = []
    sources: list[str] = []
    started = time.monotonic()
    translators: dict[str, WhisperTranslator] = {}
    for script in sorted((ROOT / "examples" / "scripts").glob("*.json")):
        data = json.loads(script.read_text(encoding="utf-8"))
        ws = Workspace(args.workspace.absolute(), data["programme"])
        if data["programme"] not in translators:
            options = {"beam_size": args.beam, "cpu_threads": args.threads}
            translators[data["programme"]] = WhisperTranslator(ws, options)
        translator = translators[data["programme"]]
        for clip_id, clip in data["clips"].items():
            if not ws.audio16k(clip_id).is_file():
                if clip.get("utterances"):
                    print(f"skip {clip_id}: no {ws.audio16k(clip_id)} (run `reportage ingest`)", file=sys.stderr)
                continue
            for n, utt in enumerate(clip.get("utterances", []), 1):
                if args.limit and len(hyps) >= args.limit:
                    break
                cue = SourceCue(n, utt["start_ms"], utt["end_ms"], utt["vi"],
                                (AudioSpan(clip_id, utt["start_ms"], utt["end_ms"]),))
                english = translator.translate([cue], TranslationContext(glossary, data["programme"]))[0]
                hyps.append(english)
                refs.append(utt["en"])
                sources.append(utt["vi"])
                print(f"{clip_id} #{n}: {english}", file=sys.stderr)
    if not hyps:
        print("no utterances with audio found: ingest examples/dautu.yaml and examples/dulich.yaml first")
        return 1
    elapsed = time.monotonic() - started
    score, identity = chrf(hyps, refs), chrf(sources, refs)
    print(f"utterances: {len(hyps)}  elapsed: {elapsed:.1f} s")
    print(f"chrF whisper translate (bundled model, beam {args.beam}): {score:.1f}")
    print(f"chrF identity baseline (Vietnamese text as the 'translation'): {identity:.1f}")
    print(f"ratio whisper / identity: {score / identity:.2f}" if identity else "identity baseline is 0")
    return 0


if __name__ == "__main__":
    sys.exit(main())
