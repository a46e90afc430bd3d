"""What a file's first bytes say it is, before ffprobe guesses: images, documents and text under a
clip's name are named for what they are; real media (every container ingest takes) is left alone."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from pipeline.errors import MediaError
from pipeline.media.probe import probe, sniff

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00@\x00\x00\x00$\x08\x02\x00\x00\x00"


@pytest.mark.parametrize(
    ("head", "what"),
    [
        (PNG, "a PNG image"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "a JPEG image"),
        (b"GIF89a\x40\x00", "a GIF image"),
        (b"II*\x00\x08\x00\x00\x00", "a TIFF image (or a camera raw photo)"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "a WebP image"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "a HEIC photo"),
        (b"%PDF-1.7\n%\xe2\xe3", "a PDF document"),
        (b"PK\x03\x04\x14\x00\x06\x00", "a ZIP archive (Word and Excel files are ZIP archives too)"),
        (b"\x7fELF\x02\x01\x01", "a program"),
        (b"<?xml version=\"1.0\"?>\n<xmeml version=\"5\">", "an XML document"),
        (b"<!DOCTYPE html>\n<html>", "an HTML page"),
    ],
)
def test_not_media_is_named(head: bytes, what: str) -> None:
    found = sniff(head)
    assert found is not None and found.what == what


def test_text_is_text_and_quoted() -> None:
    found = sniff("# Ghi chú dựng phim\r\nCảnh 1: Ao Bà Om\n".encode())
    assert found is not None and found.what == "text"
    assert found.detail == "it begins “# Ghi chú dựng phim”"
    utf16 = sniff("\ufeffGhi chú".encode("utf-16-le"))
    assert utf16 is not None and utf16.what == "text", "UTF-16 text holds NULs but is still text"
    legacy = sniff("Ghi chú".encode("cp1258"))
    assert legacy is not None and legacy.what == "text", "8-bit text that is not UTF-8"
    blank = sniff(b"\n\n  \n")
    assert blank is not None and blank.detail == "only blank lines"


@pytest.mark.parametrize(
    "head",
    [
        b"\x00\x00\x00\x20ftypqt  \x00\x00\x02\x00qt  \x00\x00\x00\x08wide",  # QuickTime .mov
        b"\x00\x00\x00\x1cftypisom\x00\x00\x02\x00isommp41",  # MP4
        b"\x00\x00\x00\x1cftypM4A \x00\x00\x02\x00M4A isom",  # M4A
        b"RIFF\x24\x08\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x02\x00",  # WAV / BWF
        b"RIFF\x24\x08\x00\x00AVI LIST",  # AVI
        b"FORM\x00\x00\x10\x2eAIFFCOMM\x00\x00\x00\x12",  # AIFF
        b"ID3\x04\x00\x00\x00\x00\x00\x23TSSE\x00\x00\x00\x0f",  # MP3 with a tag
        b"\xff\xfb\x90\x64\x00\x0f\xf0\x00\x00\x69",  # MP3 frame
        b"\xff\xf1\x50\x80\x02\x1f\xfc\x21\x00",  # raw AAC (ADTS)
        b"fLaC\x00\x00\x00\x22\x10\x00",  # FLAC
        b"OggS\x00\x02\x00\x00\x00\x00",  # Ogg (Vorbis, Opus, FLAC)
        b"\x06\x0e\x2b\x34\x02\x05\x01\x01\x0d\x01",  # MXF
        b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01",  # Matroska / WebM
        b"\x47\x40\x00\x10\x00\x00\xb0\x0d",  # MPEG-TS
        b"\x00\x00\x01\xba\x44\x00\x04\x00",  # MPEG-PS
        b"",
    ],
)
def test_media_is_left_to_ffprobe(head: bytes) -> None:
    assert sniff(head + bytes(range(256)) * 4 if head else head) is None


def test_probe_names_what_a_misnamed_file_is(tmp_path: Path) -> None:
    still = tmp_path / "B-roll 07.mp4"
    still.write_bytes(PNG + struct.pack(">I", 0) * 8)
    with pytest.raises(MediaError) as png:
        probe(still)
    assert png.value.one_line().startswith(f"{still}: is a PNG image, not video")
    assert "truncated" not in png.value.one_line() and "recording" not in png.value.one_line()
    notes = tmp_path / "voice.mp3"
    notes.write_text("lời bình sẽ gửi sau\n", encoding="utf-8")
    with pytest.raises(MediaError) as text:
        probe(notes)
    assert text.value.problem == "is text, not audio (it begins “lời bình sẽ gửi sau”)"
    readme = tmp_path / "README"
    readme.write_text("Card 1\n", encoding="utf-8")
    with pytest.raises(MediaError, match="is text, not media"):
        probe(readme)
