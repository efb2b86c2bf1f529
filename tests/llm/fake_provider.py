#!/usr/bin/env python3
"""fake_provider.py — a local HTTP server for the tests that speaks the language-model providers'
real wire formats, replaying scripted answers.

  OpenAI chat completions   POST /v1/chat/completions            Authorization: Bearer KEY
  Azure OpenAI              POST /openai/deployments/DEP/chat/completions?api-version=V   api-key: KEY
  Anthropic Messages        POST /v1/messages                    x-api-key: KEY, anthropic-version

Plain (one JSON document) or streamed (server-sent events, chunked, ending with "data: [DONE]" /
"message_stop") as the request asks; the answer is given as the request asks too: a tool call
(OpenAI "tools", Anthropic "tools") or message content (OpenAI "response_format").

Usage: fake_provider.py --script FILE --port-file FILE --log FILE --key KEY [--deployment D --api-version V]
The script is a JSON list of steps, taken one per request in order (the last repeats):
  {"answer": {...}}                 the structured answer (an object, sent as JSON)
  {"answer_text": "..."}            the answer's text exactly (e.g. not JSON)
  {"status": 429, "retry_after": 1} an HTTP error (with Retry-After when given) and an error body
  {"malformed": true}               a body that is not JSON (or a stream event that is not)
  {"drop": true}                    the connection closed mid-answer
  {"huge": 400000}                  an answer of that many bytes
  {"raw": "..."}                    this response body exactly, status 200 (the limits' tests)
  "nostream": true (with an answer)  one JSON document even when the request asked for a stream
  "delay": SECONDS (with any step)   wait that long before answering (a slow model: the web app's
                                    other requests must not wait for it)
Each request is logged as one JSON line: path, query, provider, stream, structured, auth_ok,
the model asked for, and the user message's length (never the key).
"""
import argparse
import json
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse, parse_qs

ARGS = None
STEP = [0]
LOCK = threading.Lock()


def next_step():
    with LOCK:
        steps = ARGS.steps
        i = min(STEP[0], len(steps) - 1)
        STEP[0] += 1
        return steps[i]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send_json(self, status, doc, extra=None):
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def chunk(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def do_POST(self):
        u = urlparse(self.path)
        q = parse_qs(u.query)
        n = int(self.headers.get("Content-Length", "0"))
        req = json.loads(self.rfile.read(n) or b"{}")
        if u.path == "/v1/chat/completions":
            provider = "openai"
            auth_ok = self.headers.get("Authorization") == "Bearer " + ARGS.key
        elif u.path == "/openai/deployments/%s/chat/completions" % ARGS.deployment:
            provider = "azure"
            auth_ok = (self.headers.get("api-key") == ARGS.key and q.get("api-version") == [ARGS.api_version]
                       and "model" not in req)
        elif u.path == "/v1/messages":
            provider = "anthropic"
            auth_ok = self.headers.get("x-api-key") == ARGS.key and bool(self.headers.get("anthropic-version"))
        else:
            self.send_json(404, {"error": {"message": "no such path %s" % u.path, "type": "not_found"}})
            return
        stream = bool(req.get("stream"))
        structured = "tools" if "tools" in req else "json" if "response_format" in req else "none"
        msgs = req.get("messages", [])
        user = next((m.get("content", "") for m in msgs if m.get("role") == "user"), "")
        with open(ARGS.log, "a") as f:
            f.write(json.dumps({"path": u.path, "query": u.query, "provider": provider, "stream": stream,
                                "structured": structured, "auth_ok": auth_ok, "model": req.get("model"),
                                "user_len": len(user), "user": user[:20000]}) + "\n")
        if not auth_ok:
            # the way OpenAI answers a bad key: it echoes part of it
            got = self.headers.get("Authorization", "") or self.headers.get("api-key", "") or \
                self.headers.get("x-api-key", "")
            self.send_json(401, {"error": {"message": "Incorrect API key provided: %s" % got, "type": "auth"}})
            return
        step = next_step()
        if step.get("delay"):
            time.sleep(float(step["delay"]))
        if "raw" in step:
            body = step["raw"].encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream" if stream else "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if "status" in step:
            extra = {"Retry-After": str(step["retry_after"])} if "retry_after" in step else {}
            msg = {"error": {"message": "scripted status %d" % step["status"], "type": "scripted"}}
            if provider == "anthropic":
                msg = {"type": "error", "error": {"type": "overloaded_error", "message": msg["error"]["message"]}}
            self.send_json(step["status"], msg, extra)
            return
        if "answer_text" in step:
            text = step["answer_text"]
        elif "huge" in step:
            text = json.dumps({"expression": "x" * step["huge"], "explanation": "", "confidence": 1})
        else:
            text = json.dumps(step.get("answer", {}))
        if step.get("nostream"):
            stream = False   # a server that ignores "stream": true and answers with one document
        if provider == "anthropic":
            self.anthropic(req, text, stream, step)
        else:
            self.openai(req, text, stream, structured, step)

    # ---- OpenAI chat completions ----

    def openai(self, req, text, stream, structured, step):
        model = req.get("model") or ARGS.deployment
        usage = {"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150}
        tool = structured == "tools"
        name = tool and req["tools"][0]["function"]["name"]
        if not stream:
            if step.get("malformed"):
                body = b'{"id": "chatcmpl-1", "choices": [ {"message": '
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            if tool:
                msg = {"role": "assistant", "content": None, "tool_calls": [
                    {"id": "call_1", "type": "function", "function": {"name": name, "arguments": text}}]}
            else:
                msg = {"role": "assistant", "content": text}
            doc = {"id": "chatcmpl-1", "object": "chat.completion", "model": model,
                   "choices": [{"index": 0, "message": msg, "finish_reason": "tool_calls" if tool else "stop"}],
                   "usage": usage}
            if step.get("drop"):
                body = json.dumps(doc).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True
                return
            self.send_json(200, doc)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def event(delta, finish=None, u=None):
            d = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": model,
                 "choices": [{"index": 0, "delta": delta, "finish_reason": finish}] if delta is not None else []}
            if u:
                d["usage"] = u
            self.chunk("data: %s\n\n" % json.dumps(d))

        if tool:
            event({"role": "assistant", "tool_calls": [{"index": 0, "id": "call_1", "type": "function",
                                                       "function": {"name": name, "arguments": ""}}]})
        else:
            event({"role": "assistant", "content": ""})
        pieces = [text[i:i + 7] for i in range(0, len(text), 7)] or [""]
        for k, p in enumerate(pieces):
            if step.get("drop") and k == len(pieces) // 2:
                self.connection.shutdown(socket.SHUT_RDWR)   # no final chunk: the stream is cut
                self.close_connection = True
                return
            if step.get("malformed") and k == 0:
                self.chunk("data: {\"choices\": [ {\"delta\": \n\n")
            if tool:
                event({"tool_calls": [{"index": 0, "function": {"arguments": p}}]})
            else:
                event({"content": p})
        event({}, "tool_calls" if tool else "stop")
        if (req.get("stream_options") or {}).get("include_usage"):
            event(None, None, usage)
        self.chunk("data: [DONE]\n\n")
        self.chunk(b"")

    # ---- Anthropic Messages ----

    def anthropic(self, req, text, stream, step):
        model = req.get("model")
        name = req["tools"][0]["name"] if req.get("tools") else None
        try:
            inp = json.loads(text)
            if not isinstance(inp, dict):
                raise ValueError
        except ValueError:
            inp = None   # not an object: a tool's input cannot hold it; it comes as text
        if not stream:
            if step.get("malformed"):
                body = b'{"id": "msg_1", "content": [ {"type": "tool_use", '
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            block = {"type": "tool_use", "id": "toolu_1", "name": name, "input": inp} if inp is not None and name \
                else {"type": "text", "text": text}
            doc = {"id": "msg_1", "type": "message", "role": "assistant", "model": model, "content": [block],
                   "stop_reason": "tool_use" if block["type"] == "tool_use" else "end_turn",
                   "usage": {"input_tokens": 140, "output_tokens": 25}}
            if step.get("drop"):
                body = json.dumps(doc).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True
                return
            self.send_json(200, doc)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def event(kind, d):
            d["type"] = kind
            self.chunk("event: %s\ndata: %s\n\n" % (kind, json.dumps(d)))

        event("message_start", {"message": {"id": "msg_1", "type": "message", "role": "assistant", "model": model,
                                            "content": [], "usage": {"input_tokens": 140, "output_tokens": 1}}})
        tool = inp is not None and name
        if tool:
            event("content_block_start", {"index": 0, "content_block": {"type": "tool_use", "id": "toolu_1",
                                                                         "name": name, "input": {}}})
        else:
            event("content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}})
        event("ping", {})
        pieces = [text[i:i + 7] for i in range(0, len(text), 7)] or [""]
        for k, p in enumerate(pieces):
            if step.get("drop") and k == len(pieces) // 2:
                self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True
                return
            if step.get("malformed") and k == 0:
                self.chunk("event: content_block_delta\ndata: {\"type\": \"content_block_delta\", \n\n")
            delta = {"type": "input_json_delta", "partial_json": p} if tool else {"type": "text_delta", "text": p}
            event("content_block_delta", {"index": 0, "delta": delta})
        event("content_block_stop", {"index": 0})
        event("message_delta", {"delta": {"stop_reason": "tool_use" if tool else "end_turn"},
                                "usage": {"output_tokens": 25}})
        event("message_stop", {})
        self.chunk(b"")


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--script", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--deployment", default="mapforge-dep")
    ap.add_argument("--api-version", default="2024-10-21")
    ARGS = ap.parse_args()
    with open(ARGS.script) as f:
        ARGS.steps = json.load(f)
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(ARGS.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(ARGS.port_file + ".tmp", ARGS.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
