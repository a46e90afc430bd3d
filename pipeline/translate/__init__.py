"""Translation of Vietnamese cues into English: one protocol, several backends, chosen by the
manifest's `translation: {backend, options}`.

`BACKENDS` maps each name the manifest accepts to the backend's factory. It is checked when this
package is imported: a name missing on either side, or a backend whose `name` differs from its key,
fails then, not halfway through a run. The backends' optional libraries (argostranslate, openpyxl,
sentencepiece, ctranslate2, numpy, llama_cpp) are imported only when a backend is used, so a missing
one only matters to the programme that asks for it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, get_args

from ..errors import ManifestError
from ..manifest import TranslationSettings
from ..workspace import Workspace
from .argos_backend import ArgosTranslator
from .base import AudioSpan, SourceCue, TranslationContext, Translator, enforce_spellings, protect, restore
from .ct2_backend import CT2Translator
from .llama_backend import LlamaTranslator, make_llama_translator
from .llm_backend import LLMTranslator
from .sheet_backend import SheetTranslator
from .whisper_backend import WhisperTranslator

Factory = Callable[[Mapping[str, Any], Workspace], Translator]


def _registry() -> dict[str, tuple[Factory, str]]:
    """name → (factory, the `name` its translators report)."""
    return {
        "whisper": (lambda options, ws: WhisperTranslator(ws, options), WhisperTranslator.name),
        # the local model; falls back to whisper (one warning) when the default model cannot load
        "llama": (make_llama_translator, LlamaTranslator.name),
        "argos": (lambda options, ws: ArgosTranslator(options), ArgosTranslator.name),
        "ct2": (lambda options, ws: CT2Translator(options), CT2Translator.name),
        "llm": (lambda options, ws: LLMTranslator(options), LLMTranslator.name),
        "sheet": (lambda options, ws: SheetTranslator(ws, options), SheetTranslator.name),
    }


def check_registry(registry: Mapping[str, tuple[Factory, str]], accepted: tuple[str, ...]) -> dict[str, Factory]:
    """The factories by name, or a RuntimeError when `registry` and the names the manifest accepts
    (`accepted`) disagree, or a backend reports another name than its key."""
    problems = [f"{key!r} reports itself as {name!r}" for key, (_, name) in registry.items() if name != key]
    if missing := [name for name in accepted if name not in registry]:
        problems.append(f"the manifest accepts {missing} but no backend is registered for it")
    if unknown := sorted(set(registry) - set(accepted)):
        problems.append(f"backends {unknown} are registered but the manifest does not accept them")
    if problems:
        raise RuntimeError("translation backend registry: " + "; ".join(problems))
    return {key: factory for key, (factory, _) in registry.items()}


_ACCEPTED: tuple[str, ...] = get_args(TranslationSettings.model_fields["backend"].annotation)
_FACTORIES = check_registry(_registry(), _ACCEPTED)
BACKENDS = tuple(_FACTORIES)

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
    factory = _FACTORIES.get(backend)
    if factory is None:
        raise ManifestError(f"translation.backend {backend!r} is not one of {', '.join(BACKENDS)}")
    return factory(options, ws)
