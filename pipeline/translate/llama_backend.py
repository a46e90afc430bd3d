"""English from a local language model, in this process, through llama.cpp (`llama-cpp-python`).

The default model is the Qwen2.5-Coder-1.5B-Instruct GGUF joined and verified by gguf_model.py;
`model_path` takes any other GGUF instruction model. Everything but the transport (prompt, batches
with neighbours as context, the glossary as instructions, one JSON line per cue id or a retry,
glossary spellings enforced after) is the `llm` backend's (`ChatTranslator`): `Llama.
create_chat_completion` returns the same OpenAI-shaped reply a server does.

Decoding is greedy with a fixed seed, so a programme translates the same way every time. The reply
can be grammar-constrained (`response_format` with a schema that lists this batch's cue ids in order,
so the model cannot drop, repeat or invent a line), but llama.cpp's grammar sampler checks every one
of the ~152,000 tokens of Qwen's vocabulary at each step: on 2 cores it made a batch 2–5× slower than
the same greedy decoding unconstrained (measured: 25–33 s free, 72 s `json_object`, 127 s with the
schema, for the same 55-token reply). So by default (`grammar: retry`) the first attempt is free and
only a retry is constrained: greedy first, then sampled (temperature 0.3, seed + attempt), since
asking a greedy model the same question again gets the same answer. `grammar: always` constrains
every attempt. Every reply is checked either way. A batch that fails every attempt is split in
halves, each translated whole. The model is loaded once per process.

Options: model_path, batch_size (6), context (2), n_ctx (4096), n_threads (all cores), retries (2),
temperature (0), max_tokens (per batch; default 48 + 80 per cue), grammar (retry | always).
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..asr.model import ModelInfo
from ..errors import ManifestError, ModelError
from ..workspace import Workspace
from .base import Translator
from .gguf_model import resolve_gguf
from .llm_backend import ChatTranslator, LLMError
from .whisper_backend import WhisperTranslator

log = logging.getLogger(__name__)

SEED = 20260314
RETRY_TEMPERATURE = 0.3
INSTALL_HINT = "pip install llama-cpp-python==0.3.36 (it compiles llama.cpp; ./scripts/setup does it once)"
OPTIONS = ("model_path", "batch_size", "context", "n_ctx", "n_threads", "retries", "temperature", "max_tokens",
           "grammar")
GRAMMAR_MODES = ("retry", "always")

LlamaFactory = Callable[..., Any]
_MODELS: dict[tuple[Any, str, int, int], Any] = {}
_MODELS_LOCK = threading.Lock()


def _close_models() -> None:
    """Free every loaded model while llama.cpp is still there: left to the interpreter's teardown,
    `Llama.__del__` runs after the library's functions are gone and prints a TypeError."""
    with _MODELS_LOCK:
        for llm in _MODELS.values():
            close = getattr(llm, "close", None)
            if callable(close):
                close()
        _MODELS.clear()


def _int(options: Mapping[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = options.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ManifestError(f"translation.options.{key} must be a whole number from {low} to {high}, not {value!r}")
    return value


def _float(options: Mapping[str, Any], key: str, default: float, low: float, high: float) -> float:
    value = options.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ManifestError(f"translation.options.{key} must be a number from {low:g} to {high:g}, not {value!r}")
    return float(value)


def llama_class() -> LlamaFactory:
    """`llama_cpp.Llama`, or ModelError when llama-cpp-python is not importable."""
    try:
        from llama_cpp import Llama
    except ImportError as exc:  # includes a built library that fails to load
        raise ModelError(f"llama-cpp-python cannot be imported ({exc})", hint=INSTALL_HINT) from None
    return Llama  # type: ignore[no-any-return]


def reply_schema(ids: Sequence[int]) -> dict[str, Any]:
    """A JSON schema admitting exactly one non-empty English line per cue id, in order."""
    items = [{"type": "object",
              "properties": {"id": {"const": cue_id}, "en": {"type": "string", "minLength": 1}},
              "required": ["id", "en"], "additionalProperties": False} for cue_id in ids]
    return {"type": "object",
            "properties": {"translations": {"type": "array", "prefixItems": items,
                                            "minItems": len(ids), "maxItems": len(ids)}},
            "required": ["translations"], "additionalProperties": False}


class LlamaTranslator(ChatTranslator):
    """A GGUF instruction model run by llama.cpp, always an unreviewed machine draft."""

    name = "llama"
    is_machine_draft = True
    backoff_s = 0.0  # nothing to wait for: the model is here
    failure_hint = "raise translation.options.retries or max_tokens, or lower batch_size"
    split_failed_batches = True

    def __init__(self, options: Mapping[str, Any] | None = None, llama_factory: LlamaFactory | None = None) -> None:
        options = dict(options or {})
        if unknown := sorted(set(options) - set(OPTIONS)):
            raise ManifestError(f"translation.options {', '.join(unknown)} not known to the llama backend",
                                hint=f"it takes {', '.join(OPTIONS)}")
        model_path = options.get("model_path")
        if model_path is not None and (not isinstance(model_path, str | Path) or not str(model_path).strip()):
            raise ManifestError("translation.options.model_path must be the path of a .gguf file")
        self.model_path = Path(str(model_path)).expanduser() if model_path is not None else None
        self.batch_size = _int(options, "batch_size", 6, 1, 64)
        self.context = _int(options, "context", 2, 0, 10)
        self.n_ctx = _int(options, "n_ctx", 4096, 512, 131072)
        self.n_threads = _int(options, "n_threads", os.cpu_count() or 1, 1, 512)
        self.retries = _int(options, "retries", 2, 0, 10)
        self.temperature = _float(options, "temperature", 0.0, 0.0, 2.0)
        self.max_tokens = _int(options, "max_tokens", 0, 16, 65536) if "max_tokens" in options else None
        self.grammar = options.get("grammar", "retry")
        if self.grammar not in GRAMMAR_MODES:
            raise ManifestError(f"translation.options.grammar must be one of {', '.join(GRAMMAR_MODES)}, "
                                f"not {self.grammar!r}")
        self._factory = llama_factory
        self._info: ModelInfo | None = None
        self._llm: Any = None

    def model_info(self) -> ModelInfo:
        """The verified model file (joined from its packages on first use when it is the default)."""
        if self._info is None:
            self._info = resolve_gguf(self.model_path)
        return self._info

    def load(self) -> Any:
        """The loaded model, shared with every translator of this process that uses the same file,
        context size and thread count; ModelError when it cannot be loaded."""
        if self._llm is not None:
            return self._llm
        info = self.model_info()
        factory = self._factory or llama_class()
        key = (factory, str(info.path), self.n_ctx, self.n_threads)
        with _MODELS_LOCK:
            if key not in _MODELS:
                try:
                    _MODELS[key] = factory(model_path=str(info.path), n_ctx=self.n_ctx, n_threads=self.n_threads,
                                           n_threads_batch=self.n_threads, seed=SEED, verbose=False)
                except (ValueError, RuntimeError, OSError) as exc:
                    raise ModelError(f"llama.cpp cannot load the model: {exc}", path=info.path,
                                     hint="is it a complete GGUF file of a model llama.cpp supports?") from None
                if len(_MODELS) == 1:
                    atexit.register(_close_models)
                log.info("loaded %s (%s…) with n_ctx %d, %d threads", info.path, info.sha256[:12], self.n_ctx,
                         self.n_threads)
            self._llm = _MODELS[key]
        return self._llm

    def describe(self) -> str:
        return f"the local language model {self.model_info().name}"

    def request(self, messages: list[dict[str, str]], ids: Sequence[int], attempt: int) -> dict[str, Any]:
        """The keyword arguments of `create_chat_completion` for this attempt (public for tests)."""
        first_constrained = 0 if self.grammar == "always" else 1
        constrained = attempt >= first_constrained
        sampled = attempt > first_constrained
        return {
            "messages": messages,
            "response_format": {"type": "json_object", "schema": reply_schema(ids)} if constrained else None,
            "temperature": max(self.temperature, RETRY_TEMPERATURE) if sampled else self.temperature,
            "seed": SEED + attempt,
            "max_tokens": self.max_tokens or 48 + 80 * len(ids),
        }

    def complete(self, messages: list[dict[str, str]], ids: Sequence[int], attempt: int) -> Any:
        """One chat completion in this process (see `request` for how attempts differ)."""
        llm = self.load()
        try:
            return llm.create_chat_completion(**self.request(messages, ids, attempt))
        except ValueError as exc:  # llama-cpp-python's way of saying the prompt does not fit n_ctx
            raise LLMError(f"{exc}", retryable=False) from None
        except RuntimeError as exc:
            raise LLMError(f"llama.cpp failed: {exc}") from None


def make_llama_translator(options: Mapping[str, Any], ws: Workspace,
                          llama_factory: LlamaFactory | None = None) -> Translator:
    """The llama backend, loaded; or, when the *default* model cannot be loaded (a part package
    missing, a hash mismatch, llama-cpp-python absent), the whisper backend with one warning saying
    why. A `model_path` the editor chose that cannot be loaded is an error, not a quiet fallback."""
    translator = LlamaTranslator(options, llama_factory)
    try:
        translator.load()
    except ModelError as exc:
        if translator.model_path is not None:
            raise
        log.warning("the local language model cannot be loaded (%s): using the whisper backend instead",
                    exc.one_line())
        return WhisperTranslator(ws)
    return translator


def model_identity(options: Mapping[str, Any]) -> dict[str, Any]:
    """What the subtitles stage should hash for the llama backend: the model file's SHA-256 and the
    llama-cpp-python version, or why the model is unavailable (a run that fell back to whisper is
    then redone once the model is in place). Cheap after the first call (hash stamps)."""
    import importlib.metadata

    try:
        info = LlamaTranslator(options).model_info()
        version = importlib.metadata.version("llama-cpp-python")
    except (ModelError, importlib.metadata.PackageNotFoundError) as exc:
        return {"unavailable": exc.one_line() if isinstance(exc, ModelError) else "llama-cpp-python not installed"}
    return {"sha256": info.sha256, "llama_cpp": version}
