"""`reportage verify-stream DIR`: a table or one JSON document, exit 0 on a good package and 1 on a
broken one, with the failing rule and the playlist line in the document."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.cli import main
from tests.streampkg import build_package


def _run(argv: list[str]) -> int:
    try:
        main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def test_verify_stream_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    package = build_package(tmp_path / "web")

    assert _run(["verify-stream", str(package.folder)]) == 0
    out = capsys.readouterr()
    assert "webvtt-timestamp-map" in out.out and "PASS" in out.out

    (package.folder / "v1" / "index.m3u8").unlink()
    assert _run(["verify-stream", str(package.folder), "--json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["ok"] is False and document["status"] == "FAIL"
    failures = [r for r in document["results"] if r["status"] == "FAIL"]
    assert [(r["rule"], r["playlist"], r["line"]) for r in failures] == [
        ("uri-resolves", "master.m3u8", package.master_lines["v1/index.m3u8"])]
    assert {rule["id"] for rule in document["rules"]} >= {"group-default", "webvtt-boundary-cues", "idr-start"}

    assert _run(["--json", "verify-stream", str(tmp_path / "nowhere")]) == 1
    error = json.loads(capsys.readouterr().out)
    assert error["ok"] is False and "nowhere" in error["error"]["path"]
