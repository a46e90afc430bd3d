"""Importing an edit: what cannot become the programme is one clear line naming the event; what can
is placed frame-exact (29.97 clips as ingest conformed them, 50i sequences at 25)."""

from __future__ import annotations

from pathlib import Path

import opentimelineio as otio  # type: ignore[import-untyped]
import pytest

from pipeline.errors import ManifestError
from pipeline.stages.assemble import _build
from pipeline.workspace import Workspace

from .test_nle_fixtures import RT, clip, fake_clip, programme, timeline

FILES = {"pv": "Phỏng vấn.mov", "broll": "b-roll.mov", "phone": "điện thoại.mp4", "nhac": "nhạc nền.wav"}


def _ws(tmp_path: Path) -> Workspace:
    ws = Workspace(tmp_path / "ws", "nle")
    fake_clip(ws, "pv", tmp_path / "footage" / FILES["pv"], timecode="01:00:00:00")
    fake_clip(ws, "broll", tmp_path / "footage" / FILES["broll"])
    fake_clip(ws, "phone", tmp_path / "footage" / FILES["phone"], fps="30000/1001", duration_ms=10_010)
    fake_clip(ws, "nhac", tmp_path / "footage" / FILES["nhac"], video=False, duration_ms=30_000)
    return ws


def _assemble(tmp_path: Path, tl: otio.schema.Timeline, adapter: str = "otio_json", ext: str = ".otio"):  # type: ignore[no-untyped-def]
    ws = _ws(tmp_path)
    otio.adapters.write_to_file(tl, str(tmp_path / f"edit{ext}"), adapter_name=adapter)
    prog = programme(tmp_path, f"{{edit: edit{ext}}}", FILES)
    return _build(prog, ws)


def test_clip_not_in_the_footage_names_event_clip_and_what_was_tried(tmp_path: Path) -> None:
    tl = timeline([clip("b-roll.mov", "file:///x/b-roll.mov", 0, 25),
                   clip("Cảnh thiếu.mov", "file:///x/C%E1%BA%A3nh%20thi%E1%BA%BFu.mov", 9000, 25)])
    with pytest.raises(ManifestError) as err:
        _assemble(tmp_path, tl)
    text = str(err.value)
    assert "p.yaml" in text and "event 2" in text and "10:00:01:00" in text and "'Cảnh thiếu.mov'" in text
    assert "file name Cảnh thiếu.mov: no such file" in text and "source timecode" in text


def test_phone_clip_at_2997_in_a_25_timeline_maps_as_conform_does(tmp_path: Path) -> None:
    # the NLE counts the source at 29.97 and the record at 25: source frame 30 = 1.001 s → house
    # frame round(25.025) = 25, as ingest's fps filter conformed it
    phone = clip("điện thoại.mp4", "file:///x/%C4%91i%E1%BB%87n%20tho%E1%BA%A1i.mp4", 30, 50)
    phone.source_range = otio.opentime.TimeRange(RT(30, 30000 / 1001), RT(50, 25))
    t, _ = _assemble(tmp_path, timeline([phone], audio=[]))
    seg = t.segments[0]
    assert (seg.clip_id, seg.src_in_frame, seg.src_out_frame, seg.rec_in_frame) == ("phone", 25, 75, 0)


def test_50i_sequence_is_25_fps_and_a_50_fps_one_needs_whole_frames(tmp_path: Path) -> None:
    tl = timeline([clip("b-roll.mov", "file:///x/b-roll.mov", 0, 50, rate=50)], rate=50, start_frames=0, audio=[])
    t, _ = _assemble(tmp_path, tl)
    assert (t.segments[0].src_in_frame, t.segments[0].length) == (0, 25)
    odd = timeline([clip("b-roll.mov", "file:///x/b-roll.mov", 0, 51, rate=50)], rate=50, start_frames=0, audio=[])
    with pytest.raises(ManifestError, match="fall between frames"):
        _assemble(tmp_path, odd)


def test_wipe_is_refused_with_its_event_number(tmp_path: Path) -> None:
    tl = timeline([clip("b-roll.mov", "file:///x/b-roll.mov", 0, 50),
                   otio.schema.Transition(name="Wipe", transition_type="SMPTE_Wipe", in_offset=RT(0, 25),
                                          out_offset=RT(10, 25)),
                   clip("b-roll.mov", "file:///x/b-roll.mov", 100, 50)], audio=[])
    with pytest.raises(ManifestError, match=r"event 2 .*'Wipe'.*not a dissolve"):
        _assemble(tmp_path, tl)


def test_dissolve_without_handles_is_refused(tmp_path: Path) -> None:
    tl = timeline([clip("b-roll.mov", "file:///x/b-roll.mov", 0, 50),
                   otio.schema.Transition(name="Cross Dissolve", transition_type="SMPTE_Dissolve",
                                          in_offset=RT(5, 25), out_offset=RT(5, 25)),
                   clip("b-roll.mov", "file:///x/b-roll.mov", 2, 50)], audio=[])
    with pytest.raises(ManifestError, match="handle"):
        _assemble(tmp_path, tl)


def test_empty_picture_track_is_one_line(tmp_path: Path) -> None:
    tl = timeline([], audio=[])
    with pytest.raises(ManifestError, match="V1 has no clips"):
        _assemble(tmp_path, tl)


def test_empty_extra_tracks_are_ignored_and_a_gap_is_refused(tmp_path: Path) -> None:
    tl = timeline([clip("b-roll.mov", "file:///x/b-roll.mov", 0, 25)], audio=[])
    tl.tracks.append(otio.schema.Track(name="V2", kind=otio.schema.TrackKind.Video))
    t, notes = _assemble(tmp_path, tl)
    assert len(t.segments) == 1 and not notes
    gap = timeline([clip("b-roll.mov", "file:///x/b-roll.mov", 0, 25), otio.schema.Gap(duration=RT(5, 25)),
                    clip("b-roll.mov", "file:///x/b-roll.mov", 50, 25)], audio=[])
    with pytest.raises(ManifestError, match="gap of 5 frame"):
        _assemble(tmp_path, gap)


def test_audio_only_clip_on_v1_is_refused_naming_manifest_event_and_clip(tmp_path: Path) -> None:
    tl = timeline([clip("b-roll.mov", "file:///x/b-roll.mov", 0, 25),
                   clip("nhạc nền.wav", "file:///x/nh%E1%BA%A1c%20n%E1%BB%81n.wav", 0, 25)], audio=[])
    with pytest.raises(ManifestError) as err:
        _assemble(tmp_path, tl)
    assert "p.yaml" in str(err.value) and "event 2" in str(err.value) and "'nhac' is audio only" in str(err.value)


def test_audio_only_clip_in_a_cut_list_is_refused(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    prog = programme(tmp_path, '{cut: [{clip: broll, in: "00:00:00:00", out: "00:00:01:00"}, '
                               '{clip: nhac, in: "00:00:00:00", out: "00:00:01:00"}]}', FILES)
    with pytest.raises(ManifestError, match=r"p.yaml: timeline.cut\[1\]: clip 'nhac' is audio only"):
        _build(prog, ws)


def test_own_audio_tracks_are_kept_and_linked_sound_follows_picture(tmp_path: Path) -> None:
    pic = [clip("b-roll.mov", "file:///x/b-roll.mov", 0, 50)]
    t, notes = _assemble(tmp_path, timeline(pic))
    assert t.audio == () and t.segments[0].has_audio
    music = timeline([clip("b-roll.mov", "file:///x/b-roll.mov", 0, 50)],
                     audio=[clip("nhạc nền.wav", "file:///x/nh%E1%BA%A1c%20n%E1%BB%81n.wav", 250, 50)])
    t, notes = _assemble(tmp_path, music)
    assert [(a.track, a.clip_id, a.src_in_frame, a.length) for a in t.audio] == [(1, "nhac", 250, 50)]
    assert any("own sound on A1" in n for n in notes)


def test_fcp7_markers_on_clips_and_sequence_land_in_programme_frames(tmp_path: Path) -> None:
    pv = clip("Phỏng vấn.mov", "file:///x/Ph%E1%BB%8Fng%20v%E1%BA%A5n.mov", 90_012, 50, avail_start=90_000)
    pv.markers.append(otio.schema.Marker(name="Tên: Lê Quốc Thắng", marked_range=otio.opentime.TimeRange(
        RT(90_020, 25), RT(0, 25))))
    tl = timeline([clip("b-roll.mov", "file:///x/b-roll.mov", 0, 25), pv])
    t, _ = _assemble(tmp_path, tl, "fcp_xml", ".xml")
    assert [(s.clip_id, s.src_in_frame, s.rec_in_frame) for s in t.segments] == [("broll", 0, 0), ("pv", 12, 25)]
    assert [(m.frame, m.name) for m in t.markers] == [(25 + 8, "Tên: Lê Quốc Thắng")]
