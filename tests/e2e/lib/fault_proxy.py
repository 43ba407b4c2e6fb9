#!/usr/bin/env python3
"""A fault-injecting HTTP/1.1 reverse proxy for the registry e2e tests (python3 stdlib only).

Clients talk to the proxy as if it were the registry. Requests are forwarded to --upstream on a
persistent connection per client connection; bodies are streamed in 64 KiB pieces in both
directions (Content-Length and chunked), never buffered whole. The `Host` header is passed
through unchanged (so the registry builds upload URLs for the proxy's address), and any
`Location` that still names the upstream is rewritten to name the proxy. `Expect: 100-continue`
is answered by the proxy itself (the header is not forwarded).

Faults come from a JSON rules file (--rules), re-read whenever its content changes (counters then
start again from zero). The file holds a list of rules (or {"rules": [...]}); the first rule that
matches a request and has not used up its `times` applies:

  common keys
    method       HTTP method, e.g. "PATCH", or a list of them (default: any)
    path         regular expression searched in the request target (path + query; default: any)
    skip         let the first N matching requests through untouched (default 0)
    times        how many times the rule fires (default 1; 0 = every time)
    action       one of:
      "status"         answer STATUS without forwarding (the request body is read and dropped
                       first, unless the client waits for 100-continue); keys: status (503),
                       retry_after (seconds, sets Retry-After), headers {}, body (default: a
                       distribution-style JSON error)
      "cut"            forward the headers and the first `after_bytes` bytes of this request's
                       body, or the bytes up to `after_total` bytes summed over every matching
                       request's body since the rules were loaded, then close both connections
                       (no response). Fires only on a request whose body reaches that point.
                       With "forward_partial": false the proxy takes the body first (spooled
                       to disk, as nginx's proxy_request_buffering does) and forwards it only
                       when complete, so the upstream never sees the cut request at all.
      "drop"           close the client connection at once; nothing reaches the upstream.
      "drop_response"  forward the whole request, read the upstream's whole response, then close
                       the client connection without sending it (the work was done, the answer lost).
      "stall"          sleep `seconds`, before forwarding or, with `after_bytes`, after forwarding
                       that many body bytes; then carry on normally.
  Sizes may be integers or strings with a K/M/G (binary) suffix: "40M", "8MiB".

Log (--log): one JSON object per line. Each request, when it ends: {"event": "request",
"start" (time it arrived; "ts" is when it ended), "conn", "req",
"method", "path", "status", "in" (body bytes read from the client), "fwd" (body bytes sent to the
upstream), "cl", "cr" (the request's Content-Length / Content-Range), "range", "location" (the
response's), "fault", "rule", "outcome"}; each fault as it fires: {"event": "fault", "action",
"rule", "method", "path", ...}. Authorization headers are never logged.
"""

import argparse
import json
import os
import re
import select
import socket
import socketserver
import ssl
import sys
import tempfile
import threading
import time

BUF = 64 * 1024


def parse_size(v):
    if v is None:
        return None
    if isinstance(v, (int, float)):
        return int(v)
    m = re.fullmatch(r"\s*(\d+)\s*([KMGkmg]?)(i?[Bb])?\s*", str(v))
    if not m:
        raise ValueError(f"bad size {v!r}")
    return int(m.group(1)) * {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}[m.group(2).lower()]


class Rule:
    ACTIONS = ("status", "cut", "drop", "drop_response", "stall")

    def __init__(self, idx, d):
        self.idx = idx
        self.method = d.get("method")
        self.path = re.compile(d["path"]) if d.get("path") else None
        self.action = d.get("action")
        if self.action not in self.ACTIONS:
            raise ValueError(f"rule {idx}: action must be one of {self.ACTIONS}")
        self.times = int(d.get("times", 1))
        self.skip = int(d.get("skip", 0))
        self.status = int(d.get("status", 503))
        self.retry_after = d.get("retry_after")
        self.headers = d.get("headers", {})
        self.body = d.get("body")
        self.seconds = float(d.get("seconds", 0))
        self.after_bytes = parse_size(d.get("after_bytes"))
        self.after_total = parse_size(d.get("after_total"))
        self.forward_partial = bool(d.get("forward_partial", True))
        self.seen = 0
        self.fired = 0
        self.total = 0

    def matches(self, method, target):
        if self.method:
            wanted = [self.method] if isinstance(self.method, str) else self.method
            if method.upper() not in (m.upper() for m in wanted):
                return False
        return not self.path or bool(self.path.search(target))

    def exhausted(self):
        return self.times > 0 and self.fired >= self.times


class Rules:
    def __init__(self, path, log):
        self.path = path
        self.log = log
        self.lock = threading.Lock()
        self.text = None
        self.rules = []
        self.reload()

    def reload(self):
        try:
            with open(self.path) as f:
                text = f.read()
        except OSError:
            text = "[]"
        if text == self.text:
            return
        try:
            data = json.loads(text or "[]")
            if isinstance(data, dict):
                data = data.get("rules", [])
            rules = [Rule(i, d) for i, d in enumerate(data)]
        except (ValueError, KeyError, TypeError, re.error) as e:
            self.log({"event": "rules_error", "error": str(e)})
            self.text = text
            return
        self.text, self.rules = text, rules
        self.log({"event": "rules_loaded", "count": len(rules)})

    def select(self, method, target, body_len):
        """The rule to apply (and, for a cut, the body offset to cut at), plus every rule that
        matched (their `after_total` counters take this request's forwarded body bytes)."""
        with self.lock:
            self.reload()
            chosen, cut_at, matched = None, None, []
            for r in self.rules:
                if not r.matches(method, target):
                    continue
                matched.append(r)
                if chosen is not None:
                    continue
                r.seen += 1
                if r.seen <= r.skip or r.exhausted():
                    continue
                if r.action == "cut":
                    at = max(0, r.after_total - r.total) if r.after_total is not None else (r.after_bytes or 0)
                    if body_len is not None and body_len <= at and not (body_len == 0 and at == 0):
                        continue  # this body ends before the cut point: let it through
                    if body_len == 0 and at == 0:
                        continue  # nothing to cut in a request without a body
                    chosen, cut_at = r, at
                else:
                    chosen = r
                    r.fired += 1
            return chosen, cut_at, matched

    def account(self, matched, nbytes, fired_cut=None):
        with self.lock:
            for r in matched:
                r.total += nbytes
            if fired_cut is not None:
                fired_cut.fired += 1


class Header:
    def __init__(self, items):
        self.items = items

    def get(self, name, default=None):
        name = name.lower()
        for k, v in self.items:
            if k.lower() == name:
                return v
        return default

    def remove(self, name):
        name = name.lower()
        self.items = [(k, v) for k, v in self.items if k.lower() != name]

    def set(self, name, value):
        lname = name.lower()
        for i, (k, _) in enumerate(self.items):
            if k.lower() == lname:
                self.items[i] = (k, value)
                return
        self.items.append((name, value))

    def encode(self):
        return "".join(f"{k}: {v}\r\n" for k, v in self.items).encode("latin-1")


class Closed(Exception):
    """The client or the upstream connection ended; stop serving this connection."""


def read_head(rfile):
    """Read a start line and headers. None at a clean EOF before the first byte."""
    line = rfile.readline(65537)
    if not line:
        return None
    while line in (b"\r\n", b"\n"):  # tolerate stray CRLF between messages
        line = rfile.readline(65537)
        if not line:
            return None
    items = []
    while True:
        h = rfile.readline(65537)
        if not h:
            raise Closed("EOF in headers")
        if h in (b"\r\n", b"\n"):
            break
        k, _, v = h.decode("latin-1").partition(":")
        items.append((k.strip(), v.strip()))
    return line.decode("latin-1").rstrip("\r\n"), Header(items)


def body_framing(headers):
    te = (headers.get("Transfer-Encoding") or "").lower()
    if "chunked" in te:
        return "chunked", None
    cl = headers.get("Content-Length")
    if cl is not None:
        return "length", int(cl)
    return "length", 0


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, args):
        self.args = args
        self.log_lock = threading.Lock()
        self.conn_seq = 0
        self.rules = Rules(args.rules, self.log)
        self.tls = None
        if args.tls_cert:
            self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls.load_cert_chain(args.tls_cert, args.tls_key)
        self.up_tls = None
        if args.upstream_tls:
            self.up_tls = ssl.create_default_context(cafile=args.upstream_ca)
        self.self_host = f"127.0.0.1:{args.port}"
        scheme = "https" if self.tls else "http"
        up = args.upstream
        self.location_rewrites = [(f"http://{up}", f"{scheme}://{self.self_host}"),
                                  (f"https://{up}", f"{scheme}://{self.self_host}")]
        super().__init__(("127.0.0.1", args.port), Handler)

    def log(self, record):
        record["ts"] = round(time.time(), 3)
        with self.log_lock, open(self.args.log, "a") as f:
            f.write(json.dumps(record, sort_keys=True) + "\n")

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (OSError, Closed)):
            super().handle_error(request, client_address)


class Handler(socketserver.BaseRequestHandler):
    def setup(self):
        srv = self.server
        with srv.log_lock:
            srv.conn_seq += 1
            self.conn_id = srv.conn_seq
        self.sock = self.request
        if srv.tls is not None:
            self.sock = srv.tls.wrap_socket(self.sock, server_side=True)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.rfile = self.sock.makefile("rb", buffering=BUF)
        self.up = None
        self.up_rfile = None
        self.req_seq = 0
        self.body_state = {"in": 0, "fwd": 0}
        self.cur_method = self.cur_path = None

    def finish(self):
        self.close_upstream()
        for f in (self.rfile,):
            try:
                f.close()
            except OSError:
                pass
        try:
            self.sock.close()
        except OSError:
            pass

    # --- upstream connection -------------------------------------------------------------

    def close_upstream(self):
        if self.up is not None:
            try:
                self.up_rfile.close()
            except OSError:
                pass
            try:
                self.up.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                self.up.close()
            except OSError:
                pass
        self.up = self.up_rfile = None

    def ensure_upstream(self):
        if self.up is not None:
            # An idle keep-alive connection the upstream has closed (e.g. a restart) reads as
            # "readable" (EOF): start a fresh one rather than fail the next request.
            r, _, _ = select.select([self.up], [], [], 0)
            if r:
                self.close_upstream()
        if self.up is None:
            host, _, port = self.server.args.upstream.rpartition(":")
            s = socket.create_connection((host, int(port)), timeout=600)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.server.up_tls is not None:
                s = self.server.up_tls.wrap_socket(s, server_hostname=host)
            self.up = s
            self.up_rfile = s.makefile("rb", buffering=BUF)

    # --- helpers -------------------------------------------------------------------------

    def send_client(self, data):
        try:
            self.sock.sendall(data)
        except OSError as e:
            raise Closed(f"client send: {e}")

    def send_up(self, data):
        try:
            self.up.sendall(data)
        except OSError as e:
            raise UpstreamError(str(e))

    def fault(self, rule, **extra):
        rec = {"event": "fault", "conn": self.conn_id, "req": self.req_seq, "action": rule.action,
               "rule": rule.idx, "method": self.cur_method, "path": self.cur_path}
        rec.update(extra)
        self.server.log(rec)

    def simple_response(self, status, reason, headers=(), body=b"", close=False, head=False):
        h = [("Content-Length", str(len(body)))] + list(headers)
        if close:
            h.append(("Connection", "close"))
        self.send_client(f"HTTP/1.1 {status} {reason}\r\n".encode() + Header(h).encode() + b"\r\n" +
                         (b"" if head else body))

    def drain_body(self, framing, length):
        """Read and drop the request body; returns its size."""
        n = 0
        if framing == "length":
            left = length
            while left > 0:
                chunk = self.rfile.read(min(BUF, left))
                if not chunk:
                    raise Closed("client EOF in body")
                left -= len(chunk)
                n += len(chunk)
            return n
        while True:
            line = self.rfile.readline(1024)
            if not line:
                raise Closed("client EOF in chunked body")
            size = int(line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                    pass
                return n
            left = size
            while left > 0:
                chunk = self.rfile.read(min(BUF, left))
                if not chunk:
                    raise Closed("client EOF in chunk")
                left -= len(chunk)
                n += len(chunk)
            self.rfile.readline(1024)

    def pump_body(self, framing, length, cut_at, stall_at, stall_rule, sink):
        """Stream the request body to sink (the upstream, or a spool file). cut_at / stall_at
        count payload bytes read from the client. Returns (in_bytes, fwd_bytes, outcome) with
        outcome "ok" or "cut"; raises Closed / UpstreamError."""
        state = self.body_state = {"in": 0, "fwd": 0}

        def payload(n):
            """Pass n payload bytes on, honouring the cut and stall points."""
            left = n
            while left > 0:
                if cut_at is not None and state["in"] >= cut_at:
                    return "cut"
                want = min(BUF, left)
                if cut_at is not None:
                    want = min(want, cut_at - state["in"])
                if stall_at is not None and state["in"] < stall_at:
                    want = min(want, stall_at - state["in"])
                chunk = self.rfile.read(want)
                if not chunk:
                    raise Closed("client EOF in body")
                state["in"] += len(chunk)
                sink(chunk)
                state["fwd"] += len(chunk)
                left -= len(chunk)
                if stall_rule is not None and state["in"] == stall_at:
                    self.fault(stall_rule, seconds=stall_rule.seconds, at=stall_at)
                    time.sleep(stall_rule.seconds)
            return "ok"

        if cut_at == 0:
            return 0, 0, "cut"
        if framing == "length":
            outcome = payload(length)
            return state["in"], state["fwd"], outcome
        while True:
            line = self.rfile.readline(1024)
            if not line:
                raise Closed("client EOF in chunked body")
            size = int(line.split(b";")[0].strip() or b"0", 16)
            if cut_at is not None and state["in"] >= cut_at and size > 0:
                return state["in"], state["fwd"], "cut"
            sink(line)
            if size == 0:
                while True:
                    t = self.rfile.readline(65537)
                    if not t:
                        raise Closed("client EOF in trailers")
                    sink(t)
                    if t in (b"\r\n", b"\n"):
                        break
                return state["in"], state["fwd"], "ok"
            if payload(size) == "cut":
                return state["in"], state["fwd"], "cut"
            sink(self.rfile.readline(1024))

    def relay_response(self, method, deliver=True):
        """Read the upstream's response and (if deliver) send it to the client, rewriting
        Location. Returns (status, headers, keep_client_alive)."""
        while True:
            try:
                head = read_head(self.up_rfile)
            except (OSError, Closed) as e:
                raise UpstreamError(f"reading response: {e}")
            if head is None:
                raise UpstreamError("upstream closed before answering")
            start, headers = head
            parts = start.split(" ", 2)
            status = int(parts[1])
            if 100 <= status < 200 and status != 101:
                continue  # interim responses stay between us and the upstream
            break
        loc = headers.get("Location")
        if loc:
            for a, b in self.server.location_rewrites:
                if loc.startswith(a):
                    headers.set("Location", b + loc[len(a):])
                    break
        up_close = (headers.get("Connection") or "").lower() == "close"
        if deliver:
            self.send_client(start.encode("latin-1") + b"\r\n" + headers.encode() + b"\r\n")
        keep = True
        if method == "HEAD" or status in (204, 304):
            pass
        elif "chunked" in (headers.get("Transfer-Encoding") or "").lower():
            while True:
                line = self.up_rfile.readline(1024)
                if not line:
                    raise UpstreamError("EOF in chunked response")
                if deliver:
                    self.send_client(line)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while True:
                        t = self.up_rfile.readline(65537)
                        if deliver:
                            self.send_client(t)
                        if t in (b"\r\n", b"\n", b""):
                            break
                    break
                self.copy_up_to_client(size + 2, deliver)
        elif headers.get("Content-Length") is not None:
            self.copy_up_to_client(int(headers.get("Content-Length")), deliver)
        else:
            while True:  # body until the upstream closes
                chunk = self.up_rfile.read1(BUF) if hasattr(self.up_rfile, "read1") else self.up_rfile.read(BUF)
                if not chunk:
                    break
                if deliver:
                    self.send_client(chunk)
            up_close, keep = True, False
        if up_close:
            self.close_upstream()
        return status, headers, keep

    def copy_up_to_client(self, n, deliver):
        left = n
        while left > 0:
            chunk = self.up_rfile.read(min(BUF, left))
            if not chunk:
                raise UpstreamError("EOF in response body")
            left -= len(chunk)
            if deliver:
                self.send_client(chunk)

    # --- main loop -----------------------------------------------------------------------

    def handle(self):
        if self.server.tls is None:
            try:
                first = self.rfile.peek(1)[:1]
            except OSError:
                return
            if first == b"\x16":
                # A TLS ClientHello on the plain-HTTP port (Go clients such as skopeo try HTTPS
                # first): hang up at once, as a plain registry would, instead of waiting for
                # a request line that never comes.
                self.server.log({"event": "tls_on_plain_port", "conn": self.conn_id})
                return
        while True:
            try:
                head = read_head(self.rfile)
            except (OSError, Closed, ssl.SSLError):
                return
            if head is None:
                return
            if not re.fullmatch(r"[A-Z]+ \S+ HTTP/1\.[01]", head[0]):
                self.server.log({"event": "bad_request", "conn": self.conn_id, "line": head[0][:100]})
                try:
                    self.simple_response(400, "Bad Request", close=True)
                except Closed:
                    pass
                return
            self.req_seq += 1
            if not self.one_request(*head):
                return

    def one_request(self, start, headers):
        """Serve one request; False when the client connection must end."""
        srv = self.server
        method, target, version = (start.split(" ", 2) + ["", ""])[:3]
        framing, length = body_framing(headers)
        body_len = None if framing == "chunked" else length
        self.cur_method, self.cur_path = method, target
        rec = {"event": "request", "start": round(time.time(), 3), "conn": self.conn_id,
               "req": self.req_seq, "method": method,
               "path": target, "cl": headers.get("Content-Length"), "cr": headers.get("Content-Range"),
               "te": headers.get("Transfer-Encoding"), "in": 0, "fwd": 0, "status": None,
               "fault": None, "rule": None, "outcome": "ok"}
        client_close = (headers.get("Connection") or "").lower() == "close" or version == "HTTP/1.0"
        expect = (headers.get("Expect") or "").lower() == "100-continue"
        headers.remove("Expect")
        self.body_state = {"in": 0, "fwd": 0}
        has_body = framing == "chunked" or (length or 0) > 0
        rule, cut_at, matched = srv.rules.select(method, target, body_len)
        if rule is not None:
            rec["fault"], rec["rule"] = rule.action, rule.idx
        try:
            # Faults that answer without the upstream.
            if rule is not None and rule.action == "drop":
                self.fault(rule)
                rec["outcome"] = "dropped"
                return False
            if rule is not None and rule.action == "status":
                close = False
                if has_body:
                    if expect:
                        close = True  # the client has not sent the body and will not
                    else:
                        rec["in"] = self.drain_body(framing, length)
                extra = [("Content-Type", "application/json")]
                if rule.retry_after is not None:
                    extra.append(("Retry-After", str(rule.retry_after)))
                extra += list(rule.headers.items())
                code = {429: "TOOMANYREQUESTS", 503: "UNAVAILABLE"}.get(rule.status, "UNKNOWN")
                body = rule.body if rule.body is not None else json.dumps(
                    {"errors": [{"code": code, "message": "injected by the ckimg test fault proxy",
                                 "detail": None}]})
                self.fault(rule, status=rule.status)
                reason = {429: "Too Many Requests", 503: "Service Unavailable", 500: "Internal Server Error",
                          502: "Bad Gateway", 504: "Gateway Timeout", 408: "Request Timeout"}.get(rule.status, "Injected")
                self.simple_response(rule.status, reason, extra, body.encode(), close=close or client_close,
                                     head=method == "HEAD")
                rec["status"] = rule.status
                return not (close or client_close)
            stall_at, stall_rule = None, None
            if rule is not None and rule.action == "stall":
                if rule.after_bytes and has_body:
                    stall_at, stall_rule = rule.after_bytes, rule
                else:
                    self.fault(rule, seconds=rule.seconds, at=0)
                    time.sleep(rule.seconds)

            is_cut = rule is not None and rule.action == "cut"
            spool = None
            if has_body and is_cut and not rule.forward_partial:
                # Like nginx's proxy_request_buffering: take the whole body from the client
                # first (on disk), so a cut request never reaches the upstream at all.
                spool = tempfile.TemporaryFile(dir=srv.args.spool_dir)
                if expect:
                    self.send_client(b"HTTP/1.1 100 Continue\r\n\r\n")
                rec["in"], _, outcome = self.pump_body(framing, length, cut_at, None, None, spool.write)
                srv.rules.account(matched, rec["in"], rule if outcome == "cut" else None)
                if outcome == "cut":
                    spool.close()
                    self.fault(rule, after=rec["in"], forwarded=0)
                    rec["outcome"] = "cut before the upstream saw the request"
                    return False

            # Forward the request.
            try:
                self.ensure_upstream()
            except OSError as e:
                rec["outcome"] = f"upstream unreachable: {e}"
                self.simple_response(502, "Bad Gateway", [("Content-Type", "application/json")],
                                     json.dumps({"errors": [{"code": "UNAVAILABLE",
                                                             "message": "fault proxy: upstream unreachable"}]}).encode(),
                                     close=True)
                rec["status"] = 502
                return False
            self.send_up(start.encode("latin-1") + b"\r\n" + headers.encode() + b"\r\n")
            if spool is not None:
                spool.seek(0)
                while True:
                    piece = spool.read(BUF)
                    if not piece:
                        break
                    self.send_up(piece)
                spool.close()
                rec["fwd"] = rec["in"]
            elif has_body:
                if expect:
                    self.send_client(b"HTTP/1.1 100 Continue\r\n\r\n")
                try:
                    rec["in"], rec["fwd"], outcome = self.pump_body(
                        framing, length, cut_at if is_cut else None, stall_at, stall_rule, self.send_up)
                except UpstreamError as e:
                    # The upstream stopped reading the body: it may have answered early (a 401
                    # or 400 before the body) and closed. Pass that answer on if there is one.
                    rec["outcome"] = f"upstream stopped reading the body: {e}"
                    rec["in"], rec["fwd"] = self.body_state["in"], self.body_state["fwd"]
                    srv.rules.account(matched, rec["in"])
                    try:
                        self.up.settimeout(2)
                        status, rheaders, _ = self.relay_response(method, True)
                        rec["status"], rec["range"] = status, rheaders.get("Range")
                    except (UpstreamError, OSError, Closed, AttributeError):
                        pass
                    self.close_upstream()
                    return False
                srv.rules.account(matched, rec["in"], rule if outcome == "cut" else None)
                if outcome == "cut":
                    self.fault(rule, after=rec["in"], forwarded=rec["fwd"])
                    rec["outcome"] = "cut"
                    self.close_upstream()
                    return False
            deliver = not (rule is not None and rule.action == "drop_response")
            status, rheaders, keep = self.relay_response(method, deliver)
            rec["status"] = status
            rec["range"] = rheaders.get("Range")
            rec["location"] = rheaders.get("Location")
            if not deliver:
                self.fault(rule, status=status)
                rec["outcome"] = "response dropped"
                return False
            return keep and not client_close
        except UpstreamError as e:
            rec["outcome"] = f"upstream error: {e}"
            self.close_upstream()
            return False
        except Closed as e:
            rec["outcome"] = f"client gone: {e}"
            if not rec["in"]:
                rec["in"], rec["fwd"] = self.body_state["in"], self.body_state["fwd"]
            return False
        finally:
            srv.log(rec)


class UpstreamError(Exception):
    pass


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--upstream", required=True, help="HOST:PORT of the registry")
    ap.add_argument("--upstream-tls", action="store_true")
    ap.add_argument("--upstream-ca")
    ap.add_argument("--tls-cert", help="serve TLS with this certificate (e.g. the registry's)")
    ap.add_argument("--tls-key")
    ap.add_argument("--rules", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--spool-dir", help="where forward_partial=false rules spool request bodies")
    args = ap.parse_args()
    server = Server(args)
    server.log({"event": "listening", "port": args.port, "upstream": args.upstream})
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
