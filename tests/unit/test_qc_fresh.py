"""QC's work keyed per deliverable and per subtitle language: a subtitle fix re-runs the subtitle
checks only, a changed file is measured alone, and flagged spans come out in programme seconds.

The deliverable files are plain bytes and the measurement is a counting stand-in (the real decode
is covered by tests/e2e/test_qc_fresh.py): what is tested here is which work is redone."""

from __future__ import annotations

import itertools
import json
import math
import os
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from pipeline.asr.transcript import ModelRef, Transcript, TranscriptSegment, TranscriptWord
from pipeline.fsutil import write_json
from pipeline.manifest import Programme
from pipeline.qc import report as qc_report
from pipeline.qc.checks import FileMeasurements
from pipeline.qc.plan import CheckResult, CheckSpec, Status, evaluate
from pipeline.qc.record import DeliverableRecord, deliverable_record_path, read_record, thin_loudness, write_record
from pipeline.records.qc import read_qc_report
from pipeline.records.subtitles import SubtitlesLanguage, SubtitlesRecord
from pipeline.render.state import RenderedDeliverable, RenderRecord, read_render_record, write_render_record
from pipeline.review import measure as review_measure
from pipeline.review.views import qc_marks
from pipeline.run import stage
from pipeline.stages import qc
from pipeline.timeline import Segment, Timeline
from pipeline.validate import load_manifest
from pipeline.workspace import Workspace

PID = "nho-qc"
EXCERPT = (10.0, 14.0)  # web-1080p carries programme 10–14 s (as a social cut would)


class CountingMeasure:
    """Stands in for `measure_file`: counts the files measured; black at file time 2.0–2.6 s."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, path: Path, rate: Fraction, *, skip_s: float = 0.0) -> FileMeasurements:
        self.calls.append(path.name)
        loud = [(round(0.1 * i, 1), -23.0 + (i % 5), -23.0) for i in range(1, 41)]
        luma: list[tuple[float, ...]] = [(i * 0.04, 16.0, 235.0, 16.0, 240.0, 16.0, 240.0, 0.0) for i in range(100)]
        values: dict[str, Any] = {"video.codec": "h264", "loudness.integrated": -23.0,
                                  "loudness.true_peak": math.nan, "picture.black": [(2.0, 2.6)],
                                  "picture.freeze": [], "audio.silence": [], "picture.legal": luma}
        return FileMeasurements(values, loud, luma, 4.0)


@pytest.fixture()
def counted(monkeypatch: pytest.MonkeyPatch) -> CountingMeasure:
    fake = CountingMeasure()
    monkeypatch.setattr(qc, "measure_file", fake)
    for plot in ("loudness_plot", "luma_plot"):  # the HTML's drawings are not what is tested here
        monkeypatch.setattr(qc_report, plot, lambda *args: b"")
    return fake


def _srt(text: str) -> str:
    return f"1\n00:00:00,950 --> 00:00:02,300\n{text}\n\n2\n00:00:02,550 --> 00:00:03,500\nCảm ơn\n\n"


def _programme(root: Path) -> tuple[Programme, Workspace]:
    """Manifest, timeline, transcript, vi/en subtitles and their record, two rendered deliverables."""
    manifest = root / "nho.yaml"
    manifest.write_text(
        f"id: {PID}\nyear: 2026\ntitle: {{vi: 'Trà Vinh', en: 'Tra Vinh'}}\nsynopsis: {{vi: 'a', en: 'b'}}\n"
        "footage: [master.mov]\ntimeline: {master: master.mov}\ndeliverables: [web-720p, web-1080p]\n",
        encoding="utf-8")
    ws = Workspace(root / "workspace", PID)
    entries = {}
    for name, excerpt in (("web-720p", None), ("web-1080p", EXCERPT)):
        path = ws.render_dir(name) / f"{PID} {name}.mp4"  # a space in the name, as editors' files have
        path.parent.mkdir(parents=True)
        path.write_bytes(name.encode() * 100)
        entries[name] = RenderedDeliverable(name, str(path), name, 4.0, path.stat().st_size, None, excerpt)
    write_render_record(ws, RenderRecord(PID, entries))
    timeline = Timeline(PID, Fraction(25), 160, 90, 48000, (Segment("master", "master.mov", 0, 100, 0, True),), ())
    write_json(ws.timeline_json, timeline.to_dict())
    words = tuple(TranscriptWord(a, a + 350, "từ", 0.9) for a in (1000, 1400, 1800, 2600, 3000))
    said = TranscriptSegment(1000, 3350, "từ", -0.1, 0.01, 1.2, words)
    write_json(ws.transcript_json("master"),
               Transcript("master", "vi", 4000, "0" * 64, ModelRef("t", "0" * 64), (said,)).to_json())
    ws.subtitles_dir.mkdir()
    for lang, text in (("vi", "Xin chào Trà Vinh"), ("en", "Hello Trà Vinh")):
        ws.subtitle(lang, "srt").write_text(_srt(text), encoding="utf-8")
        ws.subtitle(lang, "vtt").write_text("WEBVTT\n\n" + _srt(text).replace(",", ".").split("\n", 1)[1],
                                            encoding="utf-8")
    write_json(ws.subtitles_dir / f"{PID}.subtitles.json", SubtitlesRecord(PID, {
        "vi": SubtitlesLanguage("generated", None, False, True, 2, {}),
        "en": SubtitlesLanguage("generated", "whisper", True, False, 2, {})}).to_json())
    return load_manifest(manifest), ws


SETTINGS = qc.Settings(posters=False)


def run_qc(programme: Programme, ws: Workspace) -> qc.QCRun:
    """The QC stage's make, with the work the runner hands it (its version, what it is made from)."""
    return qc.make(programme, ws, SETTINGS, stage("qc").work(ws))


def test_a_subtitle_fix_rechecks_that_language_only(tmp_path: Path, counted: CountingMeasure) -> None:
    programme, ws = _programme(tmp_path)
    first = run_qc(programme, ws)
    assert sorted(first.work.measured) == ["web-1080p", "web-720p"] and len(counted.calls) == 2
    assert first.work.subtitles_checked == ["vi", "en"]

    written = (ws.qc_dir / "report.json").stat().st_mtime_ns
    again = run_qc(programme, ws)
    assert again.up_to_date and len(counted.calls) == 2
    assert (ws.qc_dir / "report.json").stat().st_mtime_ns == written  # nothing rewritten: package stays fresh

    ws.subtitle("vi", "srt").write_text(_srt("Xin chào các bạn"), encoding="utf-8")
    fixed = run_qc(programme, ws)
    assert not fixed.up_to_date  # the report is judged again from its parts
    assert fixed.work.measured == [] and sorted(fixed.work.reused) == ["web-1080p", "web-720p"]
    assert fixed.work.subtitles_checked == ["vi"] and fixed.work.subtitles_reused == ["en"]
    assert len(counted.calls) == 2  # no deliverable measured again
    assert {d["deliverable"] for d in fixed.data["deliverables"]} == {"web-720p", "web-1080p"}
    assert len(fixed.data["subtitles"]["checks"]) == len(first.data["subtitles"]["checks"])


def test_a_changed_file_is_measured_alone_and_a_touched_one_not_at_all(tmp_path: Path,
                                                                       counted: CountingMeasure) -> None:
    programme, ws = _programme(tmp_path)
    run_qc(programme, ws)
    web = Path(str(read_render_record(ws).deliverables["web-720p"].file))
    later = web.stat().st_mtime_ns + 5 * 10**9
    os.utime(web, ns=(later, later))  # same bytes, new mtime
    touched = run_qc(programme, ws)
    assert touched.up_to_date and len(counted.calls) == 2

    web.write_bytes(b"re-rendered" * 100)
    changed = run_qc(programme, ws)
    assert changed.work.measured == ["web-720p"] and changed.work.reused == ["web-1080p"]
    assert changed.work.subtitles_checked == [] and counted.calls[2:] == [web.name]

    deliverable_record_path(ws, "web-1080p").unlink()  # a lost record is measured again, nothing else
    lost = run_qc(programme, ws)
    assert lost.work.measured == ["web-1080p"] and lost.work.reused == ["web-720p"]


def test_a_changed_profile_or_measuring_tool_measures_again(tmp_path: Path, counted: CountingMeasure,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    programme, ws = _programme(tmp_path)
    run_qc(programme, ws)
    monkeypatch.setattr(qc, "_ffmpeg_version", lambda: "ffmpeg version 99")
    assert sorted(run_qc(programme, ws).work.measured) == ["web-1080p", "web-720p"]
    (programme.base_dir / "profiles").mkdir()
    (programme.base_dir / "profiles" / "web-1080p.yaml").write_text("loudness: {target_lufs: -16}\n", "utf-8")
    patched = run_qc(programme, ws)
    assert patched.work.measured == ["web-1080p"] and patched.work.reused == ["web-720p"]


def test_flagged_spans_are_in_programme_seconds(tmp_path: Path, counted: CountingMeasure) -> None:
    programme, ws = _programme(tmp_path)
    data = run_qc(programme, ws).data
    by_name = {d["deliverable"]: d for d in data["deliverables"]}
    black = {n: next(c for c in d["checks"] if c["id"] == "picture.black") for n, d in by_name.items()}
    assert black["web-720p"]["spans_s"] == [[2.0, 2.6]]
    assert black["web-1080p"]["spans_s"] == [[12.0, 12.6]]  # file 2.0 s + the excerpt's 10 s
    assert all("spans_s" in c for d in data["deliverables"] for c in d["checks"])
    series = by_name["web-1080p"]["loudness_series"]
    assert series["step_s"] == 0.5 and series["columns"][0] == "t_s"
    times = [row[0] for row in series["rows"]]
    assert times[0] >= EXCERPT[0] and all(0.45 <= b - a <= 0.55 for a, b in itertools.pairwise(times))
    assert max(row[1] for row in series["rows"]) == -19.0  # the loudest momentary of each step is kept
    subs = {c["id"]: c for c in data["subtitles"]["checks"]}
    assert subs["subtitles.vi.lint"]["spans_s"] == [] or all(a < b for a, b in subs["subtitles.vi.lint"]["spans_s"])
    json.dumps(data, allow_nan=False)  # strict JSON: the browser reads it

    report = read_qc_report(ws)
    assert report is not None and report.to_json() == data  # read back as written
    marks = qc_marks(report)
    assert {"kind": "black", "start_ms": 12000, "end_ms": 12600} in [
        {k: m[k] for k in ("kind", "start_ms", "end_ms")} for m in marks]
    assert all("web-1080p" not in m["label"] for m in qc_marks(report, exclude="web-1080p"))


def test_the_review_room_uses_qcs_measurement_of_the_players_file(tmp_path: Path, counted: CountingMeasure) -> None:
    programme, ws = _programme(tmp_path)
    run_qc(programme, ws)
    file = Path(str(read_render_record(ws).deliverables["web-1080p"].file))
    got = review_measure.cached(ws, file)
    assert got is not None and got["source"] == "qc" and got["deliverable"] == "web-1080p"
    assert got["black"] == [[12.0, 12.6]] and got["loudness"][0][0] == pytest.approx(10.1)
    assert review_measure.start(ws, file, Fraction(25), -EXCERPT[0]) is False  # nothing to decode
    assert not review_measure.measure_path(ws).exists() and len(counted.calls) == 2
    file.write_bytes(b"changed")
    assert review_measure.cached(ws, file) is None  # QC's numbers are of another file now


def test_record_round_trip_and_thinning(tmp_path: Path) -> None:
    loud = [(0.1 * i, -30.0 + i, -25.0) for i in range(1, 11)]
    assert thin_loudness(loud) == [(0.5, -25.0, -25.0), (1.0, -20.0, -25.0)]
    luma: list[tuple[float, ...]] = [(i / 29.97, 16.0, 235.0, 16.0, 240.0, 16.0, 240.0, 0.02 if 10 <= i < 50 else 0.0)
                                     for i in range(60)]
    measured = FileMeasurements({"loudness.true_peak": math.inf, "picture.black": [(1.0, 2.0)],
                                 "picture.legal": luma}, loud, luma, 2.0)
    record = DeliverableRecord.from_measurements("b", "broadcast-xdcam", tmp_path / "f.mxf", "ab" * 32, measured,
                                                 leader_s=0.0, excerpt_start_s=0.0)
    write_record(tmp_path / "r.json", record)
    back = read_record(tmp_path / "r.json")
    assert back is not None and back.values["loudness.true_peak"] is None  # strict JSON: no Infinity
    spec = CheckSpec("picture.legal_range", "Legal", "picture.legal", "legal_range")
    judged = evaluate(spec, back.measurements().values, offset_s=-0.2)
    assert judged.status is Status.FAIL and judged.value == pytest.approx(40 / 29.97, abs=1e-3)
    (start, end), = judged.spans_s
    assert start == pytest.approx(10 / 29.97 - 0.2, abs=1e-3) and end == pytest.approx(50 / 29.97 - 0.2, abs=1e-3)
    assert CheckResult.from_dict(judged.to_dict()) == judged
    (tmp_path / "r.json").write_text("{not json", encoding="utf-8")
    assert read_record(tmp_path / "r.json") is None


def test_a_deliverable_taken_out_of_the_manifest_leaves_qc(tmp_path: Path, counted: CountingMeasure) -> None:
    programme, ws = _programme(tmp_path)
    run_qc(programme, ws)
    manifest = programme.manifest_path
    manifest.write_text(manifest.read_text("utf-8").replace("[web-720p, web-1080p]", "[web-720p]"), "utf-8")
    fewer = run_qc(load_manifest(manifest), ws)
    assert [d["deliverable"] for d in fewer.data["deliverables"]] == ["web-720p"] and fewer.work.measured == []
    assert not deliverable_record_path(ws, "web-1080p").exists() and deliverable_record_path(ws, "web-720p").is_file()
