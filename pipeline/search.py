"""Full-text search over a programme's transcripts: "du lich" finds "du lịch", "DUONG" finds "đường".

An SQLite FTS5 index lives in the programme's catalogue, in tables of its own (`transcript_fts`,
`transcript_segments`, `transcript_sources`), refreshed from the transcript JSONs before each search
(only files whose content changed are re-read). The indexed text and the query are both folded
with `pipeline.text.fold` (case, diacritics, and đ/Đ, which FTS5's `unicode61 remove_diacritics 2`
tokenizer alone leaves as a letter of its own). A hit gives the clip, the timecode of the first
matching word at the programme's rate, and the words around it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import re
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from .asr.transcript import Transcript, bare
from .catalogue import catalogue_error
from .errors import WorkspaceError
from .fsutil import read_json, sha256_file
from .intervals import overlaps
from .manifest import Programme
from .text import fold
from .timecode import ms_to_timecode
from .workspace import Workspace

CONTEXT_WORDS = 8
BUSY_TIMEOUT_S = 30.0
"""How long a search waits for another process's write lock on the catalogue before it gives up."""
_TOKEN = re.compile(r"[^\W_]+")  # letters and digits, as unicode61 splits

_SCHEMA = """
CREATE TABLE IF NOT EXISTS transcript_sources (
    clip_id TEXT PRIMARY KEY,
    json_sha256 TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS transcript_segments (
    id INTEGER PRIMARY KEY,
    clip_id TEXT NOT NULL,
    seg_index INTEGER NOT NULL,
    start_ms INTEGER NOT NULL,
    end_ms INTEGER NOT NULL,
    words_json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS transcript_segments_clip ON transcript_segments (clip_id);
CREATE VIRTUAL TABLE IF NOT EXISTS transcript_fts USING fts5 (
    body,
    tokenize = "unicode61 remove_diacritics 2"
);
"""


@dataclass(frozen=True)
class SearchHit:
    """One place a query was said: clip, timing, and the words around it."""

    clip_id: str
    start_ms: int
    end_ms: int
    timecode: str
    before: str
    match: str
    after: str

    @property
    def context(self) -> str:
        return " ".join(part for part in (self.before, f"[{self.match}]", self.after) if part)

    def to_dict(self) -> dict[str, Any]:
        return {
            "clip_id": self.clip_id,
            "start_ms": self.start_ms,
            "end_ms": self.end_ms,
            "timecode": self.timecode,
            "before": self.before,
            "match": self.match,
            "after": self.after,
            "context": self.context,
        }


def index_text(text: str) -> str:
    """Text as stored in the index: folded as the query is (`fold`), so đ matches d."""
    return fold(text)


def _tokens(text: str) -> list[str]:
    """The index's tokens of a text, folded the way FTS5 folds them."""
    return _TOKEN.findall(fold(text))


@contextlib.contextmanager
def _connect(path: Path) -> Iterator[sqlite3.Connection]:
    """The catalogue, its search tables made; any SQLite failure (a damaged, truncated or foreign file,
    missing tables, a lock held too long, a read-only folder) is the catalogue's one-line error."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WorkspaceError(f"cannot create the programme folder ({exc.strerror})", path=path.parent,
                             hint="use a workspace folder you can write (--workspace)") from exc
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S)
    except sqlite3.Error as exc:
        raise catalogue_error(exc, path) from exc
    try:
        conn.executescript(_SCHEMA)
        yield conn
    except sqlite3.Error as exc:
        raise catalogue_error(exc, path) from exc
    finally:
        conn.close()


def _index_transcript(conn: sqlite3.Connection, transcript: Transcript, json_sha: str) -> None:
    clip_id = transcript.clip_id
    _forget(conn, clip_id)
    for index, segment in enumerate(transcript.segments):
        words = [[w.text, w.start_ms, w.end_ms] for w in segment.words]
        if not words:  # no word timings: spread the segment's words over it, for context only
            tokens = segment.text.split()
            step = (segment.end_ms - segment.start_ms) // max(1, len(tokens))
            words = [[t, segment.start_ms + i * step, segment.start_ms + (i + 1) * step] for i, t in enumerate(tokens)]
        cursor = conn.execute(
            "INSERT INTO transcript_segments (clip_id, seg_index, start_ms, end_ms, words_json) VALUES (?, ?, ?, ?, ?)",
            (clip_id, index, segment.start_ms, segment.end_ms, json.dumps(words, ensure_ascii=False)),
        )
        body = index_text(" ".join(str(w[0]) for w in words))
        conn.execute("INSERT INTO transcript_fts (rowid, body) VALUES (?, ?)", (cursor.lastrowid, body))
    conn.execute(
        "INSERT OR REPLACE INTO transcript_sources (clip_id, json_sha256) VALUES (?, ?)", (clip_id, json_sha)
    )


def _forget(conn: sqlite3.Connection, clip_id: str) -> None:
    conn.execute(
        "DELETE FROM transcript_fts WHERE rowid IN (SELECT id FROM transcript_segments WHERE clip_id = ?)", (clip_id,)
    )
    conn.execute("DELETE FROM transcript_segments WHERE clip_id = ?", (clip_id,))
    conn.execute("DELETE FROM transcript_sources WHERE clip_id = ?", (clip_id,))


def refresh_index(ws: Workspace) -> int:
    """Bring the index in line with `transcripts/*.json`; returns how many clips were (re)indexed.

    Transcripts that disappeared are removed from the index; unchanged ones are not re-read.
    """
    files = {p.stem: p for p in sorted(ws.transcripts_dir.glob("*.json"))} if ws.transcripts_dir.is_dir() else {}
    changed = 0
    with _connect(ws.catalogue_path) as conn, conn:
        known = dict(conn.execute("SELECT clip_id, json_sha256 FROM transcript_sources").fetchall())
        for clip_id in set(known) - set(files):
            _forget(conn, clip_id)
        for clip_id, path in files.items():
            digest = sha256_file(path)
            if known.get(clip_id) == digest:
                continue
            try:
                transcript = Transcript.from_json(read_json(path), source=str(path))
            except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:  # bad JSON is a ValueError
                raise WorkspaceError(f"is not a readable transcript ({type(exc).__name__}: {exc})", path=path,
                                     hint=f"run `reportage transcribe --clip {clip_id}` again") from None
            if transcript.clip_id != clip_id:
                transcript = dataclasses.replace(transcript, clip_id=clip_id)
            _index_transcript(conn, transcript, digest)
            changed += 1
    return changed


def _fts_query(tokens: Sequence[str]) -> str:
    """A phrase query: user text can never be read as FTS5 syntax (quotes, AND, *, column:)."""
    return '"' + " ".join(tokens) + '"'


def _locate(words: Sequence[Sequence[Any]], query: Sequence[str]) -> list[tuple[int, int]]:
    """(first word, last word + 1) of each place the query's tokens occur consecutively."""
    flat: list[tuple[str, int]] = []
    for index, word in enumerate(words):
        flat.extend((token, index) for token in _tokens(str(word[0])))
    spans: list[tuple[int, int]] = []
    n = len(query)
    for i in range(len(flat) - n + 1):
        if [t for t, _ in flat[i : i + n]] == list(query):
            span = (flat[i][1], flat[i + n - 1][1] + 1)
            if not spans or not overlaps(span, spans[-1]):
                spans.append(span)
    return spans


def _segment_words(conn: sqlite3.Connection, clip_id: str, seg_index: int) -> list[Any]:
    row = conn.execute(
        "SELECT words_json FROM transcript_segments WHERE clip_id = ? AND seg_index = ?", (clip_id, seg_index)
    ).fetchone()
    return list(json.loads(row[0])) if row else []


def search_index(
    ws: Workspace, query: str, rate: Fraction, limit: int = 50, context_words: int = CONTEXT_WORDS
) -> list[SearchHit]:
    """Hits for `query` in the index as it stands (see `search` to refresh first). Context may
    reach into the neighbouring segments of the same clip."""
    tokens = _tokens(query)
    if not tokens or limit <= 0:
        return []
    hits: list[SearchHit] = []
    with _connect(ws.catalogue_path) as conn:
        rows = conn.execute(
            "SELECT s.clip_id, s.seg_index, s.words_json FROM transcript_fts f "
            "JOIN transcript_segments s ON s.id = f.rowid "
            "WHERE transcript_fts MATCH ? ORDER BY s.clip_id, s.start_ms",
            (_fts_query(tokens),),
        ).fetchall()
        for clip_id, seg_index, words_json in rows:
            words = json.loads(words_json)
            for first, last in _locate(words, tokens):
                before = words[max(0, first - context_words) : first]
                after = words[last : last + context_words]
                if len(before) < context_words and seg_index > 0:
                    before = _segment_words(conn, clip_id, seg_index - 1)[len(before) - context_words :] + before
                if len(after) < context_words:
                    after = after + _segment_words(conn, clip_id, seg_index + 1)[: context_words - len(after)]
                hits.append(
                    SearchHit(
                        clip_id=clip_id,
                        start_ms=int(words[first][1]),
                        end_ms=int(words[last - 1][2]),
                        timecode=ms_to_timecode(int(words[first][1]), rate),
                        before=" ".join(str(w[0]) for w in before),
                        match=bare(" ".join(str(w[0]) for w in words[first:last])),
                        after=" ".join(str(w[0]) for w in after),
                    )
                )
                if len(hits) >= limit:
                    return hits
    return hits


def search(programme: Programme, ws: Workspace, query: str, limit: int = 50) -> list[SearchHit]:
    """Find `query` in the programme's transcripts, ignoring case and diacritics; hits in clip and
    time order, each with a timecode at the programme's frame rate and the words around it."""
    refresh_index(ws)
    return search_index(ws, query, programme.rate, limit)
