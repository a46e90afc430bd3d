"""The player page's writing, without a browser: every text escaped, nothing that leaves the package
folder, NFC throughout, the files written, and video.js refused unless it is the pinned one."""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from pathlib import Path

import pytest

from pipeline.publish import page as page_mod
from pipeline.publish import vendor
from pipeline.publish.page import (
    CreditLine,
    PageError,
    PlayerFacts,
    clock,
    transcript_from_subtitles,
    write_player_page,
)

TITLE = "Trà Vinh – Điểm hẹn của nhà đầu tư"
HOSTILE = '<script>alert("x")</script> & \'q\''


def _nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def facts(**changes: object) -> PlayerFacts:
    base: dict[str, object] = dict(
        title_vi=TITLE, title_en="Trà Vinh – Where Investors Meet",
        synopsis_vi="Ao Bà Om và những nhà máy mới.", synopsis_en="Ao Bà Om and the new factories.",
        duration_s=125.0, poster="poster.jpg", progressive_mp4="travinh.mp4",
        vtt_vi="travinh.vi.vtt", vtt_en="travinh.en.vtt",
        transcript_vi=((0.5, "Chào mừng quý vị đến Trà Vinh"), (64.25, "Ao Bà Om")),
        transcript_en=((0.5, "Welcome to Trà Vinh"), (64.25, "Ao Bà Om")),
        credits=(CreditLine("Biên tập", "Editor", "Nguyễn Thị Hà"),))
    base.update(changes)
    return PlayerFacts(**base)  # type: ignore[arg-type]


@pytest.fixture()
def fake_vendor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Stand-ins for the vendored files (the real ones come from set-up and are tested end to end)."""
    cache = tmp_path / "vendor-cache"
    files = []
    for item in vendor.FILES:
        path = cache / item.name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"/* {item.name} */\n", encoding="utf-8")
        files.append((path, item.name))
    monkeypatch.setattr(vendor, "player_files", lambda: files)
    return cache


def package(tmp_path: Path, the_facts: PlayerFacts) -> Path:
    folder = tmp_path / "web"
    folder.mkdir()
    for name in the_facts.media_names():
        (folder / name).write_bytes(b"x")
    return folder


def written_text(folder: Path) -> dict[str, str]:
    names = ("index.html", "embed.html", "embed-mp4.html", "README.txt", "player/page.js", "player/page.css")
    return {name: (folder / name).read_text(encoding="utf-8") for name in names}


def test_files_written(tmp_path: Path, fake_vendor: Path) -> None:
    the_facts = facts()
    folder = package(tmp_path, the_facts)
    written = write_player_page(folder, the_facts)
    rel = {p.relative_to(folder).as_posix() for p in written}
    assert rel == {"index.html", "embed.html", "embed-mp4.html", "README.txt", "player/page.css", "player/page.js",
                   "player/video.min.js", "player/video-js.min.css", "player/lang/vi.js",
                   "player/LICENSE-video.js.txt"}
    assert all(p.is_file() and p.stat().st_size for p in written)
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert index.startswith("<!doctype html>\n<html lang=\"vi\">") and '<meta charset="utf-8">' in index
    for src in ('src="master.m3u8" type="application/x-mpegURL"', 'src="travinh.mp4" type="video/mp4"',
                '<track kind="subtitles" srclang="vi" label="Tiếng Việt" src="travinh.vi.vtt" default>',
                '<track kind="subtitles" srclang="en" label="English" src="travinh.en.vtt">',
                'poster="poster.jpg"', 'src="player/video.min.js"', 'src="player/lang/vi.js"'):
        assert src in index, src
    # the transcript: one seeking line per cue, both languages, and every text of the manifest
    assert index.count('class="line" data-t=') == 4 and 'data-t="64.250"' in index
    assert '<span class="tc" aria-hidden="true">1:04</span>' in index
    for text in (TITLE, "Trà Vinh – Where Investors Meet", "Ao Bà Om và những nhà máy mới.",
                 "Ao Bà Om and the new factories.", "Biên tập", "Editor", "Nguyễn Thị Hà", "2 phút 5 giây"):
        assert text in index, text
    assert index.index("player/video.min.js") < index.index("player/lang/vi.js") < index.index("player/page.js")
    mp4_only = (folder / "embed-mp4.html").read_text(encoding="utf-8")
    assert "master.m3u8" not in mp4_only and "<script" not in mp4_only and 'srclang="vi"' in mp4_only
    assert 'src="index.html?embed"' in (folder / "embed.html").read_text(encoding="utf-8")
    readme = (folder / "README.txt").read_text(encoding="utf-8")
    for must in ("application/vnd.apple.mpegurl", "video/iso.segment", "text/vtt", "application/dash+xml",
                 "gzip_types", "AddOutputFilterByType DEFLATE", "Range", "Access-Control-Allow-Origin",
                 "types {", "AddType", vendor.VERSION):
        assert must in readme, must


def test_every_text_is_escaped(tmp_path: Path, fake_vendor: Path) -> None:
    the_facts = facts(title_vi=HOSTILE, title_en=HOSTILE, synopsis_vi=HOSTILE, synopsis_en=HOSTILE,
                      transcript_vi=((1.0, HOSTILE),), transcript_en=((1.0, '"><img src=x onerror=alert(1)>'),),
                      credits=(CreditLine(HOSTILE, HOSTILE, HOSTILE),))
    folder = package(tmp_path, the_facts)
    write_player_page(folder, the_facts)
    for name, text in written_text(folder).items():
        if name.endswith(".html"):
            assert "<script>alert" not in text and "<img" not in text, name
            assert "onerror=alert(1)" not in text or "&quot;&gt;&lt;img" in text, name
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;q&#x27;" in index
    # the only scripts are the package's own three
    assert re.findall(r"<script\b[^>]*>", index) == ['<script src="player/video.min.js">',
                                                     '<script src="player/lang/vi.js">',
                                                     '<script src="player/page.js">']
    assert "\x07" not in page_mod.esc("bell\x07here")


def test_no_address_leaves_the_package(tmp_path: Path, fake_vendor: Path) -> None:
    the_facts = facts()
    folder = package(tmp_path, the_facts)
    write_player_page(folder, the_facts)
    for name, text in written_text(folder).items():
        assert "http" not in text.lower(), name
        assert "://" not in text and "cdn" not in text.lower(), name
        if name.endswith(".html"):
            for address in re.findall(r'\b(?:src|href|poster)="([^"]*)"', text):
                assert address == "data:," or (not address.startswith(("/", "\\")) and ":" not in address), \
                    (name, address)


@pytest.mark.parametrize("name", ["https://cdn.example/poster.jpg", "//cdn.example/p.jpg", "/var/www/p.jpg",
                                  "../poster.jpg", "a/../../p.jpg", 'p".jpg', "C:\\p.jpg", "p.jpg?x", ""])
def test_a_file_name_that_leaves_the_folder_is_refused(tmp_path: Path, fake_vendor: Path, name: str) -> None:
    with pytest.raises(PageError, match="plain file name inside the package folder"):
        write_player_page(tmp_path, facts(poster=name), require_media=False)


def test_a_missing_file_is_named(tmp_path: Path, fake_vendor: Path) -> None:
    the_facts = facts()
    folder = package(tmp_path, the_facts)
    (folder / "travinh.en.vtt").unlink()
    with pytest.raises(PageError, match=r"travinh\.en\.vtt, which is not in the package"):
        write_player_page(folder, the_facts)
    assert not (folder / "index.html").exists()


def test_bad_transcript_time_is_refused(tmp_path: Path, fake_vendor: Path) -> None:
    the_facts = facts(transcript_en=((math.nan, "x"),))
    with pytest.raises(PageError, match="transcript line starts at nan"):
        write_player_page(package(tmp_path, the_facts), the_facts)


def test_text_is_written_nfc(tmp_path: Path, fake_vendor: Path) -> None:
    the_facts = facts(title_vi=_nfd(TITLE), synopsis_vi=_nfd("Người dân Trà Vinh"),
                      transcript_vi=((0.0, _nfd("Chào mừng quý vị")),),
                      credits=(CreditLine(_nfd("Quay phim"), "Camera", _nfd("Đặng Văn Tỵ")),))
    folder = package(tmp_path, the_facts)
    write_player_page(folder, the_facts)
    for name, text in written_text(folder).items():
        assert unicodedata.is_normalized("NFC", text), name
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert TITLE in index and "Chào mừng quý vị" in index and "Đặng Văn Tỵ" in index
    assert (folder / "index.html").read_bytes().decode("utf-8")  # UTF-8, no BOM
    assert not (folder / "index.html").read_bytes().startswith(b"\xef\xbb\xbf")


def test_transcript_from_subtitles(tmp_path: Path) -> None:
    vtt = tmp_path / "a.vi.vtt"
    vtt.write_text("WEBVTT\n\n00:00:01.500 --> 00:00:03.000\nChào mừng quý vị\nđến Trà Vinh\n\n"
                   "00:01:04.000 --> 00:01:06.000\nAo Bà Om\n", encoding="utf-8")
    assert transcript_from_subtitles(vtt) == ((1.5, "Chào mừng quý vị đến Trà Vinh"), (64.0, "Ao Bà Om"))
    assert [clock(s) for s in (0, 64.9, 3725)] == ["0:00", "1:04", "1:02:05"]


def _cache_with_pinned_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("REPORTAGE_VENDOR_CACHE", str(tmp_path / "cache"))
    return vendor.vendor_dir()


def test_vendor_missing_names_setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _cache_with_pinned_names(tmp_path, monkeypatch)
    with pytest.raises(vendor.VendorError) as caught:
        vendor.player_files()
    assert "video.js 8.24.1 is not set up" in caught.value.one_line()
    assert "./scripts/setup" in caught.value.one_line()
    row = vendor.vendor_report()
    assert row["ok"] is False and "./scripts/setup" in row["detail"]


def test_vendor_file_that_is_not_the_pinned_one_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file edited in the cache never reaches a package: the copy checks each file's own SHA-256."""
    folder = _cache_with_pinned_names(tmp_path, monkeypatch)
    for item in vendor.FILES:
        (folder / item.name).parent.mkdir(parents=True, exist_ok=True)
        (folder / item.name).write_text("tampered", encoding="utf-8")
    with pytest.raises(vendor.VendorError, match="SHA-256 differs") as caught:
        vendor.copy_player_assets(tmp_path / "web" / "player")
    assert "./scripts/setup" in caught.value.one_line()
    assert not (tmp_path / "web" / "player").exists()


def test_vendor_pins_are_sha256() -> None:
    for digest in (vendor.TARBALL_SHA256, *(item.sha256 for item in vendor.FILES)):
        assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert {item.name for item in vendor.FILES} >= {"video.min.js", "video-js.min.css", "lang/vi.js"}


def test_vendor_fetch_refuses_a_tarball_that_is_not_the_pinned_one(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """What set-up does when the registry hands back other bytes: nothing is installed."""
    _cache_with_pinned_names(tmp_path, monkeypatch)

    def fake_pack(into: Path) -> Path:
        path = into / vendor.TARBALL
        path.write_bytes(b"not video.js")
        return path

    monkeypatch.setattr(vendor, "_npm_pack", fake_pack)
    with pytest.raises(vendor.VendorError, match=hashlib.sha256(b"not video.js").hexdigest()):
        vendor.fetch()
    assert not (vendor.cache_root() / vendor.TARBALL).exists() and not vendor.vendor_dir().exists()


def test_the_real_cache_when_set_up(tmp_path: Path) -> None:
    """On a machine set up by ./scripts/setup: the copy in a package is byte for byte the pinned files."""
    try:
        vendor.player_files()
    except vendor.VendorError:
        pytest.skip("video.js is not set up on this machine (./scripts/setup)")
    for path in vendor.copy_player_assets(tmp_path / "player"):
        name = path.relative_to(tmp_path / "player").as_posix()
        pinned = next(item.sha256 for item in vendor.FILES if item.name == name)
        assert hashlib.sha256(path.read_bytes()).hexdigest() == pinned
