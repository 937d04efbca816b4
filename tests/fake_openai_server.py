"""A local HTTP server that speaks OpenAI chat completions and answers from a script.

Each request to ``POST /v1/chat/completions`` takes the next script item (a dict):

- ``{"tool_calls": [("name", {args}), ...]}`` or ``{"tool_call": ("name", {args})}``;
  arguments that are a ``str`` are sent verbatim (use that for malformed JSON);
- ``{"text": "..."}``: a plain assistant message;
- ``{"status": 429, "headers": {...}, "error": "..."}``: an HTTP error;
- any item may add ``"delay": seconds`` (sleep before answering: a timeout) and
  ``"usage": (prompt_tokens, completion_tokens)``.

A callable script ``fn(request_json, index) -> item`` answers dynamically. Every request body
is kept in ``server.requests``. ``GET /v1/models`` lists ``models``. When the script runs out,
the server answers 400 so the test fails loudly. Binds to 127.0.0.1 only.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Item = dict[str, Any]
Script = list[Item] | Callable[[dict[str, Any], int], Item]


def completion(item: Item, model: str, index: int, prompt_chars: int) -> dict[str, Any]:
    """The chat-completion JSON for one script item."""
    calls = item.get("tool_calls") or ([item["tool_call"]] if "tool_call" in item else [])
    message: dict[str, Any] = {"role": "assistant", "content": item.get("text")}
    if calls:
        message["tool_calls"] = [
            {"id": f"call_{index}_{k}", "type": "function",
             "function": {"name": name,
                          "arguments": args if isinstance(args, str) else json.dumps(args)}}
            for k, (name, args) in enumerate(calls)]
    tokens_in, tokens_out = item.get("usage", (prompt_chars // 4, 7 + 3 * len(calls)))
    return {"id": f"chatcmpl-{index}", "object": "chat.completion", "created": 0,
            "model": model,
            "choices": [{"index": 0, "message": message,
                         "finish_reason": "tool_calls" if calls else "stop"}],
            "usage": {"prompt_tokens": tokens_in, "completion_tokens": tokens_out,
                      "total_tokens": tokens_in + tokens_out}}


class FakeOpenAIServer:
    """``with FakeOpenAIServer(script) as srv: client(base_url=srv.url)``."""

    def __init__(self, script: Script, models: tuple[str, ...] = ("fake-model",)) -> None:
        self.script, self.models = script, models
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def _next(self, body: dict[str, Any]) -> tuple[int, Item]:
        with self._lock:
            index = len(self.requests)
            self.requests.append(body)
        if callable(self.script):
            return index, self.script(body, index)
        if index >= len(self.script):
            return index, {"status": 400, "error": f"fake server: script exhausted at {index}"}
        return index, self.script[index]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None,
                      ) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for k, v in (headers or {}).items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out and left

            def do_GET(self) -> None:
                if self.path.rstrip("/").endswith("/models"):
                    self._send(200, {"object": "list", "data": [
                        {"id": m, "object": "model", "created": 0, "owned_by": "fake"}
                        for m in server.models]})
                else:
                    self._send(404, {"error": {"message": f"no route {self.path}"}})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._send(404, {"error": {"message": f"no route {self.path}"}})
                    return
                index, item = server._next(body)
                if item.get("delay"):
                    time.sleep(float(item["delay"]))
                if "status" in item:
                    self._send(int(item["status"]),
                               {"error": {"message": item.get("error", "scripted error"),
                                          "type": "fake", "code": item["status"]}},
                               item.get("headers"))
                    return
                chars = sum(len(str(m.get("content") or "")) for m in body.get("messages", []))
                self._send(200, completion(item, body.get("model", "?"), index, chars))

        return Handler
