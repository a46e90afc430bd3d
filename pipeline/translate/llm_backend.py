"""Translation through any OpenAI-compatible `/v1/chat/completions` endpoint (a local llama.cpp or
vLLM server, or a hosted one), with the standard library only; and `ChatTranslator`, everything such
a translator does but the transport, shared with the in-process llama.cpp backend (llama_backend.py).

Cues go in numbered batches with context on each side and the glossary as instructions. The context
is the sentence before and after, when the caller gives them (`SourceCue.before`/`after`: the
subtitles stage sends recognised speech as whole sentences, each with its neighbours), and a batch
then holds only sentences that follow one another, so every sentence's neighbours are in its
request; otherwise it is a few of the batch's neighbours in the list. The reply must be JSON with
exactly one English line per cue id: a reply that drops or invents a line is retried, not patched,
because a shifted line puts every following subtitle against the wrong picture.
"""

from __future__ import annotations

import json
import logging
import os
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import ManifestError, SubtitleError
from ..fsutil import nfc
from .base import SourceCue, TranslationContext, protect, translate_protected

_SYSTEM = (
    "You translate Vietnamese television subtitles into natural, concise English subtitles. "
    "Translate each numbered cue on its own and keep its meaning inside that cue; context_before "
    "and context_after are the text around the cues, for understanding only: do not translate them. "
    "Do not add an ellipsis the Vietnamese does not have. Use the glossary's English for its terms. "
    "Other proper names keep their Vietnamese spelling with diacritics. Reply with JSON only: "
    '{"translations": [{"id": <cue id>, "en": "<English>"}, ...]} with exactly one entry per cue id.'
)


log = logging.getLogger(__name__)


class LLMError(SubtitleError):
    """A reply that cannot be used (not JSON, lines missing or extra, a failed transport); retried
    before it surfaces, unless `retryable` is False (retrying the same request cannot help)."""

    def __init__(self, problem: str, *, retryable: bool = True, hint: str | None = None) -> None:
        self.retryable = retryable
        super().__init__(problem, hint=hint)


class ChatTranslator:
    """Everything a chat-model translator needs except the transport: the prompt, batching with
    neighbours as context, the glossary as instructions, reply validation, retries and glossary
    spelling. Subclasses implement `complete` (one chat request → an OpenAI-shaped reply dict) and
    `describe` (what failed, for the error). Used by the `llm` (HTTP) and `llama` (in-process) backends.
    """

    name = "chat"
    is_machine_draft = True
    batch_size = 20
    context = 2
    retries = 3
    backoff_s = 1.0
    failure_hint = "check the model, or raise translation.options.retries"
    # When every attempt at a batch failed, translate its halves separately (each still needs a
    # complete reply: nothing is patched). Off for servers, whose failures are rarely about size.
    split_failed_batches = False

    def complete(self, messages: list[dict[str, str]], ids: Sequence[int], attempt: int) -> Any:
        """The model's reply to `messages`, shaped like OpenAI's chat completion; LLMError on failure."""
        raise NotImplementedError

    def describe(self) -> str:
        """The translator as an error message names it."""
        return f"the {self.name} translator"

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
        """One batch: a complete, valid reply within `retries` retries, else SubtitleError."""
        problem = ""
        for attempt in range(self.retries + 1):
            if attempt and self.backoff_s:
                time.sleep(self.backoff_s * 2 ** (attempt - 1))
            try:
                return self.parse_reply(self.complete(messages, ids, attempt), ids)
            except LLMError as exc:
                problem = exc.problem
                log.info("%s, cues %s–%s, attempt %d: %s", self.describe(), ids[0], ids[-1], attempt + 1, problem)
                if not exc.retryable:
                    break
        raise SubtitleError(
            f"{self.describe()} failed for cues {ids[0]}–{ids[-1]} after {attempt + 1} attempt(s): {problem}",
            hint=self.failure_hint,
        )

    def _translate_range(self, texts: Sequence[str], ids: Sequence[int], first: int, count: int,
                         glossary_lines: Sequence[str], around: Sequence[tuple[str, str]] | None = None,
                         ) -> list[str]:
        """Cues `first … first+count-1` of `texts` as one batch, with context on each side: the
        sentence before the first and after the last from `around` (each cue's (before, after))
        when given, else `context` neighbours in `texts`."""
        if around is not None:
            opening, closing = around[first][0], around[first + count - 1][1]
            before = [opening] if opening and self.context else []
            after = [closing] if closing and self.context else []
        else:
            before = list(texts[max(0, first - self.context) : first])
            after = list(texts[first + count : first + count + self.context])
        chunk_ids = ids[first : first + count]
        messages = self.messages(texts[first : first + count], chunk_ids, before, after, glossary_lines)
        try:
            return self._batch(messages, chunk_ids)
        except SubtitleError:
            if not self.split_failed_batches or count == 1:
                raise
        half = count // 2
        return (self._translate_range(texts, ids, first, half, glossary_lines, around)
                + self._translate_range(texts, ids, first + half, count - half, glossary_lines, around))

    def _batches(self, texts: Sequence[str], around: Sequence[tuple[str, str]] | None) -> list[tuple[int, int]]:
        """(first, count) of each batch: up to `batch_size` cues; with `around`, only cues that follow
        one another (each the next one's context before, the previous one's context after)."""
        batches: list[tuple[int, int]] = []
        for k in range(len(texts)):
            joined = batches and batches[-1][1] < self.batch_size and (
                around is None or (around[k - 1][1] == texts[k] and around[k][0] == texts[k - 1]))
            if joined:
                batches[-1] = (batches[-1][0], batches[-1][1] + 1)
            else:
                batches.append((k, 1))
        return batches

    def translate(self, cues: Sequence[SourceCue], context: TranslationContext) -> list[str]:
        """Batches of up to `batch_size` cues, each sent with context on both sides: the sentences
        the cues carry (`before`/`after`; a batch then holds only consecutive sentences), or else
        `context` neighbours from the list. A cue with no text gets no English (there is nothing to
        ask the model about)."""
        glossary = context.glossary
        used = {t for cue in cues for t in protect(cue.text, glossary).terms}
        glossary_lines = [f"- {t.vi} → {t.en}" for t in glossary.terms if t in used]
        given = any(cue.before is not None or cue.after is not None for cue in cues)

        def flat(text: str | None) -> str:
            return " ".join(nfc(text or "").split())

        def run(texts: list[str]) -> list[str]:
            spoken = [n for n, text in enumerate(texts) if text.strip()]
            said = [" ".join(texts[n].split()) for n in spoken] if given else [texts[n] for n in spoken]
            ids = [cues[n].index for n in spoken]
            around = [(flat(cues[n].before), flat(cues[n].after)) for n in spoken] if given else None
            english: list[str] = []
            for first, count in self._batches(said, around):
                english.extend(self._translate_range(said, ids, first, count, glossary_lines, around))
            out = [""] * len(texts)
            for n, line in zip(spoken, english, strict=True):
                out[n] = line
            return out

        return translate_protected(cues, glossary, run, placeholders=False)


class LLMTranslator(ChatTranslator):
    """Options: base_url (…/v1), model, api_key_env, batch_size, context, timeout_s, retries, backoff_s."""

    name = "llm"
    failure_hint = "check the server, or raise translation.options.timeout_s / retries"

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

    def describe(self) -> str:
        return f"translation service {self.base_url}"

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

    def complete(self, messages: list[dict[str, str]], ids: Sequence[int], attempt: int) -> Any:
        """POST to `/chat/completions`; transport failures become LLMError (4xx: not retried)."""
        payload = {"model": self.model, "messages": messages, "temperature": self.temperature,
                   "response_format": {"type": "json_object"}}
        try:
            return self._post(payload)
        except TimeoutError:
            raise LLMError(f"no answer within {self.timeout_s:g} s (timeout_s)") from None
        except urllib.error.HTTPError as exc:
            # retrying the same request will not help a 400, 401, 403 or 404
            raise LLMError(f"HTTP {exc.code} {exc.reason}", retryable=exc.code not in (400, 401, 403, 404)) from None
        except urllib.error.URLError as exc:
            reason = exc.reason
            raise LLMError(f"no answer within {self.timeout_s:g} s (timeout_s)" if isinstance(reason, TimeoutError)
                           else f"cannot connect: {reason}") from None
        except (ConnectionError, OSError) as exc:
            raise LLMError(f"connection failed: {exc}") from None
