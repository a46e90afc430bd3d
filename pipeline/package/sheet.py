"""The metadata sheet: what a receiving centre files the programme under, as JSON and as a
printable bilingual HTML page (titles, synopses, duration, technical specs, loudness, credits,
glossary of names, the review room's notes and approval). Built from the manifest, the profiles, the
QC verdict, the loudness figures of the render record and `review/` (the package stage gathers them)."""

from __future__ import annotations

import contextlib
import html
from pathlib import Path
from typing import Any

from ..manifest import Programme
from ..profiles import Profile


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


def build_sheet(programme: Programme, *, duration: str | None, files: list[dict[str, Any]],
                glossary: list[dict[str, str]], qc_verdict: str, notes: list[dict[str, Any]] | None = None,
                approval: dict[str, Any] | None = None) -> dict[str, Any]:
    """The sheet as data. `files`: one dict per deliverable (name, file, specs, loudness: the numbers
    `integrated` LUFS, `true_peak` dBTP, `lra` LU); `notes`: the review notes (in/out, author, text);
    `approval`: the review decision (who, when, comment, the SHA-256 of each file approved, the
    obstacles set aside with their reasons)."""
    m, title, synopsis = programme.manifest, programme.title, programme.synopsis
    return {
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


def _loud(values: dict[str, Any] | None) -> str:
    if not values:
        return "—"
    parts = []
    for key, label, unit in (("integrated", "I", "LUFS"), ("true_peak", "TP", "dBTP"), ("lra", "LRA", "LU")):
        if values.get(key) is not None:
            parts.append(f"{label} {float(values[key]):.1f} {unit}")
    return ", ".join(parts) or "—"


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
