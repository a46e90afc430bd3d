"""The one YAML-to-model loader (pipeline/yamlmodel.py): errors say `file: field problem`."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict, Field

from pipeline.errors import ManifestError, SubtitleError
from pipeline.yamlmodel import load_yaml_model, location, read_yaml


class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    size: int = Field(default=1, ge=1)


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str
    items: list[_Item] = Field(default_factory=list)
    either: int | str = 0


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "doc.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file_becomes_the_model_with_nfc_text(tmp_path: Path) -> None:
    path = tmp_path / "doc.yaml"
    path.write_bytes("\ufefftitle: Tra\u0300 Vinh\nitems: [{name: a, size: 2}]\n".encode())
    doc = load_yaml_model(path, _Doc, what="document")
    assert doc.title == "Trà Vinh" and doc.items[0].size == 2


def test_every_wrong_field_is_named_with_its_path(tmp_path: Path) -> None:
    path = write(tmp_path, "items: [{name: a}, {name: b, size: 0, colour: red}]\n")
    with pytest.raises(ManifestError) as caught:
        load_yaml_model(path, _Doc, what="document")
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert "title is required" in message
    assert "items[1].size Input should be greater than or equal to 1" in message
    assert "items[1].colour is not a known field (check its spelling)" in message


def test_the_callers_error_class_is_raised(tmp_path: Path) -> None:
    with pytest.raises(SubtitleError, match=r"glossary not found") as caught:
        load_yaml_model(tmp_path / "none.yaml", _Doc, what="glossary", error=SubtitleError, missing_hint="check it")
    assert caught.value.hint == "check it" and caught.value.exit_code == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"title: [\n", r"is not valid YAML at line 2, column 1"),
        (b"title: \xff\n", r"is not UTF-8 text"),
        (b"- a\n- b\n", r"must be a YAML mapping \(title: and items:\)"),
    ],
)
def test_unreadable_files(tmp_path: Path, data: bytes, message: str) -> None:
    path = tmp_path / "doc.yaml"
    path.write_bytes(data)
    with pytest.raises(ManifestError, match=message):
        load_yaml_model(path, _Doc, what="document", shape="title: and items:")


def test_an_empty_file_is_an_empty_mapping(tmp_path: Path) -> None:
    assert read_yaml(write(tmp_path, ""), what="document") is None
    with pytest.raises(ManifestError, match="title is required"):
        load_yaml_model(write(tmp_path, ""), _Doc, what="document")


def test_location_skips_union_member_tags() -> None:
    assert location(("items", 2, "name")) == "items[2].name"
    assert location(("either", "int")) == "either"
    assert location(("footage", 0, "FootageEntry", "path"), frozenset({"FootageEntry"})) == "footage[0].path"
    assert location(("x", "function-after[_check(), str]")) == "x"
    assert location(()) == "(top level)"
