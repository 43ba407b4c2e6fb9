#!/usr/bin/env python3
"""A scripted registry for test_inspect_pull.sh (python3 stdlib only): what docker-registry will
not do on request. It needs Basic auth (any credentials) and serves, under /v2/fake/:

  app/manifests/v1      a manifest (crio checkpoint annotation) with a config and a 3 MiB layer;
                        the layer's GET is redirected (307) to /storage/layer on another origin
                        (http://localhost:PORT, the registry being http://127.0.0.1:PORT), which
                        cuts the first download half way and honours Range afterwards
  big/manifests/v1      a 5 MiB manifest with its Content-Length
  chunked/manifests/v1  6 MiB of manifest, chunked (no Content-Length)

Usage: scripted_registry.py PORT_FILE LOG. Writes the port it listens on (127.0.0.1) to
PORT_FILE, and one JSON line per request to LOG: path, whether Authorization came, Range, Host.
"""
import hashlib
import http.server
import json
import os
import sys

LAYER = os.urandom(3 << 20)
CONFIG = json.dumps({"architecture": "amd64", "os": "linux",
                     "rootfs": {"type": "layers", "diff_ids": []}}).encode()
MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"


def digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def descriptor(media_type, data):
    return {"mediaType": media_type, "digest": digest(data), "size": len(data)}


MANIFEST = json.dumps({
    "schemaVersion": 2, "mediaType": MANIFEST_TYPE,
    "config": descriptor("application/vnd.oci.image.config.v1+json", CONFIG),
    "layers": [descriptor("application/vnd.oci.image.layer.v1.tar+gzip", LAYER)],
    "annotations": {"io.kubernetes.cri-o.annotations.checkpoint.name": "scripted"},
}).encode()
BIG = b"{" + b" " * (5 << 20) + b"}"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    storage_gets = 0

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        auth = self.headers.get("Authorization")
        with open(self.server.log_path, "a") as log:
            log.write(json.dumps({"path": self.path, "auth": auth is not None,
                                  "range": self.headers.get("Range"),
                                  "host": self.headers.get("Host")}) + "\n")
        if self.path.startswith("/storage/"):
            return self.storage()
        if auth is None:
            return self.reply(401, b"{}", [("WWW-Authenticate", 'Basic realm="scripted"')])
        manifest = [("Content-Type", MANIFEST_TYPE)]
        routes = {
            "/v2/": lambda: self.reply(200, b"{}"),
            "/v2/fake/app/manifests/v1": lambda: self.reply(200, MANIFEST, manifest),
            "/v2/fake/big/manifests/v1": lambda: self.reply(200, BIG, manifest),
            "/v2/fake/chunked/manifests/v1": self.chunked,
            "/v2/fake/app/blobs/" + digest(CONFIG): lambda: self.reply(200, CONFIG),
            "/v2/fake/app/blobs/" + digest(LAYER): lambda: self.reply(307, b"", [
                ("Location", "http://localhost:%d/storage/layer" % self.server.server_port)]),
        }
        route = routes.get(self.path)
        if route:
            return route()
        self.reply(404, b'{"errors":[{"code":"NOT_FOUND","message":"not here"}]}')

    def chunked(self):
        self.send_response(200)
        self.send_header("Content-Type", MANIFEST_TYPE)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for _ in range(6):
                piece = b" " * (1 << 20)
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def storage(self):
        Handler.storage_gets += 1
        if Handler.storage_gets == 1:  # half the bytes, then the connection breaks
            self.send_response(200)
            self.send_header("Content-Length", str(len(LAYER)))
            self.end_headers()
            self.wfile.write(LAYER[: len(LAYER) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        wanted = self.headers.get("Range")
        if not wanted:
            return self.reply(200, LAYER)
        start = int(wanted.split("=")[1].split("-")[0])
        self.reply(206, LAYER[start:],
                   [("Content-Range", "bytes %d-%d/%d" % (start, len(LAYER) - 1, len(LAYER)))])


class Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # ckimg hangs up on oversized manifests on purpose: not worth a traceback.
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


def main():
    port_file, log_path = sys.argv[1], sys.argv[2]
    server = Server(("127.0.0.1", 0), Handler)
    server.log_path = log_path
    with open(port_file + ".tmp", "w") as out:
        out.write(str(server.server_port))
    os.rename(port_file + ".tmp", port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
