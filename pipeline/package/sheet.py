"""The metadata sheet: what a receiving centre files the programme under, as JSON and as a
printable bilingual HTML page (titles, synopses, duration, technical specs, loudness, credits,
glossary of names, the review room's notes and approval). Built from the manifest, the profiles, the
QC verdict, the loudness figures of the render record and `review/` (the package stage gathers them)."""

from __future__ import annotations

import contextlib
import html
from collections.abc import Collection
from pathlib import Path
from typing import Any

from ..manifest import Programme
from ..profiles import Profile
from ..records.publish import PublishRecord


def tech_specs(profile: Profile) -> dict[str, Any]:
    """The profile's promise in the words a spec sheet uses."""
    v, a = profile.video, profile.audio
    scan = "progressive" if not v.interlaced else "interlaced, top field first"
    return {
        "container": profile.container.format.upper(),
        "video": f"{v.codec} {v.profile}" + (f"@{v.level}" if v.level else "") + f", {v.pix_fmt}",
        "picture": f"{v.width}×{v.height}, {v.fps} fps, {scan}",
        "video_bitrate_kbps": v.bitrate_kbps,
        "audio": f"{a.codec.upper()} {a.sample_rate} Hz, {a.channels} ch"
                 + (f", {a.bit_depth}-bit" if a.bit_depth else "")
                 + (f", {a.bitrate_kbps} kb/s" if a.bitrate_kbps else ""),
        "loudness_target": f"{profile.loudness.target_lufs:g} LUFS ±{profile.loudness.tolerance_lu:g}, "
                           f"true peak ≤ {profile.loudness.true_peak_max_dbtp:g} dBTP",
        "leader_s": profile.leader.total_s,
        "programme_start_tc": profile.programme_start_tc,
    }


PUBLISH_ROLES = {
    "web": ("Gói web cho cổng thông tin: trang phát, luồng HLS và DASH, MP4, phụ đề WebVTT — đăng nguyên thư mục",
            "Web package for the portal: player page, HLS and DASH stream, progressive MP4, WebVTT subtitles — "
            "host the folder as it is"),
    "social": ("Gói mạng xã hội: bảng thông tin đăng tải, ảnh thu nhỏ, phụ đề SRT cho từng nền tảng",
               "Social package: the upload sheet, thumbnails and SRT subtitles for each platform"),
}
"""What each publish folder in the bag is for (`reportage package --with-publish`), Vietnamese then English."""
_WEB_FILES = (("page", "Trang phát", "Player page"), ("embed", "Mã nhúng (iframe)", "Embed snippet (iframe)"),
              ("master", "Danh sách phát HLS chính", "HLS master playlist"), ("mpd", "Tệp mô tả DASH", "DASH manifest"),
              ("progressive", "MP4 một tệp (cho CMS nhận một tệp)", "Progressive MP4 (for a CMS that takes one file)"))
_SOCIAL_FILES = (("sheet", "Bảng thông tin đăng tải", "Upload sheet"),
                 ("data", "Dữ liệu của bảng (JSON)", "Sheet data (JSON)"))


def publish_entries(record: PublishRecord, where: dict[str, str], counts: dict[str, tuple[int, int]],
                    present: Collection[str]) -> list[dict[str, Any]]:
    """The sheet's publish section: per package (`web`, `social`) its folder in the bag (`where`, under
    `data/`), role, file count and bytes (`counts`), the files a portal's team opens first with theirs
    (those in `present`, paths under `data/`), and what the stream check and the platforms found."""
    out: list[dict[str, Any]] = []
    parts: tuple[tuple[str, Any, tuple[tuple[str, str, str], ...]], ...] = (
        ("web", record.web, _WEB_FILES), ("social", record.social, _SOCIAL_FILES))
    for name, part, known in parts:
        if part is None or name not in where:
            continue
        folder = where[name]
        main = [{"file": f"{folder}/{getattr(part, attr)}", "role_vi": vi, "role_en": en} for attr, vi, en in known
                if getattr(part, attr) and f"{folder}/{getattr(part, attr)}" in present]
        entry: dict[str, Any] = {"package": name, "folder": folder, "role_vi": PUBLISH_ROLES[name][0],
                                 "role_en": PUBLISH_ROLES[name][1], "files": counts[name][0],
                                 "size_bytes": counts[name][1], "main_files": main}
        if name == "web":
            entry.update(renditions=list(part.renditions), subtitles=list(part.subtitles),
                         stream_check={"rules_passed": part.rules_passed, "failures": list(part.failures),
                                       "notes": list(part.notes)})
        else:
            entry.update(platforms=list(part.platforms), problems=list(part.problems), notes=list(part.notes))
        out.append(entry)
    return out


def build_sheet(programme: Programme, *, duration: str | None, files: list[dict[str, Any]],
                glossary: list[dict[str, str]], qc_verdict: str, notes: list[dict[str, Any]] | None = None,
                approval: dict[str, Any] | None = None,
                publish: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The sheet as data. `files`: one dict per deliverable (name, file, specs, loudness: the numbers
    `integrated` LUFS, `true_peak` dBTP, `lra` LU); `notes`: the review notes (in/out, author, text);
    `approval`: the review decision (who, when, comment, the SHA-256 of each file approved, the
    obstacles set aside with their reasons); `publish`: the publish packages the bag carries
    (`publish_entries`), the key absent from a bag made without them."""
    m, title, synopsis = programme.manifest, programme.title, programme.synopsis
    sheet = {
        "programme_id": m.id,
        "year": m.year,
        "language": m.language,
        "title": {"vi": title.vi, "en": title.en},
        "synopsis": {"vi": synopsis.vi, "en": synopsis.en},
        "duration": duration,
        "co_producers": list(m.co_producers),
        "credits": [{"role_vi": c.role.vi, "role_en": c.role.en, "name": c.name} for c in m.credits],
        "deliverables": files,
        "glossary": glossary,
        "qc_verdict": qc_verdict,
        "review_notes": list(notes or []),
        "approval": approval,
    }
    if publish is not None:
        sheet["publish"] = publish
    return sheet


def _loud(values: dict[str, Any] | None) -> str:
    if not values:
        return "—"
    parts = []
    for key, label, unit in (("integrated", "I", "LUFS"), ("true_peak", "TP", "dBTP"), ("lra", "LRA", "LU")):
        if values.get(key) is not None:
            parts.append(f"{label} {float(values[key]):.1f} {unit}")
    return ", ".join(parts) or "—"


def _publish_html(entries: list[dict[str, Any]]) -> str:
    """The sheet's publish section: each folder with its role, its main files, and the findings."""
    e = html.escape
    rows = []
    for p in entries:
        main = "".join(f"<br><code>{e(f['file'])}</code> — {e(f['role_vi'])} / <i>{e(f['role_en'])}</i>"
                       for f in p["main_files"])
        check = p.get("stream_check") or {}
        found = ([f"Kiểm tra luồng / Stream check: {check['rules_passed']} quy tắc đạt / rules passed"]
                 if check else [])
        found += [f"✗ {x}" for x in check.get("failures", []) + p.get("problems", [])]
        found += [f"· {x}" for x in check.get("notes", []) + p.get("notes", [])]
        rows.append(f"<tr><td><code>{e(p['folder'])}/</code><br>{p['files']} tệp / files, {p['size_bytes']} bytes</td>"
                    f"<td>{e(p['role_vi'])}<br><i>{e(p['role_en'])}</i>{main}</td>"
                    f"<td>{'<br>'.join(e(x) for x in found) or '—'}</td></tr>")
    return ("<h2>Gói xuất bản / Publish packages</h2><table><tr><th>Thư mục / Folder</th><th>Vai trò / Role</th>"
            f"<th>Kết quả kiểm tra / Findings</th></tr>{''.join(rows)}</table>")


def sheet_html(sheet: dict[str, Any]) -> str:
    """A printable A4 page, Vietnamese first then English on every line that has both."""
    e = html.escape
    rows = "".join(
        f"<tr><td><b>{e(d['deliverable'])}</b><br><code>{e(d['file'])}</code></td>"
        f"<td>{'<br>'.join(e(f'{k}: {v}') for k, v in d['specs'].items() if v not in (None, 0, 0.0))}</td>"
        f"<td>{e(_loud(d.get('loudness')))}</td></tr>" for d in sheet["deliverables"])
    credits = "".join(f"<tr><td>{e(c['role_vi'])} / <i>{e(c['role_en'])}</i></td><td>{e(c['name'])}</td></tr>"
                      for c in sheet["credits"])
    gloss = "".join(f"<tr><td>{e(g['vi'])}</td><td>{e(g['en'])}</td><td>{e(g.get('kind', ''))}</td></tr>"
                    for g in sheet["glossary"])
    notes = "".join(f"<tr><td>{e(str(n.get('in_tc') or n.get('in_ms')))}</td>"
                    f"<td>{e(str(n.get('out_tc') or n.get('out_ms')))}</td>"
                    f"<td>{e(str(n.get('author', '')))}</td><td>{e(str(n.get('text', '')))}</td></tr>"
                    for n in sheet.get("review_notes") or []) or "<tr><td colspan=4>—</td></tr>"
    approval = sheet.get("approval") or None
    verdicts = {"approved": "Đã duyệt / Approved", "changes_requested": "Yêu cầu sửa / Changes requested",
                "approved_with_changes": "Duyệt kèm sửa đổi / Approved with changes"}
    decision = str(approval.get("decision") or approval.get("verdict")) if approval is not None else ""
    approved = ("—" if approval is None else
                f"{e(verdicts.get(decision, decision))} — "
                f"{e(str(approval.get('by', '')))}, {e(str(approval.get('at', '')))}"
                + (f" — {e(str(approval['comment']))}" if approval.get("comment") else "")
                + "".join(f"<br>Bỏ qua / Set aside: {e(str(o.get('id')))} — {e(str(o.get('reason')))} "
                          f"({e(str(o.get('by')))})" for o in approval.get("overrides") or []))
    return f"""<!doctype html><html lang=vi><head><meta charset=utf-8><title>{e(sheet['title']['vi'])}</title>
<style>body{{font:14px/1.45 'Noto Sans','Be Vietnam Pro',system-ui,sans-serif;max-width:190mm;
margin:1em auto;color:#111}}
h1{{font-size:1.5em;margin:0}} h1+p{{font-size:1.2em;margin-top:.2em;color:#444}}
h2{{font-size:1.1em;border-bottom:1px solid #999}}
table{{border-collapse:collapse;width:100%}} td,th{{border:1px solid #ccc;padding:.25em .5em;
vertical-align:top;text-align:left}}
.en{{color:#444;font-style:italic}} @page{{size:A4;margin:15mm}}</style></head><body>
<h1>{e(sheet['title']['vi'])}</h1><p>{e(sheet['title']['en'])}</p>
<table><tr><th>Mã chương trình / Programme id</th><td>{e(sheet['programme_id'])}</td></tr>
<tr><th>Năm / Year</th><td>{e(str(sheet['year'] or '—'))}</td></tr>
<tr><th>Thời lượng / Duration</th><td>{e(sheet['duration'] or '—')}</td></tr>
<tr><th>Đồng sản xuất / Co-producers</th><td>{e(', '.join(sheet['co_producers']) or '—')}</td></tr>
<tr><th>Kiểm tra kỹ thuật / QC</th><td>{e(sheet['qc_verdict'])}</td></tr>
<tr><th>Duyệt / Review</th><td>{approved}</td></tr></table>
<h2>Tóm tắt / Synopsis</h2><p>{e(sheet['synopsis']['vi'])}</p><p class=en>{e(sheet['synopsis']['en'])}</p>
<h2>Thông số kỹ thuật và độ lớn âm thanh / Technical specifications and loudness</h2>
<table><tr><th>Sản phẩm / Deliverable</th><th>Thông số / Specs</th><th>Đo được / Measured</th></tr>{rows}</table>
<h2>Danh đề / Credits</h2><table>{credits or '<tr><td>—</td></tr>'}</table>
<h2>Tên riêng / Glossary of names</h2>
<table><tr><th>Tiếng Việt</th><th>English</th><th>loại / kind</th></tr>{gloss}</table>
<h2>Ghi chú duyệt / Review notes</h2>
<table><tr><th>Vào / In</th><th>Ra / Out</th><th>Người ghi / Author</th><th>Nội dung / Note</th></tr>
{notes}</table>
{_publish_html(sheet["publish"]) if sheet.get("publish") else ""}
</body></html>
"""


def glossary_entries(programme: Programme) -> list[dict[str, str]]:
    """Proper names from the programme's glossary (places, landmarks, agencies) and its interviewees."""
    from ..asr.glossary import read_glossary_file
    from ..errors import ReportageError

    out: list[dict[str, str]] = []
    path: Path | None = programme.glossary_path()
    if path is not None and path.is_file():
        with contextlib.suppress(ReportageError):
            out += [{"vi": t.vi, "en": t.en, "kind": t.kind} for t in read_glossary_file(path)
                    if t.kind != "term"]
    for lt in programme.manifest.lower_thirds:
        out.append({"vi": f"{lt.name} — {lt.title.vi}", "en": f"{lt.name} — {lt.title.en}", "kind": "person"})
    return out
