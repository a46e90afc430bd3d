"""Hostile manifests (issue 24): ids that are paths, names in another Unicode form, YAML that reads
silently wrong, thousands of problems, `--json` on errors, and what `run` needs found before it
starts. Every manifest here is a real file in tmp_path, loaded the way the CLI loads it."""

from __future__ import annotations

import json
import os
import unicodedata
from pathlib import Path

import pytest

from pipeline.batch.discover import load_entries
from pipeline.cli import main
from pipeline.errors import ManifestError, WorkspaceError
from pipeline.lock import programme_lock
from pipeline.run import preflight, stage
from pipeline.validate import ManifestProblems, load_manifest
from pipeline.workspace import Workspace, segment_problem

NAME = "Phỏng vấn Giám đốc Sở.mov"  # composed (NFC), as the manifest is read


def write(folder: Path, text: str, name: str = "prog.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path) -> ManifestError:
    with pytest.raises(ManifestError) as err:
        load_manifest(path)
    return err.value


# -- 1. ids and other names that become paths ---------------------------------------------------------

@pytest.mark.parametrize("written", [
    '"../../../../victim"', '"/tmp/victim"', '"a/b"', "'a\\b'", '".."', '"."', '".hidden"', '""', '"  "',
    '" lead"', '"a\\tb"', '"nl\\nid"', '"a\\0b"', '"' + "x" * 300 + '"',
])
def test_a_clip_id_that_is_not_one_clean_name_is_refused_at_load(tmp_path: Path, written: str) -> None:
    (tmp_path / "a.mov").write_bytes(b"x")
    err = error_of(write(tmp_path, f"id: prog\nfootage:\n  - {{file: a.mov, id: {written}}}\n"))
    line = err.one_line()
    assert "prog.yaml" in line and "footage[0].id" in line, line
    assert "\n" not in line and "Input should be a valid string" not in line


def test_good_clip_ids_keep_loading(tmp_path: Path) -> None:
    text = 'id: prog\nfootage:\n  - {file: a.mov, id: "PV-01"}\n  - {file: b.mov, id: "Phỏng vấn 2"}\n'
    ids = [c.clip_id for c in load_manifest(write(tmp_path, text)).sources()]
    assert ids == ["PV-01", "Phỏng vấn 2"]


@pytest.mark.parametrize("file_name", ["..mov", ".hidden.mov"])
def test_a_clip_id_taken_from_a_file_name_must_be_a_clean_name_too(tmp_path: Path, file_name: str) -> None:
    err = error_of(write(tmp_path, f'id: prog\nfootage: ["{file_name}"]\n'))
    assert "footage[0]" in err.problem and "explicit `id:`" in err.problem
    # with an explicit id the same file is fine
    load_manifest(write(tmp_path, f'id: prog\nfootage: [{{file: "{file_name}", id: hidden}}]\n'))


def test_a_cut_naming_a_path_is_refused_even_before_the_card_is_copied(tmp_path: Path) -> None:
    text = ("id: prog\nfootage: ['cards/*.mov']\ntimeline:\n  cut:\n"
            "    - {clip: ../../etc, in: '00:00:00:00', out: '00:00:01:00'}\n")
    assert "timeline.cut[0].clip" in error_of(write(tmp_path, text)).problem


def test_a_deliverable_name_is_a_profile_name_not_a_path(tmp_path: Path) -> None:
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "..yaml").write_text("base: web-720p\n", encoding="utf-8")  # its stem is "."
    err = error_of(write(tmp_path, "id: prog\nfootage: [a.mov]\ndeliverables: [web-720p, '.', ../../x]\n"))
    assert "deliverables[1]" in err.problem and "deliverables[2]" in err.problem
    assert "not a deliverable name" in err.problem


def test_an_edit_file_outside_the_manifest_folder_is_refused_at_load(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, "id: prog\nfootage: [a.mov]\ntimeline: {edit: ../../cut.xml}\n"))
    assert "timeline.edit '../../cut.xml' points outside the manifest's folder" in err.problem


def test_the_workspace_refuses_every_path_outside_the_programme_folder(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws", "prog")
    for bad in ("../../../../victim", "/tmp/victim", "a/b", "a\\b", "..", ".", ".x", "", "a\x00b", "\ud83c"):
        for build in (ws.ingest_dir, ws.probe_json, ws.proxy, ws.audio16k, ws.poster, ws.thumbs, ws.shots_json,
                      ws.conform, ws.transcript_json, ws.transcript_txt, ws.render_dir):
            with pytest.raises(WorkspaceError, match="ws"):
                build(bad)
        if bad not in ("..", ".", ".x", ""):  # inside the name `prog.<lang>.srt` these are harmless
            with pytest.raises(WorkspaceError):
                ws.subtitle(bad, "srt")
        with pytest.raises(WorkspaceError):
            Workspace(tmp_path / "ws", bad)
    assert not (tmp_path / "victim").exists()
    good = ws.ingest_dir("Phỏng vấn 2")
    assert good == tmp_path / "ws" / "prog" / "ingest" / "Phỏng vấn 2"
    assert ws.transcript_json("PV-01").name == "PV-01.json" and ws.render_dir("web-720p").name == "web-720p"


def test_segment_rule() -> None:
    assert segment_problem("Phỏng vấn Giám đốc") is None and segment_problem("B-roll_07 (2)") is None
    assert "'/'" in (segment_problem("a/b") or "")
    assert "dot" in (segment_problem(".x") or "")


# -- 7. names stored decomposed (macOS) -----------------------------------------------------------------

def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def test_a_file_stored_decomposed_is_found_by_its_composed_name(tmp_path: Path) -> None:
    (tmp_path / nfd(NAME)).write_bytes(b"x")
    assert not (tmp_path / NAME).exists()  # this file system keeps the two spellings apart
    programme = load_manifest(write(tmp_path, f'id: prog\nfootage:\n  - {{file: "{NAME}", id: pv}}\n'))
    [clip] = programme.sources()
    assert clip.path.is_file() and clip.path.name == nfd(NAME)


def test_a_file_stored_composed_is_found_by_its_decomposed_name(tmp_path: Path) -> None:
    (tmp_path / NAME).write_bytes(b"x")
    programme = load_manifest(write(tmp_path, f'id: prog\nfootage: ["{nfd(NAME)}"]\n'))
    [clip] = programme.sources()
    assert clip.path.is_file() and clip.clip_id == unicodedata.normalize("NFC", Path(NAME).stem)


def test_mixed_forms_along_the_path_are_found_by_listing(tmp_path: Path) -> None:
    folder = tmp_path / nfd("Thư mục")  # the folder decomposed, the file in it composed
    folder.mkdir()
    (folder / NAME).write_bytes(b"x")
    (tmp_path / nfd("Lời bình.yaml")).write_text("terms: []\n", encoding="utf-8")
    text = f'id: prog\nfootage: ["Thư mục/{NAME}"]\nglossary: "Lời bình.yaml"\n'
    programme = load_manifest(write(tmp_path, text))  # the glossary check at load finds it too
    assert programme.sources()[0].path == folder / NAME
    assert programme.glossary_path() == tmp_path / nfd("Lời bình.yaml")


def test_a_vietnamese_glob_matches_decomposed_names(tmp_path: Path) -> None:
    (tmp_path / nfd(NAME)).write_bytes(b"x")
    programme = load_manifest(write(tmp_path, 'id: prog\nfootage: ["Phỏng vấn*.mov"]\n'))
    assert [c.clip_id for c in programme.sources()] == ["Phỏng vấn Giám đốc Sở"]


# -- 11. surrogate escapes --------------------------------------------------------------------------------

def test_a_surrogate_escape_is_a_clean_manifest_error(tmp_path: Path) -> None:
    path = write(tmp_path, 'id: prog\nfootage:\n  - {file: "c\\u1ea3nh\\ud83c\\udfacquay.mov"}\n')
    err = error_of(path)
    line = err.one_line()
    assert "prog.yaml" in line and "footage[0].file" in line and "\\U0001F3AC" in line
    line.encode("utf-8")  # printable: no surrogate reaches the terminal


def test_a_surrogate_escape_through_the_cli_is_one_line_and_exit_2(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, 'id: prog\nfootage: ["c\\ud83c.mov"]\n')
    with pytest.raises(SystemExit) as exit_:
        main(["--workspace", str(tmp_path / "ws"), "ingest", str(path)])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("\n") == 1 and "footage[0]" in err


def test_yaml_nested_too_deep_is_a_clean_error_for_run_and_batch(tmp_path: Path) -> None:
    path = write(tmp_path, "id: prog\nfootage: [a.mov]\nx: " + "[" * 1200 + "]" * 1200 + "\n")
    assert "nests lists or mappings too deeply" in error_of(path).problem
    [entry] = load_entries([tmp_path])
    assert entry.error is not None and "too deeply" in entry.error.problem


# -- 12. YAML read silently wrong, globs, fps, thousands of problems --------------------------------------

def test_a_key_given_twice_is_refused_with_the_line_of_the_second(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, "id: prog\nfootage: [a.mov]\nid: other\n"))
    assert "line 3" in err.problem and "'id' is given twice (first at line 1)" in err.problem
    nested = error_of(write(tmp_path, 'id: prog\nhouse: {fps: "25", fps: "30"}\nfootage: [a.mov]\n'))
    assert "line 2" in nested.problem and "'fps'" in nested.problem


def test_merge_keys_are_not_duplicates(tmp_path: Path) -> None:
    text = ('id: prog\nfootage: [a.mov]\nx_base: &b {vi: "Một", en: One}\n')
    load_text = text.replace("x_base: &b", "title: &b") + "synopsis: {<<: *b, en: Two}\n"
    assert load_manifest(write(tmp_path, load_text)).manifest.synopsis.en == "Two"  # type: ignore[union-attr]


def test_a_glob_matching_nothing_is_an_error_even_when_others_match(tmp_path: Path) -> None:
    (tmp_path / "a.mov").write_bytes(b"x")
    (tmp_path / "cards").mkdir()
    (tmp_path / "cards" / "notes.txt").write_bytes(b"x")
    programme = load_manifest(write(tmp_path, "id: prog\nfootage: ['*.mov', 'cards/*']\n"))  # still copying: loads
    with pytest.raises(ManifestError, match=r"footage\[1\]: the glob 'cards/\*' matches no footage"):
        programme.sources()


@pytest.mark.parametrize("written", ["25", "29.97", "30000"])
def test_an_unquoted_frame_rate_gets_the_fix(tmp_path: Path, written: str) -> None:
    err = error_of(write(tmp_path, f"id: prog\nhouse: {{fps: {written}}}\nfootage: [a.mov]\n"))
    assert f'house.fps {written} is read by YAML as a number; write the frame rate in quotes: fps: "{written}"' \
        in err.problem


def test_ten_thousand_problems_are_one_readable_line(tmp_path: Path) -> None:
    entries = "".join(f"  - {{file: f{i}.mov, colour: red}}\n" for i in range(10_000))
    with pytest.raises(ManifestProblems) as err:
        load_manifest(write(tmp_path, "id: prog\nfootage:\n" + entries))
    line = err.value.one_line()
    assert len(err.value.problems) == 10_000
    assert line.startswith(f"{tmp_path / 'prog.yaml'}: 10000 problems: footage[0].colour")
    assert "… and 9980 more" in line and len(line) < 3000


def test_a_long_problem_is_cut_and_a_long_list_of_ids_counted(tmp_path: Path) -> None:
    footage = "footage: [" + ", ".join(f"{{file: f{i}.mov, id: clip{i:04}}}" for i in range(500)) + "]\n"
    cut = "timeline:\n  cut:\n    - {{clip: {clip}, in: '00:00:00:00', out: '00:00:01:00'}}\n"
    with pytest.raises(ManifestProblems) as err:
        load_manifest(write(tmp_path, "id: prog\n" + footage + cut.format(clip="nope")))
    assert "clip0011, … (500 in all)" in err.value.one_line() and len(err.value.one_line()) < 400
    with pytest.raises(ManifestProblems) as err:
        load_manifest(write(tmp_path, "id: prog\n" + footage + cut.format(clip="x" * 190)))
    assert err.value.problems[0].endswith("(500 in all))") and "x" * 190 in err.value.problems[0]
    assert "…" in err.value.one_line() and len(err.value.one_line()) < 500


# -- 12. --json on errors ------------------------------------------------------------------------------------

def json_run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, object], str]:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    out, err = capsys.readouterr()
    code = exit_.value.code
    assert isinstance(code, int)
    return code, json.loads(out), err


def test_json_prints_a_document_for_a_manifest_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "id: prog\nfootage: [{file: a.mov, id: ../../victim}]\n")
    code, doc, err = json_run(["--workspace", str(tmp_path / "ws"), "--json", "ingest", str(path)], capsys)
    assert code == 2 and doc["ok"] is False
    error = doc["error"]
    assert isinstance(error, dict) and error["type"] == "ManifestProblems" and error["exit_code"] == 2
    assert "footage[0].id" in error["problems"][0] and "prog.yaml" in error["line"]
    assert "footage[0].id" in err  # the line for a person stays on stderr


def test_json_prints_a_document_when_the_programme_is_busy(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.mov").write_bytes(b"x")
    path = write(tmp_path, "id: prog\nfootage: [a.mov]\n")
    with programme_lock(Workspace((tmp_path / "ws").absolute(), "prog"), command="reportage run prog.yaml"):
        code, doc, _ = json_run(["--workspace", str(tmp_path / "ws"), "--json", "ingest", str(path)], capsys)
    error = doc["error"]
    assert code == 75 and isinstance(error, dict) and error["type"] == "ProgrammeBusy"
    assert "is busy" in error["problem"] and error["hint"]


def test_without_json_stdout_stays_empty(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "id: prog\nfootage: [a.mov]\nid: again\n")
    with pytest.raises(SystemExit):
        main(["--workspace", str(tmp_path / "ws"), "ingest", str(path)])
    out, err = capsys.readouterr()
    assert out == "" and "given twice" in err


# -- 12. what a walk needs, found before it starts --------------------------------------------------------

CUT = ("id: prog\nfootage: [{file: a.mov, id: a}]\n"
       "timeline:\n  cut:\n    - {clip: a, in: '00:00:00:00', out: '00:00:01:00'}\n")


def test_a_walk_is_refused_at_once_when_the_title_or_the_edit_is_missing(tmp_path: Path) -> None:
    (tmp_path / "a.mov").write_bytes(b"x")
    programme = load_manifest(write(tmp_path, CUT + "deliverables: [web-720p]\n"))  # loads: ingest needs no title
    with pytest.raises(ManifestProblems) as err:
        preflight(programme)
    assert err.value.problems == (
        'title: required from the render stage on (add `title: {vi: "…", en: "…"}`)',
        'synopsis: required from the package stage on (add `synopsis: {vi: "…", en: "…"}`)',
    )
    edit = load_manifest(write(tmp_path, 'id: prog\nfootage: [a.mov]\ntitle: {vi: A, en: A}\n'
                                         'synopsis: {vi: A, en: A}\ndeliverables: [web-720p]\n'
                                         'timeline: {edit: "cắt v3.xml"}\n'))
    with pytest.raises(ManifestProblems, match=r"timeline\.edit: file 'cắt v3\.xml' not found \(the assemble"):
        preflight(edit)
    with pytest.raises(ManifestError, match=r"prog\.yaml: timeline\.edit: file 'cắt v3\.xml' not found"):
        stage("assemble").run(edit, Workspace(tmp_path / "ws", "prog"))


def test_rushes_are_still_walked_as_far_as_they_go(tmp_path: Path) -> None:
    preflight(load_manifest(write(tmp_path, "id: prog\nfootage: [a.mov]\n")))


def test_run_says_what_is_missing_before_any_work(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.mov").write_bytes(b"not a video")
    path = write(tmp_path, CUT + "synopsis: {vi: A, en: A}\ndeliverables: [web-720p]\n")
    code, doc, err = json_run(["--workspace", str(tmp_path / "ws"), "--json", "run", str(path)], capsys)
    assert code == 2 and "title: required from the render stage on" in err
    assert isinstance(doc["error"], dict) and doc["error"]["type"] == "ManifestProblems"
    assert not (tmp_path / "ws").exists()  # nothing was started


def test_a_batch_names_the_programme_missing_a_title(tmp_path: Path) -> None:
    write(tmp_path, CUT + "synopsis: {vi: A, en: A}\ndeliverables: [web-720p]\n")
    [entry] = load_entries([tmp_path])
    assert entry.programme is None and entry.error is not None and "title" in entry.error.problem


def test_no_manifest_value_reaches_a_path_outside_the_workspace(tmp_path: Path) -> None:
    """Every hostile value above is refused before a Workspace path is built from it."""
    (tmp_path / "a.mov").write_bytes(b"x")
    for text in ("id: ../x\nfootage: [a.mov]\n", "id: prog\nfootage: [{file: a.mov, id: /x}]\n",
                 "id: prog\nfootage: [a.mov]\ndeliverables: [/x]\n"):
        with pytest.raises(ManifestError):
            load_manifest(write(tmp_path, text))
    assert sorted(os.listdir(tmp_path)) == ["a.mov", "prog.yaml"]
