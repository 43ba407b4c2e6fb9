#!/usr/bin/env python3
"""A small registry token server for the e2e tests (Docker Hub / GHCR / Harbor style).

Implements the "Docker Registry v2 authentication via central service" flow that the CNCF
distribution registry (configured with `auth.token`) expects:

  GET  /token?service=S&scope=repository:NAME:pull,push[&scope=...][&account=U]
       Authorization: Basic base64(user:password)   (optional: anonymous)
  POST /token  (OAuth2 form: grant_type=password, username, password, service, scope, client_id)

answers {"token": JWT, "access_token": JWT, "expires_in": TTL, "issued_at": RFC3339}.

The JWT is signed RS256 with `openssl dgst -sha256 -sign KEY` (no third-party Python modules).
Its header carries `x5c` = [the signing certificate, DER, standard base64] and `kid` = the
libtrust key ID of the signing key; the registry's `rootcertbundle` holds the signing
certificate, so distribution 2.8 verifies the chain (x5c) or looks the key up by ID (kid).
Claims: iss, sub, aud (= service), exp, nbf, iat, jti, access [{type, name, actions}].

A valid user gets every action the scope asks for (except on repositories matching --deny, where
only `pull` is granted); wrong credentials get 401; no credentials get a token with an empty
access list (as Docker Hub does for anonymous users) or 401 with --anonymous deny.

Every request is appended to --log as one JSON line (user name, scopes, grant, status; never a
password or a token).
"""

import argparse
import base64
import binascii
import datetime
import hashlib
import hmac
import json
import re
import ssl
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def pem_to_der(pem_text: str) -> bytes:
    m = re.search(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", pem_text, re.S)
    if not m:
        raise SystemExit("token_server: no certificate in the --cert file")
    return base64.b64decode("".join(m.group(1).split()))


def libtrust_key_id(key_file: str) -> str:
    """libtrust's KeyID: SHA-256 of the DER SubjectPublicKeyInfo, first 240 bits, base32,
    in 12 groups of 4 characters separated by ':'."""
    der = subprocess.run(["openssl", "pkey", "-in", key_file, "-pubout", "-outform", "DER"],
                         check=True, capture_output=True).stdout
    digest = hashlib.sha256(der).digest()[:30]
    b32 = base64.b32encode(digest).decode().rstrip("=")
    return ":".join(b32[i:i + 4] for i in range(0, len(b32), 4))


class Config:
    def __init__(self, args):
        self.args = args
        self.users = {}
        with open(args.users) as f:
            for line in f:
                line = line.rstrip("\n")
                if line and ":" in line:
                    user, password = line.split(":", 1)
                    self.users[user] = password
        with open(args.cert) as f:
            self.cert_der_b64 = base64.b64encode(pem_to_der(f.read())).decode()
        self.kid = libtrust_key_id(args.key)
        self.deny = re.compile(args.deny) if args.deny else None
        self.log_lock = threading.Lock()

    def log(self, record):
        record["ts"] = round(time.time(), 3)
        with self.log_lock, open(self.args.log, "a") as f:
            f.write(json.dumps(record, sort_keys=True) + "\n")

    def sign(self, claims):
        header = {"typ": "JWT", "alg": "RS256"}
        if self.args.key_id_mode in ("x5c", "both"):
            header["x5c"] = [self.cert_der_b64]
        if self.args.key_id_mode in ("kid", "both"):
            header["kid"] = self.kid
        signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "." +
                         b64url(json.dumps(claims, separators=(",", ":")).encode()))
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.args.key],
                             input=signing_input.encode(), check=True,
                             capture_output=True).stdout
        return signing_input + "." + b64url(sig)


def parse_scope(scope):
    """'repository:team/app:pull,push' -> ('repository', 'team/app', ['pull', 'push']).
    The name may itself contain ':' (e.g. 'repository:host:5000/app:pull'), the actions never."""
    head, sep, actions = scope.rpartition(":")
    if not sep:
        return None
    typ, sep, name = head.partition(":")
    if not sep or not typ or not name:
        return None
    return typ, name, [a for a in actions.split(",") if a]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ckimg-test-token-server/1"
    cfg: Config = None  # set in main

    def log_message(self, fmt, *args):  # quiet: our own JSON log is the record
        pass

    def send_json(self, status, obj, extra_headers=()):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra_headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path == "/healthz":
            return self.send_json(200, {"ok": True})
        if url.path != "/token":
            return self.send_json(404, {"errors": [{"code": "NOT_FOUND", "message": "no such endpoint"}]})
        q = parse_qs(url.query, keep_blank_values=True)
        user = password = None
        auth = self.headers.get("Authorization", "")
        if auth[:6].lower() == "basic ":
            try:
                user, _, password = base64.b64decode(auth[6:].strip(), validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                user, password = "", None
        elif auth:
            user, password = "", None  # some other scheme: treat as bad credentials
        self.issue("GET", q, user, password)

    def do_POST(self):
        url = urlsplit(self.path)
        if url.path != "/token":
            return self.send_json(404, {"errors": [{"code": "NOT_FOUND", "message": "no such endpoint"}]})
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode(errors="replace"), keep_blank_values=True)
        grant = (form.get("grant_type") or [""])[0]
        if grant != "password":
            # refresh_token and others are not supported: docker/containers-image fall back to GET.
            return self.send_json(400, {"error": "unsupported_grant_type"})
        user = (form.get("username") or [""])[0]
        password = (form.get("password") or [""])[0]
        self.issue("POST", form, user, password)

    def issue(self, method, q, user, password):
        cfg = self.cfg
        service = (q.get("service") or [""])[0]
        scopes = []
        for s in q.get("scope", []):
            scopes.extend(s.split(" "))  # OAuth2 allows several space-separated scopes
        scopes = [s for s in scopes if s]
        record = {"method": method, "service": service, "scopes": scopes,
                  "user": user, "account": (q.get("account") or [None])[0]}
        if service and service != cfg.args.service:
            record.update(status=400, result="wrong service")
            cfg.log(record)
            return self.send_json(400, {"errors": [{"code": "DENIED", "message": "unknown service"}]})
        if user is None:
            if cfg.args.anonymous == "deny":
                record.update(status=401, result="anonymous denied")
                cfg.log(record)
                return self.send_json(401, {"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]},
                                      [("WWW-Authenticate", 'Basic realm="ckimg-test-token"')])
            subject, valid = "", False
        else:
            expected = cfg.users.get(user)
            if expected is None or password is None or not hmac.compare_digest(expected, password):
                record.update(status=401, result="bad credentials")
                cfg.log(record)
                return self.send_json(401, {"errors": [{"code": "UNAUTHORIZED", "message": "incorrect username or password"}]},
                                      [("WWW-Authenticate", 'Basic realm="ckimg-test-token"')])
            subject, valid = user, True

        access = []
        for s in scopes:
            parsed = parse_scope(s)
            if not parsed or not valid:
                continue
            typ, name, actions = parsed
            if typ == "repository" and cfg.deny and cfg.deny.search(name):
                actions = [a for a in actions if a == "pull"]
            if actions:
                access.append({"type": typ, "name": name, "actions": actions})

        now = int(time.time())
        claims = {
            "iss": cfg.args.issuer,
            "sub": subject,
            "aud": cfg.args.service,
            "exp": now + cfg.args.ttl,
            "nbf": now - 1,
            "iat": now,
            "jti": uuid.uuid4().hex,
            "access": access,
        }
        token = cfg.sign(claims)
        record.update(status=200, result="issued", granted=access, jti=claims["jti"])
        cfg.log(record)
        issued = datetime.datetime.fromtimestamp(now, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.send_json(200, {"token": token, "access_token": token, "expires_in": cfg.args.ttl,
                             "issued_at": issued})


class Server(ThreadingHTTPServer):
    tls = None

    def finish_request(self, request, client_address):
        # The TLS handshake runs here, in the connection's own thread, so a slow or broken
        # client cannot stall the accept loop.
        if self.tls is not None:
            try:
                request = self.tls.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                return
        super().finish_request(request, client_address)

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], OSError):  # a client that hung up is no news
            super().handle_error(request, client_address)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--key", required=True, help="RSA private key (PEM) that signs the tokens")
    ap.add_argument("--cert", required=True, help="certificate of that key (the registry's rootcertbundle)")
    ap.add_argument("--issuer", required=True)
    ap.add_argument("--service", required=True)
    ap.add_argument("--users", required=True, help="file of user:password lines")
    ap.add_argument("--log", required=True, help="JSON-lines request log")
    ap.add_argument("--ttl", type=int, default=300)
    ap.add_argument("--anonymous", choices=["empty", "deny"], default="empty")
    ap.add_argument("--deny", help="regex of repository names that only get pull access")
    ap.add_argument("--key-id-mode", choices=["x5c", "kid", "both"], default="both")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    args = ap.parse_args()

    Handler.cfg = Config(args)
    server = Server(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    if args.tls_cert:
        server.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server.tls.load_cert_chain(args.tls_cert, args.tls_key)
    print(f"token server listening on 127.0.0.1:{args.port}", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
