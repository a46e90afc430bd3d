"""QC report files: `report.json` for machines (its shape, writer and reader: `records/qc.py`) and a
self-contained `report.html` for people.

The HTML carries everything inline (CSS, poster frames and matplotlib plots as base64 PNG/JPEG) so it
can be mailed or dropped into the delivery bag and still open offline. matplotlib is imported only
when a report is drawn (Agg backend: no display needed on a render node).
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..fsutil import write_text
from ..records.qc import QC_REPORT_NAME, write_qc_report
from .plan import LEGAL_AREA, LEGAL_C, LEGAL_SUSTAINED_S, LEGAL_Y, CheckResult, Status

if TYPE_CHECKING:
    from ..records.qc import FileQC, QCReport

_COLOURS = {"PASS": "#1e7b34", "WARN": "#b36b00", "FAIL": "#b3261e", "INFO": "#555"}
_CSS = """
body{font:15px/1.45 system-ui,'Segoe UI','Noto Sans',sans-serif;margin:2em auto;
max-width:1100px;color:#222;padding:0 1em}
h1{margin-bottom:.1em} .sub{color:#666;margin-top:0} h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;width:100%;margin:.5em 0 1em}
th,td{text-align:left;padding:.3em .6em;border-bottom:1px solid #eee;
vertical-align:top}
th{background:#f5f5f5}
.b{display:inline-block;min-width:3.3em;text-align:center;border-radius:4px;color:#fff;font-weight:600;
font-size:.85em;padding:.1em .4em}
.big{font-size:1.1em;padding:.2em .8em} .detail{color:#666;font-size:.9em}
.posters img{width:32%;margin-right:1%;border:1px solid #ccc}
.plots img{width:49%;margin-right:1%} .summary td{font-weight:600} code{background:#f3f3f3;padding:0 .2em}
@media print{.plots img{width:48%}}
"""


def badge(status: str, big: bool = False) -> str:
    return f'<span class="b{" big" if big else ""}" style="background:{_COLOURS.get(status, "#555")}">{status}</span>'


def _rows(checks: Sequence[CheckResult]) -> str:
    out = []
    for c in checks:
        out.append(f"<tr><td>{badge(c.status.value)}</td><td>{html.escape(c.label)}</td>"
                   f"<td>{html.escape(c.measured)}</td><td>{html.escape(c.limit)}</td>"
                   f"<td class=detail>{html.escape(c.detail)}</td></tr>")
    return ("<table><tr><th>verdict</th><th>check</th><th>measured</th><th>limit</th><th>detail</th></tr>"
            + "".join(out) + "</table>")


def _img(data: bytes, mime: str, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:{mime};base64,{base64.b64encode(data).decode()}">'


def _axes() -> tuple[Any, Any]:
    """A report-sized figure, drawn off-screen (matplotlib imported only when a report is made)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(6.4, 2.6), dpi=100)


def _png(fig: Any, ax: Any, ylim: tuple[float, float], ylabel: str, title: str) -> bytes:
    """Label a plot over time, render it to PNG bytes and free the figure."""
    import matplotlib.pyplot as plt

    ax.set_ylim(*ylim)
    ax.set_xlabel("seconds")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=7)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def loudness_plot(series: Sequence[tuple[float, float, float]], target: float | None, leader_s: float) -> bytes:
    """Momentary and short-term loudness over time (PNG), the target and the leader shaded."""
    fig, ax = _axes()
    t = [s[0] for s in series]
    ax.plot(t, [max(s[1], -60) for s in series], lw=0.7, color="#8aa", label="momentary")
    ax.plot(t, [max(s[2], -60) for s in series], lw=1.4, color="#036", label="short-term")
    if target is not None:
        ax.axhline(target, color="#b3261e", ls="--", lw=1, label=f"target {target:g}")
    if leader_s and t:
        ax.axvspan(0, min(leader_s, t[-1]), color="#ddd", label="leader")
    return _png(fig, ax, (-60, 0), "LUFS", "Loudness (EBU R128)")


def luma_plot(series: Sequence[Sequence[float]], leader_s: float) -> bytes:
    """Per-frame Y and chroma extremes against the legal limits and EBU R103's tolerance (PNG). Frames
    are (t, Ymin, Ymax, Umin, Umax, Vmin, Vmax[, BRNG]); the area figure is in the verdict, not drawn."""
    fig, ax = _axes()
    t = [s[0] for s in series]
    ax.fill_between(t, [s[1] for s in series], [s[2] for s in series], color="#369", alpha=0.5, label="Y min–max")
    ax.plot(t, [min(s[3], s[5]) for s in series], lw=0.6, color="#a60", label="C min")
    ax.plot(t, [max(s[4], s[6]) for s in series], lw=0.6, color="#a06", label="C max")
    for y, style in ((16, "--"), (235, "--"), (240, ":")):
        ax.axhline(y, color="#b3261e", ls=style, lw=0.8)
    for y in sorted({LEGAL_Y[0], LEGAL_Y[1], LEGAL_C[0], LEGAL_C[1]}):  # R103's tolerance, for reference
        ax.axhline(y, color="#b3261e", ls="-", lw=0.4, alpha=0.6)
    if leader_s and t:
        ax.axvspan(0, min(leader_s, t[-1]), color="#ddd")
    return _png(fig, ax, (0, 255), "8-bit code", "Luma / chroma range (signalstats)")


def _file_section(f: FileQC) -> str:
    parts = [f"<h2>{badge(f.verdict.value)} {html.escape(f.deliverable)} "
             f"<span class=detail>profile {html.escape(f.profile)} — {html.escape(Path(f.path).name or 'no file')}"
             "</span></h2>"]
    if f.posters:
        parts.append('<div class="posters">' + "".join(_img(p.read_bytes(), "image/jpeg", p.name)
                                                       for p in f.posters if p.exists()) + "</div>")
    m = f.measurements
    plots = []
    if m is not None and m.loudness_series:
        plots.append(_img(loudness_plot(m.loudness_series, f.target_lufs, f.leader_s), "image/png", "loudness"))
    if m is not None and m.luma_series:
        plots.append(_img(luma_plot(m.luma_series, f.leader_s), "image/png", "luma range"))
    if plots:
        parts.append('<div class="plots">' + "".join(plots) + "</div>")
    parts.append(_rows(f.checks))
    return "\n".join(parts)


def render_html(report: QCReport) -> str:
    """The whole report as one HTML page."""
    summary = "".join(
        f"<tr><td>{html.escape(f.deliverable)}</td><td>{badge(f.verdict.value)}</td>"
        f"<td>{sum(c.status is Status.FAIL for c in f.checks)}</td>"
        f"<td>{sum(c.status is Status.WARN for c in f.checks)}</td></tr>" for f in report.files)
    sub_verdict = max((c.status for c in report.subtitles), key=lambda s: ["INFO", "PASS", "WARN", "FAIL"]
                      .index(s.value), default=Status.PASS)
    body = [
        f"<h1>QC report — {html.escape(report.title or report.programme)}</h1>",
        f"<p class=sub>programme <code>{html.escape(report.programme)}</code> · {html.escape(report.generated)} · "
        f"overall {badge(report.verdict.value, big=True)}</p>",
        "<table class=summary><tr><th>deliverable</th><th>verdict</th><th>FAIL</th><th>WARN</th></tr>"
        + summary + f"<tr><td>subtitles</td><td>{badge(sub_verdict.value)}</td><td></td><td></td></tr></table>",
    ]
    if report.failed:
        body.append("<p><b>Failed:</b> " + html.escape("; ".join(report.failed)) + "</p>")
    if report.pipeline:  # what failed upstream: everything below was made without it
        verdict = max((c.status for c in report.pipeline), key=lambda s: ["INFO", "PASS", "WARN", "FAIL"]
                      .index(s.value))
        body.append(f"<h2>{badge(verdict.value)} Earlier stages</h2>" + _rows(report.pipeline))
    body += [_file_section(f) for f in report.files]
    body.append(f"<h2>{badge(sub_verdict.value)} Subtitles</h2>" + _rows(report.subtitles))
    body.append(
        "<h2>How to read this</h2><p class=detail>Black, frozen picture and silence are allowed in the "
        "broadcast leader and in fades of up to 1 s at the start and end. Legal range (EBU R103): a frame "
        f"breaks it when more than {LEGAL_AREA * 100:g} % of its pixels leave Y 16–235 or chroma 16–240 "
        "(smaller excursions, such as codec ringing on sharp edges, are shown in the plot but tolerated): "
        f"WARN; such frames for {LEGAL_SUSTAINED_S:g} s or more in a row FAIL. Loudness is measured on the programme "
        "after the leader (ITU-R BS.1770-4 gating); true peak is rounded to 0.1 dB. Duration must match "
        "the timeline (plus leader; the excerpt for social) to the frame. A streaming ladder is judged rung by "
        "rung against each rung's own size, level and bit rate, with an IDR on every multiple of its GOP and "
        "closed GOPs; only its first rung carries sound. The web package is the stream validator's verdict, "
        "one row per HLS rule, the playlist and line of each problem in the detail.</p>")
    return ("<!doctype html><html lang=en><head><meta charset=utf-8><title>QC "
            + html.escape(report.programme) + f"</title><style>{_CSS}</style></head><body>"
            + "\n".join(body) + "</body></html>\n")


def write_reports(report: QCReport, out_dir: Path) -> tuple[Path, Path]:
    """Write report.json and report.html into `out_dir`; return both paths."""
    json_path, html_path = out_dir / QC_REPORT_NAME, out_dir / "report.html"
    write_qc_report(json_path, report)
    write_text(html_path, render_html(report))
    return json_path, html_path

