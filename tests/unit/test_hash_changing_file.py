"""A file that changes while its checksum is read (a copy from the card still running) is refused,
naming the file and the fix, and its partial checksum is never remembered."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from pipeline import fsutil
from pipeline.catalogue import Catalogue
from pipeline.errors import MediaError


def test_a_file_appended_after_its_stat_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "card.mov"
    path.write_bytes(b"a" * 1000)
    before = path.stat()
    with path.open("ab") as handle:
        handle.write(b"b" * 10)
    with pytest.raises(MediaError) as err:
        fsutil.sha256_unchanged(path, before)
    assert err.value.path == str(path)
    assert err.value.problem.startswith("changed while its checksum was being read (1,000 bytes, then 1,010)")
    assert err.value.hint == "wait until the copy finishes, then run ingest again"


def test_an_unchanged_file_gives_its_checksum(tmp_path: Path) -> None:
    path = tmp_path / "card.mov"
    path.write_bytes(b"a" * 3000)
    assert fsutil.sha256_unchanged(path, path.stat()) == hashlib.sha256(b"a" * 3000).hexdigest()


def test_the_catalogue_does_not_remember_a_checksum_read_while_the_file_grew(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "card.mov"
    path.write_bytes(b"a" * 1000)
    real = hashlib.sha256

    class Appending:
        """The copy goes on while the checksum is read: the file grows after the first chunk."""

        def __init__(self) -> None:
            self.digest, self.grown = real(), False

        def update(self, data: Any) -> None:
            if not self.grown:
                with path.open("ab") as handle:
                    handle.write(b"b" * 10)
                self.grown = True
            self.digest.update(data)

        def hexdigest(self) -> str:
            return self.digest.hexdigest()

    with Catalogue(tmp_path / "catalogue.sqlite") as cat:
        monkeypatch.setattr(fsutil.hashlib, "sha256", Appending)
        with pytest.raises(MediaError, match="changed while its checksum was being read"):
            cat.content_hash(path)
        monkeypatch.setattr(fsutil.hashlib, "sha256", real)
        assert cat.known_hash(path) is None
        assert cat.content_hash(path) == real(b"a" * 1000 + b"b" * 10).hexdigest()
