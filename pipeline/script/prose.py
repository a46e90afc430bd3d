"""Rules about the words of a script, shared by every format: tidy text, tell Vietnamese from
English, find a speaker label, recognise a stage direction.

Language is decided from diacritics, because that is what separates the two languages of a
Vietnamese newsroom's script: nearly every Vietnamese syllable carries a mark (ă â đ ê ô ơ ư or a
tone), while English carries none except in the Vietnamese names it quotes ("the Hậu River", "Định
An Economic Zone"). So English is recognised by its function words, Vietnamese by its share of
marked syllables; Vietnamese typed without diacritics is not recognised as Vietnamese.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from ..fsutil import nfc
from ..text import fold

Language = Literal["vi", "en"]

# Invisible characters Word and web pages leave in text: zero-width space/joiners, BOM, soft hyphen.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_WORD_RE = re.compile(r"[^\W\d_]+")
# English words that are not also Vietnamese syllables written without marks ("to", "an", "in",
# "than" and "a" are Vietnamese words too, so they are not evidence).
_ENGLISH = frozenset(
    {
        "the", "of", "and", "is", "are", "was", "were", "be", "been", "for", "with", "from", "this", "that",
        "these", "those", "has", "have", "had", "its", "it", "at", "on", "by", "into", "as", "we", "our", "you",
        "your", "they", "their", "which", "where", "who", "what", "will", "would", "not", "or", "more", "most",
        "can", "could", "should", "there", "here", "about", "also", "but", "when", "while", "how", "all",
        "after", "before", "over", "under", "between", "through", "during", "up", "out", "if", "so", "such",
        "only", "other",
    }
)  # fmt: skip
# A marked share above this is Vietnamese however many English words there are (a name-heavy line).
_VI_CERTAIN = 0.5
# An English line has at least this share of function words; a Vietnamese line has almost none.
_EN_MIN = 0.08
# Below the certain share, Vietnamese needs at least this share of marked syllables.
_VI_MIN = 0.25


def clean(text: str) -> str:
    """NFC, invisible characters dropped, every run of whitespace (line breaks, tabs, no-break
    spaces) one space, no space at either end."""
    return " ".join(nfc(text.translate(_INVISIBLE)).split())


def _is_marked(word: str) -> bool:
    """True when a word carries a Vietnamese diacritic (a combining mark once decomposed, or đ)."""
    if "đ" in word or "Đ" in word:
        return True
    return any(unicodedata.combining(ch) for ch in unicodedata.normalize("NFD", word))


def language_of(text: str) -> Language | None:
    """ "vi" or "en" by the rule in the module docstring; None when the text gives no evidence
    either way (no letters, or only unmarked words that are not English function words: "Ok Om Bok")."""
    words = _WORD_RE.findall(text)
    if not words:
        return None
    marked = sum(_is_marked(w) for w in words) / len(words)
    english = sum(w.casefold() in _ENGLISH for w in words) / len(words)
    if marked >= _VI_CERTAIN:
        return "vi"
    if english >= _EN_MIN:
        return "en"
    if marked >= _VI_MIN:
        return "vi"
    return None


# --------------------------------------------------------------------------------------------------
# Stage directions
# --------------------------------------------------------------------------------------------------

_BRACKETS = {"[": "]", "(": ")"}
_CLIP_DIRECTIVE = re.compile(r"^(clip|canh|canh quay|hinh|hinh anh|shot|file|tep)\s*[:：]\s*(?P<ref>\S.*)$")


def is_direction(text: str) -> bool:
    """True when the whole text is one bracketed aside, "[Nhạc nền]" or "(Hiện chữ: …)": a
    direction to the editor, not words anyone says. Text that merely contains brackets is speech."""
    if len(text) < 2 or text[0] not in _BRACKETS or text[-1] != _BRACKETS[text[0]]:
        return False
    depth = 0
    for index, ch in enumerate(text):
        if ch == text[0]:
            depth += 1
        elif ch == _BRACKETS[text[0]]:
            depth -= 1
            if depth == 0 and index != len(text) - 1:
                return False  # "(a) and (b)": the first bracket closes before the end
    return depth == 0


def clip_of_direction(text: str) -> str | None:
    """The clip named by a direction such as "[Clip: dautu_01_dinh_an]" or "(Cảnh: C0005.MXF)",
    as written; None for any other direction."""
    inner = text[1:-1].strip()
    label, sep, rest = inner.partition(":")
    if not sep:
        label, sep, rest = inner.partition("：")
    if not sep or not rest.strip():
        return None
    key = " ".join(fold(label).split())
    return clean(rest) if _CLIP_DIRECTIVE.match(f"{key}: x") else None


# --------------------------------------------------------------------------------------------------
# Speaker labels
# --------------------------------------------------------------------------------------------------

# Role labels a Vietnamese script puts before a line, folded: reporter, presenter, narration,
# interview, sound on tape, character…
_ROLES = frozenset(
    {
        "pv", "phong vien", "mc", "btv", "bien tap vien", "dan chuyen", "nguoi dan chuyen", "loi binh",
        "thuyet minh", "loi dan", "narrator", "narration", "voice over", "vo", "sot", "phong van", "nv",
        "nhan vat", "reporter", "presenter", "interviewee", "khach moi", "nguoi dan",
    }
)  # fmt: skip
# Honorifics and titles that start a person's label; after one, the label may carry a role:
# "Ông Lê Quốc Thắng, Giám đốc Sở Kế hoạch và Đầu tư:".
_HONORIFICS = frozenset(
    {
        "ong", "ba", "anh", "chi", "co", "chu", "bac", "em", "thay", "pgs", "gs", "ts", "ths", "bs", "ks", "ls",
        "dai ta", "thuong ta", "trung ta", "thieu ta", "mr", "mrs", "ms", "dr",
    }
)  # fmt: skip
_LABEL_RE = re.compile(r"^(?P<label>[^:：\n]{1,120}?)\s*[:：]\s*(?P<rest>.*)$", re.S)
_NOT_IN_LABEL = re.compile(r"[\d;!?\"“”«»]")
_SEPARATORS = re.compile(r"\s*(?:,|–|—|-|\()\s*")


def _capitalised(word: str) -> bool:
    return word[:1].isupper()


def is_speaker_label(label: str) -> bool:
    """Whether the text before a colon names who speaks, by the rules in `split_speaker`."""
    label = clean(label)
    if not label or _NOT_IN_LABEL.search(label):
        return False
    folded = " ".join(fold(label).replace(".", " ").split())
    if folded in _ROLES:
        return True
    words = label.split()
    if len(words) == 1 and words[0].isupper() and words[0].isalpha() and len(words[0]) <= 5:
        return True  # PV, MC, SOT, BTV
    first = fold(words[0]).rstrip(".")
    if first in _HONORIFICS or " ".join(folded.split()[:2]) in _HONORIFICS:
        name = _SEPARATORS.split(label, maxsplit=1)[0].split()
        return len(words) <= 15 and all(_capitalised(w) for w in name[1:])
    if _SEPARATORS.search(label):
        return False
    return 2 <= len(words) <= 4 and all(_capitalised(w) for w in words)


def split_speaker(text: str) -> tuple[str | None, str]:
    """("Lê Quốc Thắng", "Trà Vinh có …") from "Lê Quốc Thắng: Trà Vinh có …"; (None, text) when
    the line does not start with a speaker label.

    A label is a role ("PV", "MC", "Lời bình", "Phỏng vấn", "narrator"), an upper-case abbreviation
    of up to five letters, a person after an honorific or title ("Ông Lê Quốc Thắng, Giám đốc Sở…",
    "TS. Nguyễn Văn A"), or two to four capitalised words (a bare name). No digits, so "Năm 2025:"
    and timecodes are not labels. A sentence starting with a capitalised place and a colon ("Trà
    Vinh: …") does read as a label; write such a line without the colon or give the speaker a column.
    """
    match = _LABEL_RE.match(text)
    if not match or not is_speaker_label(match["label"]):
        return None, text
    return clean(match["label"]), clean(match["rest"])


# --------------------------------------------------------------------------------------------------
# Explicit language markers in text formats
# --------------------------------------------------------------------------------------------------

_EN_MARKERS = frozenset({"en", "eng", "english", "tieng anh", "ban dich", "dich"})
_VI_MARKERS = frozenset({"vi", "vn", "tieng viet"})
_MARKER_RE = re.compile(r"^(?P<label>[^\W\d_][^\W\d_ ]*(?: [^\W\d_]+)?)\s*[:：]\s*(?P<rest>.*)$", re.S)


@dataclass(frozen=True)
class Marked:
    """A line split at an explicit language marker ("EN: …", "Tiếng Anh: …", "VI: …")."""

    language: Language
    text: str


def language_marker(line: str) -> Marked | None:
    """The language a line declares with a leading marker, and the text after it; None without one."""
    match = _MARKER_RE.match(line.strip())
    if not match:
        return None
    key = " ".join(fold(match["label"]).split())
    if key in _EN_MARKERS:
        return Marked("en", match["rest"])
    if key in _VI_MARKERS:
        return Marked("vi", match["rest"])
    return None
