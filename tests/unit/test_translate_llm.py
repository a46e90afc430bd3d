"""The llm backend against a small OpenAI-compatible server on 127.0.0.1, started by the test.

The server answers from a script: each request pops the next behaviour (good, drop a line, garbage,
stall past the client's timeout), so retries, validation and timeouts are exercised for real.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from pipeline.asr.glossary import load_glossary
from pipeline.errors import SubtitleError
from pipeline.translate import SourceCue, TranslationContext
from pipeline.translate.llm_backend import LLMTranslator

CUES = [SourceCue(i, i * 1000, i * 1000 + 900, text) for i, text in enumerate(
    ["Chào mừng đến Trà Vinh.", "Đây là Ao Bà Om.", "Kẹo dừa rất ngon.", "Cảm ơn quý vị."], 1)]


class Server:
    def __init__(self) -> None:
        self.script: list[str] = []
        self.requests: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
                mode = server.script.pop(0) if server.script else "good"
                cues = json.loads(body["messages"][1]["content"])["cues"]
                items = [{"id": c["id"], "en": f"English {c['id']} Tra Vinh"} for c in cues]
                if mode == "stall":
                    time.sleep(0.6)
                if mode == "drop":
                    items = items[:-1]
                if mode == "extra":
                    items.append({"id": 999, "en": "invented"})
                content = "not json at all" if mode == "garbage" else json.dumps({"translations": items})
                data = json.dumps({"choices": [{"message": {"content": content}}]}).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"


@pytest.fixture()
def server() -> Iterator[Server]:
    srv = Server()
    thread = threading.Thread(target=srv.httpd.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()


def _translator(server: Server, **extra: Any) -> LLMTranslator:
    return LLMTranslator({"base_url": server.url, "model": "m", "batch_size": 3, "backoff_s": 0.01,
                          "timeout_s": 0.3, "retries": 2, **extra})


CONTEXT = TranslationContext(load_glossary(), "demo")


def test_good_replies_in_batches_with_context_and_glossary(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_LLM_KEY", "sekrit")
    out = _translator(server, api_key_env="TEST_LLM_KEY").translate(CUES, CONTEXT)
    assert out == [f"English {i} Trà Vinh" for i in range(1, 5)]  # glossary spelling enforced
    assert len(server.requests) == 2 and server.requests[0]["path"] == "/v1/chat/completions"
    assert server.requests[0]["auth"] == "Bearer sekrit"
    second = json.loads(server.requests[1]["body"]["messages"][1]["content"])
    assert [c["id"] for c in second["cues"]] == [4] and len(second["context_before"]) == 2
    assert "Ao Bà Om → Ba Om Pond" in server.requests[0]["body"]["messages"][0]["content"]


def test_a_dropped_line_is_retried(server: Server) -> None:
    server.script = ["drop", "good", "extra", "good"]
    out = _translator(server).translate(CUES, CONTEXT)
    assert len(out) == 4 and len(server.requests) == 4


def test_timeout_is_reported_clearly(server: Server) -> None:
    server.script = ["stall"] * 3
    with pytest.raises(SubtitleError, match=r"after 3 attempt.*no answer within 0.3 s"):
        _translator(server).translate(CUES[:1], CONTEXT)


def test_garbage_is_rejected_after_retries(server: Server) -> None:
    server.script = ["garbage"] * 3
    with pytest.raises(SubtitleError, match="not JSON"):
        _translator(server).translate(CUES[:2], CONTEXT)


def test_nothing_listening(server: Server) -> None:
    translator = LLMTranslator({"base_url": "http://127.0.0.1:9/v1", "retries": 0, "timeout_s": 1})
    with pytest.raises(SubtitleError, match=r"cannot connect|connection failed"):
        translator.translate(CUES[:1], CONTEXT)
