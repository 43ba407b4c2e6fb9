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
                   token-crlf         200, a token holding CR LF and a header after them
                   token-lf           200, an access_token holding LF
                   token-nul          200, a token holding NUL
                   token-trickle      200, a body sent one byte a second
  token-realm-control  GET /v2/ answers 401 Bearer with a realm holding a control character
  recorder       the other host of a redirect or an upload Location: HEAD of a blob answers 200
                 with its size from ?size= (or 0), PATCH 202, PUT 201, anything else 404
  trickle        GET /v2/ answers 200 and a body of one byte a second, without end
  retry-after-K  GET /v2/ answers 503 with Retry-After: K in {long: 3600, date: a date a day
                 ahead, huge: 30 digits, over: 6 (a run with --timeout 5)}

A small registry that a push goes through (every other mode below): it keeps uploads and
answers manifests with their digest; with --other-port it also serves "the other host" there
(as recorder), and logs "leak": true for any Authorization that reaches it.
  leak-FORM      Basic auth required (user:pw); HEAD of a blob answers 307 to the other host,
                 written as FORM: fragment "http://OTHER#@REG/...", query "http://OTHER?@REG/...",
                 localhost "http://localhost:OTHERPORT#@REG/...", backslash "http://REG\@OTHER/...",
                 userinfo "http://REG@OTHER/..."; upload-fragment: the upload's Location is
                 "http://OTHER#@REG/..." instead; bearer-fragment: as fragment with a Bearer
                 token from /token
  location-control  the upload's Location holds a control character (\x01)
  storage-401    HEAD of a blob answers 307 to the other host, which answers 401
  range-one-byte each PATCH's Range advances one byte
  range-beyond   each PATCH after the first answers 416; the upload's status claims 1000000 bytes
  digest-huge    a manifest PUT answers with a 60 KB Docker-Content-Digest
  redirect-huge  HEAD of a blob answers 302 to a 50 KB path on this host, without end
"""

import argparse
import base64
import hashlib
import json
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

HUGE = 3 << 30
PUSH_MODES = ("leak-", "location-control", "storage-401", "range-", "digest-huge",
              "redirect-huge")
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
        authorization = "authorization" in {k.lower() for k in self.headers.keys()}
        entry = {"method": self.command, "path": self.path[:200], "authorization": authorization,
                 "injected": "x-injected" in {k.lower() for k in self.headers.keys()}}
        if self.server.other:
            entry["other"] = True
            entry["leak"] = authorization
        with self.server.log_lock, open(self.server.log, "a") as out:
            out.write(json.dumps(entry) + "\n")

    def read_body(self):
        """The body (the first MiB of it kept; the rest read and dropped)."""
        kept = bytearray()
        length = int(self.headers.get("Content-Length") or 0)
        while length > 0:
            got = self.rfile.read(min(length, 65536))
            if not got:
                break
            length -= len(got)
            kept += got[:max(0, (1 << 20) - len(kept))]
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                kept += self.rfile.read(size)[:max(0, (1 << 20) - len(kept))]
                self.rfile.read(2)
                if size == 0:
                    break
        return bytes(kept)

    def trickle(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(1 << 20))
        self.end_headers()
        try:
            while not self.server.stopping:
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(1)
        except OSError:
            self.close_connection = True

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
        body = b""
        if self.command in ("PUT", "PATCH", "POST"):
            body = self.read_body()
        mode, path = self.server.mode, urlsplit(self.path).path
        if self.server.other:
            mode = "storage-deny" if self.server.mode == "storage-401" else "recorder"
        if mode.startswith(PUSH_MODES):
            return self.registry(mode, path, body)
        if mode == "trickle":
            return self.trickle()
        if mode.startswith("retry-after-"):
            kind = mode[len("retry-after-"):]
            value = {"long": "3600", "huge": "9" * 30, "over": "6",
                     "date": time.strftime("%a, %d %b %Y %H:%M:%S GMT",
                                           time.gmtime(time.time() + 86400))}[kind]
            return self.answer(503, b'{"errors":[{"code":"UNAVAILABLE"}]}',
                               {"Retry-After": value, "Content-Type": "application/json"})
        if mode == "token-realm-control":
            return self.answer(401, b"{}", {
                "WWW-Authenticate": f'Bearer realm="http://{self.headers.get("Host")}/tok\x01en"'})
        if mode == "storage-deny":
            return self.answer(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"signature"}]}')
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
            if kind == "crlf":
                return self.answer(200, b'{"token": "abc\\r\\nX-Injected: yes"}')
            if kind == "lf":
                return self.answer(200, b'{"access_token": "abc\\nX-Injected: yes"}')
            if kind == "nul":
                return self.answer(200, b'{"token": "abc\\u0000def"}')
            if kind == "trickle":
                return self.trickle()
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

    # --- the small registry of the push modes ---------------------------------------------

    def authorized(self, mode):
        given = self.headers.get("Authorization", "")
        if mode == "leak-bearer-fragment":
            return given == "Bearer fake-token"
        return given == "Basic " + base64.b64encode(b"user:pw").decode()

    def registry(self, mode, path, body):
        me = f"127.0.0.1:{self.server.server_address[1]}"
        other = f"127.0.0.1:{self.server.other_port}"
        if mode == "leak-bearer-fragment" and path == "/token":
            return self.answer(200, b'{"token": "fake-token"}')
        if mode.startswith("leak-") and not self.authorized(mode):
            challenge = (f'Bearer realm="http://{me}/token",service="fake"'
                         if mode == "leak-bearer-fragment" else 'Basic realm="fake"')
            return self.answer(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}',
                               {"WWW-Authenticate": challenge})
        if path == "/v2/":
            return self.answer(200, b"{}", {"Docker-Distribution-Api-Version": "registry/2.0"})
        if self.command == "HEAD" and "/blobs/" in path:
            target = path + "?size=0"
            forms = {
                "leak-fragment": f"http://{other}#@{me}{target}",
                "leak-bearer-fragment": f"http://{other}#@{me}{target}",
                "leak-query": f"http://{other}?@{me}{target}",
                "leak-localhost": f"http://localhost:{self.server.other_port}#@{me}{target}",
                "leak-backslash": f"http://{me}\\@{other}{target}",
                "leak-userinfo": f"http://{me}@{other}{target}",
                "storage-401": f"http://{other}{target}",
                "redirect-huge": path if path.startswith("/aaa") else "/" + "a" * 50000 + path,
            }
            if mode in forms:
                return self.answer(307 if mode != "redirect-huge" else 302,
                                   headers={"Location": forms[mode]})
            return self.answer(404)
        uploads = self.server.uploads
        if self.command == "POST" and path.endswith("/blobs/uploads/"):
            uploads.append(0)
            location = f"/upload/{len(uploads) - 1}"
            if mode == "leak-upload-fragment":
                location = f"http://{other}#@{me}{location}"
            if mode == "location-control":
                location += "\x01"
            return self.answer(202, headers={"Location": location, "Range": "0-0"})
        if path.startswith("/upload/"):
            n = int(path.split("/")[2].rstrip("\x01") or 0)
            if self.command == "PATCH":
                if mode == "range-beyond" and uploads[n] > 0:
                    return self.answer(416)
                uploads[n] += 1 if mode == "range-one-byte" else len(body)
                return self.answer(202, headers={"Location": path,
                                                 "Range": f"0-{max(uploads[n] - 1, 0)}"})
            if self.command == "GET":
                held = 1000000 if mode == "range-beyond" else uploads[n]
                return self.answer(204, headers={"Location": path, "Range": f"0-{held - 1}"})
            if self.command == "PUT":
                digest = parse_qs(urlsplit(self.path).query).get("digest", [""])[0]
                return self.answer(201, headers={"Docker-Content-Digest": digest})
        if "/manifests/" in path:
            if self.command == "PUT":
                digest = "sha256:" + hashlib.sha256(body).hexdigest()
                if mode == "digest-huge":
                    digest = "sha256:" + "0" * 60000
                return self.answer(201, headers={"Docker-Content-Digest": digest})
            return self.answer(404, b'{"errors":[{"code":"MANIFEST_UNKNOWN"}]}')
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
    ap.add_argument("--other-port", type=int, default=0)
    args = ap.parse_args()
    lock = threading.Lock()
    servers = []
    for port, other in ((args.port, False), (args.other_port, True)):
        if port == 0:
            continue
        server = Server(("127.0.0.1", port), Handler)
        server.mode, server.log, server.log_lock, server.stopping = args.mode, args.log, lock, False
        server.other, server.other_port, server.uploads = other, args.other_port, []
        servers.append(server)
    for server in servers[1:]:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    with open(args.log, "a") as out:
        out.write(json.dumps({"event": "listening", "port": args.port}) + "\n")
    try:
        servers[0].serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        for server in servers:
            server.stopping = True


if __name__ == "__main__":
    sys.exit(main())
