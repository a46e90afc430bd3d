"""A script longer than any programme could be is refused, in a moment and before it is parsed;
and the aligner, row at a time, gives exactly what it gave cell by cell, in a fraction of the time.

The 640,000-paragraph DOCX is the one that once held a programme's lock for over five minutes: a
214 KB file whose one paragraph, repeated, unpacks to 30 MB of XML.
"""

from __future__ import annotations

import hashlib
import random
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path

import docx
import pytest
from openpyxl import Workbook

from pipeline.script import ScriptError, limits, read_script
from pipeline.script import align as aligner
from pipeline.script.align import GAP, MATCH, NEAR, align, syllable_keys
from pipeline.subs.cues import TimedWord

SENTENCE = "Trà Vinh có hơn một trăm ngôi chùa Khmer cổ kính."


def error_of(path: Path) -> ScriptError:
    with pytest.raises(ScriptError) as caught:
        read_script(path)
    return caught.value


def _with_part(template: Path, target: Path, part: str, make: str) -> Path:
    """`template` (a .docx or .xlsx) with `part` replaced by `make`, as a DEFLATE zip."""
    with zipfile.ZipFile(template) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            out.writestr(info.filename, make.encode() if info.filename == part else source.read(info))
    return target


def huge_docx(tmp_path: Path, paragraphs: int) -> Path:
    template = tmp_path / "template.docx"
    document = docx.Document()
    document.add_paragraph("x")
    document.save(str(template))
    with zipfile.ZipFile(template) as archive:
        xml = archive.read("word/document.xml").decode()
    body = xml.index("<w:body>") + len("<w:body>")
    many = xml[:body] + f"<w:p><w:r><w:t>{SENTENCE}</w:t></w:r></w:p>" * paragraphs + xml[body:]
    return _with_part(template, tmp_path / "kịch bản.docx", "word/document.xml", many)


def test_a_docx_of_640000_paragraphs_is_refused_in_a_moment(tmp_path: Path) -> None:
    path = huge_docx(tmp_path, 640_000)
    assert path.stat().st_size < 400_000  # small on disk: the size is in what it unpacks to
    started = time.monotonic()
    error = error_of(path)
    assert time.monotonic() - started < 5
    line = error.one_line()
    assert str(path) in line and "MB of XML" in line and "limit" in line and "script:" in line


def test_a_docx_of_too_many_short_paragraphs_names_their_count(tmp_path: Path) -> None:
    path = huge_docx(tmp_path, limits.MAX_PARAGRAPHS)  # and the template's own paragraph
    started = time.monotonic()
    error = error_of(path)
    assert time.monotonic() - started < 5
    assert f"{limits.MAX_PARAGRAPHS + 1:,} paragraphs" in error.problem
    assert f"the limit is {limits.MAX_PARAGRAPHS:,} paragraphs" in error.problem
    assert error.hint and "empty paragraphs" in error.hint


def test_an_xlsx_of_too_many_cells_is_refused_before_it_is_loaded(tmp_path: Path) -> None:
    template = tmp_path / "template.xlsx"
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["vi", "en"])
    book.save(str(template))
    with zipfile.ZipFile(template) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    rows = "".join(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>{SENTENCE}</t></is></c>'
                   f'<c r="B{r}" t="inlineStr"><is><t>Tra Vinh</t></is></c></row>' for r in range(2, 60_002))
    xml = xml.replace("</sheetData>", rows + "</sheetData>")
    path = _with_part(template, tmp_path / "kịch bản.xlsx", "xl/worksheets/sheet1.xml", xml)
    started = time.monotonic()
    error = error_of(path)
    assert time.monotonic() - started < 5
    assert "120,002 cells" in error.problem and f"{limits.MAX_CELLS:,} cells" in error.problem


def test_a_huge_text_file_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "kịch bản.csv"
    path.write_bytes(b"vi,en\n" + f"{SENTENCE},Tra Vinh\n".encode() * 80_000)  # 5 MB
    started = time.monotonic()
    error = error_of(path)
    assert time.monotonic() - started < 2
    assert "MB" in error.problem and f"the limit is {limits.size(limits.MAX_TEXT_BYTES)}" in error.problem
    lines = tmp_path / "blank.txt"
    lines.write_bytes(SENTENCE.encode() + b"\n" * 300_000)  # small, but a quarter of a million empty lines
    assert "300,000 lines" in error_of(lines).problem


def test_a_script_of_more_sentences_than_a_programme_holds_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "kịch bản.csv"
    rows = "".join(f"Câu số {n} nói về Trà Vinh.,Sentence {n}.\n" for n in range(limits.MAX_SENTENCES + 1))
    path.write_text("vi,en\n" + rows, encoding="utf-8")
    error = error_of(path)
    line = error.one_line()
    assert str(path) in line
    assert f"{limits.MAX_SENTENCES + 1:,} sentences" in error.problem
    assert f"the limit is {limits.MAX_SENTENCES:,} sentences" in error.problem
    assert error.hint and "script:" in error.hint
    path.write_text("vi,en\n" + rows.split("\n", 1)[1], encoding="utf-8")  # one sentence fewer: read
    assert len(read_script(path).lines) == limits.MAX_SENTENCES


def test_a_script_that_is_not_a_plain_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "kịch bản.csv"
    path.symlink_to("/dev/zero")
    assert "not a plain file" in error_of(path).problem


# -- the aligner ----------------------------------------------------------------------------------------

def _fit_cell_by_cell(script: Sequence[str], heard: Sequence[str], offset: int,
                      breaks: Sequence[float] = ()) -> tuple[float, tuple[tuple[int, int], ...], float] | None:
    """The aligner's dynamic programme as it was written first, one cell at a time (the reference)."""
    n, m = len(script), len(heard)
    breaks = list(breaks) or [0.0] * m
    if n == 0 or m == 0:
        return None
    prev = [0.0] * (m + 1)
    steps: list[bytearray] = [bytearray(m + 1)]
    for i in range(1, n + 1):
        cur = [0.0] * (m + 1)
        step = bytearray(m + 1)
        cur[0], step[0] = prev[0] + GAP, 1
        for j in range(1, m + 1):
            run_on = breaks[j - 1] if j > 1 else 0.0
            diag = prev[j - 1] + aligner._sub(script[i - 1], heard[j - 1]) + (run_on if i > 1 else 0.0)
            up = prev[j] + GAP
            left = cur[j - 1] + GAP + run_on
            if diag >= up and diag >= left:
                cur[j], step[j] = diag, 0
            elif up >= left:
                cur[j], step[j] = up, 1
            else:
                cur[j], step[j] = left, 2
        steps.append(step)
        prev = cur
    end = max(range(m + 1), key=lambda j: prev[j])
    pairs: list[tuple[int, int]] = []
    heard_score = 0.0
    i, j = n, end
    while i > 0:
        move = steps[i][j] if j > 0 else 1
        if move == 0:
            s = aligner._sub(script[i - 1], heard[j - 1])
            heard_score += 1.0 if s == MATCH else 0.5 if s == NEAR else 0.0
            pairs.append((i - 1, offset + j - 1))
            i, j = i - 1, j - 1
        elif move == 1:
            i -= 1
        else:
            j -= 1
    return (prev[end], tuple(reversed(pairs)), heard_score / n) if pairs else None


def test_the_row_at_a_time_alignment_is_the_cell_by_cell_one_exactly() -> None:
    rng = random.Random(7)
    vocabulary = [k for word in (SENTENCE + " Đây là vùng động lực của tỉnh, nơi hội tụ cảng biển và năng lượng "
                                 "luồng tàu sông Hậu đã mở ra con đường ngắn nhất chà bình vinh").split()
                  for k in syllable_keys(word)]
    for _ in range(600):
        script = [rng.choice(vocabulary) for _ in range(rng.randint(1, 14))]
        heard = [rng.choice(vocabulary) for _ in range(rng.randint(1, 50))]
        breaks = [rng.choice([0.0, 0.0, 0.0, -3.0, -12.0]) for _ in heard] if rng.random() < 0.5 else []
        fit = aligner._fit(script, heard, 5, breaks)
        expected = _fit_cell_by_cell(script, heard, 5, breaks)
        assert (fit.score, fit.pairs, fit.heard) == expected if fit else expected is None  # bit for bit


def test_twenty_minutes_of_narration_align_in_seconds() -> None:
    """200 sentences on 4,000 heard syllables, a third misheard: minutes cell by cell, seconds now."""
    rng = random.Random(3)
    onsets = ["", "b", "c", "ch", "d", "đ", "g", "h", "kh", "l", "m", "n", "ng", "nh", "ph", "s", "t", "th", "tr", "v"]
    rhymes = ["a", "à", "án", "ang", "anh", "ên", "inh", "ông", "ước", "ười", "ương", "ăm", "ân", "ấy", "iêu", "uyên",
              "ốc", "ạt", "ưa", "oi", "ao", "ơn", "ệt", "em", "ôi", "ơi", "ay", "iết", "ai", "ach", "ich", "ong",
              "ung", "ưng", "ac", "ăn", "ắt", "oa", "oàn", "uê"]
    words = [onset + rhyme for onset in onsets for rhyme in rhymes]
    sentences = [" ".join(rng.choice(words) for _ in range(rng.randint(12, 28))) + "." for _ in range(200)]
    heard: list[TimedWord] = []
    at = 0
    for sentence in sentences:
        for token in sentence.rstrip(".").split():
            heard.append(TimedWord(at, at + 260, rng.choice(words) if rng.random() < 0.3 else token, 0.8, None,
                                   f"c{at // 120_000}@{at}"))
            at += 300
        at += 700

    class Line:
        def __init__(self, number: int, vi: str) -> None:
            self.ref, self.vi, self.en, self.speaker, self.clip = f"row {number}", vi, None, None, None

    started = time.monotonic()
    result = align([Line(n, s) for n, s in enumerate(sentences, 1)], heard)
    assert time.monotonic() - started < 60
    assert len({p.sentence.id for p in result.placements}) >= 195


def test_the_written_bytes_stay_the_stage_input(tmp_path: Path) -> None:
    """The limits read the file once: the script's hash is still of its bytes."""
    path = tmp_path / "s.csv"
    path.write_text(f"vi,en\n{SENTENCE},Tra Vinh\n", encoding="utf-8")
    assert read_script(path).sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
