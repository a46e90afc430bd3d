"""A person's cues made the programme's subtitles: what `reportage subtitles import`, the review
sheet's import and the review room's save have in common, and how the subtitles stage tells such a
file from its own.

Adopting writes both formats (SRT and VTT) outside the ledger of what the pipeline wrote
(`ownership`), so every later run keeps them as they are, and remembers each file in
`subtitles/.imported.json` with its hash, where it came from and whose cues they are now
(`imported`: a file brought in whole; `reviewed`: saved in the review room). A file that differs
from both the ledger and that list was changed by an editor by hand. Whose each cue is, is kept by
cue (`records.reviewed`): a file brought in whole names all its cues imported here; a review room
save names only the cues it changed, reviewed, and the room does that itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from ..fsutil import read_json, sha256_file, write_json, write_text
from ..records.reviewed import remember_imported
from ..records.subtitles import CueOrigin, cue_key
from ..workspace import Workspace
from .cues import Cue
from .formats import WRITTEN_FORMATS, read_subtitles, render_subtitles
from .ownership import is_hand_edited, load_ledger, release

Source = Literal["generated", "hand-edited", "imported"]


def ledger_path(ws: Workspace) -> Path:
    """What the pipeline wrote in `subtitles/` (`ownership`'s ledger)."""
    return ws.subtitles_dir / ".written.json"


def imports_path(ws: Workspace) -> Path:
    """The files adopted as a person's, with their hash and where they came from."""
    return ws.subtitles_dir / ".imported.json"


def load_imports(ws: Workspace) -> dict[str, Any]:
    path = imports_path(ws)
    data = read_json(path) if path.is_file() else {}
    return data if isinstance(data, dict) else {}


def _adopted(ws: Workspace, path: Path) -> dict[str, Any] | None:
    """The imports entry of `path` while the file is still exactly what was adopted."""
    entry = load_imports(ws).get(path.name)
    return entry if isinstance(entry, dict) and entry.get("sha256") == sha256_file(path) else None


def source_of(ws: Workspace, path: Path) -> Source:
    """generated, or for a file the pipeline did not write: imported (adopted here) or hand-edited."""
    if not is_hand_edited(path, ledger_path(ws)):
        return "generated"
    return "imported" if _adopted(ws, path) is not None else "hand-edited"


def adopted_origin(ws: Workspace, path: Path) -> CueOrigin | None:
    """Whose the cues of `path` are when the pipeline did not write it (None when it did): brought
    in whole (imported), or a person's, saved in the review room or changed by hand (reviewed)."""
    if not is_hand_edited(path, ledger_path(ws)):
        return None
    entry = _adopted(ws, path)
    if entry is None or entry.get("origin") == CueOrigin.REVIEWED:
        return CueOrigin.REVIEWED
    return CueOrigin.IMPORTED


def adopt_cues(ws: Workspace, lang: str, cues: Sequence[Cue], origin: Path,
               as_origin: CueOrigin = CueOrigin.IMPORTED) -> list[Path]:
    """Make `cues` the editor-owned `lang` subtitles (SRT and VTT), remembered as adopted from
    `origin` (the file they came from) as `as_origin` (imported, or reviewed in the review room).

    The files are written outside the ledger, so every later run keeps them as they are.
    """
    ledger = ledger_path(ws)
    load_ledger(ledger)
    imports = load_imports(ws)
    written: list[Path] = []
    for fmt in WRITTEN_FORMATS:
        target = ws.subtitle(lang, fmt)
        target.unlink(missing_ok=True)
        release(target, ledger)  # forget what the pipeline wrote there: the next file is the editor's
        write_text(target, render_subtitles(cues, "." + fmt))
        imports[target.name] = {"sha256": sha256_file(target), "from": ws.stored(origin), "reviewed": True,
                                "origin": str(as_origin)}
        written.append(target)
    write_json(imports_path(ws), imports)
    if as_origin is CueOrigin.IMPORTED:  # every cue of it the person's; a room save names its own cues
        remember_imported(ws, lang, (cue_key(c) for c in read_subtitles(ws.subtitle(lang, "srt")).cues))
    return written
