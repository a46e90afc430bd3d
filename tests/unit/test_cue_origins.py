"""Each cue's origin in its own language: the subtitles record's typed cue map, written by the stage,
read by the review room and QC.

The defect this guards: the stage wrote the Vietnamese origin under `origin` and the English under
`en_origin`, and the review room read `origin` for both, so an English cue the local model drafted
was shown as the recogniser's (or the script's). Here the cue map is always the real stage's, on
hand-made transcripts, with a machine translator standing in for the local model.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import pytest

from pipeline.errors import WorkspaceError
from pipeline.fsutil import write_json
from pipeline.qc.plan import Status
from pipeline.qc.subtitles import check_language
from pipeline.records.subtitles import (
    RECORD_VERSION,
    CueMapEntry,
    CueOrigin,
    SubtitlesRecord,
    read_subtitles_record,
    subtitles_record_path,
)
from pipeline.review import cues as cuelist
from pipeline.stages.subtitles import subtitles_programme
from pipeline.subs import read_subtitles
from pipeline.subs.adopt import adopt_cues
from pipeline.timeline import Segment, Timeline, load_timeline
from pipeline.translate import SourceCue, TranslationContext
from pipeline.workspace import Workspace
from tests.asr_fixtures import make_programme, segment, transcript, write_silent_wav

A_TEXT = "Chào mừng quý vị đến với tỉnh Trà Vinh. Ao Bà Om là điểm hẹn của du khách gần xa."
B_TEXT = "Người dân ở đây sống bằng nghề trồng dừa."


class MachineTranslator:
    """Stands in for the local model: a machine's English, an unreviewed draft."""

    name = "llama"
    is_machine_draft = True

    def translate(self, cues: Sequence[SourceCue], context: TranslationContext) -> list[str]:
        return [f"EN {c.text}" for c in cues]


@pytest.fixture()
def made(tmp_path: Path) -> tuple[object, Workspace]:
    """Recognised speech on two clips, then the real subtitles stage with the machine translator."""
    programme = make_programme(tmp_path / "prog")
    ws = Workspace(tmp_path / "ws", programme.id)
    timeline = Timeline("demo", Fraction(25), 320, 180, 48000,
                        (Segment("a", "a.mov", 0, 400, 0, True), Segment("b", "b.mov", 0, 150, 400, True)),
                        (16_000,))
    write_json(ws.timeline_json, timeline.to_dict())
    write_json(ws.transcript_json("a"), transcript("a", [segment(A_TEXT, 500, step_ms=300)]).to_json())
    write_json(ws.transcript_json("b"), transcript("b", [segment(B_TEXT, 500, step_ms=300)]).to_json())
    for clip in ("a", "b"):
        write_silent_wav(ws.audio16k(clip), 16_000)
    _make(programme, ws)
    return programme, ws


def _make(programme: object, ws: Workspace) -> None:
    subtitles_programme(programme, ws, translator=MachineTranslator())  # type: ignore[arg-type]


def _origins(ws: Workspace, lang: str) -> list[str]:
    return [row["origin"] for row in cuelist.board(ws, _ctx(ws))[lang]["cues"]]


def _ctx(ws: Workspace) -> cuelist.Context:
    return cuelist.make_context(ws, load_timeline(ws.timeline_json))


def test_the_review_room_shows_a_machine_drafted_english_cue_as_machine(made: tuple[object, Workspace]) -> None:
    _, ws = made
    record = read_subtitles_record(ws)
    assert record is not None and record.languages["en"].cue_map
    for entry in record.languages["en"].cue_map:
        assert (entry.vi_origin, entry.en_origin, entry.translated_by) == (CueOrigin.RECOGNISED, CueOrigin.MACHINE,
                                                                            "llama")
    board = cuelist.board(ws, _ctx(ws))
    en = board["en"]["cues"]
    assert en and all((r["origin"], r["origin_label"]) == ("machine", "Bản dịch máy") for r in en)
    assert all((r["origin"], r["origin_label"]) == ("recognised", "Nhận dạng giọng nói") for r in board["vi"]["cues"])


def test_qc_counts_the_english_cues_still_a_machine_draft(made: tuple[object, Workspace]) -> None:
    _, ws = made
    timeline = load_timeline(ws.timeline_json)

    def review_check() -> list[object]:
        record = read_subtitles_record(ws)
        assert record is not None
        checks = check_language({ext: ws.subtitle("en", ext) for ext in ("srt", "vtt")}, "en", timeline, None,
                                record.languages["en"])
        return [c for c in checks if c.id == "subtitles.en.review"]

    count = len(read_subtitles(ws.subtitle("en", "srt")).cues)
    [found] = review_check()
    assert found.status is Status.WARN and (found.value, found.unit) == (count, "cues")  # type: ignore[attr-defined]
    assert found.measured == f"{count} of {count} cues an unreviewed machine draft"  # type: ignore[attr-defined]
    assert "drafted by llama" in found.detail and "reportage review" in found.detail  # type: ignore[attr-defined]

    # a reviewer saves one English cue: that cue is theirs, the others are still the machine's, also
    # once the stage has run again on the file that is a person's now (QC counts what is left)
    ctx = _ctx(ws)
    first = cuelist.board(ws, ctx)["en"]["cues"][0]
    cuelist.save(ws, ctx, "en", cuelist.edit_cue(ctx, "en", 1, first["version"], text="Welcome to Trà Vinh"))
    assert _origins(ws, "en") == ["reviewed"] + ["machine"] * (count - 1)
    _make(*read_back(ws))
    assert _origins(ws, "en") == ["reviewed"] + ["machine"] * (count - 1)
    [found] = review_check()
    assert (found.value, found.measured) == (count - 1, f"{count - 1} of {count} cues an unreviewed machine draft")  # type: ignore[attr-defined]
    assert found.detail.startswith("cues 2, 3,") and "drafted by llama" in found.detail  # type: ignore[attr-defined]
    # every other cue marked reviewed in the room: nothing is left to review
    for no in range(2, count + 1):
        cuelist.mark_reviewed(ws, ctx, "en", no, cuelist.board(ws, ctx)["en"]["cues"][no - 1]["version"])
    _make(*read_back(ws))
    assert review_check() == []
    assert set(_origins(ws, "en")) == {"reviewed"}


def read_back(ws: Workspace) -> tuple[object, Workspace]:
    from pipeline.validate import load_manifest

    return load_manifest(ws.root.parent / "prog" / "programme.yaml"), ws


def test_vietnamese_cues_have_their_own_origin_when_a_person_owns_the_file(made: tuple[object, Workspace],
                                                                           tmp_path: Path) -> None:
    programme, ws = made
    cues = read_subtitles(ws.subtitle("vi", "srt")).cues
    adopt_cues(ws, "vi", cues, tmp_path / "translator.srt")  # brought in whole
    _make(programme, ws)
    record = read_subtitles_record(ws)
    assert record is not None and record.languages["en"].cue_map
    assert {e.vi_origin for e in record.languages["en"].cue_map} == {CueOrigin.IMPORTED}
    assert {e.en_origin for e in record.languages["en"].cue_map} == {CueOrigin.MACHINE}
    assert set(_origins(ws, "vi")) == {"imported"} and set(_origins(ws, "en")) == {"machine"}
    # one cue of the imported file saved in the review room: that cue is reviewed, the rest still imported
    ctx = _ctx(ws)
    second = cuelist.board(ws, ctx)["vi"]["cues"][1]
    cuelist.save(ws, ctx, "vi", cuelist.edit_cue(ctx, "vi", 2, second["version"],
                                                 text="Người dân ở đây sống bằng nghề trồng dừa và đánh cá."))
    assert _origins(ws, "vi") == ["imported", "reviewed"]
    _make(programme, ws)
    record = read_subtitles_record(ws)
    assert record is not None and record.languages["en"].cue_map
    assert [e.vi_origin for e in record.languages["en"].cue_map] == [CueOrigin.IMPORTED, CueOrigin.REVIEWED]
    assert record.languages["vi"].origins() == [CueOrigin.IMPORTED, CueOrigin.REVIEWED]
    assert _origins(ws, "vi") == ["imported", "reviewed"] and set(_origins(ws, "en")) == {"machine"}


def test_the_record_carries_its_version_and_each_languages_origin(made: tuple[object, Workspace]) -> None:
    _, ws = made
    data = json.loads(subtitles_record_path(ws).read_text(encoding="utf-8"))
    assert data["version"] == RECORD_VERSION
    entry = data["languages"]["en"]["cue_map"][0]
    assert entry["origins"] == {"vi": "recognised", "en": "machine"} and entry["translated_by"] == "llama"
    assert "origin" not in entry and "en_origin" not in entry and "en_by" not in entry


def test_a_record_from_before_the_version_reads_into_the_same_types() -> None:
    old = {"programme": "demo", "languages": {
        "vi": {"source": "generated", "backend": "script", "machine_draft": False, "reviewed": False, "cues": 5,
               "lint": {}},
        "en": {"source": "generated", "backend": "llama", "machine_draft": True, "reviewed": False, "cues": 5,
               "lint": {}, "shortened": [3], "cue_map": [
                   {"vi": [1, 2], "en": [1], "origin": "script", "sentence": "row 2", "en_origin": "script"},
                   {"vi": [3], "en": [2, 3], "origin": "recognised", "en_origin": "machine", "en_by": "llama",
                    "shortened": [3]},
                   {"vi": [4], "en": [4], "origin": "recognised", "en_origin": "sheet", "en_by": "sheet"},
                   {"vi": [5], "en": []}]}}}
    record = SubtitlesRecord.from_json(old)
    cue_map = record.languages["en"].cue_map
    assert cue_map == (
        CueMapEntry((1, 2), (1,), CueOrigin.SCRIPT, CueOrigin.SCRIPT, sentence="row 2"),
        CueMapEntry((3,), (2, 3), CueOrigin.RECOGNISED, CueOrigin.MACHINE, translated_by="llama", shortened=(3,)),
        # English from a translator that is no machine (the review sheet) is a person's
        CueMapEntry((4,), (4,), CueOrigin.RECOGNISED, CueOrigin.REVIEWED, translated_by="sheet"),
        CueMapEntry((5,), (), None, None))  # nothing recorded: not guessed
    assert record.languages["en"].machine_cues() == [2, 3]
    again = record.to_json()
    assert again["version"] == RECORD_VERSION and SubtitlesRecord.from_json(again) == record


def test_a_record_a_newer_reportage_wrote_is_a_workspace_error(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws", "demo")
    path = subtitles_record_path(ws)
    path.parent.mkdir(parents=True)
    write_json(path, {"version": RECORD_VERSION + 1, "programme": "demo", "languages": {}})
    with pytest.raises(WorkspaceError) as caught:
        read_subtitles_record(ws)
    line = caught.value.one_line()
    assert str(path) in line and f"version {RECORD_VERSION + 1}" in line and "reportage subtitles make" in line
