"""The social package's parts without media: text limits in bytes and characters, chapters, the
upload SRT, the sheet's escaping, the safe zones, and the GOP reading of packets."""

from __future__ import annotations

import json
import unicodedata
from fractions import Fraction
from pathlib import Path

from pipeline.publish.social.chapters import (
    Chapter,
    clock,
    marker_chapters,
    programme_chapters,
    script_chapters,
    sentence_starts,
    youtube_chapters,
)
from pipeline.publish.social.platforms import (
    FACEBOOK_REELS,
    TIKTOK,
    Measured,
    TextLimit,
    check_measured,
    check_text_zone,
    gop_facts,
    vertical_safe_box,
)
from pipeline.publish.social.sheet import Field, PlatformSheet, sheet_html, sheet_json, write_sheet
from pipeline.publish.social.texts import (
    DescriptionParts,
    description,
    fit,
    hashtag,
    hashtags,
    upload_srt,
    utf8_len,
    youtube_title,
)
from pipeline.records.subtitles import CueMapEntry, CueOrigin, SubtitlesLanguage, SubtitlesRecord
from pipeline.script.model import ScriptLine
from pipeline.subs.cues import Cue
from pipeline.timeline import Marker

VI = "Khu kinh tế Định An đang mở ra cơ hội mới cho Trà Vinh, với chuỗi giá trị dừa và nghề nuôi tôm nước lợ."


# -- texts ---------------------------------------------------------------------------------------------


def test_vietnamese_meets_a_byte_limit_long_before_a_character_limit() -> None:
    assert len("ệ") == 1 and utf8_len("ệ") == 3
    text = " ".join([VI] * 60)  # about 6,300 characters, 8,000+ bytes
    fitted = fit(text, TextLimit(bytes=5000), what="description")
    assert fitted.truncated and fitted.bytes <= 5000
    assert fitted.chars < 4000  # the bytes bound: far fewer than 5,000 characters fit
    assert fitted.text.endswith("…")
    assert fitted.text[:-1].rstrip() == fitted.text[:-1]  # after a whole word
    assert text.startswith(fitted.text[:-1])
    assert "description shortened" in fitted.notes[0]


def test_decomposed_text_is_composed_before_it_is_counted() -> None:
    decomposed = unicodedata.normalize("NFD", "Điểm hẹn của nhà đầu tư")
    fitted = fit(decomposed, TextLimit(chars=23))
    assert not fitted.truncated and fitted.text == unicodedata.normalize("NFC", decomposed)


def test_a_cut_never_splits_a_letter_from_its_marks() -> None:
    word = "Nguyễnnnnnnnnnnnnnnnnnnnnnnnn"  # one word: no space to cut at
    fitted = fit(word, TextLimit(bytes=9))
    assert fitted.truncated and fitted.bytes <= 9
    assert fitted.text == unicodedata.normalize("NFC", fitted.text)
    fitted.text.encode("utf-8").decode("utf-8")  # whole characters only
    decomposed = fit(unicodedata.normalize("NFD", "ễ") * 5 + " x", TextLimit(chars=3))
    assert not any(unicodedata.combining(c) for c in decomposed.text[:1])


def test_youtube_title_is_held_to_100_characters_and_loses_angle_brackets() -> None:
    title = "Trà Vinh <Điểm hẹn> " + "của nhà đầu tư " * 10
    fitted = youtube_title(title)
    assert fitted.chars <= 100 and fitted.truncated
    assert "<" not in fitted.text and "‹Điểm hẹn›" in fitted.text
    assert any("‹ ›" in note for note in fitted.notes)


def test_description_shortens_the_synopsis_and_keeps_chapters_and_credits_whole() -> None:
    chapters = youtube_chapters([Chapter(0, "Mở đầu"), Chapter(20_000, "Khu kinh tế Định An"),
                                 Chapter(45_000, "Chuỗi giá trị dừa")], 80_000)
    parts = DescriptionParts("vi", " ".join([VI] * 80), [("Biên tập", "Nguyễn Thị Thu Hà"),
                                                         ("Đồng sản xuất", "Sở Thông tin và Truyền thông")],
                             ["Sở Thông tin và Truyền thông"], hashtags(["Trà Vinh", "đầu tư"]), chapters)
    fitted = description(parts)
    assert fitted.bytes <= 5000 and fitted.truncated
    assert "0:00 Mở đầu\n0:20 Khu kinh tế Định An\n0:45 Chuỗi giá trị dừa" in fitted.text
    assert "Biên tập: Nguyễn Thị Thu Hà" in fitted.text
    assert fitted.text.count("Sở Thông tin và Truyền thông") == 1  # a co-producer is not credited twice
    assert fitted.text.endswith("#TràVinh #ĐầuTư")


def test_hashtags_are_composed_and_have_no_spaces() -> None:
    assert hashtag(unicodedata.normalize("NFD", "trà vinh")) == "#TràVinh"
    assert hashtag("Khu kinh tế Định An!") == "#KhuKinhTếĐịnhAn"
    assert hashtag("Trà Vinh", ascii_only=True) == "#TraVinh"
    assert hashtag("Đồng", ascii_only=True) == "#Dong"
    assert hashtags(["Trà Vinh", "trà vinh", "Tôm"], ascii_too=True) == ["#TràVinh", "#TraVinh", "#Tôm", "#Tom"]
    assert all(unicodedata.is_normalized("NFC", t) and " " not in t for t in hashtags(["nuôi tôm nước lợ"]))


def test_upload_srt_is_plain_utf8_without_bom_or_tags(tmp_path: Path) -> None:
    source = tmp_path / "dautu.vi.srt"
    body = ("1\r\n00:00:01,000 --> 00:00:03,000\r\n<i>Trà Vinh</i> có {\\an8}lợi thế\r\n\r\n"
            "2\r\n00:00:04.000 --> 00:00:06,000\r\n<font color=\"red\">Định An</font>\r\n")
    source.write_bytes("\ufeff".encode() + unicodedata.normalize("NFD", body).encode("utf-8"))
    made = upload_srt(source)
    assert not made.data.startswith(b"\xef\xbb\xbf") and b"\r" not in made.data
    text = made.data.decode("utf-8")
    assert "<" not in text and "{" not in text
    assert text == ("1\n00:00:01,000 --> 00:00:03,000\nTrà Vinh có lợi thế\n\n"
                    "2\n00:00:04,000 --> 00:00:06,000\nĐịnh An\n")
    assert made.cues == 2 and any("markup" in n for n in made.notes)


# -- chapters -----------------------------------------------------------------------------------------


def test_chapters_start_at_zero_and_render_as_youtube_reads_them() -> None:
    made = youtube_chapters([Chapter(4_000, "Mở đầu"), Chapter(30_000, "Định An"), Chapter(75_000, "Dừa")], 3_700_000)
    assert made.chapters[0].start_ms == 0 and made.usable
    assert made.lines() == ["0:00 Mở đầu", "0:30 Định An", "1:15 Dừa"]
    assert any(f.check == "first chapter" and f.level == "note" for f in made.findings)
    assert clock(3_725_000) == "1:02:05"


def test_too_few_chapters_is_a_note_not_a_failure() -> None:
    made = youtube_chapters([Chapter(0, "Mở đầu"), Chapter(30_000, "Định An")], 90_000, where="dautu")
    count = [f for f in made.findings if f.check == "chapter count"]
    assert count[0].level == "note" and "2 chapter(s)" in count[0].message and count[0].ok
    assert not made.usable
    assert "0:00" not in description(DescriptionParts("vi", "Tóm tắt.", chapters=made)).text


def test_a_chapter_under_ten_seconds_is_reported_by_name() -> None:
    made = youtube_chapters([Chapter(0, "Mở đầu"), Chapter(30_000, "Định An"), Chapter(36_000, "Cảng"),
                             Chapter(60_000, "Dừa")], 90_000)
    short = [f for f in made.findings if f.check == "chapter length"]
    assert len(short) == 1 and "“Định An”" in short[0].message and "6.0 s" in short[0].message
    assert not made.usable


def test_script_sections_are_timed_where_their_sentences_were_spoken() -> None:
    lines = [ScriptLine("paragraph 1", "Giới thiệu.", None, None, None),
             ScriptLine("row 2", "Trà Vinh có cảng.", None, None, None, section="Mở đầu / Opening"),
             ScriptLine("row 3", "Định An mở ra.", None, None, None, section="Định An"),
             ScriptLine("row 4", "Cảng nước sâu.", None, None, None, section="Định An"),
             ScriptLine("row 5", "Không có trong bản dựng.", None, None, None, section="Bị cắt"),
             ScriptLine("row 6", "Dừa và tôm. Hai câu.", None, None, None, section="Dừa")]
    cues = [Cue(1, 5_000, 8_000, ("Trà Vinh có cảng.",)), Cue(2, 20_000, 24_000, ("Cảng nước sâu.",)),
            Cue(3, 26_000, 30_000, ("Định An mở ra.",)), Cue(4, 44_000, 47_000, ("Dừa và tôm.",))]
    cue_map = (CueMapEntry((1,), (1,), CueOrigin.SCRIPT, sentence="row 2"),
               CueMapEntry((2,), (2,), CueOrigin.SCRIPT, sentence="row 4"),
               CueMapEntry((3,), (3,), CueOrigin.SCRIPT, sentence="row 3"),
               CueMapEntry((4,), (4,), CueOrigin.SCRIPT, sentence="row 6, sentence 1"))
    record = SubtitlesRecord("dautu", {"en": SubtitlesLanguage("generated", "script", False, False, 4, {},
                                                               cue_map=cue_map)})
    starts = sentence_starts(record, cues)
    assert starts["row 6, sentence 1"] == 44_000
    found, notes = script_chapters(lines, starts)
    assert [(c.start_ms, c.title, c.title_en) for c in found] == [
        (5_000, "Mở đầu", "Opening"), (20_000, "Định An", None), (44_000, "Dừa", None)]
    assert len(notes) == 1 and "Bị cắt" in notes[0]
    made = programme_chapters(lines, record, cues, [], Fraction(25), 90_000, "dautu")
    assert made.lines("en") == ["0:00 Opening", "0:20 Định An", "0:44 Dừa"] and made.usable


def test_markers_named_as_chapters_take_precedence() -> None:
    markers = [Marker(0, "Chương: Mở đầu"), Marker(500, "note: colour"), Marker(1000, "CHUONG – Định An"),
               Marker(2000, "Chapter: Dừa / Coconuts")]
    found = marker_chapters(markers, Fraction(25))
    assert [(c.start_ms, c.title, c.title_en) for c in found] == [
        (0, "Mở đầu", None), (40_000, "Định An", None), (80_000, "Dừa", "Coconuts")]
    made = programme_chapters([], None, [], markers, Fraction(25), 120_000)
    assert made.usable and len(made.chapters) == 3


# -- platforms -----------------------------------------------------------------------------------------


def _measured(**changes: object) -> Measured:
    base: dict[str, object] = dict(duration_s=30.0, bytes=20_000_000, formats=("mov", "mp4"), width=1080,
                                   height=1920, fps=25.0, keyframes_s=(0.0, 2.0, 4.0, 6.0), open_gops=0,
                                   audio_codec="aac", audio_rate=48000, audio_kbps=192.0)
    base.update(changes)
    return Measured(**base)  # type: ignore[arg-type]


def test_reels_refuses_95_seconds_naming_the_90_second_limit() -> None:
    findings = check_measured(_measured(duration_s=95.0), FACEBOOK_REELS, "dautu.mp4")
    duration = next(f for f in findings if f.check == "duration")
    assert duration.level == "fail" and "90 s" in duration.message and "95.0 s" in duration.message
    assert all(f.ok for f in findings if f.check != "duration")


def test_reels_gop_and_audio_rules() -> None:
    findings = {f.check: f for f in check_measured(
        _measured(keyframes_s=(0.0, 0.48, 0.96), open_gops=2, audio_rate=44100, audio_kbps=96.0),
        FACEBOOK_REELS, "x.mp4")}
    assert findings["GOP length"].level == "fail"
    assert findings["closed GOP"].level == "fail"
    assert findings["audio sample rate"].level == "fail" and findings["audio bit rate"].level == "fail"


def test_open_gop_is_read_from_leading_pictures() -> None:
    closed = [(0.0, True), (0.12, False), (0.04, False), (0.08, False), (2.0, True), (2.12, False), (2.04, False)]
    open_ = [(0.0, True), (0.12, False), (0.04, False), (2.08, True), (2.0, False), (2.04, False)]
    assert gop_facts(closed) == ((0.0, 2.0), 0)
    assert gop_facts(open_) == ((0.0, 2.08), 1)


def test_text_zone_names_the_edge_crossed() -> None:
    inside = check_text_zone([(100, 400, 600, 100)], TIKTOK)
    assert inside[0].level == "pass"
    crossing = check_text_zone([(500, 50, 500, 100)], TIKTOK, names=["title"])
    assert crossing[0].level == "fail" and "top by 50 px" in crossing[0].message
    assert "right by 70 px" in crossing[0].message and crossing[0].message.startswith("title:")
    x, y, w, h = vertical_safe_box(1080, 1920)
    assert (x, y, x + w, y + h) == (65, 269, 930, 1248)  # Reels (profile) margins; TikTok's are inside them
    assert all(f.ok for p in (TIKTOK, FACEBOOK_REELS) for f in check_text_zone([(x, y, w, h)], p))


# -- sheet ---------------------------------------------------------------------------------------------


def test_sheet_escapes_everything_and_is_vietnamese(tmp_path: Path) -> None:
    evil = 'Trà Vinh <script>alert("x")</script> & “đầu tư”'
    sheet = PlatformSheet("youtube", "YouTube <b>", "src & co",
                          [Field.of("Tiêu đề", youtube_title(evil)), Field("Mô tả", evil, "≤ 5,000 bytes", "x", True)])
    page = sheet_html("dautu", evil, [sheet])
    assert '<html lang="vi">' in page
    assert "<script>" not in page and "&lt;script&gt;" in page and "&amp; “đầu tư”" in page
    assert "YouTube &lt;b&gt;" in page and "src &amp; co" in page
    assert "≤ 100 characters" in page  # the limit beside the value
    json_path, html_path = write_sheet(tmp_path, "dautu", evil, [sheet])
    data = json.loads(json_path.read_text(encoding="utf-8"))
    assert data["platforms"]["youtube"]["fields"][1]["value"] == evil
    assert sheet_json("dautu", evil, [sheet])["platforms"]["youtube"]["verdict"] == "pass"
    assert html_path.read_text(encoding="utf-8") == page
