"""A misbehaving OpenAI-compatible chat server for fault tests (stdlib only, loopback only).

``FaultServer.mode`` chooses how ``/v1/chat/completions`` answers; every request is counted
and kept (path, headers, body) so tests can check retries and what was sent.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def completion(content: str | None, *, logprobs: list[tuple[str, float]] | None = None) -> dict:
    choice: dict = {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}
    if logprobs is not None:
        token, lp = logprobs[0]
        choice["logprobs"] = {"content": [{
            "token": token, "logprob": lp, "bytes": None,
            "top_logprobs": [{"token": t, "logprob": p, "bytes": None} for t, p in logprobs],
        }]}
    return {"id": "cmpl-1", "object": "chat.completion", "created": 0, "model": "fault",
            "choices": [choice], "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}


def grade(score, verdict: str = "covered", follow_up=None, ids=("bias", "variance", "decomposition", "levers"),
          missing=()) -> str:
    return json.dumps({
        "key_points": [{"id": i, "verdict": "missing" if i in missing else verdict, "quote": ""} for i in ids],
        "feedback": "Clear and correct.", "follow_up": follow_up, "score": score,
    })


class FaultServer:
    def __init__(self, mode: str = "ok", delay: float = 0.0):
        self.mode = mode
        self.delay = delay
        self.requests: list[dict] = []
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_POST(self):  # noqa: N802 - http.server API
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {}
                with outer._lock:
                    outer.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                    n = len(outer.requests)
                status, payload = outer.respond(body, n, dict(self.headers))
                if outer.delay:
                    time.sleep(outer.delay)
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def chat_requests(self) -> list[dict]:
        return [r for r in self.requests if r["path"].endswith("/chat/completions")]

    def respond(self, body: dict, n: int, headers: dict) -> tuple[int, object]:
        m = self.mode
        wants_probs = bool(body.get("logprobs"))
        is_grade = "response_format" in body or "grade" in json.dumps(body.get("messages", []))[:50]
        if m == "429":
            return 429, {"error": {"message": "rate limited", "type": "rate_limit"}}
        if m == "500":
            return 500, {"error": {"message": "boom"}}
        if m == "echo_key":  # a hostile or buggy server that echoes the credentials back
            return 401, {"error": {"message": f"bad key {headers.get('Authorization') or headers.get('authorization')}"}}
        if m == "not_json_body":
            return 200, b"<html>this is not an API</html>"
        if m == "garbage":
            return 200, completion("sure! here is the grade: {score: ten")
        if m == "out_of_range":
            return 200, completion(grade(42))
        if m == "clamp":
            return 200, completion(grade(10.4))
        if m == "wrong_types":
            return 200, completion(json.dumps({"key_points": "all of them", "feedback": 7, "follow_up": None, "score": "high"}))
        if m == "repair":
            return 200, completion("not json" if n == 1 else grade(7))
        if m == "schema_unsupported":
            fmt = (body.get("response_format") or {}).get("type")
            if fmt == "json_schema":
                return 400, {"error": {"message": "response_format json_schema is not supported"}}
            return 200, completion(grade(6) if fmt == "json_object" or "JSON" in json.dumps(body) else "What is it?")
        if m == "reveal":  # grades fine, but its follow-ups quote the answer key
            if is_grade and not wants_probs and "response_format" in body:
                return 200, completion(grade(5, missing=("decomposition", "levers"), follow_up="What does the reference answer say about bias?"))
            return 200, completion("Could you explain why the expected error splits into bias squared plus variance?")
        if m == "probs":
            if wants_probs:
                return 200, completion("4", logprobs=[("4", -0.2), ("3", -1.9), ("x", -2.0), ("5", -3.0)])
            return 200, completion("What would you change if the model did well on training data but badly on new data?")
        if m == "no_logprobs":
            return 200, completion("4")
        # "ok" and "injection": a valid grade with full marks, and a decent follow-up question
        if "response_format" in body:
            return 200, completion(grade(10, verdict="covered"))
        return 200, completion("How would you tell which of the two problems your model has?")

    def __enter__(self) -> FaultServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
