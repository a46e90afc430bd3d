"""Translation through any OpenAI-compatible `/v1/chat/completions` endpoint (a local llama.cpp or
vLLM server, or a hosted one), with the standard library only.

Cues go in numbered batches with a few neighbours on each side as context (a cue is often half a
sentence) and the glossary as instructions. The reply must be JSON with exactly one English line per
cue id: a reply that drops or invents a line is retried, not patched, because a shifted line puts
every following subtitle against the wrong picture.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import ManifestError, SubtitleError
from .base import SourceCue, TranslationContext, protect, translate_protected

_SYSTEM = (
    "You translate Vietnamese television subtitles into natural, concise English subtitles. "
    "Translate each numbered cue on its own and keep its meaning inside that cue; the context "
    "cues are for understanding only. Use the glossary's English for its terms. Other proper names "
    "keep their Vietnamese spelling with diacritics. Reply with JSON only: "
    '{"translations": [{"id": <cue id>, "en": "<English>"}, ...]} with exactly one entry per cue id.'
)


class LLMError(SubtitleError):
    """A reply that cannot be used (not JSON, lines missing or extra); retried before it surfaces."""


class LLMTranslator:
    """Options: base_url (…/v1), model, api_key_env, batch_size, context, timeout_s, retries, backoff_s."""

    name = "llm"
    is_machine_draft = True

    def __init__(self, options: Mapping[str, Any]) -> None:
        try:
            self.base_url = str(options["base_url"]).rstrip("/")
            self.model = str(options.get("model", "default"))
            self.api_key_env = options.get("api_key_env")
            self.batch_size = max(1, int(options.get("batch_size", 20)))
            self.context = max(0, int(options.get("context", 2)))
            self.timeout_s = float(options.get("timeout_s", 60))
            self.retries = max(0, int(options.get("retries", 3)))
            self.backoff_s = float(options.get("backoff_s", 1.0))
            self.temperature = float(options.get("temperature", 0.0))
        except KeyError:
            raise ManifestError("translation.options.base_url is required for the llm backend",
                                hint="e.g. base_url: http://127.0.0.1:8080/v1") from None
        except (TypeError, ValueError) as exc:
            raise ManifestError(f"translation.options for the llm backend: {exc}") from None

    # -- one request --------------------------------------------------------------------------------
    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if self.api_key_env:
            key = os.environ.get(str(self.api_key_env))
            if not key:
                raise ManifestError(
                    f"environment variable {self.api_key_env} (translation.options.api_key_env) is not set")
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def _post(self, payload: dict[str, Any]) -> Any:
        request = urllib.request.Request(
            f"{self.base_url}/chat/completions",
            data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
            headers=self._headers(),
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
            body = response.read()
        try:
            return json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise LLMError(f"the server's reply is not JSON ({exc})") from None

    def messages(self, texts: Sequence[str], ids: Sequence[int], before: Sequence[str], after: Sequence[str],
                 glossary_lines: Sequence[str]) -> list[dict[str, str]]:
        """The chat messages for one batch (public so a test or a reviewer can see the prompt)."""
        system = _SYSTEM
        if glossary_lines:
            system += "\nGlossary (Vietnamese → official English):\n" + "\n".join(glossary_lines)
        user = {
            "context_before": list(before),
            "cues": [{"id": i, "vi": t} for i, t in zip(ids, texts, strict=True)],
            "context_after": list(after),
        }
        return [{"role": "system", "content": system},
                {"role": "user", "content": json.dumps(user, ensure_ascii=False)}]

    @staticmethod
    def parse_reply(reply: Any, ids: Sequence[int]) -> list[str]:
        """The English lines of a chat reply, in `ids` order; LLMError when any is missing or extra."""
        try:
            content = reply["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            raise LLMError("the reply has no choices[0].message.content") from None
        text = str(content).strip()
        if text.startswith("```"):
            text = text.strip("`").removeprefix("json").strip()
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            raise LLMError(f"the model's answer is not JSON: {text[:80]!r}") from None
        items = data.get("translations", data) if isinstance(data, dict) else data
        found: dict[int, str] = {}
        if isinstance(items, dict):
            pairs = list(items.items())
        elif isinstance(items, list):
            pairs = [(it.get("id"), it.get("en")) for it in items if isinstance(it, dict)]
        else:
            raise LLMError("the model's answer has no translations")
        for key, value in pairs:
            try:
                cue_id = int(key)
            except (TypeError, ValueError):
                raise LLMError(f"the model's answer has a bad cue id {key!r}") from None
            if not isinstance(value, str) or not value.strip():
                raise LLMError(f"the model's answer for cue {cue_id} is empty")
            if cue_id in found:
                raise LLMError(f"the model's answer repeats cue {cue_id}")
            found[cue_id] = value
        missing = [i for i in ids if i not in found]
        extra = sorted(set(found) - set(ids))
        if missing or extra:
            raise LLMError(f"the model's answer misses cues {missing} and has extra cues {extra}")
        return [found[i] for i in ids]

    def _batch(self, messages: list[dict[str, str]], ids: Sequence[int]) -> list[str]:
        payload = {"model": self.model, "messages": messages, "temperature": self.temperature,
                   "response_format": {"type": "json_object"}}
        problem = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff_s * 2 ** (attempt - 1))
            try:
                return self.parse_reply(self._post(payload), ids)
            except LLMError as exc:
                problem = exc.problem
            except TimeoutError:
                problem = f"no answer within {self.timeout_s:g} s (timeout_s)"
            except urllib.error.HTTPError as exc:
                problem = f"HTTP {exc.code} {exc.reason}"
                if exc.code in (400, 401, 403, 404):
                    break  # retrying the same request will not help
            except urllib.error.URLError as exc:
                reason = exc.reason
                problem = (f"no answer within {self.timeout_s:g} s (timeout_s)"
                           if isinstance(reason, TimeoutError) else f"cannot connect: {reason}")
            except (ConnectionError, OSError) as exc:
                problem = f"connection failed: {exc}"
        raise SubtitleError(
            f"translation service {self.base_url} failed for cues {ids[0]}–{ids[-1]} after "
            f"{attempt + 1} attempt(s): {problem}",
            hint="check the server, or raise translation.options.timeout_s / retries",
        )

    def translate(self, cues: Sequence[SourceCue], context: TranslationContext) -> list[str]:
        """Batches of `batch_size` cues, each sent with `context` neighbours on both sides."""
        glossary = context.glossary
        used = {t for cue in cues for t in protect(cue.text, glossary).terms}
        glossary_lines = [f"- {t.vi} → {t.en}" for t in glossary.terms if t in used]

        def run(texts: list[str]) -> list[str]:
            out: list[str] = []
            for first in range(0, len(texts), self.batch_size):
                chunk = cues[first : first + self.batch_size]
                before = texts[max(0, first - self.context) : first]
                after = texts[first + len(chunk) : first + len(chunk) + self.context]
                ids = [c.index for c in chunk]
                out.extend(self._batch(self.messages(texts[first : first + len(chunk)], ids, before, after,
                                                     glossary_lines), ids))
            return out

        return translate_protected(cues, glossary, run, placeholders=False)
