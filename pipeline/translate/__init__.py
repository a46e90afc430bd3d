"""Translation of Vietnamese cues into English: one protocol, several backends, chosen by the
manifest's `translation: {backend, options}`.

Backends are imported only when chosen, so a missing optional library (argostranslate, openpyxl,
sentencepiece) only matters to the programme that asks for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ManifestError
from ..workspace import Workspace
from .base import AudioSpan, SourceCue, TranslationContext, Translator, enforce_spellings, protect, restore

BACKENDS = ("whisper", "argos", "ct2", "llm", "sheet")

__all__ = [
    "BACKENDS",
    "AudioSpan",
    "SourceCue",
    "TranslationContext",
    "Translator",
    "enforce_spellings",
    "make_translator",
    "protect",
    "restore",
]


def make_translator(backend: str, options: Mapping[str, Any], ws: Workspace) -> Translator:
    """The translator named by the manifest, configured by its options (validated by the backend)."""
    if backend == "whisper":
        from .whisper_backend import WhisperTranslator

        return WhisperTranslator(ws, options)
    if backend == "argos":
        from .argos_backend import ArgosTranslator

        return ArgosTranslator(options)
    if backend == "ct2":
        from .ct2_backend import CT2Translator

        return CT2Translator(options)
    if backend == "llm":
        from .llm_backend import LLMTranslator

        return LLMTranslator(options)
    if backend == "sheet":
        from .sheet_backend import SheetTranslator

        return SheetTranslator(ws, options)
    raise ManifestError(f"translation.backend {backend!r} is not one of {', '.join(BACKENDS)}")
