"""Translation with any CTranslate2 sequence-to-sequence model (OPUS-MT, NLLB, M2M converted with
`ct2-*-converter`) and its SentencePiece models — all offline, on the CPU the recogniser already uses.

Options: `model_dir` (the converted model), `sp_source` and `sp_target` (SentencePiece models; the
target defaults to the source), `target_prefix` (e.g. "eng_Latn" for NLLB), `source_prefix`/
`source_suffix` tokens (e.g. NLLB's language tag and "</s>"), `beam_size`, `max_batch_size`,
`device`, `compute_type`, `inter_threads`/`intra_threads`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import ManifestError, ModelError
from .base import SourceCue, TranslationContext, translate_protected


def _tokens(value: Any, field: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ManifestError(f"translation.options.{field} must be a token or a list of tokens")


class CT2Translator:
    """A CTranslate2 model plus SentencePiece; loaded on first use and kept."""

    name = "ct2"
    is_machine_draft = True

    def __init__(self, options: Mapping[str, Any]) -> None:
        if "model_dir" not in options or "sp_source" not in options:
            raise ManifestError("the ct2 backend needs translation.options.model_dir and sp_source",
                                hint="model_dir: a folder with model.bin; sp_source: a SentencePiece .model")
        self.model_dir = Path(str(options["model_dir"])).expanduser()
        self.sp_source = Path(str(options["sp_source"])).expanduser()
        self.sp_target = Path(str(options.get("sp_target", options["sp_source"]))).expanduser()
        self.source_prefix = _tokens(options.get("source_prefix"), "source_prefix")
        self.source_suffix = _tokens(options.get("source_suffix"), "source_suffix")
        self.target_prefix = _tokens(options.get("target_prefix"), "target_prefix")
        try:
            self.beam_size = int(options.get("beam_size", 4))
            self.max_batch_size = int(options.get("max_batch_size", 16))
            self.max_decoding_length = int(options.get("max_decoding_length", 256))
            self.inter_threads = int(options.get("inter_threads", 1))
            self.intra_threads = int(options.get("intra_threads", 0))
        except (TypeError, ValueError) as exc:
            raise ManifestError(f"translation.options for the ct2 backend: {exc}") from None
        self.device = str(options.get("device", "cpu"))
        self.compute_type = str(options.get("compute_type", "default"))
        self._model: Any = None
        self._sp: tuple[Any, Any] | None = None
        self.batches_run = 0

    def _load(self) -> tuple[Any, Any, Any]:
        if self._model is not None and self._sp is not None:
            return self._model, self._sp[0], self._sp[1]
        for path, what in ((self.model_dir / "model.bin", "model_dir"), (self.sp_source, "sp_source"),
                           (self.sp_target, "sp_target")):
            if not path.is_file():
                raise ModelError(f"translation model file missing ({what})", path=path)
        try:
            import ctranslate2
            import sentencepiece
        except ImportError as exc:
            raise ModelError(f"the ct2 backend needs {exc.name}",
                             hint="pip install ctranslate2 sentencepiece") from None
        try:
            sp_src = sentencepiece.SentencePieceProcessor(model_file=str(self.sp_source))
            sp_tgt = sentencepiece.SentencePieceProcessor(model_file=str(self.sp_target))
        except (OSError, RuntimeError) as exc:
            raise ModelError(f"cannot load the SentencePiece model: {exc}", path=self.sp_source) from None
        try:
            self._model = ctranslate2.Translator(
                str(self.model_dir), device=self.device, compute_type=self.compute_type,
                inter_threads=self.inter_threads, intra_threads=self.intra_threads,
            )
        except (RuntimeError, ValueError, OSError) as exc:
            raise ModelError(f"cannot load the CTranslate2 model: {exc}", path=self.model_dir) from None
        self._sp = (sp_src, sp_tgt)
        return self._model, sp_src, sp_tgt

    def translate_texts(self, texts: Sequence[str]) -> list[str]:
        """Plain texts in, plain texts out, batched by `max_batch_size` (one output per input)."""
        model, sp_src, sp_tgt = self._load()
        out: list[str] = []
        for first in range(0, len(texts), self.max_batch_size):
            chunk = texts[first : first + self.max_batch_size]
            batch = [self.source_prefix + sp_src.encode(t, out_type=str) + self.source_suffix for t in chunk]
            prefixes = [list(self.target_prefix) for _ in chunk] if self.target_prefix else None
            results = model.translate_batch(
                batch, target_prefix=prefixes, beam_size=self.beam_size,
                max_decoding_length=self.max_decoding_length, max_batch_size=self.max_batch_size,
            )
            self.batches_run += 1
            for result in results:
                tokens = [t for t in result.hypotheses[0] if t not in self.target_prefix]
                out.append(sp_tgt.decode(tokens))
        return out

    def translate(self, cues: Sequence[SourceCue], context: TranslationContext) -> list[str]:
        """Glossary terms are protected as placeholders around the model."""
        return translate_protected(cues, context.glossary, self.translate_texts)
