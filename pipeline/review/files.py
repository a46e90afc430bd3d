"""Which files the review room may send: only those inside the programme's folder, by their real
path (a symlink pointing outside is refused), never the dot-files that hold locks and ledgers."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from .errors import NotFound

MEDIA_TYPES = {".vtt": "text/vtt; charset=utf-8", ".srt": "text/plain; charset=utf-8",
               ".mp4": "video/mp4", ".m4v": "video/mp4", ".mov": "video/quicktime", ".mxf": "application/mxf",
               ".json": "application/json", ".txt": "text/plain; charset=utf-8", ".jpg": "image/jpeg",
               ".png": "image/png", ".html": "text/html; charset=utf-8", ".csv": "text/csv; charset=utf-8",
               # the publish stage's web package (`publish/web/`): what a player asks for by type
               ".m3u8": "application/vnd.apple.mpegurl", ".m4s": "video/iso.segment", ".mpd": "application/dash+xml",
               ".m4a": "audio/mp4", ".ts": "video/mp2t", ".aac": "audio/aac", ".js": "text/javascript; charset=utf-8",
               ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml", ".webp": "image/webp",
               ".woff2": "font/woff2", ".jpeg": "image/jpeg"}


def resolve_inside(root: Path, relative: str) -> Path:
    """`root/relative` as a real file inside `root`; NotFound for anything else (absolute paths,
    `..`, hidden names, symlinks that leave `root`, folders, missing files)."""
    parts = PurePosixPath(relative).parts
    if not parts or relative.startswith("/") or "\\" in relative or any(
            p in ("..", ".") or p.startswith(".") for p in parts):
        raise NotFound(f"{relative!r} is not a file of this programme")
    base = root.resolve()
    try:
        target = (base / Path(*parts)).resolve(strict=True)
    except (OSError, RuntimeError):
        raise NotFound(f"{relative!r} does not exist in this programme") from None
    if not target.is_relative_to(base) or not target.is_file():
        raise NotFound(f"{relative!r} is not a file of this programme")
    return target


def resolve_in_folder(programme: Path, folder: Path, relative: str) -> Path:
    """`folder/relative` as a real file inside `folder`, which must itself lie inside the programme
    folder `programme`: `resolve_inside` on both, so neither a link inside the folder nor the folder
    being a link reaches anything else (NotFound otherwise)."""
    target = resolve_inside(folder, relative)
    if not target.is_relative_to(programme.resolve()):
        raise NotFound(f"{relative!r} is not a file of this programme")
    return target


def media_type(path: Path) -> str:
    return MEDIA_TYPES.get(path.suffix.lower(), "application/octet-stream")
