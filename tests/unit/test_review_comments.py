"""Who may delete a note: its author, or a producer named when the room was started
(`reportage review --producer NAME`); anyone else is refused (403) and nothing is deleted."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.records import review as review_record
from pipeline.review import comments
from pipeline.workspace import Workspace


def _note(ws: Workspace, author: str) -> str:
    body = {"in_ms": 1000, "out_ms": 2000, "author": author, "text": "Chỗ này hình hơi tối"}
    made = comments.add_comment(ws, body, 8000, frozenset())
    return made.id


def test_the_author_or_a_producer_deletes_and_nobody_else(tmp_path: Path) -> None:
    ws = Workspace(tmp_path, "dautu")
    first, second = _note(ws, "Nguyễn Thị Hà"), _note(ws, "Lâm Văn Tài")
    with pytest.raises(comments.Forbidden) as refused:
        comments.delete(ws, first, "Trần Minh Khoa", producers=("Phạm Quốc Bảo",))
    assert "Nguyễn Thị Hà or a producer" in refused.value.problem
    assert {n.id for n in review_record.read_notes(ws)} == {first, second}
    comments.delete(ws, first, "nguyễn thị hà")  # the author, whatever the case
    comments.delete(ws, second, "Phạm Quốc Bảo", producers=("Phạm Quốc Bảo",))
    assert review_record.read_notes(ws) == []
