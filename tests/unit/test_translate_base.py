"""Glossary protection around machine translation, and the offline backends' small helpers."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest

from pipeline.asr.glossary import load_glossary
from pipeline.errors import ManifestError, SubtitleError
from pipeline.translate import SourceCue, TranslationContext, enforce_spellings, make_translator, protect, restore
from pipeline.translate.base import check_outputs, translate_protected
from pipeline.translate.whisper_backend import read_wav_span
from pipeline.workspace import Workspace

GLOSSARY = load_glossary()


def test_protect_replaces_longest_terms_and_restores_official_english() -> None:
    p = protect("Ủy ban nhân dân tỉnh Trà Vinh thăm huyện Duyên Hải và Ao Bà Om.", GLOSSARY)
    assert "Trà Vinh" not in p.text and "Ao Bà Om" not in p.text and "⟦" in p.text
    assert [t.en for t in p.terms] == ["Provincial People's Committee", "Duyên Hải District", "Trà Vinh", "Ba Om Pond"]
    english = p.text.replace("thăm", "visits").replace("và", "and")
    assert restore(english, p) == "Provincial People's Committee ⟦2⟧".replace("⟦2⟧", "Trà Vinh") + \
        " visits Duyên Hải District and Ba Om Pond."


def test_everyday_words_are_not_names() -> None:
    assert protect("vùng duyên hải miền Tây", GLOSSARY).terms == ()  # 'coastal', not the district


def test_restore_accepts_mangled_brackets() -> None:
    p = protect("Trà Vinh", GLOSSARY)
    assert restore("Welcome to [ 0 ].", p) == "Welcome to Trà Vinh."


def test_enforce_spellings_restores_diacritics_only_for_glossary_phrases() -> None:
    text = "The TRA VINH province and Ba Dong Beach, a long road."
    assert enforce_spellings(text, GLOSSARY) == "The Trà Vinh province and Ba Động Beach, a long road."


def test_translate_protected_keeps_one_output_per_cue() -> None:
    cues = [SourceCue(1, 0, 1000, "Trà Vinh đẹp"), SourceCue(2, 1000, 2000, "kẹo dừa ngon")]
    out = translate_protected(cues, GLOSSARY, lambda texts: [t.replace("đẹp", "is beautiful") for t in texts])
    assert out == ["Trà Vinh is beautiful", "coconut candy ngon"]
    with pytest.raises(SubtitleError, match="1 lines for 2 cues"):
        translate_protected(cues, GLOSSARY, lambda texts: texts[:1])
    with pytest.raises(SubtitleError, match="non-text"):
        check_outputs(cues, ["a", None], "x")


def test_read_wav_span_cuts_in_memory(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(16000)
        handle.writeframes(b"\x00\x40" * 16000)  # 1 s at +0.5
    samples = read_wav_span(path, 250, 500)
    assert len(samples) == 4000 and abs(float(samples[0]) - 0.5) < 1e-6
    assert len(read_wav_span(path, 900, 5000)) == 1600  # clipped at the end


def test_unknown_options_say_what_is_missing(tmp_path: Path) -> None:
    ws = Workspace(tmp_path, "p")
    with pytest.raises(ManifestError, match="base_url"):
        make_translator("llm", {}, ws)
    with pytest.raises(ManifestError, match="model_dir"):
        make_translator("ct2", {}, ws)
    with pytest.raises(SubtitleError, match="no review sheet"):
        make_translator("sheet", {}, ws).translate([SourceCue(1, 0, 1, "a")], TranslationContext())


def test_argos_backend_reports_how_to_install() -> None:
    try:
        import argostranslate  # noqa: F401
    except ImportError:
        from pipeline.errors import ModelError

        with pytest.raises(ModelError, match="pip install argostranslate"):
            make_translator("argos", {}, Workspace(Path("/tmp"), "p")).translate(
                [SourceCue(1, 0, 1, "xin chào")], TranslationContext())
    else:
        pytest.skip("argostranslate is installed here; its vi→en package is not, so nothing more to test offline")


def test_every_backend_the_manifest_accepts_is_registered(tmp_path: Path) -> None:
    from typing import get_args

    from pipeline import translate
    from pipeline.manifest import TranslationSettings

    accepted = get_args(TranslationSettings.model_fields["backend"].annotation)
    assert set(translate.BACKENDS) == set(accepted)
    translator = make_translator("sheet", {}, Workspace(tmp_path, "p"))
    assert (translator.name, translator.is_machine_draft) == ("sheet", False)
    assert make_translator("whisper", {}, Workspace(tmp_path, "p")).name == "whisper"


def test_an_unknown_backend_names_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match=r"'deepl' is not one of whisper, llama, argos, ct2, llm, sheet"):
        make_translator("deepl", {}, Workspace(tmp_path, "p"))


def test_a_mistyped_registry_fails_its_check() -> None:
    from collections.abc import Mapping
    from typing import Any

    from pipeline.translate import Translator, check_registry

    def factory(options: Mapping[str, Any], ws: Workspace) -> Translator:
        raise AssertionError("never called")

    good = {"a": (factory, "a"), "b": (factory, "b")}
    assert set(check_registry(good, ("a", "b"))) == {"a", "b"}
    with pytest.raises(RuntimeError, match=r"accepts \['c'\] but no backend"):
        check_registry(good, ("a", "b", "c"))
    with pytest.raises(RuntimeError, match=r"backends \['b'\] are registered but the manifest does not"):
        check_registry(good, ("a",))
    with pytest.raises(RuntimeError, match=r"'a' reports itself as 'aa'"):
        check_registry({"a": (factory, "aa")}, ("a",))
