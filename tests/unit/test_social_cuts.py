"""`social:` as one mapping or a list of cuts: the list is validated cut by cut (`social[k]`), and an
excerpt profile becomes one deliverable per cut (`social-9x16`, `social-9x16-2` …) while a manifest
with one cut, or none, keeps exactly the deliverables it lists."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import ManifestError
from pipeline.manifest import Programme, excerpt_deliverable
from pipeline.package.naming import bag_name, delivered
from pipeline.profiles import programme_profile
from pipeline.validate import ManifestProblems, load_manifest

BASE = """
id: dautu
title: {vi: "Đầu tư", en: "Invest"}
footage: [{file: rush.mp4, id: rush}]
timeline: {cut: [{clip: rush, in: "00:00:00:00", out: "00:00:20:00"}]}
deliverables: [web-720p, social-9x16]
"""
TWO = """social:
  - {in: "00:00:01:00", out: "00:00:05:00", title: {vi: "Một", en: "One"}, platforms: [tiktok]}
  - {in: "00:00:08:00", out: "00:00:10:00"}
"""


def _load(tmp_path: Path, text: str) -> Programme:
    (tmp_path / "rush.mp4").write_bytes(b"x")
    path = tmp_path / "dautu.yaml"
    path.write_text(text, encoding="utf-8")
    return load_manifest(path)


def _problems(tmp_path: Path, text: str) -> tuple[str, ...]:
    with pytest.raises(ManifestProblems) as err:
        _load(tmp_path, text)
    assert "dautu.yaml" in str(err.value)
    return err.value.problems


def test_one_mapping_keeps_the_listed_deliverables(tmp_path: Path) -> None:
    programme = _load(tmp_path, BASE + 'social: {in: "00:00:01:00", out: "00:00:05:00"}\n')
    assert len(programme.social_cuts) == 1 and programme.manifest.social is programme.social_cuts[0]
    assert programme.deliverables == ("web-720p", "social-9x16")
    assert programme.deliverable_profile("social-9x16") == "social-9x16"
    assert (programme.deliverable_cut("social-9x16"), programme.deliverable_cut("web-720p")) == (0, None)


def test_no_social_cut_is_no_cut(tmp_path: Path) -> None:
    programme = _load(tmp_path, BASE)
    assert programme.social_cuts == () and programme.deliverables == ("web-720p", "social-9x16")
    assert programme.deliverable_cut("social-9x16") is None


def test_a_list_of_one_is_one_cut(tmp_path: Path) -> None:
    programme = _load(tmp_path, BASE + 'social: [{in: "00:00:01:00", out: "00:00:05:00"}]\n')
    assert programme.deliverables == ("web-720p", "social-9x16")
    assert programme.deliverable_cut("social-9x16") == 0


def test_each_further_cut_is_its_own_deliverable_right_after_the_first(tmp_path: Path) -> None:
    three = TWO + '  - {in: "00:00:12:00", out: "00:00:14:00"}\n'
    programme = _load(tmp_path, BASE.replace("[web-720p, social-9x16]", "[social-9x16, web-720p]") + three)
    assert programme.deliverables == ("social-9x16", "social-9x16-2", "social-9x16-3", "web-720p")
    assert [programme.deliverable_profile(n) for n in programme.deliverables] == [
        "social-9x16", "social-9x16", "social-9x16", "web-720p"]
    assert [programme.deliverable_cut(n) for n in programme.deliverables] == [0, 1, 2, None]
    first, second = programme.social_cuts[:2]
    assert first.platform_keys == ("tiktok",) and first.title is not None and first.title.en == "One"
    assert second.title is None and second.end == "00:00:10:00"
    assert excerpt_deliverable("social-9x16", 0) == "social-9x16"


def test_the_file_name_of_a_further_cut_says_which(tmp_path: Path) -> None:
    profile = programme_profile(tmp_path, "social-9x16")
    assert profile.output_name("dautu") == "dautu_SOCIAL_9X16.mp4"
    assert profile.output_name("dautu", part=1) == "dautu_SOCIAL_9X16.mp4"
    assert profile.output_name("dautu", part=2) == "dautu_SOCIAL_9X16_2.mp4"
    assert profile.part_suffix(3) == "SOCIAL_9X16_3"
    assert delivered(bag_name("dautu", 2026), profile.part_suffix(2), ".mp4") == "DAUTU_2026_SOCIAL_9X16_2.mp4"
    assert delivered(bag_name("dautu", 2026), profile.part_suffix(1), ".mp4") == "DAUTU_2026_SOCIAL_9X16.mp4"


def test_an_empty_list_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match=r"social lists no excerpt"):
        _load(tmp_path, BASE + "social: []\n")


def test_the_same_excerpt_twice_is_refused_by_its_index(tmp_path: Path) -> None:
    text = BASE + TWO + '  - {in: "00:00:01:00", out: "00:00:05:00"}\n'
    found = _problems(tmp_path, text)
    assert found == ("social[2]: 00:00:01:00–00:00:05:00 is the same excerpt as social[0]; take one of them out",)


def test_a_cut_of_a_list_is_named_by_its_index(tmp_path: Path) -> None:
    found = _problems(tmp_path, BASE + TWO + '  - {in: "00:00:09:00", out: "00:00:03:00"}\n')
    assert found == ("social[2].out: 00:00:03:00 is not after social[2].in 00:00:09:00",)
    with pytest.raises(ManifestError, match=r"social\[1\]\.platforms\[0\] 'instagram' is not a social platform"):
        _load(tmp_path, BASE + 'social:\n  - {in: "00:00:01:00", out: "00:00:05:00"}\n'
                               '  - {in: "00:00:06:00", out: "00:00:07:00", platforms: [instagram]}\n')


def test_a_listed_deliverable_may_not_take_a_further_cut_s_name(tmp_path: Path) -> None:
    text = BASE.replace("[web-720p, social-9x16]", "[social-9x16, social-9x16-2]") + TWO
    found = _problems(tmp_path, text)
    assert any(p.startswith("deliverables[1]: 'social-9x16-2' is also the deliverable of social[1]") for p in found)


def test_thumbnail_times_keep_clear_of_the_graphics() -> None:
    """A frame under the title card would show the title twice beside the thumbnail's own."""
    from pipeline.publish.social.package import clear_of

    spans = [(0.0, 5.5), (27.9, 33.9)]
    assert clear_of([2.0, 4.16, 12.0, 30.0, 41.0], spans) == [12.0, 41.0]
    assert clear_of([2.0, 4.0], spans) == [2.0, 4.0], "all under graphics: still a thumbnail"
