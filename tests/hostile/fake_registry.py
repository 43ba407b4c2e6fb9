#!/usr/bin/env python3
"""A test double of a hostile registry, for the answers a real one cannot be made to give
(tests/e2e/test_hostile_inputs.sh and test_secrets.sh; python3 stdlib only). Everything else in
those tests runs against the real registry (docker-registry) and the fault proxy in front of it.

    fake_registry.py --port PORT --mode MODE --log FILE

Modes (every request is logged to FILE as one JSON line: method, path, and whether an
Authorization header came, never its value):
  endless        GET /v2/ answers 200 with a chunked body that never ends
  huge           GET /v2/ answers 200 with Content-Length: 3 GiB and streams it
  stall          reads the request, then answers nothing, ever
  token-MODE     GET /v2/ answers 401 Bearer realm=http://THIS/token; the token endpoint answers:
                   token-not-json     200, an HTML page
                   token-wrong-types  200, {"token": 42, "expires_in": "soon"}
                   token-no-token     200, {"expires_in": 300}
                   token-deep         200, 1 MiB of "[" (JSON nested 1048576 deep)
                   token-endless      200, a chunked body that never ends
  recorder       the other host of a redirect or an upload Location: HEAD of a blob answers 200
                 with its size from ?size= (or 0), PATCH 202, PUT 201, anything else 404
"""

import argparse
import json
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

HUGE = 3 << 30
PIECE = b"\0" * 65536


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-registry"

    def log_message(self, *args):
        pass

    def handle(self):
        # ckimg tries https first: a TLS ClientHello gets the connection closed at once (this
        # double speaks plain HTTP), so that it falls back to http without waiting.
        try:
            first = self.connection.recv(1, socket.MSG_PEEK)
        except OSError:
            return
        if first[:1] == b"\x16":
            return
        super().handle()

    def record(self):
        entry = {"method": self.command, "path": self.path,
                 "authorization": "authorization" in {k.lower() for k in self.headers.keys()}}
        with self.server.log_lock, open(self.server.log, "a") as out:
            out.write(json.dumps(entry) + "\n")

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        while length > 0:
            got = self.rfile.read(min(length, 65536))
            if not got:
                break
            length -= len(got)
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                self.rfile.read(size + 2)
                if size == 0:
                    break

    def answer(self, status, body=b"", headers=None):
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def endless(self, content_type="application/json"):
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.write(b"%x\r\n[\r\n" % 1)
        try:
            while True:  # until the client hangs up
                self.wfile.write(b"%x\r\n" % len(PIECE) + PIECE + b"\r\n")
        except OSError:
            self.close_connection = True

    def huge(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
        self.send_header("Content-Length", str(HUGE))
        self.end_headers()
        sent = 0
        try:
            while sent < HUGE:
                self.wfile.write(PIECE)
                sent += len(PIECE)
        except OSError:
            self.close_connection = True

    def handle_any(self):
        self.record()
        if self.command in ("PUT", "PATCH", "POST"):
            self.read_body()
        mode, path = self.server.mode, urlsplit(self.path).path
        if mode == "stall":
            while not self.server.stopping:
                time.sleep(0.2)
            return
        if mode == "endless":
            return self.endless()
        if mode == "huge":
            return self.huge()
        if mode.startswith("token-"):
            if path == "/v2/" or not path.startswith("/token"):
                realm = f"http://{self.headers.get('Host')}/token"
                return self.answer(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}', {
                    "WWW-Authenticate": f'Bearer realm="{realm}",service="fake"',
                    "Content-Type": "application/json"})
            kind = mode[len("token-"):]
            if kind == "not-json":
                return self.answer(200, b"<html><body>Welcome to nginx!</body></html>",
                                   {"Content-Type": "text/html"})
            if kind == "wrong-types":
                return self.answer(200, b'{"token": 42, "expires_in": "soon"}')
            if kind == "no-token":
                return self.answer(200, b'{"expires_in": 300}')
            if kind == "deep":
                return self.answer(200, b"[" * (1 << 20))
            if kind == "endless":
                return self.endless()
        if mode == "recorder":
            if self.command == "HEAD" and "/blobs/" in path:
                size = parse_qs(urlsplit(self.path).query).get("size", ["0"])[0]
                self.send_response(200)
                self.send_header("Content-Length", size)
                self.send_header("Docker-Content-Digest", path.rsplit("/", 1)[-1])
                self.end_headers()
                return
            if self.command == "PATCH":
                return self.answer(202, headers={"Location": self.path, "Range": "0-0"})
            if self.command == "PUT":
                return self.answer(201)
        return self.answer(404, b'{"errors":[{"code":"NOT_FOUND"}]}')

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--mode", required=True)
    ap.add_argument("--log", required=True)
    args = ap.parse_args()
    server = Server(("127.0.0.1", args.port), Handler)
    server.mode, server.log, server.log_lock, server.stopping = args.mode, args.log, \
        threading.Lock(), False
    with open(args.log, "a") as out:
        out.write(json.dumps({"event": "listening", "port": args.port}) + "\n")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stopping = True


if __name__ == "__main__":
    sys.exit(main())
