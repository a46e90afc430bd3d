""""Reviewed" per cue, never per file: a person reviews the cues they save or mark in the review
room, and only those, before and after the subtitles stage runs again.

The defect this guards: once a reviewer saved one cue, the file became theirs and the stage and the
room called every cue of it reviewed, machine drafts included, and QC dropped its warning, so a
draft nobody read could be approved and delivered as if a translator had checked it. Here every
record is the real stage's (`test_cue_origins`' programme and machine translator), every edit and
mark goes through the review room's own code, and each cue's label on the page must equal its
origin in the record.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from pipeline.asr.transcript import WORD_LOW_PROBABILITY, Transcript
from pipeline.fsutil import write_json
from pipeline.qc.plan import Status
from pipeline.qc.subtitles import check_language
from pipeline.records.reviewed import ReviewedCues, read_reviewed_cues, reviewed_cues_path
from pipeline.records.subtitles import SubtitlesRecord, cue_key, read_subtitles_record
from pipeline.review import cues as cuelist
from pipeline.review.errors import Conflict
from pipeline.subs import read_subtitles
from pipeline.subs.adopt import adopt_cues, source_of
from pipeline.timeline import load_timeline
from pipeline.workspace import Workspace
from tests.unit import test_cue_origins as origins

made = origins.made  # the programme the real subtitles stage made, with a machine translator
_ctx, _make = origins._ctx, origins._make


def _board(ws: Workspace, lang: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = cuelist.board(ws, _ctx(ws))[lang]["cues"]
    return rows


def _labels(ws: Workspace, lang: str) -> list[str]:
    return [row["origin"] for row in _board(ws, lang)]


def _recorded(ws: Workspace, lang: str) -> list[str]:
    record = read_subtitles_record(ws)
    assert record is not None
    origins = record.languages[lang].origins()
    assert origins is not None, "the record names each cue's origin"
    return [str(o) for o in origins]


def _agree(ws: Workspace, lang: str) -> list[str]:
    """The page's labels, which must be the record's origins (the stage has just run)."""
    labels = _labels(ws, lang)
    assert labels == _recorded(ws, lang)
    return labels


def _machine_warning(ws: Workspace) -> Any:
    record = read_subtitles_record(ws)
    assert record is not None
    checks = check_language({ext: ws.subtitle("en", ext) for ext in ("srt", "vtt")}, "en",
                            load_timeline(ws.timeline_json), None, record.languages["en"])
    found = [c for c in checks if c.id == "subtitles.en.review"]
    return found[0] if found else None


def test_saving_one_cue_reviews_that_cue_and_no_other(made: tuple[object, Workspace]) -> None:
    programme, ws = made
    assert _agree(ws, "en") == ["machine"] * 3 and _agree(ws, "vi") == ["recognised"] * 2
    ctx = _ctx(ws)
    second = _board(ws, "en")[1]
    cuelist.save(ws, ctx, "en", cuelist.edit_cue(ctx, "en", 2, second["version"],
                                                 text="Ao Bà Om is where visitors meet."))
    assert source_of(ws, ws.subtitle("en", "srt")) != "generated"  # the file is the editor's now
    assert _labels(ws, "en") == ["machine", "reviewed", "machine"]  # before the stage runs again
    _make(programme, ws)
    assert _agree(ws, "en") == ["machine", "reviewed", "machine"]
    assert _agree(ws, "vi") == ["recognised"] * 2
    record = read_subtitles_record(ws)
    assert record is not None
    en = record.languages["en"]
    assert en.machine_draft and not en.reviewed and en.machine_cues() == [1, 3]
    assert en.provenance is not None and [p.by for p in en.provenance] == ["llama", None, "llama"]
    warning = _machine_warning(ws)
    assert warning.status is Status.WARN and warning.value == 2
    assert warning.measured == "2 of 3 cues an unreviewed machine draft" and "drafted by llama" in warning.detail
    # and again with nothing new: the stage writes nothing, the labels stay
    _make(programme, ws)
    assert _agree(ws, "en") == ["machine", "reviewed", "machine"]


def test_marking_a_cue_reviewed_reviews_it_without_changing_the_file(made: tuple[object, Workspace]) -> None:
    programme, ws = made
    ctx = _ctx(ws)
    before = ws.subtitle("en", "srt").read_bytes()
    third = _board(ws, "en")[2]
    saved = cuelist.mark_reviewed(ws, ctx, "en", 3, third["version"])
    assert saved.touched == [3]
    assert ws.subtitle("en", "srt").read_bytes() == before and source_of(ws, ws.subtitle("en", "srt")) == "generated"
    assert _labels(ws, "en") == ["machine", "machine", "reviewed"]
    assert cue_key(read_subtitles(ws.subtitle("en", "srt")).cues[2]) in read_reviewed_cues(ws).reviewed_in("en")
    _make(programme, ws)  # the mark is the stage's input: it runs and records it
    assert _agree(ws, "en") == ["machine", "machine", "reviewed"]
    assert _machine_warning(ws).value == 2
    # a mark on a cue that changed since the page read it is a conflict, and marks nothing
    with pytest.raises(Conflict):
        cuelist.mark_reviewed(ws, ctx, "en", 1, third["version"])
    assert _labels(ws, "en")[0] == "machine"


def test_a_marked_recognised_cue_has_no_uncertain_words(made: tuple[object, Workspace]) -> None:
    programme, ws = made
    # the recogniser was unsure of one word of clip b's sentence (Vietnamese cue 2)
    b = Transcript.from_json(json.loads(ws.transcript_json("b").read_text(encoding="utf-8")))
    words = tuple(dataclasses.replace(w, probability=0.2, flags=(WORD_LOW_PROBABILITY,)) if w.text == "dừa." else w
                  for w in b.segments[0].words)
    write_json(ws.transcript_json("b"), dataclasses.replace(
        b, segments=(dataclasses.replace(b.segments[0], words=words),)).to_json())
    _make(programme, ws)
    rows = _board(ws, "vi")
    assert [len(r["uncertain"]) for r in rows] == [0, 1] and _agree(ws, "vi") == ["recognised"] * 2
    cuelist.mark_reviewed(ws, _ctx(ws), "vi", 2, rows[1]["version"])  # heard again: it is right
    rows = _board(ws, "vi")
    assert rows[1]["uncertain"] == [] and [r["origin"] for r in rows] == ["recognised", "reviewed"]
    _make(programme, ws)
    assert _agree(ws, "vi") == ["recognised", "reviewed"]
    record = read_subtitles_record(ws)
    assert record is not None and record.languages["vi"].uncertain_words == ()  # nothing left to hear again
    assert _agree(ws, "en") == ["machine"] * 3  # the English is still the machine's


def test_split_and_merge_keep_every_other_cues_identity(made: tuple[object, Workspace]) -> None:
    programme, ws = made
    ctx = _ctx(ws)
    first = _board(ws, "en")[0]
    middle = (first["start_ms"] + first["end_ms"]) // 2
    cuelist.save(ws, ctx, "en", cuelist.split_cue(ctx, "en", 1, first["version"], middle))
    assert _labels(ws, "en") == ["reviewed", "reviewed", "machine", "machine"]  # the halves are the reviewer's
    _make(programme, ws)
    assert _agree(ws, "en") == ["reviewed", "reviewed", "machine", "machine"]
    rows = _board(ws, "en")
    cuelist.save(ws, ctx, "en", cuelist.merge_cues(ctx, "en", 3, rows[2]["version"], rows[3]["version"]))
    assert _labels(ws, "en") == ["reviewed", "reviewed", "reviewed"]
    _make(programme, ws)
    assert _agree(ws, "en") == ["reviewed", "reviewed", "reviewed"]
    assert _machine_warning(ws) is None


def test_a_cue_changed_by_hand_is_the_persons_the_rest_keep_their_origin(made: tuple[object, Workspace]) -> None:
    programme, ws = made
    path = ws.subtitle("en", "srt")
    cues = list(read_subtitles(path).cues)
    cues[0] = dataclasses.replace(cues[0], lines=("Welcome to Trà Vinh province.",))
    path.write_text("".join(f"{n}\n{_ts(c.start_ms)} --> {_ts(c.end_ms)}\n{c.text}\n\n" for n, c in enumerate(cues, 1)),
                    encoding="utf-8")
    _make(programme, ws)
    assert _agree(ws, "en") == ["reviewed", "machine", "machine"]


def _ts(ms: int) -> str:
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"


def test_a_file_brought_in_whole_is_imported_cue_by_cue(made: tuple[object, Workspace], tmp_path: Path) -> None:
    programme, ws = made
    ctx = _ctx(ws)
    rows = _board(ws, "en")
    cuelist.mark_reviewed(ws, ctx, "en", 1, rows[0]["version"])
    cues = read_subtitles(ws.subtitle("en", "srt")).cues
    adopt_cues(ws, "en", cues, tmp_path / "translator.srt")  # `reportage subtitles import`
    assert read_reviewed_cues(ws).reviewed_in("en") == frozenset()  # what was marked went with the old file
    assert _labels(ws, "en") == ["imported"] * 3
    _make(programme, ws)
    assert _agree(ws, "en") == ["imported"] * 3
    assert _machine_warning(ws) is None


def test_the_ledger_as_the_review_room_wrote_it_before_reads_as_reviewed(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws", "demo")
    path = reviewed_cues_path(ws)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"vi": ["a1"], "en": ["b2", "b3"]}), encoding="utf-8")
    ledger = read_reviewed_cues(ws)
    assert ledger.reviewed_in("en") == {"b2", "b3"} and ledger.imported_in("en") == frozenset()
    assert ReviewedCues.from_json(ledger.to_json()) == ledger


def test_the_record_of_each_cue_reads_back_the_same(made: tuple[object, Workspace]) -> None:
    _, ws = made
    record = read_subtitles_record(ws)
    assert record is not None and record.languages["en"].provenance is not None
    assert SubtitlesRecord.from_json(record.to_json()) == record
