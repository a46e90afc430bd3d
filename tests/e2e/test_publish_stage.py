"""`reportage publish` end to end after the real render and QC of a small programme (an 8 s 640×360
master, the streaming ladder and the vertical social cut, subtitles in both languages): the web
package passes every rule of our validator and carries what a portal needs, the social package has a
sheet per platform and its files, the record says where, a second run makes nothing, a subtitle fix
makes the web and social packages again, QC then judges the web package, and the bag takes the
publish folders with `--with-publish`.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import bagit
import pytest

from pipeline.fsutil import write_json
from pipeline.media.ffmpeg import ffprobe_json
from pipeline.publish.streamcheck import verify_stream
from pipeline.records.publish import read_publish_record, social_dir, web_dir
from pipeline.records.subtitles import CueMapEntry, CueOrigin, SubtitlesLanguage, SubtitlesRecord
from pipeline.timeline import Segment, Timeline
from pipeline.workspace import Workspace
from tests import mediagen
from tests.e2e.test_qc_package import _cli, _srt, _transcript, _vtt

pytestmark = pytest.mark.slow

PID = "travinh-dulich"
SECONDS = 8
MANIFEST = f"""\
id: {PID}
year: 2026
title: {{vi: "Trà Vinh – Về miền chùa Khmer", en: "Trà Vinh – Land of Khmer Pagodas"}}
synopsis: {{vi: "Ao Bà Om, chùa Âng và lễ hội Ok Om Bok.", en: "Ao Bà Om, Âng Pagoda and the Ok Om Bok festival."}}
house: {{width: 640, height: 360, fps: "25"}}
footage: [master.mov]
timeline: {{master: master.mov}}
deliverables: [web-stream, social-9x16]
social: {{in: "00:00:01:00", out: "00:00:05:00", platforms: [facebook-reels, tiktok, zalo-oa]}}
credits: [{{role: {{vi: "Biên tập", en: "Editor"}}, name: "Nguyễn Thị Thu Hà"}}]
co_producers: ["Sở Thông tin và Truyền thông tỉnh Trà Vinh"]
"""
CUES = {"vi": [(950, 2300, "Xin chào Trà Vinh"), (2550, 6700, "Chùa Âng có từ thế kỷ thứ X")],
        "en": [(950, 2300, "Hello Trà Vinh"), (2550, 6700, "Âng Pagoda dates from the 10th century")]}


def _programme(root: Path) -> tuple[Path, Workspace]:
    manifest = root / f"{PID}.yaml"
    manifest.write_text(MANIFEST, encoding="utf-8")
    master = mediagen.clip_25p_mov(root / "master.mov", seconds=SECONDS, size="640x360")
    ws = Workspace(root / "workspace", PID)
    timeline = Timeline(PID, Fraction(25), 640, 360, 48000, (Segment("master", str(master), 0, SECONDS * 25, 0, True),),
                        ())
    write_json(ws.timeline_json, timeline.to_dict())
    write_json(ws.transcript_json("master"), _transcript("master", (1000, 1400, 1800, 2600, 3000, 5000, 6000)))
    _subtitles(ws, CUES)
    return manifest, ws


def _subtitles(ws: Workspace, cues: dict[str, list[tuple[int, int, str]]]) -> None:
    ws.subtitles_dir.mkdir(exist_ok=True)
    for lang, entries in cues.items():
        ws.subtitle(lang, "srt").write_text(_srt(entries), encoding="utf-8")
        ws.subtitle(lang, "vtt").write_text(_vtt(entries), encoding="utf-8")
    script = tuple(CueMapEntry((n,), (n,), CueOrigin.SCRIPT, CueOrigin.SCRIPT) for n in (1, 2))
    record = SubtitlesRecord(PID, {"vi": SubtitlesLanguage("generated", None, False, True, 2, {}, cue_map=script),
                                   "en": SubtitlesLanguage("generated", "script", False, False, 2, {},
                                                           cue_map=script)})
    write_json(ws.subtitles_dir / f"{PID}.subtitles.json", record.to_json())


def _json(capsys: pytest.CaptureFixture[str], args: list[str]) -> tuple[int, dict[str, object]]:
    capsys.readouterr()
    code = _cli(["--json", *args])
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip() else {}


def test_publish_after_render_and_qc(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest, ws = _programme(tmp_path)
    root = ["--workspace", str(tmp_path / "workspace")]
    assert _cli([*root, "render", str(manifest)]) == 0
    code, qc = _json(capsys, [*root, "qc", str(manifest)])
    assert code == 0, qc.get("failed")

    code, first = _json(capsys, [*root, "publish", str(manifest)])
    assert code == 0, first
    record = read_publish_record(ws)
    assert record is not None and record.web is not None and record.social is not None
    web = web_dir(ws)
    assert record.web.ok and record.web.rules_passed >= 20, record.web.failures
    assert record.web.renditions == ("360p", "234p") and record.web.subtitles == ("vi", "en")
    for name in ("index.html", "embed.html", "embed-mp4.html", "README.txt", "poster.jpg", f"{PID}.mp4",
                 f"{PID}.vi.vtt", f"{PID}.en.vtt", "stream/master.m3u8", "stream/manifest.mpd", "player/page.js"):
        assert (web / name).is_file(), name
    assert verify_stream(web / "stream").ok  # judged again, from the folder as it is
    master = (web / "stream/master.m3u8").read_text(encoding="utf-8")
    assert master.index("video_360p.m3u8") < master.index("video_234p.m3u8"), "the ladder's first rung listed first"
    assert 'NAME="Tiếng Việt",DEFAULT=YES' in master and 'NAME="English",DEFAULT=NO' in master
    page = (web / "index.html").read_text(encoding="utf-8")
    assert "Trà Vinh – Về miền chùa Khmer" in page and "Chùa Âng có từ thế kỷ thứ X" in page and "http" not in \
        page.replace("http-equiv", "")
    progressive = ffprobe_json(web / f"{PID}.mp4")
    kinds = sorted(s["codec_type"] for s in progressive["streams"])
    assert kinds == ["audio", "video"] and abs(float(progressive["format"]["duration"]) - SECONDS) < 0.1
    assert [s["height"] for s in progressive["streams"] if s["codec_type"] == "video"] == [360]

    social = social_dir(ws)
    sheet = json.loads((social / "social.json").read_text(encoding="utf-8"))
    assert (social / "social.html").is_file() and sheet
    assert set(record.social.platforms) >= {"facebook-reels", "tiktok", "zalo-oa"}
    assert all((social / name).is_file() for name in record.social.files)

    code, again = _json(capsys, [*root, "publish", str(manifest)])
    assert code == 0 and again["up_to_date"] is True, again

    fixed = {lang: [*entries[:1], (2550, 6700, entries[1][2].replace("thứ X", "thứ 10"))]
             for lang, entries in CUES.items()}
    _subtitles(ws, fixed)
    assert _cli([*root, "qc", str(manifest)]) == 0
    code, third = _json(capsys, [*root, "publish", str(manifest)])
    assert code == 0 and sorted(third["made"]) == ["social", "web"], third  # type: ignore[arg-type]
    assert "thứ 10" in (web / "index.html").read_text(encoding="utf-8")

    code, judged = _json(capsys, [*root, "qc", str(manifest)])
    assert code == 0, judged.get("failed")
    assert "web-package" in json.dumps(judged), "QC judges the web package once it is there"

    assert _cli([*root, "package", str(manifest), "--allow-unapproved", "--with-publish"]) == 0
    bag = next(p for p in ws.delivery_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
    payload = set(bagit.Bag(str(bag)).payload_files())
    assert "data/publish/web/stream/master.m3u8" in payload and "data/publish/social/social.json" in payload
