"""`reportage qc` does work proportional to the change, through the installed CLI at -vv on real
tiny files (160x90, 3 s): a subtitle-only fix decodes no deliverable, a re-rendered deliverable is
the only one decoded again, and flagged stretches come out in programme seconds."""

from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

from pipeline.fsutil import write_json
from pipeline.media.ffmpeg import run_ffmpeg
from pipeline.records.subtitles import SubtitlesLanguage, SubtitlesRecord
from pipeline.render.state import RenderedDeliverable, RenderRecord, write_render_record
from pipeline.timeline import Segment, Timeline
from pipeline.workspace import Workspace

from .test_qc_package import _srt, _transcript, _vtt

REPORTAGE = str(Path(sys.executable).parent / "reportage")
PID = "nho-fresh"
SECONDS = 3
PROGRAMME_S = 30
EXCERPT = (20.0, 23.0)  # web-1080p carries programme 20–23 s


def _encode(path: Path, *, tone_hz: int, black: tuple[float, float] | None = None) -> Path:
    """160x90 25p H.264 + AAC stereo, a tone; optionally a black stretch."""
    vf = f"testsrc2=size=160x90:rate=25:duration={SECONDS}"
    if black:
        vf += f",drawbox=x=0:y=0:w=iw:h=ih:color=black:t=fill:enable='between(t,{black[0]},{black[1]})'"
    run_ffmpeg(["-f", "lavfi", "-i", vf, "-f", "lavfi", "-i", f"sine=frequency={tone_hz}:sample_rate=48000",
                "-filter_complex", "[1:a]volume=7.5dB,aformat=channel_layouts=stereo[a]", "-map", "0:v",
                "-map", "[a]", "-t", str(SECONDS), "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                "-c:a", "aac", "-b:a", "128k", "file:" + str(path)])
    return path


def _programme(root: Path) -> tuple[Path, Workspace, dict[str, Path]]:
    manifest = root / "nhỏ.yaml"
    manifest.write_text(
        f"id: {PID}\nyear: 2026\ntitle: {{vi: 'Trà Vinh – Điểm hẹn', en: 'Where Investors Meet'}}\n"
        "synopsis: {vi: 'Tóm tắt.', en: 'Synopsis.'}\nfootage: [master.mov]\ntimeline: {master: master.mov}\n"
        "deliverables: [web-720p, web-1080p]\n", encoding="utf-8")
    ws = Workspace(root / "workspace", PID)
    files: dict[str, Path] = {}
    entries: dict[str, RenderedDeliverable] = {}
    for name, excerpt, black in (("web-720p", None, None), ("web-1080p", EXCERPT, (1.2, 1.8))):
        folder = ws.render_dir(name)
        folder.mkdir(parents=True)
        files[name] = _encode(folder / f"{PID} bản {name}.mp4", tone_hz=440, black=black)
        entries[name] = RenderedDeliverable(name, str(files[name]), name, float(SECONDS),
                                            files[name].stat().st_size, None, excerpt)
    write_render_record(ws, RenderRecord(PID, entries))
    cut = Segment("master", "master.mov", 0, PROGRAMME_S * 25, 0, True)
    timeline = Timeline(PID, Fraction(25), 160, 90, 48000, (cut,), ())
    write_json(ws.timeline_json, timeline.to_dict())
    write_json(ws.transcript_json("master"), _transcript("master", (300, 700, 1100)))
    ws.subtitles_dir.mkdir()
    cues = [(250, 1500, "Xin chào Trà Vinh")]
    for lang in ("vi", "en"):
        ws.subtitle(lang, "srt").write_text(_srt(cues), encoding="utf-8")
        ws.subtitle(lang, "vtt").write_text(_vtt(cues), encoding="utf-8")
    write_json(ws.subtitles_dir / f"{PID}.subtitles.json", SubtitlesRecord(PID, {
        "vi": SubtitlesLanguage("generated", None, False, True, 1, {}),
        "en": SubtitlesLanguage("generated", "whisper", True, False, 1, {})}).to_json())
    return manifest, ws, files


def _qc(root: Path, manifest: Path) -> tuple[dict[str, object], list[str]]:
    """`reportage -vv --json qc`: its JSON document and the ffmpeg/ffprobe command lines it logged."""
    proc = subprocess.run([REPORTAGE, "--workspace", str(root / "workspace"), "-vv", "--json", "qc", str(manifest)],
                          capture_output=True, text=True, cwd=root, timeout=300)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode in (0, 1), proc.stderr  # 160x90 is not 720p: size FAILs, as it should
    runs = [line for line in proc.stderr.splitlines() if " run " in line and ("ffmpeg" in line or "ffprobe" in line)]
    doc: dict[str, object] = json.loads(proc.stdout)
    return doc, runs


def _decoded(runs: list[str], file: Path) -> int:
    return sum(file.name in line for line in runs)


def test_a_subtitle_fix_decodes_nothing_and_a_new_render_only_itself(tmp_path: Path) -> None:
    manifest, ws, files = _programme(tmp_path)
    _, runs = _qc(tmp_path, manifest)
    assert _decoded(runs, files["web-720p"]) >= 3 and _decoded(runs, files["web-1080p"]) >= 3  # probe, packets, decode
    report = json.loads((ws.qc_dir / "report.json").read_text("utf-8"))
    by_name = {d["deliverable"]: d for d in report["deliverables"]}
    for d in by_name.values():
        loudness = next(c for c in d["checks"] if c["id"] == "loudness.integrated")
        assert abs(loudness["value"] - -14.3) <= 0.6  # the tone as encoded, measured on the file
    black = next(c for c in by_name["web-1080p"]["checks"] if c["id"] == "picture.black")
    (start, end), = black["spans_s"]  # file 1.2–1.8 s, in programme time after the 20 s excerpt start
    assert abs(start - 21.2) <= 0.05 and abs(end - 21.84) <= 0.05
    rows = by_name["web-1080p"]["loudness_series"]["rows"]
    assert 20.0 < rows[0][0] <= 20.6 and 22.4 <= rows[-1][0] <= 23.05 and len(rows) >= 5
    measured_at = {n: d["measured_at"] for n, d in by_name.items()}

    ws.subtitle("vi", "srt").write_text(_srt([(250, 1500, "Xin chào các bạn")]), encoding="utf-8")
    fixed, runs = _qc(tmp_path, manifest)
    assert runs == []  # no ffmpeg, no ffprobe: every deliverable's measurements were reused
    assert fixed["up_to_date"] is False and fixed["work"] == {
        "measured": [], "reused": ["web-720p", "web-1080p"], "subtitles_checked": ["vi"], "subtitles_reused": ["en"]}
    again = {d["deliverable"]: d["measured_at"] for d in json.loads(
        (ws.qc_dir / "report.json").read_text("utf-8"))["deliverables"]}
    assert again == measured_at

    rerendered = _encode(tmp_path / "new.mp4", tone_hz=660)
    files["web-1080p"].write_bytes(rerendered.read_bytes())
    changed, runs = _qc(tmp_path, manifest)
    assert _decoded(runs, files["web-1080p"]) >= 3 and _decoded(runs, files["web-720p"]) == 0
    assert changed["work"]["measured"] == ["web-1080p"]  # type: ignore[index]
    after = {d["deliverable"]: d for d in json.loads((ws.qc_dir / "report.json").read_text("utf-8"))["deliverables"]}
    assert next(c for c in after["web-1080p"]["checks"] if c["id"] == "picture.black")["spans_s"] == []

    unchanged, runs = _qc(tmp_path, manifest)
    assert unchanged["up_to_date"] is True and runs == []
