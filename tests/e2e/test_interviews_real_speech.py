"""Real human speech run as an editor runs a programme of interviews: clips of the development set
under a plain picture, cut back to back, ingest → transcribe → assemble → subtitles with the manifest's
defaults (the CTC recogniser, the local language model for English)."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.interviews import run_interviews, subtitle_text, transcript_texts
from pipeline.asr.transcript import Transcript
from pipeline.fsutil import read_json
from pipeline.records.subtitles import read_subtitles_record
from tests.speechset import corpus_wer, load_set

pytestmark = [pytest.mark.model, pytest.mark.slow]


def test_interviews_from_real_speech(tmp_path: Path) -> None:
    clips = [c for c in load_set() if c.condition == "clean"][:10]
    run = run_interviews(tmp_path, clips)
    pairs = transcript_texts(run)
    assert all(text for _ref, text in pairs), "every clip transcribed"
    assert corpus_wer(pairs) <= 0.2, pairs
    vi = subtitle_text(run, "vi")
    assert corpus_wer([(" ".join(c.text for c in clips), " ".join(vi))]) <= 0.2, vi
    en = subtitle_text(run, "en")
    assert en and all(text.strip() for text in en)
    # Machine English stays marked as such; no word lies outside the speech the clip holds.
    record = read_subtitles_record(run.ws)
    assert record is not None and record.languages["en"].machine_draft
    # At most one stretch of speech has its English cut with "…" to be read in time (one sentence
    # laid over two cues counts once); a cut never ends on an article or a conjunction.
    cut = [entry for entry in record.languages["en"].cue_map or () if entry.shortened]
    assert len(cut) <= 1, (en, cut)
    for text in en:
        if text.rstrip().endswith("…"):
            assert text.rstrip("…").split()[-1].casefold() not in {"the", "a", "an", "and", "of", "to"}, text
    for clip in clips:
        transcript = Transcript.from_json(read_json(run.ws.transcript_json(clip.id)))
        regions = transcript.options["regions_ms"]
        for word in transcript.words():
            assert any(low <= word.start_ms and word.end_ms <= high for low, high in regions), (clip.id, word)
