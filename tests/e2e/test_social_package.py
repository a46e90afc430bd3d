"""The social package made whole from real files: lavfi renders, subtitles, chapters and a workspace
written by the pipeline's own writers, and every limit measured again here, in characters and bytes."""

from __future__ import annotations

import json
import time
import unicodedata
from fractions import Fraction
from pathlib import Path

import pytest
from PIL import Image

from pipeline import fsutil
from pipeline.media.ffmpeg import run_ffmpeg
from pipeline.publish.social.chapters import Chapter, youtube_chapters
from pipeline.publish.social.package import (
    CutText,
    SocialCredit,
    SocialInputs,
    SocialResult,
    build_social,
    gather_social,
    social_inputs_key,
)
from pipeline.publish.social.platforms import PLATFORMS, TextLimit
from pipeline.records.publish import PublishedSocial
from pipeline.records.shots import ShotList, write_shots
from pipeline.records.subtitles import (
    CueMapEntry,
    CueOrigin,
    SubtitlesLanguage,
    SubtitlesRecord,
    subtitles_record_path,
)
from pipeline.render.state import RenderedDeliverable, RenderRecord, deliverable_files, write_render_record
from pipeline.subs.cues import Cue
from pipeline.subs.formats import write_subtitles
from pipeline.timeline import Marker, Segment, Timeline
from pipeline.validate import load_manifest
from pipeline.workspace import Workspace

pytestmark = pytest.mark.slow

TITLE_VI = "Trà Vinh – Điểm hẹn của nhà đầu tư"
TITLE_EN = "Trà Vinh – Where Investors Meet"
SYNOPSIS_VI = ("Khu kinh tế Định An, Trung tâm Điện lực Duyên Hải và luồng cho tàu biển trọng tải lớn vào sông Hậu "
               "đang mở ra cơ hội mới cho Trà Vinh.")
SYNOPSIS_EN = "The Định An Economic Zone and the Duyên Hải Power Centre are opening new opportunities for Trà Vinh."


def _video(path: Path, seconds: float, size: str, *, gop: int = 50) -> Path:
    """H.264 + AAC 48 kHz 192 kb/s MP4 at 25 fps, a closed GOP every `gop` frames: a moving,
    detailed picture, so every frame is fit for a thumbnail."""
    run_ffmpeg(["-f", "lavfi", "-i", f"testsrc2=size={size}:rate=25:duration={seconds}",
                "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}",
                "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", str(gop),
                "-keyint_min", str(gop), "-sc_threshold", "0", "-c:a", "aac", "-b:a", "192k", "-ar", "48000",
                "-ac", "2", "-shortest", f"file:{path}"])
    return path


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("social-media")
    return {"landscape": _video(folder / "web.mp4", 40, "640x360"),
            "cut": _video(folder / "cut.mp4", 20, "540x960"),
            "long": _video(folder / "long.mp4", 95, "180x320", gop=75)}


def _srt(path: Path, text: str) -> Path:
    """An SRT as an editor's tool may save it: a byte-order mark, CRLF, decomposed letters."""
    path.write_bytes(b"\xef\xbb\xbf" + unicodedata.normalize("NFD", text.replace("\n", "\r\n")).encode("utf-8"))
    return path


def _inputs(tmp_path: Path, media: dict[str, Path], **changes: object) -> SocialInputs:
    subs = tmp_path / "subs"
    subs.mkdir(exist_ok=True)
    vi = _srt(subs / "dautu.vi.srt", "1\n00:00:01,000 --> 00:00:03,000\nTrà Vinh có cảng biển nước sâu.\n\n"
                                      "2\n00:00:05,000 --> 00:00:07,500\nKhu kinh tế Định An rộng lớn.\n")
    en = _srt(subs / "dautu.en.srt", "1\n00:00:01,000 --> 00:00:03,000\nTrà Vinh has a deep-water port.\n")
    chapters = youtube_chapters([Chapter(0, "Mở đầu", "Opening"), Chapter(12_000, "Khu kinh tế Định An"),
                                 Chapter(26_000, "Chuỗi giá trị dừa")], 40_000, where="dautu")
    values: dict[str, object] = dict(
        programme="dautu", folder=tmp_path, title_vi=TITLE_VI, title_en=TITLE_EN,
        synopsis_vi=" ".join([SYNOPSIS_VI] * 40), synopsis_en=" ".join([SYNOPSIS_EN] * 40),
        credits=(SocialCredit("Biên tập", "Editor", "Nguyễn Thị Thu Hà"),
                 SocialCredit("Đồng sản xuất", "Co-producer", "Sở Thông tin và Truyền thông tỉnh Trà Vinh")),
        co_producers=("Sở Thông tin và Truyền thông tỉnh Trà Vinh",),
        cut_title_vi="Chuỗi giá trị dừa và nghề nuôi tôm nước lợ công nghệ cao ở Trà Vinh " * 2,
        cut_title_en="The coconut value chain", landscape=media["landscape"], cut=media["cut"],
        cut_excerpt_s=(10.0, 30.0), platforms=tuple(PLATFORMS), subtitles=(("vi", vi), ("en", en)),
        chapters=chapters, thumbnail_times=(4.0, 14.0, 22.0, 34.0),
        tags=("#TràVinh", "#KhuKinhTếĐịnhAn", "#DuyênHải", "#SôngHậu", "#TômNướcLợ"),
        cut_text=(CutText("burned-in subtitle 1", (150, 1100, 700, 140)),))
    values.update(changes)
    return SocialInputs(**values)  # type: ignore[arg-type]


def _sheet(folder: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((folder / "social.json").read_text(encoding="utf-8"))
    return data


def _limit_for(key: str, label: str) -> TextLimit:
    """The limit a field is held to, from the platform's data (not from what the sheet says)."""
    p = PLATFORMS[key]
    if label.startswith(("Tiêu đề", "Title")):
        assert p.title is not None
        return p.title
    if label.startswith(("Mô tả", "Description")):
        assert p.description is not None
        return p.description
    return p.caption or TextLimit()


def test_every_text_fits_and_every_file_is_what_the_platforms_take(tmp_path: Path, media: dict[str, Path]) -> None:
    folder = tmp_path / "social"
    result = build_social(_inputs(tmp_path, media), folder)
    assert set(result.platforms) == set(PLATFORMS)
    data = _sheet(folder)
    platforms = data["platforms"]
    assert isinstance(platforms, dict) and sorted(platforms) == sorted(PLATFORMS)
    assert all(entry["platform"] == key for key, entry in platforms.items())
    measured = 0
    for key, entry in platforms.items():
        for field in entry["fields"]:
            if field["kind"] != "text":
                continue
            text, limit = field["value"], _limit_for(key, field["label"])
            assert unicodedata.is_normalized("NFC", text) and text.strip()
            assert limit.chars is None or len(text) <= limit.chars, (key, field["label"], len(text))
            assert limit.bytes is None or len(text.encode("utf-8")) <= limit.bytes, (key, field["label"])
            measured += 1
    assert measured >= 8
    youtube = {f["label"]: f for f in platforms["youtube"]["fields"]}
    description = youtube["Mô tả (description)"]["value"]
    assert len(description.encode("utf-8")) <= 5000 and len(description) < 4000  # bytes bind, not characters
    assert "0:00 Mở đầu\n0:12 Khu kinh tế Định An\n0:26 Chuỗi giá trị dừa" in description
    assert "Biên tập: Nguyễn Thị Thu Hà" in description and description.endswith("#TômNướcLợ")
    assert "0:00 Opening" in youtube["Description (EN, YouTube's translation)"]["value"]
    shorts_title = platforms["youtube-shorts"]["fields"][0]["value"]
    assert len(shorts_title) <= 100 and "#" not in shorts_title  # no hashtag cut in half: none fits
    assert any(n.startswith("YouTube Shorts:") and "3 hashtag(s) left out" in n for n in result.notes)
    assert any(n.startswith("YouTube:") and "synopsis shortened" in n for n in result.notes)
    caption = platforms["tiktok"]["fields"][0]["value"]
    assert caption.endswith("#TràVinh #KhuKinhTếĐịnhAn #DuyênHải")  # three whole tags on a vertical caption

    for name, size in (("dautu.thumb-1280x720.jpg", (1280, 720)), ("dautu.thumb-1080x1920.jpg", (1080, 1920))):
        path = folder / name
        with Image.open(path) as image:
            assert (image.format, image.size) == ("JPEG", size)
        assert 0 < path.stat().st_size < 2_000_000
    for lang in ("vi", "en"):
        data_bytes = (folder / f"dautu.{lang}.srt").read_bytes()
        assert not data_bytes.startswith(b"\xef\xbb\xbf") and b"\r" not in data_bytes
        text = data_bytes.decode("utf-8")
        assert unicodedata.is_normalized("NFC", text) and "Trà Vinh" in text
    assert set(result.files) == {"social.json", "social.html", "dautu.thumb-1280x720.jpg",
                                 "dautu.thumb-1080x1920.jpg", "dautu.vi.srt", "dautu.en.srt"}
    assert all((folder / name).is_file() for name in result.files)
    assert result.problems == (), result.problems
    record = result.to_record("publish/social")
    assert PublishedSocial.from_json(record.to_json()) == record and record.ok


def test_a_95_second_cut_is_a_reels_problem_naming_the_90_second_limit(tmp_path: Path,
                                                                      media: dict[str, Path]) -> None:
    result = build_social(_inputs(tmp_path, media, cut=media["long"], cut_excerpt_s=(0.0, 95.0),
                                  platforms=("facebook-reels", "tiktok", "youtube-shorts")), tmp_path / "social")
    assert result.platforms == ("facebook-reels", "tiktok", "youtube-shorts")
    duration = [p for p in result.problems if "95.0 s" in p]
    assert len(duration) == 1 and duration[0].startswith("Facebook Reels:") and "90 s" in duration[0]
    assert not any(p.startswith("YouTube Shorts:") and "duration" in p for p in result.problems)  # 180 s there
    assert not (tmp_path / "social" / "dautu.vi.srt").exists()  # the SRTs go with the programme on YouTube
    reels = _sheet(tmp_path / "social")["platforms"]["facebook-reels"]  # type: ignore[index]
    assert reels["verdict"] == "fail"


def test_a_chapter_under_ten_seconds_is_reported_not_failed(tmp_path: Path, media: dict[str, Path]) -> None:
    chapters = youtube_chapters([Chapter(0, "Mở đầu"), Chapter(12_000, "Định An"), Chapter(18_000, "Cảng"),
                                 Chapter(26_000, "Dừa")], 40_000, where="dautu")
    result = build_social(_inputs(tmp_path, media, chapters=chapters, platforms=("youtube",)), tmp_path / "social")
    short = [n for n in result.notes if "“Định An”" in n and "6.0 s" in n]
    assert len(short) == 1 and "10 s" in short[0] and result.problems == ()
    youtube = _sheet(tmp_path / "social")["platforms"]["youtube"]  # type: ignore[index]
    assert any(f["check"] == "chapter length" for f in youtube["findings"])
    assert "0:12 Định An" not in youtube["fields"][2]["value"]  # YouTube would not show them: left out


def test_burned_in_text_outside_a_zone_and_a_missing_cut_are_problems(tmp_path: Path,
                                                                      media: dict[str, Path]) -> None:
    inputs = _inputs(tmp_path, media, cut=None, platforms=("tiktok", "zalo-oa"),
                     cut_text=(CutText("lower third “Lê Quốc Thắng”", (54, 1500, 643, 138)),))
    result = build_social(inputs, tmp_path / "social")
    assert any(p.startswith("TikTok:") and "lower third “Lê Quốc Thắng”" in p and "bottom by 18 px" in p
               for p in result.problems), result.problems
    assert any(p.startswith("Zalo Official Account:") and "no vertical social cut" in p for p in result.problems)
    assert (tmp_path / "social" / "dautu.thumb-1080x1920.jpg").is_file()  # from the landscape render


# -- gathering from a workspace the pipeline's writers made -----------------------------------------------


MANIFEST = """
id: dautu
title: {vi: "Trà Vinh – Điểm hẹn của nhà đầu tư", en: "Trà Vinh – Where Investors Meet"}
synopsis: {vi: "Khu kinh tế Định An đang mở ra cơ hội mới cho Trà Vinh.", en: "New chances for Trà Vinh."}
footage: [{file: rush.mp4, id: rush}]
timeline: {cut: [{clip: rush, in: "00:00:00:00", out: "00:00:40:00"}]}
script: script.md
lower_thirds:
  - {name: "Lê Quốc Thắng", title: {vi: "Giám đốc Sở", en: "Director"}, at: "00:00:15:00", duration_s: 4}
deliverables: [web-1080p, social-9x16]
social:
  in: "00:00:10:00"
  out: "00:00:30:00"
  title: {vi: "Chuỗi giá trị dừa", en: "The coconut value chain"}
credits:
  - {role: {vi: "Biên tập", en: "Editor"}, name: "Nguyễn Thị Thu Hà"}
co_producers: ["Sở Thông tin và Truyền thông tỉnh Trà Vinh"]
"""

SCRIPT = """# Mở đầu / Opening

Trà Vinh có cảng biển.

## Khu kinh tế Định An

Khu kinh tế Định An rộng lớn.

## Chuỗi giá trị dừa

Nghề nuôi tôm nước lợ.
"""


def _rendered(ws: Workspace, name: str, profile: str, source: Path, excerpt: tuple[float, float] | None,
              duration_s: float) -> RenderedDeliverable:
    """A deliverable as the render records it, its file copied where the render puts it."""
    path = ws.render_dir(name) / f"dautu_{name.upper().replace('-', '_')}.mp4"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(source.read_bytes())
    return RenderedDeliverable(name, str(path), profile, duration_s, path.stat().st_size, excerpt_s=excerpt,
                               rendered_at=time.time(), files=deliverable_files(ws, path))


def _workspace(tmp_path: Path, media: dict[str, Path]) -> Workspace:
    (tmp_path / "rush.mp4").write_bytes(media["landscape"].read_bytes())
    (tmp_path / "script.md").write_text(SCRIPT, encoding="utf-8")
    (tmp_path / "dautu.yaml").write_text(MANIFEST, encoding="utf-8")
    ws = Workspace(tmp_path / "work", "dautu")
    ws.ensure()
    rate = Fraction(25)
    segment = Segment("rush", str(tmp_path / "rush.mp4"), 0, 1000, 0, True)
    timeline = Timeline("dautu", rate, 640, 360, 48000, (segment,), (8_000, 20_000),
                        markers=(Marker(100, "note: colour"),))
    fsutil.write_json(ws.timeline_json, timeline.to_dict())
    write_shots(ws, "rush", ShotList.of([8_000, 20_000], 40_000, rate))
    vi = [Cue(1, 1_000, 3_000, ("Trà Vinh có cảng biển.",)), Cue(2, 12_500, 15_000, ("Khu kinh tế Định An rộng lớn.",)),
          Cue(3, 26_000, 28_000, ("Nghề nuôi tôm nước lợ.",))]
    en = [Cue(1, 1_000, 3_000, ("Trà Vinh has a seaport.",))]
    write_subtitles(ws.subtitle("vi", "srt"), vi)
    write_subtitles(ws.subtitle("en", "srt"), en)
    cue_map = tuple(CueMapEntry((n,), (n,) if n == 1 else (), CueOrigin.SCRIPT, sentence=f"paragraph {n} (line {line})")
                    for n, line in ((1, 3), (2, 7), (3, 11)))
    record = SubtitlesRecord("dautu", {"vi": SubtitlesLanguage("generated", None, False, False, 3, {}),
                                       "en": SubtitlesLanguage("generated", "script", False, False, 1, {},
                                                               cue_map=cue_map)}, speech=True)
    fsutil.write_json(subtitles_record_path(ws), record.to_json())
    write_render_record(ws, RenderRecord("dautu", {
        "web-1080p": _rendered(ws, "web-1080p", "web-1080p", media["landscape"], None, 40.0),
        "social-9x16": _rendered(ws, "social-9x16", "social-9x16", media["cut"], (10.0, 30.0), 20.0)}))
    return ws


def test_gather_reads_the_workspace_the_pipeline_wrote(tmp_path: Path, media: dict[str, Path]) -> None:
    ws = _workspace(tmp_path, media)
    programme = load_manifest(tmp_path / "dautu.yaml")
    inputs = gather_social(programme, ws)
    assert inputs.landscape == ws.render_dir("web-1080p") / "dautu_WEB_1080P.mp4"
    assert inputs.cut == ws.render_dir("social-9x16") / "dautu_SOCIAL_9X16.mp4"
    assert inputs.cut_excerpt_s == (10.0, 30.0)
    assert inputs.platforms == ("youtube", "facebook-reels", "tiktok", "youtube-shorts", "zalo-oa")
    assert (inputs.cut_title_vi, inputs.title_vi) == ("Chuỗi giá trị dừa", TITLE_VI)
    assert dict(inputs.subtitles) == {"vi": ws.subtitle("vi", "srt"), "en": ws.subtitle("en", "srt")}
    assert inputs.chapters.lines("en") == ["0:00 Opening", "0:12 Khu kinh tế Định An", "0:26 Chuỗi giá trị dừa"]
    assert inputs.thumbnail_times == (4.0, 14.0, 30.0)  # the middle of each shot
    assert inputs.credits == (SocialCredit("Biên tập", "Editor", "Nguyễn Thị Thu Hà"),)
    assert "#TràVinh" in inputs.tags and all(unicodedata.is_normalized("NFC", t) for t in inputs.tags)
    names = [t.name for t in inputs.cut_text]
    assert names == ["burned-in subtitle 2 at 00:00:12:12", "burned-in subtitle 3 at 00:00:26:00",
                     "lower third “Lê Quốc Thắng”"]  # cue 1 is before the excerpt
    assert inputs.cut_frame == (1080, 1920) and inputs.notes == ()
    key = social_inputs_key(ws, inputs)  # the publish stage's freshness: the same workspace, the same key
    assert json.loads(json.dumps(key)) == key and social_inputs_key(ws, gather_social(programme, ws)) == key
    assert key["files"]["dautu_SOCIAL_9X16.mp4"] and key["files"]["dautu.en.srt"]

    result: SocialResult = build_social(inputs, ws.publish_dir / "social")
    assert result.platforms == inputs.platforms
    zone = [p for p in result.problems if "safe zone" in p]
    assert all("lower third" in p for p in zone), zone  # the subtitles sit on the title-safe edge, inside
    assert not any("subtitle" in p for p in result.problems)
