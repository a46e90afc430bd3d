"""`reportage package --with-publish` end to end on the programme tests/e2e/test_qc_package.py builds (a
4 s 720p web render, subtitles, transcripts; QC run for real): the publish stage's web and social
folders, as it leaves them, travel in the bag under data/publish/, listed with their roles in the
metadata sheet; a new publish makes the bag again; a missing or failed publish is refused naming
`reportage publish MANIFEST`; and a bag made without the flag is what it was.
"""

from __future__ import annotations

import json
from pathlib import Path

import bagit
import pytest

from pipeline.records.publish import (
    PublishedSocial,
    PublishedWeb,
    PublishRecord,
    social_dir,
    web_dir,
    write_publish_record,
)
from pipeline.stagerun import PROGRAMME
from pipeline.stages.package import plan
from pipeline.validate import load_manifest
from pipeline.workspace import Workspace
from tests.e2e.test_qc_package import _cli, fake_workspace, make_web

PID = "travinh-dautu"
BAG = "TRAVINH_DAUTU_2026"
WEB = {"index.html": "<!doctype html><title>Trà Vinh – Điểm hẹn</title>", "embed.html": "<iframe src=index.html>",
       "README.txt": "Host this folder as it is.\n", "player/video.min.js": "/* video.js */\n",
       "stream/master.m3u8": "#EXTM3U\n#EXT-X-VERSION:7\n", "stream/manifest.mpd": "<MPD/>\n",
       "stream/v0/seg0.m4s": "segment", f"{PID}.mp4": "mp4", f"{PID}.vi.vtt": "WEBVTT\n", "poster.jpg": "jpeg"}
SOCIAL = {"social.html": "<!doctype html><title>Mạng xã hội</title>", "social.json": "{}",
          "thumb-youtube.jpg": "jpeg", f"{PID}.vi.srt": "1\n00:00:00,950 --> 00:00:02,300\nXin chào\n"}
FAILURE = "HLS-BANDWIDTH: stream/master.m3u8 line 3: BANDWIDTH below the measured peak"


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_web(tmp_path_factory.mktemp("pkg") / "clean.mp4")


def lay_out(ws: Workspace) -> None:
    """The folders as the publish stage leaves them (the files' contents do not matter to package)."""
    for folder, files in ((web_dir(ws), WEB), (social_dir(ws), SOCIAL)):
        for name, text in files.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(text, "utf-8")
    (web_dir(ws) / ".publishing").write_text("a lock", "utf-8")  # hidden: never bagged


def publish(ws: Workspace, failures: tuple[str, ...] = ()) -> None:
    web = PublishedWeb("publish/web", "index.html", "embed.html", "stream/master.m3u8", "stream/manifest.mpd",
                       f"{PID}.mp4", ("720p",), ("vi",), 4.0, 40 - len(failures), failures, files=len(WEB))
    social = PublishedSocial("publish/social", "social.html", "social.json", ("youtube",),
                             ("YouTube: title over 100 characters",), ("only 2 chapters",), tuple(SOCIAL))
    write_publish_record(ws, PublishRecord(PID, web, social, "2026-03-02T08:15:00+00:00"))


def _package(wsroot: str, manifest: Path, capsys: pytest.CaptureFixture[str], *flags: str) -> tuple[int, str]:
    capsys.readouterr()
    code = _cli(["--workspace", wsroot, "package", str(manifest), "--allow-unapproved", *flags])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _payload(bag_dir: Path) -> set[str]:
    return set(bagit.Bag(str(bag_dir)).payload_files())


def test_package_with_publish(tmp_path: Path, clean: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = fake_workspace(tmp_path, clean)
    wsroot = str(tmp_path / "workspace")
    ws = Workspace(tmp_path / "workspace", PID)
    bag_dir = ws.delivery_dir / BAG
    sheet_path = bag_dir / "data" / "metadata" / f"{BAG}_METADATA.json"
    assert _cli(["--workspace", wsroot, "qc", str(manifest)]) == 0

    # without the flag: no publish anywhere, and the plan has no key for it
    assert _package(wsroot, manifest, capsys)[0] == 0
    assert not any(p.startswith("data/publish/") for p in _payload(bag_dir))
    assert "publish" not in json.loads(sheet_path.read_text("utf-8"))
    assert "publish" not in plan(load_manifest(manifest), ws)[PROGRAMME]

    # asked for, with nothing published: refused, naming the command; the bag stands
    code, out = _package(wsroot, manifest, capsys, "--with-publish")
    assert code == 1 and "no publish record" in out and "reportage publish MANIFEST" in out
    assert bagit.Bag(str(bag_dir)).is_valid()

    # a web package the validator failed: refused, naming the failure and the command
    lay_out(ws)
    publish(ws, failures=(FAILURE,))
    code, out = _package(wsroot, manifest, capsys, "--with-publish")
    assert code == 1 and "failed the stream validator" in out and FAILURE in out
    assert "reportage publish MANIFEST" in out

    # a bag made without the flag is not touched by a publish
    code, out = _package(wsroot, manifest, capsys)
    assert code == 0 and "up to date" in out

    # published: both folders in the bag under their own names, listed in the sheet with their roles
    publish(ws)
    capsys.readouterr()
    assert _cli(["--workspace", wsroot, "--json", "package", str(manifest), "--allow-unapproved",
                 "--with-publish"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["published"] == ["social", "web"] and report["up_to_date"] is False
    bag = bagit.Bag(str(bag_dir))
    bag.validate()
    payload = _payload(bag_dir)
    assert {f"data/publish/web/{n}" for n in WEB} | {f"data/publish/social/{n}" for n in SOCIAL} <= payload
    assert "data/publish/web/.publishing" not in payload
    assert (bag_dir / "data/publish/web/stream/master.m3u8").read_text("utf-8") == WEB["stream/master.m3u8"]
    sheet = json.loads(sheet_path.read_text("utf-8"))
    web, social = sheet["publish"]
    assert (web["package"], web["folder"], web["files"]) == ("web", "publish/web", len(WEB))
    assert web["role_en"].startswith("Web package for the portal") and web["role_vi"].startswith("Gói web")
    assert {f["file"]: f["role_vi"] for f in web["main_files"]}["publish/web/index.html"] == "Trang phát"
    assert {f["file"] for f in web["main_files"]} == {f"publish/web/{n}" for n in (
        "index.html", "embed.html", "stream/master.m3u8", "stream/manifest.mpd", f"{PID}.mp4")}
    assert web["stream_check"] == {"rules_passed": 40, "failures": [], "notes": []}
    assert (social["package"], social["problems"]) == ("social", ["YouTube: title over 100 characters"])
    assert social["main_files"][0] == {"file": "publish/social/social.html", "role_vi": "Bảng thông tin đăng tải",
                                       "role_en": "Upload sheet"}
    page = (bag_dir / "data" / "metadata" / f"{BAG}_METADATA.html").read_text("utf-8")
    assert "Gói xuất bản / Publish packages" in page and "publish/web/index.html" in page
    assert "data/publish/web/" in bag.info["Publish-Packages"]

    # unchanged: up to date; a new publish (one playlist written again): the bag is made again
    code, out = _package(wsroot, manifest, capsys, "--with-publish")
    assert code == 0 and "up to date" in out and "data/publish/web/" in out
    (web_dir(ws) / "stream/master.m3u8").write_text("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n", "utf-8")
    code, out = _package(wsroot, manifest, capsys, "--with-publish")
    assert code == 0 and "up to date" not in out
    assert "INDEPENDENT" in (bag_dir / "data/publish/web/stream/master.m3u8").read_text("utf-8")
    assert bagit.Bag(str(bag_dir)).is_valid()

    # and without the flag again: the bag as it was before publish
    code, out = _package(wsroot, manifest, capsys)
    assert code == 0 and "up to date" not in out
    assert not any(p.startswith("data/publish/") for p in _payload(bag_dir))
    assert "publish" not in json.loads(sheet_path.read_text("utf-8"))
