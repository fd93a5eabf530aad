"""A fake model API on 127.0.0.1 for the real Claude Code and Codex programs.

It speaks enough of the Anthropic Messages API (``POST /v1/messages``, server-sent
events or one JSON message) and of the OpenAI Responses API (``POST
/v1/responses``, server-sent events) for ``claude -p`` and ``codex exec``, and
answers any other request harmlessly. Every request is recorded (method, path,
headers, JSON body) in ``FakeAPI.requests``, so a test can assert on what
reached the model.

Replies are scripted, agent-neutral: ``Text("...")`` is an assistant message,
``Shell("cmd")`` makes the agent run a shell command (Claude Code: a
``tool_use`` block named ``Bash``; Codex: a ``function_call`` named
``exec_command``), ``ToolCall(name, input)`` is any other tool call. Each
request that carries the conversation takes the next reply from the queue
(``FakeAPI.reply(...)``); a reply may also be a callable that decides from the
request. Side requests (title or summary generation, compaction, a quota
check) and requests after the queue ran dry get a plain text reply, so the
agent always finishes its turn.

    with FakeAPI() as api:
        api.reply(Shell("echo hi > proof.txt"), Text("done"))
        ...  # run the agent with ANTHROPIC_BASE_URL=api.url
        assert any("marker" in r.text for r in api.model_requests())
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Text:
    """An assistant message that ends the turn."""

    text: str


@dataclass(frozen=True)
class Shell:
    """A call of the agent's shell tool: Claude Code's ``Bash``, Codex's ``exec_command``."""

    command: str
    description: str = "Run a shell command"


@dataclass(frozen=True)
class ToolCall:
    """A call of any tool by its name in that agent, with its input object."""

    name: str
    input: dict[str, Any]


@dataclass(frozen=True)
class FreeformCall:
    """A call of a freeform tool, whose input is raw text: Codex's ``apply_patch``
    (a Responses API ``custom_tool_call``; seen: Codex 0.171.0 refuses it as a
    ``function_call``, "invoked with incompatible payload"). Codex only."""

    name: str
    input: str


Reply = Text | Shell | ToolCall | FreeformCall
Decide = Callable[["Request"], "Reply | None"]

#: The reply to a side request (titles, summaries, compaction). Claude Code asks
#: for a compaction summary as ``<analysis>`` then ``<summary>``, and asks again when
#: the reply has no ``<summary>``; Codex takes any text.
SIDE_REPLY = ("<analysis>Fake analysis.</analysis>\n"
              "<summary>Fake summary: the session so far ran a scripted test.</summary>")
#: The reply once the script ran dry.
DONE = "Done."

#: How the last user text of a compaction request begins or what it holds (seen):
#: Claude Code 2.1.332 and Codex 0.171.0.
COMPACTION_TEXTS = ("Your task is to create a detailed summary of the conversation so far",
                    "You are performing a CONTEXT CHECKPOINT COMPACTION")


@dataclass
class Request:
    """One request the fake API received."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: Any
    raw: bytes
    at: float
    #: "anthropic" (Messages API), "openai" (Responses API) or "" (anything else).
    api: str = ""
    #: Whether it was answered as a side request (not taken from the script).
    side: bool = False
    reply: Reply | None = None
    number: int = 0

    @property
    def text(self) -> str:
        """The body as sent: JSON, so quotes, backslashes and line breaks in it are
        escaped (``contains`` looks in the decoded strings as well)."""
        return self.raw.decode("utf-8", "replace")

    def contains(self, needle: str) -> bool:
        """Whether ``needle`` is in the body as sent or in any string in it."""
        return needle in self.text or any(needle in s for s in _strings(self.body))

    @property
    def session_id(self) -> str | None:
        """The session the request belongs to, from the header each program sends:
        ``x-claude-code-session-id`` (Claude Code), ``session-id`` (Codex)."""
        return self.headers.get("x-claude-code-session-id") or self.headers.get("session-id")

    @property
    def is_model(self) -> bool:
        return self.api != ""

    def last_user_text(self) -> str:
        """The text of the last user turn (Claude Code) or user input item (Codex)."""
        texts = _user_texts(self.body, self.api)
        return texts[-1] if texts else ""

    def tool_results(self) -> list[str]:
        """The outputs of the tool calls reported back in this request, in order."""
        body = self.body if isinstance(self.body, dict) else {}
        results: list[str] = []
        if self.api == "anthropic":
            for message in body.get("messages", []):
                content = message.get("content")
                if not isinstance(content, list):
                    continue
                for block in content:
                    if isinstance(block, dict) and block.get("type") == "tool_result":
                        results.append(_flatten(block.get("content")))
        elif self.api == "openai":
            for item in body.get("input", []) or []:
                if isinstance(item, dict) and item.get("type") in ("function_call_output",
                                                                   "custom_tool_call_output"):
                    results.append(_flatten(item.get("output")))
        return results


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _flatten(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(_flatten(part) for part in content)
    if isinstance(content, dict):
        for key in ("text", "content", "output"):
            if key in content:
                return _flatten(content[key])
    return "" if content is None else json.dumps(content)


def _user_texts(body: Any, api: str) -> list[str]:
    if not isinstance(body, dict):
        return []
    texts: list[str] = []
    if api == "anthropic":
        for message in body.get("messages", []):
            if message.get("role") != "user":
                continue
            content = message.get("content")
            if isinstance(content, str):
                texts.append(content)
            elif isinstance(content, list):
                parts = [b.get("text", "") for b in content
                         if isinstance(b, dict) and b.get("type") == "text"]
                if parts:
                    texts.append("\n".join(parts))
    elif api == "openai":
        items = body.get("input")
        if isinstance(items, str):
            return [items]
        for item in items or []:
            if isinstance(item, dict) and item.get("role") == "user":
                texts.append(_flatten(item.get("content")))
    return texts


def is_compaction(request: Request) -> bool:
    """Whether a model request asks for a compaction summary (Claude Code: an
    ordinary request whose last user text asks for one; Codex with a provider of
    its own: the same on ``/v1/responses``)."""
    last = request.last_user_text()
    return any(text in last for text in COMPACTION_TEXTS)


def is_side_request(request: Request) -> bool:
    """Whether a model request asks for something beside the conversation's next
    step: a compaction summary, or (Claude Code) a request without tools such as
    a title or a quota check. Those get a plain text reply and take no reply
    from the script."""
    body = request.body if isinstance(request.body, dict) else {}
    if request.api == "anthropic" and not body.get("tools"):
        return True
    return is_compaction(request)


class FakeAPI:
    """The fake model API; a context manager that serves on 127.0.0.1 while open."""

    def __init__(self, *replies: Reply | Decide, side_reply: str = SIDE_REPLY,
                 input_tokens: int | None = None) -> None:
        self.requests: list[Request] = []
        self.side_reply = side_reply
        #: The input tokens each reply reports using (default: a quarter of the
        #: request's bytes). A large number makes the agent compact on its own.
        self.input_tokens = input_tokens
        #: Exceptions raised by a callable reply, as text; each such request got
        #: a text reply saying so (the ``fake_api`` fixture fails the test).
        self.errors: list[str] = []
        self._queue: deque[Reply | Decide] = deque(replies)
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- the script ------------------------------------------------------------------------

    def reply(self, *replies: Reply | Decide) -> None:
        """Queue replies for the next requests that carry the conversation."""
        with self._lock:
            self._queue.extend(replies)

    @property
    def pending(self) -> int:
        """How many scripted replies are not taken yet."""
        with self._lock:
            return len(self._queue)

    def _decide(self, request: Request) -> Reply:
        with self._lock:
            if is_side_request(request):
                request.side = True
                return Text(self.side_reply)
            if not self._queue:
                return Text(DONE)
            step = self._queue.popleft()
        if callable(step):
            try:
                decided = step(request)
            except Exception as error:  # the agent gets a text, the test a failure
                message = f"request #{request.number}: {traceback.format_exc()}"
                with self._lock:
                    self.errors.append(message)
                return Text(f"fake API error: {error!r}")
            return decided if decided is not None else Text(DONE)
        return step

    # -- what was seen ---------------------------------------------------------------------

    def model_requests(self, api: str | None = None) -> list[Request]:
        """The requests to the model APIs (all, or only "anthropic" or "openai")."""
        with self._lock:
            return [r for r in self.requests if r.is_model and (api is None or r.api == api)]

    def saw(self, needle: str) -> bool:
        """Whether any model request contains ``needle`` anywhere in its body."""
        return any(r.contains(needle) for r in self.model_requests())

    def describe(self) -> str:
        """One line per request, for assertion messages."""
        with self._lock:
            lines = [f"#{r.number} {r.method} {r.path} api={r.api or '-'} side={r.side} "
                     f"reply={r.reply!r} last_user={r.last_user_text()[:80]!r}"
                     for r in self.requests]
        return "\n".join(lines) or "(no requests)"

    # -- serving ---------------------------------------------------------------------------

    @property
    def port(self) -> int:
        assert self._server is not None, "the fake API is not running"
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """The base URL, without ``/v1`` (``ANTHROPIC_BASE_URL``)."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeAPI:
        api = self

        class Handler(_Handler):
            fake = api

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _usage_in(self, request: Request) -> int:
        if self.input_tokens is not None:
            return self.input_tokens
        return max(1, len(request.raw) // 4)

    def _record(self, request: Request) -> None:
        with self._lock:
            request.number = next(self._ids)
            self.requests.append(request)


class _Handler(BaseHTTPRequestHandler):
    fake: FakeAPI
    protocol_version = "HTTP/1.1"
    server_version = "fake-model-api/1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # requests are recorded, not printed

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        raw = self._body()
        parts = urlsplit(self.path)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        request = Request(method=self.command, path=parts.path, query=parts.query,
                          headers={k.lower(): v for k, v in self.headers.items()},
                          body=body, raw=raw, at=time.time())
        path = parts.path.rstrip("/")
        if self.command == "POST" and path.endswith("/v1/messages"):
            request.api = "anthropic"
        elif self.command == "POST" and path.endswith("/v1/responses"):
            request.api = "openai"
        self.fake._record(request)
        if request.api:
            request.reply = self.fake._decide(request)
        if request.api == "anthropic":
            self._anthropic(request)
        elif request.api == "openai":
            self._openai(request)
        elif path.endswith("/count_tokens"):
            self._json(200, {"input_tokens": max(1, len(raw) // 4)})
        elif path.endswith("/models") and self.command == "GET":
            self._json(200, {"data": [], "object": "list", "models": [], "has_more": False})
        else:
            self._json(200, {})

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle

    def _json(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _events(self, events: Iterable[tuple[str, dict[str, Any]]]) -> None:
        data = "".join(f"event: {name}\ndata: {json.dumps(payload)}\n\n"
                       for name, payload in events).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    # -- Anthropic Messages API ------------------------------------------------------------

    def _anthropic(self, request: Request) -> None:
        body = request.body if isinstance(request.body, dict) else {}
        model = body.get("model", "claude-fake")
        reply = request.reply
        number = request.number
        if isinstance(reply, Text):
            block: dict[str, Any] = {"type": "text", "text": reply.text}
            stop = "end_turn"
        else:
            name, given = ((("Bash", {"command": reply.command, "description": reply.description}))
                           if isinstance(reply, Shell) else (reply.name, reply.input))
            block = {"type": "tool_use", "id": f"toolu_fake{number:06d}", "name": name,
                     "input": given}
            stop = "tool_use"
        usage = {"input_tokens": self.fake._usage_in(request), "output_tokens": 10,
                 "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
        message = {"id": f"msg_fake{number:06d}", "type": "message", "role": "assistant",
                   "model": model, "content": [block], "stop_reason": stop,
                   "stop_sequence": None, "usage": usage}
        if not body.get("stream"):
            self._json(200, message)
            return
        if block["type"] == "text":
            start = {"type": "text", "text": ""}
            delta = {"type": "text_delta", "text": block["text"]}
        else:
            start = {**block, "input": {}}
            delta = {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}
        self._events([
            ("message_start", {"type": "message_start",
                               "message": {**message, "content": [], "stop_reason": None,
                                           "usage": {**usage, "output_tokens": 1}}}),
            ("content_block_start", {"type": "content_block_start", "index": 0,
                                     "content_block": start}),
            ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}),
            ("content_block_stop", {"type": "content_block_stop", "index": 0}),
            ("message_delta", {"type": "message_delta",
                               "delta": {"stop_reason": stop, "stop_sequence": None},
                               "usage": {"output_tokens": 10}}),
            ("message_stop", {"type": "message_stop"}),
        ])

    # -- OpenAI Responses API --------------------------------------------------------------

    def _openai(self, request: Request) -> None:
        body = request.body if isinstance(request.body, dict) else {}
        model = body.get("model", "gpt-fake")
        reply = request.reply
        number = request.number
        if isinstance(reply, Text):
            item: dict[str, Any] = {
                "id": f"msg_fake{number:06d}", "type": "message", "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": reply.text, "annotations": []}]}
        elif isinstance(reply, FreeformCall):
            item = {"id": f"ctc_fake{number:06d}", "type": "custom_tool_call",
                    "status": "completed", "call_id": f"call_fake{number:06d}",
                    "name": reply.name, "input": reply.input}
        else:
            name, given = (("exec_command", {"cmd": reply.command})
                           if isinstance(reply, Shell) else (reply.name, reply.input))
            item = {"id": f"fc_fake{number:06d}", "type": "function_call", "status": "completed",
                    "call_id": f"call_fake{number:06d}", "name": name,
                    "arguments": json.dumps(given)}
        response = {"id": f"resp_fake{number:06d}", "object": "response",
                    "created_at": int(request.at), "status": "in_progress", "model": model,
                    "output": []}
        used = self.fake._usage_in(request)
        usage = {"input_tokens": used, "input_tokens_details": {"cached_tokens": 0},
                 "output_tokens": 10, "output_tokens_details": {"reasoning_tokens": 0},
                 "total_tokens": used + 10}
        sequence = itertools.count()
        events: list[tuple[str, dict[str, Any]]] = [
            ("response.created", {"type": "response.created", "response": response}),
        ]
        if item["type"] == "message":
            events += [
                ("response.output_item.added", {
                    "type": "response.output_item.added", "output_index": 0,
                    "item": {**item, "status": "in_progress", "content": []}}),
                ("response.content_part.added", {
                    "type": "response.content_part.added", "item_id": item["id"],
                    "output_index": 0, "content_index": 0,
                    "part": {"type": "output_text", "text": "", "annotations": []}}),
                ("response.output_text.delta", {
                    "type": "response.output_text.delta", "item_id": item["id"],
                    "output_index": 0, "content_index": 0, "delta": reply.text}),
                ("response.output_text.done", {
                    "type": "response.output_text.done", "item_id": item["id"],
                    "output_index": 0, "content_index": 0, "text": reply.text}),
                ("response.content_part.done", {
                    "type": "response.content_part.done", "item_id": item["id"],
                    "output_index": 0, "content_index": 0, "part": item["content"][0]}),
            ]
        else:
            started = {**item, "status": "in_progress"}
            started["input" if item["type"] == "custom_tool_call" else "arguments"] = ""
            events.append(("response.output_item.added", {
                "type": "response.output_item.added", "output_index": 0, "item": started}))
        events += [
            ("response.output_item.done", {"type": "response.output_item.done",
                                           "output_index": 0, "item": item}),
            ("response.completed", {"type": "response.completed",
                                    "response": {**response, "status": "completed",
                                                 "output": [item], "usage": usage}}),
        ]
        for _name, payload in events:
            payload["sequence_number"] = next(sequence)
        self._events(events)


__all__ = ["DONE", "SIDE_REPLY", "FakeAPI", "Reply", "Request", "Shell", "Text", "ToolCall",
           "is_compaction", "is_side_request"]
