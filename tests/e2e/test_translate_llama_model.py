"""The real default language model (Qwen2.5-Coder-1.5B-Instruct, joined from its PyPI parts and
checked against the pinned hash) translating three real cues of the dautu sample script.

Expected answers, from examples/scripts/dautu.json (the translator's English is the reference):
  one non-empty English line per cue; "Trà Vinh" and "Định An" spelled with their diacritics (the
  glossary); the shrimp-farming sentence mentions shrimp, the tax sentence tax, the growth-engine
  sentence energy (content words garbage cannot hit); corpus chrF against the references above 30
  (measured 55–60 on this model; whisper's own translate task scores about 20 on such sentences).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from benchmarks.translate_chrf import chrf
from pipeline.asr.glossary import load_glossary
from pipeline.translate import SourceCue, TranslationContext, make_translator
from pipeline.translate.gguf_model import DEFAULT_SHA256
from pipeline.translate.llama_backend import LlamaTranslator
from pipeline.workspace import Workspace

pytestmark = [pytest.mark.model, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
# (clip, utterance number) in the sample script, and a content word its English must contain
CHOSEN = [("dautu_01_dinh_an", 2, "energy"), ("dautu_02_phong_van", 2, "tax"), ("dautu_04_chuoi_gia_tri", 3, "shrimp")]


def test_the_default_model_translates_real_cues(tmp_path: Path) -> None:
    script = json.loads((ROOT / "examples" / "scripts" / "dautu.json").read_text(encoding="utf-8"))
    utterances = [script["clips"][clip]["utterances"][n - 1] for clip, n, _ in CHOSEN]
    cues = [SourceCue(i, u["start_ms"], u["end_ms"], u["vi"]) for i, u in enumerate(utterances, 1)]
    glossary = load_glossary(programme=ROOT / "examples" / "glossary.yaml")

    began = time.monotonic()
    translator = make_translator("llama", {}, Workspace(tmp_path, "dautu"))
    assert isinstance(translator, LlamaTranslator), "the default model loaded (no fallback to whisper)"
    assert translator.model_info().sha256 == DEFAULT_SHA256 and translator.is_machine_draft
    english = translator.translate(cues, TranslationContext(glossary, "dautu"))
    elapsed = time.monotonic() - began

    assert len(english) == len(cues) and all(line.strip() and "\n" not in line for line in english), english
    assert "Trà Vinh" in english[0], english[0]
    assert "Định An" in english[1], english[1]
    for line, (_, _, word) in zip(english, CHOSEN, strict=True):
        assert word in line.casefold(), f"{word!r} not in {line!r}"
    score = chrf(english, [u["en"] for u in utterances])
    assert score > 30, f"chrF {score:.1f}: {english}"
    print(f"llama: {len(cues)} cues in {elapsed:.1f} s (load included), chrF {score:.1f}")
