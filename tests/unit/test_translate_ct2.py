"""The ct2 backend's real loading and translating code on a tiny model the test builds itself:
a SentencePiece model trained on a few sentences and a 1-layer random-weight Transformer written
with `ctranslate2.specs`. The output is noise; the plumbing is what is tested: loading, batching,
one output per cue, glossary terms restored whatever the model does around them."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.asr.glossary import load_glossary
from pipeline.errors import ModelError
from pipeline.translate import SourceCue, TranslationContext
from pipeline.translate.base import Protected, restore

ctranslate2 = pytest.importorskip("ctranslate2")
sentencepiece = pytest.importorskip("sentencepiece", reason="pip install sentencepiece")
np = pytest.importorskip("numpy")

SENTENCES = [
    "Chào mừng quý vị đến với tỉnh Trà Vinh.", "Ao Bà Om là một danh thắng nổi tiếng.",
    "Người dân sống bằng nghề trồng dừa.", "Welcome to the province.", "The pond is famous.",
    "People live by growing coconuts.", "⟦0⟧ ⟦1⟧ ⟦2⟧ placeholders stay.",
] * 20


def _fill(spec: object, d: int, ffn: int, vocab: int) -> None:
    rng = np.random.default_rng(0)

    def shape(name: str) -> tuple[int, ...]:
        if name.endswith(("gamma", "beta")):
            return (d,)
        if "embeddings" in name or "projection" in name:
            return (vocab, d)
        if "self_attention/linear_0" in name:
            return (3 * d, d)
        if "/attention/linear_1" in name:
            return (2 * d, d)
        if "ffn/linear_0" in name:
            return (ffn, d)
        if "ffn/linear_1" in name:
            return (d, ffn)
        return (d, d)

    def fn(layer: object, name: str, value: object) -> None:
        if value is None:
            array = np.ones(shape(name), np.float32) if name.endswith("gamma") else \
                rng.normal(0, 0.1, shape(name)).astype(np.float32)
            setattr(layer, name.rsplit("/", 1)[-1], array)

    spec._visit(fn)  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    from ctranslate2.specs import transformer_spec

    folder = tmp_path_factory.mktemp("ct2")
    corpus = folder / "corpus.txt"
    corpus.write_text("\n".join(SENTENCES), encoding="utf-8")
    prefix = folder / "sp"
    sentencepiece.SentencePieceTrainer.train(
        input=str(corpus), model_prefix=str(prefix), vocab_size=70, model_type="unigram",
        character_coverage=1.0, user_defined_symbols=["⟦", "⟧"], minloglevel=2,
    )
    sp = sentencepiece.SentencePieceProcessor(model_file=f"{prefix}.model")
    vocab = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
    vocab = ["<blank>", "<s>", "</s>", *[v for v in vocab if v not in ("<unk>", "<s>", "</s>")], "<unk>"]
    spec = transformer_spec.TransformerSpec.from_config(1, 2)
    _fill(spec, 16, 32, len(vocab))
    spec.register_source_vocabulary(vocab)
    spec.register_target_vocabulary(vocab)
    spec.validate()
    (folder / "model").mkdir()
    spec.save(str(folder / "model"))
    return {"model_dir": str(folder / "model"), "sp_source": f"{prefix}.model"}


def test_translates_in_batches_one_output_per_cue(tiny_model: dict[str, str]) -> None:
    from pipeline.translate.ct2_backend import CT2Translator

    translator = CT2Translator({**tiny_model, "max_batch_size": 2, "beam_size": 1, "max_decoding_length": 12})
    cues = [SourceCue(i, 0, 1000, text) for i, text in enumerate(SENTENCES[:5], 1)]
    out = translator.translate(cues, TranslationContext(load_glossary(), "demo"))
    assert len(out) == 5 and all(isinstance(t, str) for t in out)
    assert translator.batches_run == 3  # 2 + 2 + 1


def test_glossary_terms_come_back_whatever_the_model_writes(tiny_model: dict[str, str]) -> None:
    from pipeline.translate.ct2_backend import CT2Translator

    translator = CT2Translator({**tiny_model, "beam_size": 1, "max_decoding_length": 8})
    raw = translator.translate_texts(["⟦0⟧ ⟦1⟧"])
    assert len(raw) == 1
    terms = load_glossary().terms[:2]
    restored = restore("⟦0⟧ in ⟦1⟧", Protected("", terms))
    assert restored == f"{terms[0].en} in {terms[1].en}"


def test_missing_model_is_a_model_error(tmp_path: Path) -> None:
    from pipeline.translate.ct2_backend import CT2Translator

    translator = CT2Translator({"model_dir": str(tmp_path), "sp_source": str(tmp_path / "sp.model")})
    with pytest.raises(ModelError, match="model_dir"):
        translator.translate([SourceCue(1, 0, 1, "xin chào")], TranslationContext())
