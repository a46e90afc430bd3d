"""The runner owns freshness: a stage is one module and one registry entry, its `VERSION` is part of
every key, and the settings of a stage are built in one place whoever runs it.

The stage here is the README's recipe ("Adding a stage"), written as a module would be: it counts
the words of the manifest's title into `words.txt`.
"""

from __future__ import annotations

import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pipeline import stagerun
from pipeline.manifest import Programme
from pipeline.run import STAGES, StageModule, registry, run_programme, stage
from pipeline.stagelist import STAGE_LIST, StageEntry
from pipeline.stagerun import Work
from pipeline.validate import load_manifest
from pipeline.workspace import Workspace


def _title_words_module(version: int, made: list[str]) -> StageModule:
    """A module with the stage API, as `pipeline/stages/<name>.py` would define it."""

    @dataclass(frozen=True)
    class Settings:
        upper: bool = False

    def settings(programme: Programme | None = None, **options: Any) -> Settings:
        return Settings(**options)

    def plan(programme: Programme, ws: Workspace, settings: Settings) -> dict[str, Any]:
        return {stagerun.PROGRAMME: {"title": programme.title.vi, "upper": settings.upper}}

    @dataclass(frozen=True)
    class Report:
        made: bool

        @property
        def ok(self) -> bool:
            return True

        @property
        def up_to_date(self) -> bool:
            return not self.made

        def to_dict(self) -> dict[str, Any]:
            return {"made": self.made}

    def make(programme: Programme, ws: Workspace, settings: Settings, work: Work) -> Report:
        out = ws.dir / "words.txt"
        fresh = work.check(stagerun.PROGRAMME, plan(programme, ws, settings)[stagerun.PROGRAMME], [out])
        if fresh.fresh:
            return Report(False)
        out.parent.mkdir(parents=True, exist_ok=True)
        words = programme.title.vi.split()
        out.write_text(str(len(words)), encoding="utf-8")
        made.append(programme.title.vi)
        work.done(fresh, [out])
        return Report(True)

    def proceed(programme: Programme, report: Report) -> bool:
        return report.ok

    module = types.ModuleType("title_words")
    module.VERSION = version  # type: ignore[attr-defined]
    for fn in (settings, plan, make, proceed):
        setattr(module, fn.__name__, fn)
    return module  # type: ignore[return-value]


@pytest.fixture()
def programme(tmp_path: Path) -> Programme:
    manifest = tmp_path / "p.yaml"
    manifest.write_text("id: p\nlanguage: en\ntitle: {vi: Tiềm năng đầu tư Trà Vinh, en: Investing in Tra Vinh}\n"
                        "footage: [a.mov]\n", encoding="utf-8")
    loaded: Programme = load_manifest(manifest)
    return loaded


def test_a_new_stage_is_one_module_and_one_entry_and_its_version_is_part_of_the_key(
        programme: Programme, tmp_path: Path) -> None:
    made: list[str] = []
    entry = StageEntry("title-words", "count the title's words")
    ws = Workspace(tmp_path / "ws", programme.id)

    def walk(version: int) -> None:
        stages = registry((entry,), {"title-words": lambda: _title_words_module(version, made)})
        report = run_programme(programme, ws, stages=stages)
        assert report.ok, report.to_dict()

    walk(1)
    assert made == ["Tiềm năng đầu tư Trà Vinh"] and (ws.dir / "words.txt").read_text() == "6"
    walk(1)
    assert len(made) == 1, "same inputs, same version: nothing is made again"
    walk(2)
    assert len(made) == 2, "the code's version changed: its outputs are made again"
    walk(2)
    assert len(made) == 2


def test_every_stage_declares_a_version_and_builds_its_own_settings(programme: Programme) -> None:
    assert [s.name for s in STAGES] == [e.name for e in STAGE_LIST]
    for s in STAGES:
        assert s.module.VERSION >= 1
        assert type(s.settings(programme)) is type(s.default_settings())


def test_run_and_transcribe_build_the_same_settings_from_the_same_manifest(programme: Programme) -> None:
    """`reportage transcribe` and `reportage run` (and the batch) ask the stage for its settings: the
    manifest's `language:` holds for all of them."""
    walked = stage("transcribe").settings(programme)
    commanded = stage("transcribe").settings(programme, engine=None, language=None, beam=None, device="cpu",
                                             compute_type="default", model=None)
    assert walked.asr.language == commanded.asr.language == "en"
    assert walked == commanded
    assert stage("transcribe").settings(programme, language="vi").asr.language == "vi", "an option wins"


def test_a_registry_without_the_module_of_a_stage_says_which() -> None:
    from pipeline.errors import ManifestError

    with pytest.raises(ManifestError, match="no module does the work of stage nothing"):
        registry((StageEntry("nothing", "—"),))
