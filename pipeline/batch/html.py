"""The morning summary as one self-contained HTML page (inline CSS, no scripts, no links out)."""

from __future__ import annotations

from html import escape
from typing import Any

from .human import human_seconds, human_size

_CSS = """
body{font-family:"Noto Sans","DejaVu Sans",Arial,sans-serif;margin:24px;color:#1b1b1b;background:#fafafa}
h1{font-size:22px;margin:0 0 4px} .sub{color:#555;margin:0 0 16px}
.totals{display:flex;gap:12px;flex-wrap:wrap;margin:0 0 20px}
.tot{background:#fff;border:1px solid #ddd;border-radius:6px;padding:8px 14px}
.tot b{display:block;font-size:20px}
section{background:#fff;border:1px solid #ddd;border-radius:6px;padding:12px 16px;margin:0 0 16px}
section.bad{border-left:6px solid #c62828} section.good{border-left:6px solid #2e7d32}
h2{font-size:17px;margin:0 0 2px} .man{color:#666;font-size:12px;margin:0 0 8px;word-break:break-all}
table{border-collapse:collapse;margin:6px 0}
td,th{padding:3px 10px;border-bottom:1px solid #eee;text-align:left;font-size:13px}
.st{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px}
.done{background:#e8f5e9;color:#1b5e20} .up{background:#eceff1;color:#37474f} .failed{background:#ffebee;color:#b71c1c}
.problems{background:#fff8e1;color:#8d6e00} .notrun,.stopped{background:#f5f5f5;color:#888}
.PASS{background:#e8f5e9;color:#1b5e20} .WARN{background:#fff8e1;color:#8d6e00} .FAIL{background:#ffebee;color:#b71c1c}
.fail{background:#ffebee;border-radius:4px;padding:8px 10px;margin:8px 0}
.fail p{margin:2px 0} .files td:last-child{text-align:right}
"""

_STATE_CLASS = {"done": "done", "up to date": "up", "failed": "failed", "problems": "problems",
                "not run": "notrun", "stopped": "stopped"}


def _stages(p: dict[str, Any]) -> str:
    cells = "".join(
        f"<tr><td>{escape(s['stage'])}</td><td><span class='st {_STATE_CLASS.get(s['state'], 'notrun')}'>"
        f"{escape(s['state'])}</span></td><td>{escape(human_seconds(s.get('seconds')))}</td>"
        f"<td class='man'>{escape(s.get('detail') or '')}</td></tr>"
        for s in p["stages"])
    return f"<table><tr><th>stage</th><th>state</th><th>time</th><th></th></tr>{cells}</table>"


def _files(p: dict[str, Any]) -> str:
    rows = [f"<tr><td>{escape(d['name'])}</td><td>{escape(d['file'])}</td>"
            f"<td>{escape(human_size(d['size_bytes']))}</td></tr>" for d in p["deliverables"]]
    rows += [f"<tr><td>bag</td><td>{escape(b['path'])} ({b['files']} files)</td>"
             f"<td>{escape(human_size(b['size_bytes']))}</td></tr>" for b in p["bags"]]
    if not rows:
        return "<p class='man'>no deliverables or bags</p>"
    return f"<table class='files'><tr><th>output</th><th>file</th><th>size</th></tr>{''.join(rows)}</table>"


def _programme(p: dict[str, Any]) -> str:
    verdict = p.get("qc")
    qc = f" <span class='st {escape(str(verdict))}'>QC {escape(str(verdict))}</span>" if verdict else ""
    title = f" — {escape(p['title'])}" if p.get("title") else ""
    fail = ""
    if p.get("failure"):
        f = p["failure"]
        fail = (f"<div class='fail'><p><b>{escape(f['stage'])} failed:</b> {escape(f['reason'])}</p>"
                f"<p><b>Fix:</b> {escape(f['fix'])}</p></div>")
    state = "finished" if p["ok"] else "FAILED"
    return (f"<section class='{'good' if p['ok'] else 'bad'}'><h2>{escape(p['programme'])}{title} · {state}{qc}</h2>"
            f"<p class='man'>{escape(p['manifest'])} · {escape(human_seconds(p.get('seconds')))}</p>"
            f"{fail}{_stages(p)}{_files(p)}</section>")


def summary_html(summary: dict[str, Any]) -> str:
    t = summary["totals"]
    boxes = [("programmes", t["programmes"]), ("finished", t["finished"]), ("failed", t["failed"]),
             ("deliverables", f"{t['deliverables']} · {human_size(t['deliverable_bytes'])}"),
             ("bags", f"{t['bags']} · {human_size(t['bag_bytes'])}"), ("time", human_seconds(t["seconds"]))]
    totals = "".join(f"<div class='tot'><b>{escape(str(v))}</b>{escape(k)}</div>" for k, v in boxes)
    stopped = " · stopped before the end" if summary.get("interrupted") else ""
    body = "".join(_programme(p) for p in summary["programmes"])
    return (
        "<!DOCTYPE html>\n<html lang='vi'><head><meta charset='utf-8'>"
        f"<title>reportage batch {escape(summary['started'][:10])}</title><style>{_CSS}</style></head><body>"
        f"<h1>Batch summary · Tổng kết lô {escape(summary['started'][:10])}</h1>"
        f"<p class='sub'>{escape(summary['started'])} → {escape(summary['finished'])} · {escape(summary['mode'])}"
        f"{escape(stopped)} · workspace {escape(summary['workspace'])}</p>"
        f"<div class='totals'>{totals}</div>{body}</body></html>\n")
