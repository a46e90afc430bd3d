"""The social package's sheet: `social.json` (one object per platform) and `social.html`, the page a
person copies each title, description and caption from when uploading by hand.

Every value stands beside its limit and what it measures ("97 characters / ≤ 100 characters"), so
whoever pastes it sees at once that it fits, and every finding (a Reels limit the file breaks, a
chapter too short) is listed under its platform. Everything shown is HTML-escaped: titles and
synopses are the editor's text, and a "<" in them is text, not markup. The page is Vietnamese
(`lang="vi"`), so a browser's spelling and hyphenation treat it as such, and it needs no network.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...fsutil import write_text
from .platforms import Finding
from .texts import Fitted


@dataclass(frozen=True)
class Field:
    """One thing to paste or upload: its value, its limit, what it measures, whether it fits."""

    label: str
    value: str
    limit: str = ""
    measured: str = ""
    ok: bool | None = None  # None: nothing to hold it to
    notes: tuple[str, ...] = ()
    copy: bool = True  # text to paste (False: a file to upload, named by its path)

    @classmethod
    def of(cls, label: str, fitted: Fitted) -> Field:
        return cls(label, fitted.text, fitted.limit.describe(), fitted.measured(), fitted.ok, fitted.notes)

    def to_json(self) -> dict[str, Any]:
        return {"label": self.label, "value": self.value, "limit": self.limit, "measured": self.measured,
                "within_limit": self.ok, "notes": list(self.notes), "kind": "text" if self.copy else "file"}


@dataclass(frozen=True)
class PlatformSheet:
    """What one platform gets: the fields to paste and files to upload, and its findings."""

    key: str
    name: str
    source: str
    fields: Sequence[Field] = ()
    findings: Sequence[Finding] = ()
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. the chapters as data

    @property
    def verdict(self) -> str:
        levels = {f.level for f in self.findings} | {"fail" for f in self.fields if f.ok is False}
        return "fail" if "fail" in levels else "warn" if "warn" in levels else "pass"

    def to_json(self) -> dict[str, Any]:
        return {"platform": self.key, "name": self.name, "source": self.source, "verdict": self.verdict,
                "fields": [f.to_json() for f in self.fields], "findings": [f.to_json() for f in self.findings],
                **self.extra}


def sheet_json(programme: str, title: str, platforms: Sequence[PlatformSheet]) -> dict[str, Any]:
    """`social.json`'s content: the programme, and one object per platform keyed by its name."""
    return {"programme": programme, "title": title, "platforms": {p.key: p.to_json() for p in platforms}}


_CSS = """
body{font-family:"Be Vietnam Pro","Noto Sans",sans-serif;margin:2rem;max-width:70rem;color:#1b1b1b}
section{border:1px solid #ccd;border-radius:6px;padding:1rem;margin:1rem 0}
h2 .verdict{font-size:.8em;padding:.1em .5em;border-radius:4px;margin-left:.5em}
.pass{background:#dcf2dc}.note{background:#e8eefc}.warn{background:#fff0c2}.fail{background:#f8d0d0}
textarea{width:100%;font:inherit;box-sizing:border-box}
.limit{color:#444;font-size:.9em}.src{color:#666;font-size:.8em}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #eee;padding:.25em;text-align:left}
@media (max-width:40rem){body{margin:1rem}section{padding:.6rem}
table,tbody,tr,td{display:block}tr.head{display:none}tr{margin:.5em 0;border-radius:4px}
td{border:0;padding:.1em .4em}td::before{content:attr(data-label) ": ";color:#555;font-size:.85em}}
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _field_html(f: Field) -> str:
    state = "" if f.ok is None else ("pass" if f.ok else "fail")
    rows = max(1, min(16, f.value.count("\n") + 1 + len(f.value) // 90))
    value = (f'<textarea readonly rows="{rows}">{_e(f.value)}</textarea>' if f.copy
             else f"<code>{_e(f.value)}</code>")
    limit = (f'<div class="limit {state}">{_e(f.measured)}{" — " if f.measured and f.limit else ""}'
             f'{_e(f.limit)}</div>') if (f.limit or f.measured) else ""
    notes = "".join(f'<div class="limit warn">{_e(n)}</div>' for n in f.notes)
    return f"<h3>{_e(f.label)}</h3>{value}{limit}{notes}"


def _findings_html(findings: Sequence[Finding]) -> str:
    if not findings:
        return ""
    # on a phone each row stacks, every value after its column's name (`data-label`): five columns
    # do not fit 390 px, and a table wider than the screen hides the notes off to the right
    rows = "".join(f'<tr class="{_e(f.level)}"><td data-label="kết quả">{_e(f.level)}</td>'
                   f'<td data-label="kiểm tra">{_e(f.check)}</td><td data-label="đo được">{_e(f.measured)}</td>'
                   f'<td data-label="giới hạn">{_e(f.limit)}</td><td data-label="ghi chú">{_e(f.message)}</td></tr>'
                   for f in findings)
    return ('<table><tr class="head"><th>kết quả</th><th>kiểm tra</th><th>đo được</th><th>giới hạn</th>'
            f"<th>ghi chú</th></tr>{rows}</table>")


def sheet_html(programme: str, title: str, platforms: Sequence[PlatformSheet]) -> str:
    """`social.html` (module docstring)."""
    parts = [f'<!DOCTYPE html>\n<html lang="vi"><head><meta charset="utf-8"><title>{_e(title)} — mạng xã hội'
             f"</title><style>{_CSS}</style></head><body><h1>{_e(title)}</h1>"
             f'<p class="src">Chương trình {_e(programme)}: nội dung để đăng lên từng nền tảng.</p>']
    for p in platforms:
        parts.append(f'<section id="{_e(p.key)}"><h2>{_e(p.name)}<span class="verdict {_e(p.verdict)}">'
                     f"{_e(p.verdict)}</span></h2>")
        parts.extend(_field_html(f) for f in p.fields)
        parts.append(_findings_html(p.findings))
        parts.append(f'<p class="src">Nguồn giới hạn: {_e(p.source)}</p></section>')
    parts.append("</body></html>\n")
    return "".join(parts)


def write_sheet(folder: Path, programme: str, title: str, platforms: Sequence[PlatformSheet]) -> tuple[Path, Path]:
    """`social.json` and `social.html` in `folder`, each written whole or not at all."""
    folder.mkdir(parents=True, exist_ok=True)
    json_path, html_path = folder / "social.json", folder / "social.html"
    write_text(json_path, json.dumps(sheet_json(programme, title, platforms), ensure_ascii=False, indent=2) + "\n")
    write_text(html_path, sheet_html(programme, title, platforms))
    return json_path, html_path
