"""QC and packaging end to end on tiny lavfi-made files (720p, 4 s): a clean web file passes, broken
ones FAIL with the measured value, a bag validates with bagit and a one-byte change is named."""

from __future__ import annotations

import json
import os
from fractions import Fraction
from pathlib import Path

import bagit
import pytest

from pipeline.asr.transcript import ModelRef, Transcript
from pipeline.asr.transcript import TranscriptSegment as Said
from pipeline.asr.transcript import TranscriptWord as SaidWord
from pipeline.cli import main
from pipeline.fsutil import write_json
from pipeline.media.ffmpeg import run_ffmpeg
from pipeline.package.verify import verify_bag
from pipeline.profiles import load_profile
from pipeline.qc.plan import Status
from pipeline.records.package import read_package_record
from pipeline.records.subtitles import CueMapEntry, CueOrigin, SubtitlesLanguage, SubtitlesRecord
from pipeline.render.state import RenderedDeliverable, RenderedLoudness, RenderRecord, write_render_record
from pipeline.stages.qc import qc_file
from pipeline.timeline import Segment, Timeline
from pipeline.workspace import Workspace

SECONDS = 4


def make_web(path: Path, *, fps: int = 25, gain_db: float = 7.5, black: tuple[float, float] | None = None) -> Path:
    """H.264 High 720p, AAC 256k stereo; a 440 Hz tone at +7.5 dB measures about −14.3 LUFS."""
    vf = f"testsrc2=size=1280x720:rate={fps}:duration={SECONDS}"
    if black:
        vf += f",drawbox=x=0:y=0:w=iw:h=ih:color=black:t=fill:enable='between(t,{black[0]},{black[1]})'"
    run_ffmpeg([
        "-f", "lavfi", "-i", vf,
        "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={SECONDS}",
        "-filter_complex", f"[1:a]volume={gain_db}dB,aformat=channel_layouts=stereo[a]",
        "-map", "0:v", "-map", "[a]", "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high",
        "-level", "3.1", "-pix_fmt", "yuv420p", "-g", "12", "-keyint_min", "12", "-sc_threshold", "0", "-bf", "2",
        "-b:v", "5000k", "-maxrate", "7500k", "-bufsize", "10M", "-c:a", "aac", "-b:a", "256k",
        "-movflags", "+faststart", "file:" + str(path),
    ])
    return path


def _status(result: object, check_id: str) -> tuple[Status, str]:
    check = next(c for c in result.checks if c.id == check_id)  # type: ignore[attr-defined]
    return check.status, check.measured


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_web(tmp_path_factory.mktemp("qc") / "clean.mp4")


def test_clean_web_file_passes(clean: Path) -> None:
    result = qc_file(clean, load_profile("web-720p"), expected_frames=SECONDS * 25)
    fails = [(c.label, c.measured) for c in result.checks if c.status is Status.FAIL]
    assert fails == []
    assert _status(result, "duration") == (Status.PASS, "100 frames")
    assert _status(result, "video.gop")[0] is Status.PASS


@pytest.mark.parametrize(("kind", "check_id", "measured"), [
    ("fps30", "video.rate", "30 fps"),
    ("hot", "loudness.integrated", "-11."),
    ("black", "picture.black", "s at 00:00:01.5"),
])
def test_broken_files_fail(tmp_path: Path, kind: str, check_id: str, measured: str) -> None:
    path = tmp_path / f"{kind}.mp4"
    if kind == "fps30":
        make_web(path, fps=30)
    elif kind == "hot":
        make_web(path, gain_db=10.5)
    else:
        make_web(path, black=(1.5, 2.5))
    result = qc_file(path, load_profile("web-720p"), expected_frames=SECONDS * 25)
    status, value = _status(result, check_id)
    assert status is Status.FAIL
    assert value.startswith(measured) or measured in value


def _srt(cues: list[tuple[int, int, str]]) -> str:
    def ts(ms: int) -> str:
        return f"00:00:{ms // 1000:02d},{ms % 1000:03d}"
    return "".join(f"{i}\n{ts(a)} --> {ts(b)}\n{t}\n\n" for i, (a, b, t) in enumerate(cues, 1))


def _vtt(cues: list[tuple[int, int, str]]) -> str:
    def ts(ms: int) -> str:
        return f"00:00:{ms // 1000:02d}.{ms % 1000:03d}"
    return "WEBVTT\n\n" + "".join(f"{ts(a)} --> {ts(b)}\n{t}\n\n" for a, b, t in cues)


LOUDNESS = RenderedLoudness(-14.3, -2.6, 0.0, -14.0, 1.0, -1.0, True, 0.0, None, -14.3, "test")


def _transcript(clip: str, starts: tuple[int, ...]) -> dict[str, object]:
    words = tuple(SaidWord(a, a + 350, "từ", 0.9) for a in starts)
    said = Said(starts[0], starts[-1] + 350, "từ", -0.1, 0.01, 1.2, words)
    return Transcript(clip, "vi", SECONDS * 1000, "0" * 64, ModelRef("test", "0" * 64), (said,)).to_json()


def fake_workspace(root: Path, clean: Path, languages: tuple[str, ...] = ("vi", "en")) -> Path:
    """A programme folder as the earlier stages leave it: manifest, timeline, transcripts, subtitles
    and their record, a render and the render record. Two clips are in the manifest; a third one's
    transcript is left over from before it was taken out."""
    manifest = root / "travinh-dautu.yaml"
    manifest.write_text(
        "id: travinh-dautu\nyear: 2026\ntitle: {vi: 'Trà Vinh – Điểm hẹn', en: 'Trà Vinh – Where Investors Meet'}\n"
        "synopsis: {vi: 'Tóm tắt.', en: 'Synopsis.'}\nfootage: [master.mov, broll.mov]\n"
        "timeline: {master: master.mov}\n"
        "deliverables: [web-720p]\nco_producers: ['Đài PT-TH Trà Vinh', 'Trung tâm Tin tức VTV']\n"
        "credits: [{role: {vi: 'Đạo diễn', en: 'Director'}, name: 'Trần Minh Khoa'}]\n", encoding="utf-8")
    ws = Workspace(root / "workspace", "travinh-dautu")
    render = ws.render_dir("web-720p") / "travinh-dautu_WEB_720P.mp4"
    render.parent.mkdir(parents=True)
    render.write_bytes(clean.read_bytes())
    write_render_record(ws, RenderRecord("travinh-dautu", {"web-720p": RenderedDeliverable(
        "web-720p", str(render), "web-720p", float(SECONDS), render.stat().st_size, LOUDNESS)}))
    timeline = Timeline("travinh-dautu", Fraction(25), 1280, 720, 48000,
                        (Segment("master", "master.mov", 0, SECONDS * 25, 0, True),), ())
    write_json(ws.timeline_json, timeline.to_dict())
    write_json(ws.transcript_json("master"), _transcript("master", (1000, 1400, 1800, 2600, 3000)))
    write_json(ws.transcript_json("broll"), _transcript("broll", (500,)))
    write_json(ws.transcript_json("gone"), _transcript("gone", (500,)))  # a clip no longer in the manifest
    cues = {"vi": [(950, 2300, "Xin chào Trà Vinh"), (2550, 3500, "Cảm ơn")],
            "en": [(950, 2300, "Hello Trà Vinh"), (2550, 3500, "Thank you")]}
    ws.subtitles_dir.mkdir()
    for lang in languages:
        ws.subtitle(lang, "srt").write_text(_srt(cues[lang]), encoding="utf-8")
        ws.subtitle(lang, "vtt").write_text(_vtt(cues[lang]), encoding="utf-8")
    machine = tuple(CueMapEntry((n,), (n,), CueOrigin.RECOGNISED, CueOrigin.MACHINE, translated_by="whisper")
                    for n in (1, 2))  # the English is the machine's, cue by cue, as the stage records it
    record = SubtitlesRecord("travinh-dautu", {
        "vi": SubtitlesLanguage("generated", None, False, True, 2, {}),
        "en": SubtitlesLanguage("generated", "whisper", True, False, 2, {}, cue_map=machine)})
    write_json(ws.subtitles_dir / "travinh-dautu.subtitles.json", record.to_json())
    return manifest


def _cli(args: list[str]) -> int:
    try:
        main(args)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def test_programme_qc_package_verify(tmp_path: Path, clean: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = fake_workspace(tmp_path, clean)
    wsroot = str(tmp_path / "workspace")
    assert _cli(["--workspace", wsroot, "qc", str(manifest)]) == 0
    qc_dir = tmp_path / "workspace" / "travinh-dautu" / "qc"
    report = json.loads((qc_dir / "report.json").read_text(encoding="utf-8"))
    assert report["verdict"] == "WARN", report["failed"]
    sub = {c["id"]: c for c in report["subtitles"]["checks"]}
    assert sub["subtitles.en.review"]["status"] == "WARN" and sub["subtitles.en.review"]["value"] == 2
    assert sub["subtitles.vi.coverage"]["status"] == "PASS"
    assert (sub["subtitles.vi.coverage"]["value"], sub["subtitles.vi.coverage"]["unit"]) == (0, "ms")
    checks = {c["id"]: c for c in report["deliverables"][0]["checks"]}
    assert report["deliverables"][0]["file"].endswith("travinh-dautu_WEB_720P.mp4")  # the file the render recorded
    assert checks["loudness.integrated"]["unit"] == "LUFS"
    assert abs(checks["loudness.integrated"]["value"] - -14.3) <= 0.5
    assert checks["duration"]["value"] == SECONDS * 25
    page = (qc_dir / "report.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in page and "data:image/jpeg;base64," in page
    render = tmp_path / "workspace" / "travinh-dautu" / "renders" / "web-720p" / "travinh-dautu_WEB_720P.mp4"
    later = render.stat().st_mtime_ns + 5 * 10**9
    os.utime(render, ns=(later, later))  # same bytes, new mtime: nothing to measure again
    capsys.readouterr()
    assert _cli(["--workspace", wsroot, "--json", "qc", str(manifest)]) == 0
    again = json.loads(capsys.readouterr().out)  # exactly one JSON document
    assert again["up_to_date"] is True and again["ok"] is True and again["generated"] == report["generated"]
    assert _cli(["--workspace", wsroot, "package", str(manifest), "--zip", "--allow-unapproved"]) == 0
    bag_dir = tmp_path / "workspace" / "travinh-dautu" / "delivery" / "TRAVINH_DAUTU_2026"
    bag = bagit.Bag(str(bag_dir))
    bag.validate()
    assert set(bag.algorithms) == {"sha256", "md5"}
    umask = os.umask(0)
    os.umask(umask)
    assert bag_dir.stat().st_mode & 0o777 == 0o777 & ~umask  # the team can open it, not only its maker
    names = {Path(p).name for p in bag.payload_files()}
    assert "TRAVINH_DAUTU_2026_WEB_720P.mp4" in names
    assert {"TRAVINH_DAUTU_2026_SUB_EN.vtt", "TRAVINH_DAUTU_2026_METADATA.html"} <= names
    assert all(n.isascii() for n in names)
    assert bag.info["Receiving-Organization"] == "Trung tâm Tin tức VTV"
    transcripts = sorted(n for n in names if "TRANSCRIPT" in n)
    assert transcripts == ["TRAVINH_DAUTU_2026_TRANSCRIPT_BROLL.json", "TRAVINH_DAUTU_2026_TRANSCRIPT_MASTER.json"]
    sheet = json.loads((bag_dir / "data" / "metadata" / "TRAVINH_DAUTU_2026_METADATA.json").read_text("utf-8"))
    assert sheet["deliverables"][0]["loudness"] == {"integrated": -14.3, "true_peak": -2.6, "lra": 0.0}  # the record's
    assert (bag_dir.parent / "TRAVINH_DAUTU_2026.zip").is_file()
    delivered = read_package_record(Workspace(tmp_path / "workspace", "travinh-dautu"))  # what package recorded
    assert delivered is not None and delivered.bag == "delivery/TRAVINH_DAUTU_2026"
    assert delivered.zip == "delivery/TRAVINH_DAUTU_2026.zip"
    assert {(f.path, f.sha256) for f in delivered.payload} == {
        (path, digests["sha256"]) for path, digests in bag.payload_entries().items()}
    assert _cli(["verify", str(bag_dir)]) == 0
    capsys.readouterr()
    assert _cli(["--workspace", wsroot, "package", str(manifest), "--zip", "--allow-unapproved"]) == 0
    assert "up to date" in capsys.readouterr().err  # nothing changed: the bag is not rebuilt
    payload = bag_dir / "data" / "subtitles" / "TRAVINH_DAUTU_2026_SUB_VI.srt"
    data = bytearray(payload.read_bytes())
    data[5] ^= 1
    payload.write_bytes(bytes(data))
    capsys.readouterr()
    assert _cli(["verify", str(bag_dir)]) == 1
    captured = capsys.readouterr()
    out = captured.out + captured.err
    assert "data/subtitles/TRAVINH_DAUTU_2026_SUB_VI.srt: altered" in out
    (bag_dir / "data" / "metadata" / "TRAVINH_DAUTU_2026_METADATA.json").unlink()
    problems = verify_bag(bag_dir).problems
    assert any(p.startswith("data/metadata/TRAVINH_DAUTU_2026_METADATA.json: missing") for p in problems)
    # a damaged bag is built again
    assert _cli(["--workspace", wsroot, "package", str(manifest), "--allow-unapproved"]) == 0
    assert verify_bag(bag_dir).problems == []


def test_missing_language_fails_and_package_refuses(tmp_path: Path, clean: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    manifest = fake_workspace(tmp_path, clean, languages=("vi",))
    wsroot = str(tmp_path / "workspace")
    assert _cli(["--workspace", wsroot, "--json", "qc", str(manifest)]) == 1
    report = json.loads(capsys.readouterr().out)
    sub = {c["id"]: c for c in report["subtitles"]["checks"]}
    assert sub["subtitles.en.srt"]["status"] == "FAIL" and sub["subtitles.en.srt"]["measured"] == "missing"
    assert _cli(["--workspace", wsroot, "package", str(manifest)]) == 1
    captured = capsys.readouterr()
    assert "failed check" in captured.out + captured.err
    assert _cli(["--workspace", wsroot, "package", str(manifest), "--allow-fail", "--allow-unapproved"]) == 0
    bag = bagit.Bag(str(tmp_path / "workspace" / "travinh-dautu" / "delivery" / "TRAVINH_DAUTU_2026"))
    assert "allow-fail" in bag.info["QC-Override"]
    bag.validate()
