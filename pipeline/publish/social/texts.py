"""The words a person pastes into each platform: titles, descriptions, hashtags and upload captions.

Limits are counted the way each platform counts them (`platforms.TextLimit`): YouTube's title in
characters, its description in UTF-8 bytes, where a Vietnamese letter with its marks takes 2–3
bytes ("ệ" is 3), so 5,000 bytes hold about 2,000 letters of Vietnamese against 5,000 of English.
Text is NFC first, because a decomposed letter (e + two combining marks) is three characters and
five bytes where its composed form is one character and three bytes. A text over its limit is cut
after a whole word, with "…" (counted in the limit) and a note saying what was cut; never inside a
letter: a cut lands on a code point of NFC text and never before a combining mark.

The description is the synopsis, the chapters (only when YouTube will show them), the credits and
co-producers, and the hashtags; when it is too long the synopsis is shortened, never the chapters
or credits. YouTube's API refuses "<" and ">" in titles and descriptions, so they become ‹ ›.

Hashtags keep their diacritics, composed (a tag typed decomposed is another tag to the
platforms' search), with every space and punctuation mark taken out: "#TràVinh".

Captions for upload are plain UTF-8 SRT (no byte-order mark, no styling tags, LF), made from the
project's subtitle files whatever they were saved as (the subtitle reader takes BOMs, UTF-16,
Windows-1258, tags and loose timings, and says what it changed).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ...fsutil import nfc, write_bytes
from ...subs.formats import read_subtitles
from ...subs.srt import render_srt
from ...text import strip_diacritics
from .chapters import Chapters
from .platforms import YOUTUBE, TextLimit

ELLIPSIS = "…"
_LABELS = {
    "vi": {"chapters": "Các phần:", "co": "Đồng sản xuất:"},
    "en": {"chapters": "Chapters:", "co": "Co-produced by:"},
}


def utf8_len(text: str) -> int:
    """Bytes of `text` in UTF-8, as byte limits count them."""
    return len(text.encode("utf-8"))


def within(text: str, limit: TextLimit) -> bool:
    return (limit.chars is None or len(text) <= limit.chars) and (limit.bytes is None or utf8_len(text) <= limit.bytes)


@dataclass(frozen=True)
class Fitted:
    """A text as it will be pasted, measured against its limit; `notes` say what was changed."""

    text: str
    limit: TextLimit
    notes: tuple[str, ...] = ()
    truncated: bool = False

    @property
    def chars(self) -> int:
        return len(self.text)

    @property
    def bytes(self) -> int:
        return utf8_len(self.text)

    @property
    def ok(self) -> bool:
        return within(self.text, self.limit)

    def measured(self) -> str:
        return f"{self.chars:,} characters, {self.bytes:,} bytes"

    def to_json(self) -> dict[str, object]:
        return {"text": self.text, "characters": self.chars, "bytes": self.bytes,
                "limit": {"characters": self.limit.chars, "bytes": self.limit.bytes}, "within_limit": self.ok,
                "truncated": self.truncated, "notes": list(self.notes)}


def _cut_points(text: str) -> list[int]:
    """Where a text may be cut: before each run of whitespace (after a whole word)."""
    return [m.start() for m in re.finditer(r"\s+", text)]


def _shortened(text: str, limit: TextLimit) -> str:
    """The longest prefix of `text` that with "…" fits `limit`: at a word end if one fits, else at
    a letter boundary (never before a combining mark)."""
    best = ""
    for point in _cut_points(text):
        candidate = text[:point].rstrip(" ,;:–—-") + ELLIPSIS
        if not within(candidate, limit):
            break
        best = candidate
    if best:
        return best
    for end in range(len(text), -1, -1):
        if end < len(text) and unicodedata.combining(text[end]):
            continue
        if within(text[:end] + ELLIPSIS, limit):
            return text[:end] + ELLIPSIS
    return ""


def fit(text: str, limit: TextLimit, *, what: str = "text") -> Fitted:
    """`text` (NFC, spaces collapsed per line) within `limit`, cut after a word with a note when over."""
    text = "\n".join(" ".join(line.split()) for line in nfc(text).strip().split("\n"))
    if within(text, limit):
        return Fitted(text, limit)
    short = _shortened(text, limit)
    note = (f"{what} shortened from {len(text):,} characters / {utf8_len(text):,} bytes to {len(short):,} / "
            f"{utf8_len(short):,} to fit {limit.describe()}: check that it still reads well")
    return Fitted(short, limit, (note,), truncated=True)


def no_angle_brackets(text: str, what: str) -> tuple[str, list[str]]:
    """`text` with "<" and ">" as ‹ ›, and a note when there were any (YouTube's API refuses them)."""
    if "<" not in text and ">" not in text:
        return text, []
    return text.replace("<", "‹").replace(">", "›"), [f"{what}: “<” and “>” written as ‹ › (YouTube refuses them)"]


def hashtag(text: str, *, ascii_only: bool = False) -> str:
    """A hashtag of `text`: NFC, words joined with their first letter raised ("trà vinh" → "#TràVinh"),
    everything but letters, digits and "_" removed; `ascii_only` also drops the diacritics
    ("#TraVinh"), for platforms whose search folds them anyway. "" when nothing is left."""
    words = re.findall(r"[^\W_]+|_", nfc(text))
    tag = "".join(w[:1].upper() + w[1:] if w[:1].islower() else w for w in words)
    if ascii_only:
        tag = strip_diacritics(tag).encode("ascii", "ignore").decode("ascii")
    return f"#{nfc(tag)}" if tag else ""


def hashtags(texts: Sequence[str], *, ascii_too: bool = False) -> list[str]:
    """Hashtags of `texts`, each once (compared without case), in order; with `ascii_too` each
    marked tag is followed by its form without diacritics."""
    out: list[str] = []
    seen: set[str] = set()
    for text in texts:
        forms = [hashtag(text)] + ([hashtag(text, ascii_only=True)] if ascii_too else [])
        for tag in forms:
            if tag and tag.casefold() not in seen:
                seen.add(tag.casefold())
                out.append(tag)
    return out


def youtube_title(title: str, *, platform_limit: TextLimit | None = None) -> Fitted:
    """The video title within YouTube's 100 characters, angle brackets replaced."""
    limit = platform_limit or YOUTUBE.title or TextLimit(chars=100)
    text, notes = no_angle_brackets(nfc(title), "title")
    fitted = fit(text, limit, what="title")
    return Fitted(fitted.text, limit, (*notes, *fitted.notes), fitted.truncated)


@dataclass(frozen=True)
class DescriptionParts:
    """What a description is made of, in one language."""

    lang: str
    synopsis: str
    credits: Sequence[tuple[str, str]] = ()  # (role, name) in this language
    co_producers: Sequence[str] = ()
    tags: Sequence[str] = ()  # hashtags, "#" included
    chapters: Chapters | None = None
    extra_notes: list[str] = field(default_factory=list)


def description(parts: DescriptionParts, limit: TextLimit | None = None) -> Fitted:
    """The description (module docstring) within `limit` (YouTube's 5,000 bytes by default): the
    synopsis is what gets shortened; chapters and credits are kept whole."""
    limit = limit or YOUTUBE.description or TextLimit(bytes=5000)
    labels = _LABELS.get(parts.lang, _LABELS["en"])
    notes: list[str] = list(parts.extra_notes)
    blocks: list[str] = []
    if parts.chapters is not None and parts.chapters.usable:
        blocks.append("\n".join([labels["chapters"], *parts.chapters.lines(parts.lang)]))
    elif parts.chapters is not None and parts.chapters.chapters:
        notes.append("chapters left out: YouTube would not show them (see the chapter findings)")
    co = [nfc(c) for c in parts.co_producers]
    credit_lines = [f"{nfc(role)}: {nfc(name)}" for role, name in parts.credits if nfc(name) not in co]
    if credit_lines:
        blocks.append("\n".join(credit_lines))
    if co:
        blocks.append("\n".join([labels["co"], *co]))
    if parts.tags:
        blocks.append(" ".join(parts.tags))
    tail = "\n\n".join(blocks)
    tail, bracket_notes = no_angle_brackets(tail, "description")
    synopsis, synopsis_notes = no_angle_brackets(nfc(parts.synopsis).strip(), "synopsis")
    notes += bracket_notes + synopsis_notes
    joiner = "\n\n" if tail and synopsis else ""
    room = TextLimit(chars=None if limit.chars is None else limit.chars - len(tail) - len(joiner),
                     bytes=None if limit.bytes is None else limit.bytes - utf8_len(tail) - utf8_len(joiner))
    if (room.chars is not None and room.chars < 40) or (room.bytes is not None and room.bytes < 120):
        whole = fit(synopsis + joiner + tail, limit, what="description")
        return Fitted(whole.text, limit, (*notes, *whole.notes, "the chapters, credits and tags alone nearly fill "
                                          "the limit: the end of the description was cut"), whole.truncated)
    fitted = fit(synopsis, room, what="synopsis")
    return Fitted(fitted.text + joiner + tail, limit, (*notes, *fitted.notes), fitted.truncated)


def caption(title: str, tags: Sequence[str], limit: TextLimit | None = None) -> Fitted:
    """A short-video caption: the title and the hashtags (vertical platforms show little more)."""
    text = " ".join([nfc(title).strip(), *tags]).strip()
    return fit(text, limit or TextLimit(), what="caption")


# --------------------------------------------------------------------------------------------------
# Captions for upload


@dataclass(frozen=True)
class UploadSrt:
    """A subtitle file as a platform takes it: plain UTF-8 SRT bytes, and what reading changed."""

    data: bytes
    cues: int
    notes: tuple[str, ...]


def upload_srt(path: Path) -> UploadSrt:
    """The subtitles at `path` (SRT or WebVTT, any encoding the reader takes) as plain UTF-8 SRT:
    no BOM, no tags (<i>, <font>, {\\an8}), NFC, LF. SubtitleError naming the file and line when it
    cannot be read."""
    document = read_subtitles(path)
    text = render_srt(document.cues)
    return UploadSrt(text.encode("utf-8"), len(document.cues),
                     tuple(f"{Path(path).name}: {'line ' + str(n.line) + ': ' if n.line else ''}{n.message}"
                           for n in document.notes))


def write_upload_srt(source: Path, target: Path) -> UploadSrt:
    """`upload_srt(source)` written to `target` (atomically: a reader never sees half a file)."""
    made = upload_srt(source)
    write_bytes(target, made.data)
    return made
