"""The HLS package validator: a correct package passes every rule; packages broken on purpose fail
with the rule and the playlist line that breaks it, and nothing else fails."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from pipeline.errors import WorkspaceError
from pipeline.publish.streamcheck import RULE_IDS, RULES, StreamReport, parse_attributes, verify_stream
from pipeline.qc.plan import Status
from tests.streampkg import StreamPackage, build_package, reencode_without_idr


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> StreamPackage:
    return build_package(tmp_path_factory.mktemp("hls") / "web")


@pytest.fixture()
def pkg(good: StreamPackage, tmp_path: Path) -> StreamPackage:
    """A copy of the good package for one test to break."""
    folder = tmp_path / "web"
    shutil.copytree(good.folder, folder)
    return replace(good, folder=folder)


def _failed(report: StreamReport) -> set[str]:
    return {r.rule for r in report.failures()}


def _failure(report: StreamReport, rule: str) -> list[tuple[str, int | None]]:
    return [(r.playlist, r.line) for r in report.failures() if r.rule == rule]


def test_rules_are_data_with_sources() -> None:
    assert len(set(RULE_IDS)) == len(RULES)
    for rule in RULES:
        assert rule.source.startswith(("RFC 8216 §", "Apple ")), rule.id
        assert rule.severity in (Status.FAIL, Status.WARN) and rule.description


def test_good_package_passes_every_rule(good: StreamPackage) -> None:
    report = verify_stream(good.folder)
    by_rule = {r.rule: r for r in report.results}
    assert set(by_rule) == set(RULE_IDS)
    assert [(r.rule, r.status, r.detail) for r in report.results if r.status != Status.PASS] == []
    assert report.ok and report.status == Status.PASS
    assert by_rule["idr-start"].detail == "13 segments probed"  # 2 × 3 video, 2 × 3 I-frame, audio once
    checks = report.to_check_results()
    assert {c.id for c in checks} == {f"hls.{r}" for r in RULE_IDS}
    assert all(c.status == Status.PASS for c in checks)


def test_two_defaults_in_a_group(pkg: StreamPackage) -> None:
    pkg.replace("master.m3u8", 'NAME="English",LANGUAGE="en",DEFAULT=NO', 'NAME="English",LANGUAGE="en",DEFAULT=YES')
    report = verify_stream(pkg.folder)
    assert _failed(report) == {"group-default"}
    assert _failure(report, "group-default") == [("master.m3u8", pkg.master_lines["subs-en"])]
    assert f"first is on line {pkg.master_lines['subs-vi']}" in report.failures()[0].detail


def test_subtitle_segment_without_timestamp_map(pkg: StreamPackage) -> None:
    pkg.replace("subs/vi/seg1.vtt", "X-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000\n", "")
    report = verify_stream(pkg.folder)
    assert _failed(report) == {"webvtt-timestamp-map"}
    [failure] = report.failures()
    assert (failure.playlist, failure.line) == ("subs/vi.m3u8", pkg.line_of("subs/vi.m3u8", "vi/seg1.vtt"))
    assert (failure.segment, failure.segment_line) == ("subs/vi/seg1.vtt", 1)
    assert "X-TIMESTAMP-MAP" in failure.detail


def test_boundary_cue_not_repeated(pkg: StreamPackage) -> None:
    pkg.replace("subs/en/seg1.vtt", "00:00:01.600 --> 00:00:02.800\nThis is Bến Tre province.\n\n", "")
    report = verify_stream(pkg.folder)
    assert _failed(report) == {"webvtt-boundary-cues"}
    [failure] = report.failures()
    assert (failure.playlist, failure.line) == ("subs/en.m3u8", pkg.line_of("subs/en.m3u8", "en/seg1.vtt"))
    assert failure.segment == "subs/en/seg1.vtt"
    assert "en/seg0.vtt line 7" in failure.detail and "1.600–2.800" in failure.detail


def test_segment_longer_than_target(pkg: StreamPackage) -> None:
    pkg.replace("v0/index.m3u8", "#EXTINF:2.000000,", "#EXTINF:2.600000,")
    pkg.replace("v0/index.m3u8", "#EXTINF:2.000000,", "#EXTINF:1.400000,")  # the playlist's length is kept
    report = verify_stream(pkg.folder)
    assert _failure(report, "extinf-target") == [("v0/index.m3u8", pkg.line_of("v0/index.m3u8", "2.600000"))]
    # The same bytes over 1.4 s: the declared peak no longer holds either.
    assert _failed(report) <= {"extinf-target", "bitrate-peak"}


def test_extinf_is_rounded_before_comparing(pkg: StreamPackage) -> None:
    pkg.replace("v0/index.m3u8", "#EXTINF:2.000000,", "#EXTINF:2.400000,")
    pkg.replace("v0/index.m3u8", "#EXTINF:2.000000,", "#EXTINF:1.600000,")
    assert "extinf-target" not in _failed(verify_stream(pkg.folder))


def test_missing_variant_file(pkg: StreamPackage) -> None:
    (pkg.folder / "v1" / "index.m3u8").unlink()
    report = verify_stream(pkg.folder)
    assert _failed(report) == {"uri-resolves"}
    [failure] = report.failures()
    assert (failure.playlist, failure.line) == ("master.m3u8", pkg.master_lines["v1/index.m3u8"])
    assert failure.detail == "v1/index.m3u8: file not found"


def test_segment_not_starting_with_an_idr(pkg: StreamPackage) -> None:
    reencode_without_idr(pkg, "v1")
    report = verify_stream(pkg.folder)
    starts = _failure(report, "idr-start")
    assert ("v1/index.m3u8", pkg.line_of("v1/index.m3u8", "seg1.m4s")) in starts
    assert ("v1/index.m3u8", pkg.line_of("v1/index.m3u8", "seg0.m4s")) not in starts
    assert not any(playlist.startswith("v0/") for playlist, _ in starts)


def test_decomposed_text_and_bom(pkg: StreamPackage) -> None:
    pkg.replace("master.m3u8", 'NAME="Tiếng Việt",LANGUAGE="vi",DEFAULT=YES,AUTOSELECT=YES,URI="v2',
                'NAME="Tie\u0302\u0301ng Vie\u0323\u0302t",LANGUAGE="vi",DEFAULT=YES,AUTOSELECT=YES,URI="v2')
    path = pkg.folder / "subs" / "en.m3u8"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    report = verify_stream(pkg.folder)
    assert _failed(report) == {"playlist-utf8"}
    assert sorted(_failure(report, "playlist-utf8")) == [("master.m3u8", pkg.master_lines["audio"]),
                                                          ("subs/en.m3u8", 1)]


def test_missing_attributes_and_single_variant(pkg: StreamPackage) -> None:
    lines = (pkg.folder / "master.m3u8").read_text("utf-8").splitlines()
    inf = pkg.master_lines["v1-inf"]
    keep = [line for number, line in enumerate(lines, start=1) if number not in (inf, inf + 1)]
    keep = [line.replace(",FRAME-RATE=25.000", "") for line in keep]
    (pkg.folder / "master.m3u8").write_text("\n".join(keep) + "\n", "utf-8")
    report = verify_stream(pkg.folder)
    assert _failure(report, "variant-attributes") == [("master.m3u8", pkg.master_lines["v0-inf"])]
    assert "FRAME-RATE" in next(r.detail for r in report.failures() if r.rule == "variant-attributes")
    assert _failure(report, "variant-count") == [("master.m3u8", pkg.master_lines["v0-inf"])]


def test_no_iframe_playlists(pkg: StreamPackage) -> None:
    lines = (pkg.folder / "master.m3u8").read_text("utf-8").splitlines()
    (pkg.folder / "master.m3u8").write_text(
        "\n".join(line for line in lines if "I-FRAME-STREAM-INF" not in line) + "\n", "utf-8")
    report = verify_stream(pkg.folder)
    assert _failed(report) == {"iframe-playlists"}


def test_sampled_probes_are_reported(good: StreamPackage) -> None:
    report = verify_stream(good.folder, probe_limit=2)
    assert report.ok
    assert "v0/index.m3u8: IDR check probed 2 of 3 segments" in " ".join(report.notes)
    assert not any(note.startswith("v2/") for note in report.notes)  # audio: probed once, not sampled


def test_attribute_lists() -> None:
    assert parse_attributes('BANDWIDTH=1,CODECS="avc1.64001f,mp4a.40.2",NAME="A, B",DEFAULT=YES') == {
        "BANDWIDTH": "1", "CODECS": "avc1.64001f,mp4a.40.2", "NAME": "A, B", "DEFAULT": "YES"}


def test_folder_without_master(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match=r"no master\.m3u8"):
        verify_stream(tmp_path)
