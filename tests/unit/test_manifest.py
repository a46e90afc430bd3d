from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from pipeline.errors import ManifestError
from pipeline.validate import load_manifest

BASE = """
id: dautu
title: {vi: "Đầu tư vào Trà Vinh", en: "Invest in Trà Vinh"}
synopsis: {vi: "Tiềm năng", en: "Potential"}
footage:
  - "rushes/*.mov"
  - {file: "Phỏng vấn Giám đốc.mp4", id: PV-01}
timeline:
  cut:
    - {clip: PV-01, in: "00:00:01:00", out: "00:00:04:00"}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "prog.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_loads_and_resolves_footage(tmp_path: Path) -> None:
    (tmp_path / "rushes").mkdir()
    (tmp_path / "rushes" / "B-roll 07.mov").write_bytes(b"x")
    (tmp_path / "rushes" / "notes.txt").write_bytes(b"x")
    programme = load_manifest(write(tmp_path, BASE))
    ids = [c.clip_id for c in programme.sources()]
    assert ids == ["B-roll 07", "PV-01"]
    assert programme.rate == Fraction(25)
    assert programme.manifest.title.vi == "Đầu tư vào Trà Vinh"


def test_missing_field_is_named(tmp_path: Path) -> None:
    with pytest.raises(ManifestError) as err:
        load_manifest(write(tmp_path, BASE.replace("id: dautu\n", "")))
    assert "prog.yaml" in str(err.value) and "id is required" in str(err.value)


def test_a_field_a_later_stage_needs_is_named_when_that_stage_runs(tmp_path: Path) -> None:
    programme = load_manifest(write(tmp_path, BASE.replace('synopsis: {vi: "Tiềm năng", en: "Potential"}\n', "")))
    programme.require(("footage", "timeline", "title"), "render")
    with pytest.raises(ManifestError) as err:
        programme.require(("title", "synopsis"), "package")
    assert "prog.yaml" in str(err.value) and "synopsis is required from the package stage on" in str(err.value)


def test_typo_field_is_named(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match=r"titel is not a known field"):
        load_manifest(write(tmp_path, BASE + "titel: x\n"))


def test_bad_timecode_names_the_event(tmp_path: Path) -> None:
    text = BASE.replace('out: "00:00:04:00"', 'out: "00:01:72:00"')
    with pytest.raises(ManifestError, match=r"timeline.cut\[0\].out"):
        load_manifest(write(tmp_path, text))


def test_path_escaping_the_manifest_folder_is_refused(tmp_path: Path) -> None:
    text = BASE.replace('"rushes/*.mov"', '"../elsewhere/*.mov"')
    with pytest.raises(ManifestError, match=r"footage\[0\] '../elsewhere/\*.mov' points outside the manifest's folder"):
        load_manifest(write(tmp_path, text))  # at load, not when ingest expands the footage
    with pytest.raises(ManifestError, match="outside"):
        load_manifest(write(tmp_path, BASE + "glossary: /etc/passwd\n"))


def test_invalid_yaml_gives_line(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="line"):
        load_manifest(write(tmp_path, "id: [unclosed\n"))


def test_master_and_cut_are_exclusive(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="exactly one of"):
        load_manifest(write(tmp_path, BASE + "  master: final.mov\n"))
