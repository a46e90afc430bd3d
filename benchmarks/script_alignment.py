"""The script on the speech, measured on the sample programmes: are the words the script's, and do
the cues start where the voice does?

    .venv/bin/python benchmarks/script_alignment.py [--workspace workspace]

Needs a workspace where the samples have been through `subtitles` (./scripts/demo does it). For
each sample sentence that is in the edit (examples/scripts/<programme>.json records where it is
spoken in its clip; the timeline says where that is in the programme) it prints the word error rate
of the Vietnamese cues that carry it against the script's text, and how far the first of those cues
starts from the true start of the speech; then the recognised transcript's WER on the same sentences,
as the baseline the script replaces. Goal: WER 0 and every start within 200 ms.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pipeline.records.subtitles import CueOrigin, read_subtitles_record
from pipeline.script.align import syllable_keys
from pipeline.subs import read_subtitles
from pipeline.subs.speech import timeline_words
from pipeline.timeline import load_timeline
from pipeline.workspace import Workspace

REPO = Path(__file__).resolve().parent.parent


def keys(text: str) -> list[str]:
    return [k for token in text.split() for k in syllable_keys(token)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workspace", type=Path, default=REPO / "workspace")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from benchmarks.asr_whisper_prompt import wer  # the one WER of the benchmarks (on folded syllables here)

    worst_ms, worst_wer, sentences = 0, 0.0, 0
    for programme in ("dautu", "dulich"):
        ws = Workspace(args.workspace, programme)
        record = read_subtitles_record(ws)
        if record is None:
            print(f"{programme}: no subtitles in {ws.dir}; run ./scripts/demo first", file=sys.stderr)
            return 2
        timeline = load_timeline(ws.timeline_json)
        truth = json.loads((REPO / "examples" / "scripts" / f"{programme}.json").read_text(encoding="utf-8"))
        cues = list(read_subtitles(ws.subtitle("vi", "srt")).cues)
        english = record.languages.get("en")
        cue_map = english.cue_map or () if english is not None else ()
        heard, _ = timeline_words(timeline, ws)
        print(f"{programme}: {'start Δ ms':>10} {'WER':>5} {'heard WER':>9}  sentence")
        for seg in timeline.segments:
            src_in, src_out = timeline.frames_to_ms(seg.src_in_frame), timeline.frames_to_ms(seg.src_out_frame)
            rec_in = timeline.frames_to_ms(seg.rec_in_frame)
            for utterance in truth["clips"].get(seg.clip_id, {}).get("utterances", []):
                if not src_in <= utterance["start_ms"] < src_out or utterance["end_ms"] > src_out:
                    continue
                start = utterance["start_ms"] - src_in + rec_in
                end = utterance["end_ms"] - src_in + rec_in
                ref = keys(utterance["vi"])
                # the cues whose map entry names a script sentence and which start inside this speech
                mine = sorted({i for entry in cue_map if entry.vi_origin is CueOrigin.SCRIPT for i in entry.vi
                               if start - 400 <= cues[i - 1].start_ms < end})
                text = " ".join(" ".join(cues[i - 1].lines) for i in mine)
                said = [w.text for w in heard if start - 300 <= w.start_ms < end]
                error = wer(" ".join(ref), " ".join(keys(text)))
                heard_error = wer(" ".join(ref), " ".join(keys(" ".join(said))))
                delta = cues[mine[0] - 1].start_ms - start if mine else 10**6
                sentences += 1
                worst_ms, worst_wer = max(worst_ms, abs(delta)), max(worst_wer, error)
                print(f"{'':7}{delta:>+10} {error:5.2f} {heard_error:9.2f}  {utterance['vi'][:60]}")
    print(f"{sentences} sentences: worst start {worst_ms} ms (goal ≤ 200), worst WER {worst_wer:.2f} (goal 0)")
    return 0 if worst_ms <= 200 and worst_wer == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
