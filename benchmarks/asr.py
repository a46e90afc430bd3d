"""Recognition on real human speech: Whisper base, the CTC model and the two combined, in one run.

    .venv/bin/python benchmarks/asr.py [--engines whisper,vietctc,combined] [--threads 2]

On the development set (`tests/data/speech/`, human Vietnamese speech with human transcripts) it
prints, for each recogniser as the transcribe stage runs it (voice detector, guards; no glossary):
- WER and CER (NFC, lower case, punctuation removed), overall and for clean and noisy clips;
- punctuation: of the words both the reference and the recogniser have (aligned), how many carry
  the same mark class after them (none / comma / stop), and the F1 of "a mark after this word";
- capitalisation: of the same aligned words, how many start with a capital exactly when the
  reference's do;
- real-time factor: decoding wall time over audio time (model loading excluded);
- for engines with word confidences, how well the `low_probability` flag finds the wrong words:
  at each threshold, the share of wrong words flagged (recall) and of flagged words that are wrong.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

if not __package__:  # run as a script: make `tests` and `pipeline` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipeline.asr.combine import CombinedTranscriber, align_pairs
from pipeline.asr.engine import FasterWhisperTranscriber, Transcriber, TranscribeSettings
from pipeline.asr.transcript import Transcript, split_punctuation
from pipeline.asr.vietctc import VietCtcTranscriber
from tests.speechset import SpeechClip, corpus_cer, corpus_wer, load_set, to_wav16k, words_of

THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9)


def _mark(tail: str) -> str:
    tail = tail.strip()
    if any(c in tail for c in ".?!…"):
        return "stop"
    return "comma" if any(c in tail for c in ",;:") else ""


def _tokens(text: str) -> list[tuple[str, bool, str]]:
    """(key, starts with a capital, mark after it) of each written word."""
    out = []
    for raw in text.split():
        _lead, core, tail = split_punctuation(raw)
        for key in words_of(core):
            out.append((key, core[:1].isupper(), ""))
        if out and core:
            out[-1] = (out[-1][0], out[-1][1], _mark(tail))
    return out


def writing_scores(pairs: list[tuple[str, str]]) -> dict[str, float]:
    """Punctuation accuracy and F1, capitalisation accuracy, over aligned matching words."""
    same_mark = same_case = matched = 0
    true_pos = false_pos = false_neg = 0
    for ref_text, hyp_text in pairs:
        ref, hyp = _tokens(ref_text), _tokens(hyp_text)
        for i, j in align_pairs([k for k, _c, _m in ref], [k for k, _c, _m in hyp]):
            matched += 1
            _, ref_cap, ref_mark = ref[i]
            _, hyp_cap, hyp_mark = hyp[j]
            same_mark += ref_mark == hyp_mark
            same_case += ref_cap == hyp_cap
            true_pos += bool(ref_mark) and bool(hyp_mark)
            false_pos += not ref_mark and bool(hyp_mark)
            false_neg += bool(ref_mark) and not hyp_mark
    f1 = 2 * true_pos / max(1, 2 * true_pos + false_pos + false_neg)
    return {"punct_acc": same_mark / max(1, matched), "punct_f1": f1, "case_acc": same_case / max(1, matched)}


def flag_scores(results: list[tuple[SpeechClip, Transcript]]) -> list[tuple[float, float, float, float]]:
    """(threshold, recall of wrong words, share of flags on wrong words, share of words flagged)."""
    scored: list[tuple[float, bool]] = []
    for clip, transcript in results:
        words = list(transcript.words())
        keys = [(words_of(w.text) or [""])[0] for w in words]
        right = {j for _i, j in align_pairs(words_of(clip.text), keys)}
        scored += [(w.probability, j not in right) for j, w in enumerate(words)]
    wrong = sum(1 for _p, bad in scored if bad)
    out = []
    for threshold in THRESHOLDS:
        flagged = [bad for p, bad in scored if p < threshold]
        out.append((threshold, sum(flagged) / max(1, wrong), sum(flagged) / max(1, len(flagged)),
                    len(flagged) / max(1, len(scored))))
    return out


def engines(names: list[str]) -> dict[str, Transcriber]:
    made: dict[str, Transcriber] = {}
    for name in names:
        if name == "whisper":
            made[name] = FasterWhisperTranscriber()
        elif name == "vietctc":
            made[name] = VietCtcTranscriber()
        elif name == "combined":
            made[name] = CombinedTranscriber()
        else:
            raise SystemExit(f"unknown engine {name!r}")
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", default="whisper,vietctc,combined")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--show", action="store_true", help="print every clip's text")
    args = parser.parse_args()
    clips = load_set()
    audio_s = sum(c.duration_s for c in clips)
    print(f"development set: {len(clips)} clips, {audio_s:.0f} s of real speech")
    with tempfile.TemporaryDirectory() as tmp:
        wavs = {c.id: to_wav16k(c, Path(tmp)) for c in clips}
        for name, engine in engines(args.engines.split(",")).items():
            settings = TranscribeSettings(engine="whisper" if name == "whisper" else "vietctc",
                                          cpu_threads=args.threads)
            engine.transcribe(wavs[clips[0].id], settings)  # load the model(s) outside the timing
            results: list[tuple[SpeechClip, Transcript]] = []
            decode = 0.0
            for clip in clips:
                began = time.monotonic()
                transcript = engine.transcribe(wavs[clip.id], settings, clip_id=clip.id)
                decode += time.monotonic() - began
                results.append((clip, transcript))
                if args.show:
                    print(f"  {clip.id}: {clip.text}\n  {' ' * len(clip.id)}  {transcript.text}")
            pairs = [(c.text, t.text) for c, t in results]
            clean = [(c.text, t.text) for c, t in results if c.condition == "clean"]
            noisy = [(c.text, t.text) for c, t in results if c.condition != "clean"]
            scores = writing_scores(pairs)
            print(f"{name:9s} WER {corpus_wer(pairs):.3f} (clean {corpus_wer(clean):.3f}, noisy "
                  f"{corpus_wer(noisy):.3f})  CER {corpus_cer(pairs):.3f}  punctuation {scores['punct_acc']:.3f} "
                  f"(F1 {scores['punct_f1']:.3f})  capitals {scores['case_acc']:.3f}  RTF {decode / audio_s:.3f}")
            if name != "whisper":
                flags = flag_scores(results)
                print("          uncertain-word flag: " + "; ".join(
                    f"<{t:.1f}: {f:.0%} of words flagged, finding {r:.0%} of the wrong ones "
                    f"({p:.0%} of flags on a wrong word)"
                    for t, r, p, f in flags))


if __name__ == "__main__":
    main()
