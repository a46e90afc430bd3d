"""QC's verdicts as the review room shows them: failures first, in Vietnamese, in programme timecode,
each with what to do.

`qc/report.json` is written for the pipeline and the receiving centre: English labels, and times in
the clock of each file QC measured (a broadcast master's include its leader, so a black frame at
10:00:02:00 of the programme reads "00:01:02.00" there). An editor needs the opposite: which
checks fail, where in the programme (the timecode the player, the NLE and the master show), and
what to change. This module makes those rows from the typed report; the report itself is not
changed. Each label keeps the check's English id beside it, so a row can be found in the report.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import ReportageError
from ..qc.plan import CheckResult, Status, worst
from ..records.qc import QCReport
from ..render.state import read_render_record
from ..timecode import Timecode
from ..workspace import Workspace
from .clock import seconds_to_timecode

VERDICT_VI = {Status.PASS: "Đạt", Status.WARN: "Cảnh báo", Status.FAIL: "Lỗi", Status.INFO: "Thông tin"}
_RANK = {Status.FAIL: 0, Status.WARN: 1, Status.PASS: 2, Status.INFO: 3}
LANG_VI = {"vi": "tiếng Việt", "en": "tiếng Anh"}

LABELS_VI: dict[str, str] = {  # qc.plan's check ids (and the QC stage's own) in the page's language
    "container.format": "Định dạng vỏ tệp (container)", "container.extension": "Phần mở rộng của tệp",
    "container.faststart": "Chỉ mục ở đầu tệp (faststart)", "video.codec": "Chuẩn nén hình",
    "video.profile": "Profile nén hình", "video.level": "Level nén hình", "video.pix_fmt": "Định dạng điểm ảnh",
    "video.size": "Kích thước khung hình", "video.rate": "Tốc độ khung hình",
    "video.field_order": "Thứ tự mành (quét xen kẽ)", "video.bitrate": "Tốc độ bit hình (trung bình)",
    "video.gop": "Độ dài GOP (khoảng cách khung chính lớn nhất)", "audio.codec": "Chuẩn nén tiếng",
    "audio.sample_rate": "Tần số lấy mẫu âm thanh", "audio.channels": "Số kênh âm thanh (mọi rãnh)",
    "audio.tracks": "Số rãnh âm thanh (mỗi rãnh một kênh)", "audio.bit_depth": "Độ sâu bit âm thanh",
    "audio.bitrate": "Tốc độ bit tiếng (trung bình)",
    "audio.bitrate_configured": "Tốc độ bit tiếng (cài đặt bộ mã hóa)",
    "loudness.integrated": "Độ lớn tích hợp (cả chương trình)", "loudness.true_peak": "Đỉnh thực (true peak)",
    "loudness.lra": "Dải độ lớn (LRA)", "picture.black": "Hình đen", "picture.freeze": "Hình đứng",
    "audio.silence": "Im lặng (dưới −60 dBFS)", "picture.legal_range": "Dải hợp lệ của hình (EBU R103)",
    "duration": "Thời lượng (khung hình)", "render": "Tệp bản dựng", "profile": "Hồ sơ xuất bản",
    "subtitles.burn_in.lower_thirds": "Phụ đề in chữ không đè lên chữ chú thích (lower third)",
}
_SUBTITLE_LABELS = {  # subtitles.<lang>.<what>
    "srt": "Phụ đề {lang}: tệp .srt", "vtt": "Phụ đề {lang}: tệp .vtt", "lint": "Phụ đề {lang}: quy tắc trình bày",
    "coverage": "Phụ đề {lang} phủ hết lời nói", "silence": "Phụ đề {lang} hiện khi không có lời",
    "review": "Phụ đề {lang} đã được biên dịch viên duyệt", "shortened": "Phụ đề {lang}: câu hiện trọn vẹn",
    "untranslated": "Phụ đề {lang}: mọi câu tiếng Việt đều được dịch",
    "uncertain_words": "Phụ đề {lang}: từ nhận dạng chưa chắc chắn đã được nghe lại",
}

RUN = "`reportage run MANIFEST`"
_SPEC_FIX = ("tệp không đúng thông số của hồ sơ {profile} (cần {limit}): dựng lại bản này với "
             "`reportage render MANIFEST`; nếu vẫn sai, kiểm tra hồ sơ xuất bản (profiles/) của chương trình")
_TODO: dict[str, str] = {  # per check id (or its family): what an editor changes, in the page's language
    "loudness.integrated": "độ lớn cả chương trình lệch mục tiêu ({limit}): chỉnh mức tiếng trong bản dựng "
                           "(hoặc hồ sơ xuất bản), rồi chạy lại " + RUN,
    "loudness.true_peak": "đỉnh thực vượt {limit}: hạ mức hoặc đặt bộ hạn chế (limiter) ở đoạn đó, rồi chạy lại " + RUN,
    "picture.black": "xem đoạn {where}: nếu hình đen không cố ý, thay hoặc cắt bỏ cảnh trong bản dựng, "
                     "rồi chạy lại " + RUN,
    "picture.freeze": "xem đoạn {where}: nếu hình đứng không cố ý (cảnh tĩnh, bản đồ thì được), thay cảnh "
                      "trong bản dựng, rồi chạy lại " + RUN,
    "audio.silence": "nghe đoạn {where}: nếu im lặng không cố ý, thêm tiếng (nhạc nền, lời bình, tiếng hiện "
                     "trường) trong bản dựng, rồi chạy lại " + RUN,
    "picture.legal_range": "hình vượt dải hợp lệ ở đoạn {where}: hạ độ sáng / độ bão hòa màu (legalise) của "
                           "cảnh hoặc đồ họa đó, rồi chạy lại " + RUN,
    "duration": "thời lượng tệp khác bản dựng ({limit}): dựng lại bản này với `reportage render MANIFEST`",
    "render": "chưa có tệp bản dựng: chạy `reportage render MANIFEST`",
    "profile": "hồ sơ xuất bản không đọc được: sửa tên hồ sơ trong manifest hoặc tệp trong profiles/",
    "subtitles.burn_in.lower_thirds": "câu phụ đề đè lên chữ chú thích ở đoạn {where}: dời hoặc rút ngắn câu "
                                      "trong danh sách câu, hoặc dời chữ chú thích trong bản dựng",
    "srt": "tạo lại phụ đề: `reportage subtitles make MANIFEST`",
    "vtt": "tạo lại phụ đề: `reportage subtitles make MANIFEST`",
    "lint": "sửa các câu bị báo lỗi trong danh sách câu bên phải (bấm mốc thời gian để tới câu đầu tiên)",
    "coverage": "thêm câu phụ đề cho lời nói chưa có phụ đề ở đoạn {where} (tách hoặc kéo dài câu bên cạnh)",
    "silence": "dời hoặc rút ngắn các câu hiện khi không có lời ({where})",
    "review": "duyệt các câu bản dịch máy trong danh sách câu (sửa, hoặc lưu nguyên nếu đúng)",
    "shortened": "câu tiếng Anh bị cắt ngắn (…): viết câu ngắn hơn hoặc cho câu thêm thời gian",
    "untranslated": "dịch các câu còn thiếu trong danh sách câu, hoặc chạy lại `reportage subtitles make MANIFEST`",
    "uncertain_words": "nghe lại các từ gạch chấm trong danh sách câu (phím N) và sửa nếu sai",
    "pipeline": "sửa lỗi ở khâu trước (xem chi tiết), rồi chạy lại " + RUN,
}
_SPEC_IDS = ("container.", "video.", "audio.codec", "audio.sample_rate", "audio.channels", "audio.tracks",
             "audio.bit_depth", "audio.bitrate")

_FILE_CLOCK = re.compile(r"\b(\d{2}):(\d{2}):(\d{2}\.\d{1,3})\b(?!:)")
"""A time as `qc.plan` writes the measured file's clock (HH:MM:SS.ss, file seconds)."""
_ZERO_TC = re.compile(r"\b(\d{2}):(\d{2}):(\d{2}):(\d{2})\b")
"""A timecode as QC writes programme time (counted from 00:00:00:00: subtitle checks, lower thirds)."""


def label_vi(check_id: str, label: str = "") -> str:
    """A check's name in the page's language (the English label when it has none)."""
    if check_id in LABELS_VI:
        return LABELS_VI[check_id]
    parts = check_id.split(".")
    if parts[0] == "subtitles" and len(parts) >= 2:
        lang = LANG_VI.get(parts[1], parts[1])
        if len(parts) == 2:
            return f"Phụ đề {lang}"
        if parts[2] in _SUBTITLE_LABELS:
            return _SUBTITLE_LABELS[parts[2]].format(lang=lang)
    if parts[0] == "pipeline" and len(parts) >= 2:
        return f"Khâu trước bị lỗi: {parts[1]}" + (f" ({'.'.join(parts[2:])})" if len(parts) > 2 else "")
    return label or check_id


def _todo_key(check_id: str) -> str:
    parts = check_id.split(".")
    if check_id in _TODO:
        return check_id
    if parts[0] == "subtitles" and len(parts) >= 3:
        return parts[2]
    if parts[0] == "pipeline":
        return "pipeline"
    if check_id.startswith(_SPEC_IDS):
        return "spec"
    return ""


def todo_vi(check: CheckResult, profile: str, where: str) -> str:
    """What to do about a check that is not PASS, in the page's language: the fix for its kind,
    with the limit and the place; the check's own detail (its hint) goes beside it on the page."""
    key = _todo_key(check.id)
    text = _SPEC_FIX if key == "spec" else _TODO.get(key, "")
    if not text:
        text = "xem chi tiết bên dưới, sửa trong bản dựng hoặc danh sách câu, rồi chạy lại " + RUN
    body = text.format(profile=profile or "?", limit=check.limit or "—", where=where or "—")
    return body[:1].upper() + body[1:] + "."


def programme_offsets(ws: Workspace, report: QCReport) -> dict[str, float]:
    """Per deliverable, the seconds to add to a time in its file to get programme time (its excerpt's
    start less its leader): QC's own figure for the file it measured, else the render record's."""
    out = {f.deliverable: f.measured.programme_offset_s for f in report.files if f.measured is not None}
    try:
        record = read_render_record(ws)
    except ReportageError:
        return out
    for name, entry in record.deliverables.items():
        start = entry.excerpt_s[0] if entry.excerpt_s else 0.0
        out.setdefault(name, start - entry.leader_s)
    return out


def programme_text(text: str, start: Timecode, offset_s: float | None) -> str:
    """QC's text with its times as programme timecode: a file-clock time (HH:MM:SS.ss) moved by
    `offset_s` (None: the text has none, a subtitle check), a timecode counted from zero moved to
    `start`."""
    def file_clock(m: re.Match[str]) -> str:
        seconds = int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3)) + (offset_s or 0.0)
        return seconds_to_timecode(max(0.0, seconds), start)

    def zero_tc(m: re.Match[str]) -> str:
        try:
            tc = Timecode.parse(m.group(0), start.rate)
        except ValueError:
            return m.group(0)
        return str(Timecode(start.frames + tc.frames, start.rate))

    out = _ZERO_TC.sub(zero_tc, text)
    return _FILE_CLOCK.sub(file_clock, out) if offset_s is not None else out


def row(check: CheckResult, *, where: str, profile: str, start: Timecode, offset_s: float | None) -> dict[str, Any]:
    """One check for the page: Vietnamese label with the English id, programme timecodes, what to do."""
    spans = [{"start_ms": round(a * 1000), "end_ms": round(b * 1000), "tc_in": seconds_to_timecode(a, start),
              "tc_out": seconds_to_timecode(b, start)} for a, b in check.spans_s]
    place = ", ".join(f"{s['tc_in']}–{s['tc_out']}" for s in spans[:3]) + (" …" if len(spans) > 3 else "")
    out: dict[str, Any] = {
        "where": where, "id": check.id, "label": label_vi(check.id, check.label), "label_en": check.label,
        "status": check.status.value, "status_label": VERDICT_VI[check.status],
        "measured": programme_text(check.measured, start, offset_s), "limit": check.limit,
        "detail": programme_text(check.detail, start, offset_s), "spans": spans,
        "start_ms": spans[0]["start_ms"] if spans else None}
    if check.status in (Status.FAIL, Status.WARN):
        out["todo"] = todo_vi(check, profile, place)
    return out


def _sorted(checks: Iterable[CheckResult]) -> list[CheckResult]:
    """FAIL first, then WARN, PASS, INFO; the report's order within each (stable)."""
    return sorted(checks, key=lambda c: _RANK[c.status])


def qc_rows(report: QCReport, start: Timecode, offsets: Mapping[str, float]) -> dict[str, Any]:
    """The QC tab's content: `failures` (every FAIL, upstream failures first, then deliverables and
    subtitles) and `groups` (each deliverable, the subtitles, upstream: its checks, FAIL first)."""
    groups: list[dict[str, Any]] = []
    if report.pipeline:
        groups.append({"name": "Khâu trước", "verdict": worst([c.status for c in report.pipeline]).value,
                       "rows": [row(c, where="Khâu trước", profile="", start=start, offset_s=None)
                                for c in _sorted(report.pipeline)]})
    for f in report.files:
        offset = offsets.get(f.deliverable, 0.0)
        groups.append({"name": f"{f.deliverable} ({f.profile})", "deliverable": f.deliverable,
                       "verdict": f.verdict.value,
                       "rows": [row(c, where=f.deliverable, profile=f.profile, start=start, offset_s=offset)
                                for c in _sorted(f.checks)]})
    if report.subtitles:
        groups.append({"name": "Phụ đề", "verdict": worst([c.status for c in report.subtitles]).value,
                       "rows": [row(c, where="Phụ đề", profile="", start=start, offset_s=None)
                                for c in _sorted(report.subtitles)]})
    failures = [r for g in groups for r in g["rows"] if r["status"] == Status.FAIL.value]
    return {"verdict": report.verdict.value, "generated": report.generated, "failures": failures, "groups": groups}
