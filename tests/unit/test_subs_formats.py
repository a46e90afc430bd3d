"""SRT and WebVTT: reading what the real world writes, writing what players read, never crashing."""

from __future__ import annotations

import codecs
import random
import unicodedata
from pathlib import Path
from typing import get_args

import pysrt
import pytest
import webvtt

from pipeline.errors import SubtitleError
from pipeline.subs.cues import Cue
from pipeline.subs.formats import (
    decode_subtitle_bytes,
    format_for,
    parse_subtitles,
    read_subtitles,
    render_subtitles,
    write_subtitles,
)

SRT = """1
00:00:01,000 --> 00:00:03,500
Xin chào quý vị.

2
00:00:04,000 --> 00:00:06,250
Hôm nay chúng ta về
thăm Trà Vinh.
"""

CUES = (
    Cue(1, 1000, 3500, ("Xin chào quý vị.",)),
    Cue(2, 4000, 6250, ("Hôm nay chúng ta về", "thăm Trà Vinh.")),
)


def srt(text: str) -> tuple[tuple[Cue, ...], list[str]]:
    document = parse_subtitles(text.encode("utf-8"), ".srt", "test.srt")
    return document.cues, [note.message for note in document.notes]


def cp1258(text: str) -> bytes:
    """Vietnamese as Windows-1258 writes it: base letters precomposed, tone marks combining."""
    tones = "\u0300\u0301\u0303\u0309\u0323"
    out = b""
    for char in text:
        parts = unicodedata.normalize("NFD", char)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
        out += base.encode("cp1258") + "".join(c for c in parts if c in tones).encode("cp1258")
    return out


# -- reading ------------------------------------------------------------------------------------------


def test_reads_plain_srt() -> None:
    cues, notes = srt(SRT)
    assert cues == CUES and notes == []


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (codecs.BOM_UTF8 + SRT.encode("utf-8"), "utf-8 with BOM"),
        (codecs.BOM_UTF16_LE + SRT.encode("utf-16-le"), "utf-16-le with BOM"),
        (codecs.BOM_UTF16_BE + SRT.encode("utf-16-be"), "utf-16-be with BOM"),
        (SRT.encode("utf-16-le"), "utf-16-le"),
        (SRT.replace("\n", "\r\n").encode("utf-8"), "utf-8"),
        (SRT.replace("\n", "\r").encode("utf-8"), "utf-8"),
        (cp1258(SRT), "cp1258"),
        (unicodedata.normalize("NFD", SRT).encode("utf-8"), "utf-8"),
    ],
)
def test_reads_encodings_and_line_endings(data: bytes, encoding: str) -> None:
    document = parse_subtitles(data, ".srt", "test.srt")
    assert document.cues == CUES
    assert document.encoding == encoding


def test_western_windows_text_is_read_as_cp1252() -> None:
    data = "1\n00:00:01,000 --> 00:00:02,000\nCafé “Ba Om” – open\n".encode("cp1252")
    document = parse_subtitles(data, ".srt")
    assert document.encoding == "cp1252"
    assert document.cues[0].lines == ("Café “Ba Om” – open",)


WESTERN = [
    "Você não sabe? Não há informações sobre a programação de amanhã.",  # Portuguese: ê, ã, õ
    "As mães e os irmãos põem a mesa; a lã das ovelhas.",
    "Être ou ne pas être : côté forêt, le château à Noël.",  # French: ê ô â
    "Però così è la vita: più tardi ci andrò, perché sì.",  # Italian: ò ì (1258's tone-mark bytes)
    "Mañana, señor Müller, ¿cuánto cuesta el café?",
]
VIETNAMESE = [
    "Người dân ở đây sống bằng nghề trồng dừa và làm kẹo dừa.",
    "Ao Bà Om là một danh thắng nổi tiếng của tỉnh Trà Vinh.",
    "Ăn cơm",  # no tone mark at all: ă and ơ where Vietnamese puts them
    "Năm",
    "Đêm đông",
]


@pytest.mark.parametrize("sentence", WESTERN)
def test_western_sentences_in_cp1252_keep_their_letters(sentence: str) -> None:
    data = f"1\n00:00:01,000 --> 00:00:02,000\n{sentence}\n".encode("cp1252")
    document = parse_subtitles(data, ".srt")
    assert document.encoding == "cp1252"
    assert document.cues[0].lines == (sentence,)


@pytest.mark.parametrize("sentence", VIETNAMESE)
def test_vietnamese_sentences_in_cp1258_are_read_as_vietnamese(sentence: str) -> None:
    data = cp1258(f"1\n00:00:01,000 --> 00:00:02,000\n{sentence}\n")
    document = parse_subtitles(data, ".srt")
    assert document.encoding == "cp1258"
    assert document.cues[0].lines == (unicodedata.normalize("NFC", sentence),)


def test_tags_are_stripped_and_noted() -> None:
    cues, notes = srt(
        '1\n00:00:01,000 --> 00:00:02,000\n{\\an8}<i>Xin <b>chào</b></i>\n<font color="#ffff00">quý vị</font>\n'
    )
    assert cues[0].lines == ("Xin chào", "quý vị")
    assert cues[0].markup == ("{\\an8}", "<i>", "<b>", "<font>")
    assert "markup (italics, colours, positions) was removed" in notes


def test_missing_and_wrong_indexes_are_renumbered() -> None:
    text = "00:00:01,000 --> 00:00:02,000\nMột.\n\n7\n00:00:03,000 --> 00:00:04,000\nHai.\n"
    cues, notes = srt(text)
    assert [(c.index, c.lines) for c in cues] == [(1, ("Một.",)), (2, ("Hai.",))]
    assert notes == ["cue numbers were missing or out of sequence; renumbered 1.."]


def test_separators_short_fractions_and_missing_hours() -> None:
    cues, _ = srt("1\n00:00:01.5 --> 0:00:02,25\nMột.\n\n2\n00:03,000 --> 00:04:00\nHai.\n")
    assert [(c.start_ms, c.end_ms) for c in cues] == [(1500, 2250), (3000, 240_000)]


def test_overlaps_are_read_for_lint_to_report() -> None:
    cues, _ = srt("1\n00:00:01,000 --> 00:00:05,000\nMột.\n\n2\n00:00:03,000 --> 00:00:04,000\nHai.\n")
    assert [(c.start_ms, c.end_ms) for c in cues] == [(1000, 5000), (3000, 4000)]


def test_missing_blank_lines_stray_blank_lines_and_trailing_garbage() -> None:
    text = (
        "1\n00:00:01,000 --> 00:00:02,000\nMột.\n2\n00:00:03,000 --> 00:00:04,000\nHai,\n\nvà ba.\n\n"
        "3\n00:00:05,000 --> 00:00:06,000\nBốn.\n\nSubtitles by nobody\n\x1a"
    )
    cues, notes = srt(text)
    assert [c.lines for c in cues] == [("Một.",), ("Hai,", "và ba."), ("Bốn.",)]
    assert notes == ["text after a blank line was kept with the cue above", "ignored text after the last cue"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1\n00:00:01,000 --> 00:00:0x,000\nMột.\n", "test.srt: line 2: cannot read the timing"),
        ("1\n00:00:01,000 - 00:00:02,000\nMột.\n", "test.srt: line 2: cannot read the timing"),
        (
            "1\n00:00:01,000 --> 00:00:02,000\nMột.\n\n2\n00:00:03,000 00:00:04,000\nHai.\n",
            "test.srt: line 6: cannot read the timing",
        ),
        (
            "1\n00:00:01,000 --> 00:00:02,000\nMột.\n\n2\nHai.\n\n3\n00:00:05,000 --> 00:00:06,000\nBa.\n",
            "test.srt: line 5: cue 2 has no timing line",
        ),
        ("1\n00:61:01,000 --> 00:62:02,000\nMột.\n", "line 2: minutes and seconds must be below 60"),
        ("Just some text\nwith no cues\n", "no cues found"),
    ],
)
def test_unreadable_srt_names_the_line(text: str, message: str) -> None:
    with pytest.raises(SubtitleError) as caught:
        parse_subtitles(text.encode("utf-8"), ".srt", "test.srt")
    assert message in str(caught.value)


def test_binary_and_undecodable_files_are_errors() -> None:
    with pytest.raises(SubtitleError, match="line 2: binary data"):
        parse_subtitles(b"1\n\x00\x01\x02-->", ".srt", "x.srt")
    with pytest.raises(SubtitleError, match=r"line 1: byte 0x81 is not UTF-8, Windows-1258 or Windows-1252"):
        parse_subtitles(b"\x81\x8d\x90 --> ", ".srt", "x.srt")
    with pytest.raises(SubtitleError, match="not valid utf-8 although"):
        decode_subtitle_bytes(codecs.BOM_UTF8 + b"\xff\xfe\xfd")


def test_reading_files(tmp_path: Path) -> None:
    with pytest.raises(SubtitleError, match="cannot read the file"):
        read_subtitles(tmp_path / "missing.srt")
    (tmp_path / "empty.srt").write_bytes(b"\n\n")
    with pytest.raises(SubtitleError, match="the file is empty"):
        read_subtitles(tmp_path / "empty.srt")
    with pytest.raises(SubtitleError, match=r"unknown subtitle format '\.ass'"):
        read_subtitles(tmp_path / "x.ass")
    (tmp_path / "ok.SRT").write_bytes(codecs.BOM_UTF8 + SRT.encode())
    document = read_subtitles(tmp_path / "ok.SRT")
    assert (document.format, document.cues) == ("srt", CUES)


VTT = """WEBVTT - Trà Vinh
Kind: captions

STYLE
::cue { color: yellow }

NOTE edited by hand

intro
00:01.000 --> 00:03.500 line:10% align:center
<v Người dẫn>Xin chào quý vị.</v>

00:00:04.000 --> 00:00:06.250
Hôm nay chúng ta về
thăm Trà Vinh &amp; Ao&nbsp;Bà&nbsp;Om.
"""


def test_reads_webvtt() -> None:
    document = parse_subtitles(VTT.encode(), ".vtt", "test.vtt")
    assert [(c.start_ms, c.end_ms, c.lines) for c in document.cues] == [
        (1000, 3500, ("Xin chào quý vị.",)),
        (4000, 6250, ("Hôm nay chúng ta về", "thăm Trà Vinh & Ao Bà Om.")),
    ]
    assert document.cues[0].markup == ("<v>",)
    assert "cue settings (position, alignment) were ignored" in [n.message for n in document.notes]


def test_webvtt_without_header_is_read_with_a_note() -> None:
    document = parse_subtitles("00:01.000 --> 00:02.000\nMột.\n", "vtt")
    assert document.cues[0].lines == ("Một.",)
    assert document.notes[0].message == "no WEBVTT header; read anyway"


# -- writing ------------------------------------------------------------------------------------------


def test_renders_srt_and_vtt() -> None:
    assert render_subtitles(CUES, ".srt") == SRT
    assert render_subtitles([Cue(1, 3_600_000, 3_601_000, ("a < b & c",))], "vtt") == (
        "WEBVTT\n\n1\n01:00:00.000 --> 01:00:01.000\na &lt; b &amp; c\n"
    )


def test_negative_times_cannot_be_written() -> None:
    with pytest.raises(SubtitleError, match="cue 1: cannot write negative time"):
        render_subtitles([Cue(1, -40, 1000, ("x",))], "srt")


@pytest.mark.parametrize("extension", [".srt", ".vtt"])
def test_write_then_read_round_trips_as_nfc_utf8_lf(tmp_path: Path, extension: str) -> None:
    path = tmp_path / f"programme.vi{extension}"
    cues = [*CUES, Cue(3, 7000, 9000, (unicodedata.normalize("NFD", "Người dân"),))]
    write_subtitles(path, cues)
    data = path.read_bytes()
    assert not data.startswith(codecs.BOM_UTF8) and b"\r" not in data
    assert data.decode("utf-8") == unicodedata.normalize("NFC", data.decode("utf-8"))
    assert read_subtitles(path).cues[2].lines == ("Người dân",)
    assert [c.lines for c in read_subtitles(path).cues[:2]] == [c.lines for c in CUES]
    assert list(tmp_path.iterdir()) == [path]  # no temporary files left behind


def test_pysrt_and_webvtt_py_read_what_we_write() -> None:
    items = pysrt.from_string(render_subtitles(CUES, "srt"))
    assert [(i.start.ordinal, i.end.ordinal, i.text) for i in items] == [
        (1000, 3500, "Xin chào quý vị."),
        (4000, 6250, "Hôm nay chúng ta về\nthăm Trà Vinh."),
    ]
    captions = webvtt.from_string(render_subtitles(CUES, "vtt")).captions
    assert [(c.start, c.end, c.text) for c in captions] == [
        ("00:00:01.000", "00:00:03.500", "Xin chào quý vị."),
        ("00:00:04.000", "00:00:06.250", "Hôm nay chúng ta về\nthăm Trà Vinh."),
    ]


def test_registry_is_keyed_by_extension() -> None:
    assert format_for("a/b/c.VTT").name == "webvtt"
    assert format_for(".srt").name == format_for("srt").name == "srt"
    with pytest.raises(SubtitleError, match=r"unknown subtitle format '.ttml'") as caught:
        format_for("a.ttml")
    assert caught.value.hint == "known: .srt, .vtt"


def test_registry_is_checked_against_what_the_pipeline_writes() -> None:
    from pipeline.profiles import Subtitles
    from pipeline.subs import WRITTEN_FORMATS
    from pipeline.subs.formats import SubtitleFormat, check_registry, register

    check_registry()
    assert [format_for(ext).name for ext in WRITTEN_FORMATS] == ["srt", "webvtt"]
    assert Subtitles().formats == WRITTEN_FORMATS
    [member] = get_args(Subtitles.model_fields["formats"].annotation)[:1]
    assert get_args(member) == WRITTEN_FORMATS, "a profile may list exactly the formats the pipeline writes"
    with pytest.raises(RuntimeError, match=r"no subtitle format registered for ttml \(registered: .srt, .vtt\)"):
        check_registry(("srt", "ttml"))
    with pytest.raises(ValueError, match=r"extension 'ttml' must look like '.srt'"):
        register(SubtitleFormat("ttml", ("ttml",), format_for("srt").parse, format_for("srt").render))
    with pytest.raises(SubtitleError):
        format_for("x.ttml")  # the refused format was not registered


# -- never a crash -------------------------------------------------------------------------------------


def _outcome(data: bytes, extension: str) -> None:
    try:
        document = parse_subtitles(data, extension, f"fuzz{extension}")
    except SubtitleError as exc:
        assert "fuzz" in str(exc)
        return
    assert all(isinstance(cue, Cue) for cue in document.cues)


def test_random_bytes_truncations_and_mutations_give_cues_or_a_subtitle_error() -> None:
    rng = random.Random(1258)
    samples = [SRT.encode(), VTT.encode(), cp1258(SRT), codecs.BOM_UTF16_LE + SRT.encode("utf-16-le")]
    for _ in range(400):
        _outcome(bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 300))), rng.choice([".srt", ".vtt"]))
    for sample in samples:
        for cut in range(len(sample)):
            _outcome(sample[:cut], ".srt")
            _outcome(sample[:cut], ".vtt")
        for _ in range(300):
            mutated = bytearray(sample)
            for _ in range(rng.randint(1, 6)):
                at = rng.randrange(len(mutated))
                choice = rng.random()
                if choice < 0.4:
                    mutated[at] = rng.getrandbits(8)
                elif choice < 0.7:
                    mutated.insert(at, rng.choice(b"\n\r:,.->0123456789 <{\\"))
                else:
                    del mutated[at]
            _outcome(bytes(mutated), rng.choice([".srt", ".vtt"]))


def test_webvtt_identifiers_are_only_lines_after_a_blank() -> None:
    text = "WEBVTT\n\na\n00:01.000 --> 00:02.000\nMột\nhai\n00:03.000 --> 00:04.000\nBa\n"
    document = parse_subtitles(text, "vtt")
    assert [c.lines for c in document.cues] == [("Một", "hai"), ("Ba",)]
