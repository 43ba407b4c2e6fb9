#!/usr/bin/env python3
"""A TEST DOUBLE of the kubelet's checkpoint API, for ckimg's end-to-end tests.

A real kubelet needs a cluster (an API server for webhook authentication and authorization, a
CRI runtime), which cannot run here; this stands in for it and nothing else. It speaks what
pkg/kubelet/server/server.go speaks on the wire:

  POST /checkpoint/{namespace}/{pod}/{container}[?timeout=SECONDS]   (HTTPS)
  authentication: a client certificate signed by --client-ca (user = its CN), else
      "Authorization: Bearer TOKEN" (a token listed in --tokens: "TOKEN USER" lines, as the
      TokenReview webhook would answer), else 401 "Unauthorized" (anonymous auth off, kubeadm's
      default)
  authorization: users listed with --allow may create nodes/checkpoint, others get
      403 "Forbidden (user=U, verb=create, resource=nodes, subresource(s)=[checkpoint])"
  the ContainerCheckpoint gate off: 404 "404 page not found" (no such route)
  no such pod: 404 "pod does not exist"; no such container: 404 "container C does not exist"
  a bad ?timeout=: 404 "cannot parse value of timeout parameter" (as the kubelet does)
  the runtime failing: 500 "checkpointing of NS/POD/C failed (MESSAGE)"
  success: 200 application/json {"items":["/var/lib/kubelet/checkpoints/checkpoint-..."]}

On success the checkpoint is made by --checkpoint-command (run with CKPT_PATH set to the
archive's path and CKPT_NAMESPACE/CKPT_POD/CKPT_CONTAINER/CKPT_TIMEOUT: a real
`podman container checkpoint --export` in the Debian 13 environment), else --archive is copied
there. The archive's name is the kubelet's: checkpoint-<pod>_<namespace>-<container>-<RFC3339>.tar.

What the double answers can be switched per request by writing a scenario name into
--scenario-file (read at each request): ok, gate-off, runtime-error, deadline, hang, not-json,
wrong-json, no-items, outside, dotdot, subdir, symlink, fifo, directory, hardlink, echo-auth,
missing. The hostile ones answer what a broken or malicious kubelet could.
Each request is logged as one JSON line in --log (never the token: only whether one came).
"""
import argparse
import datetime
import http.server
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import threading

ROUTE = re.compile(r"^/checkpoint/([^/?]+)/([^/?]+)/([^/?]+)$")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port-file", required=True)
    p.add_argument("--cert", required=True, help="serving certificate (PEM)")
    p.add_argument("--key", required=True)
    p.add_argument("--client-ca", required=True, help="CA for client certificates")
    p.add_argument("--untrusted-ca", help="CA whose certificates pass the handshake but "
                   "authenticate no one (Go's RequestClientCert: an unknown issuer is anonymous)")
    p.add_argument("--tokens", help='file of "TOKEN USER" lines')
    p.add_argument("--allow", action="append", default=[], help="user allowed nodes/checkpoint")
    p.add_argument("--pod", action="append", default=[], help="NS/POD/CONTAINER[,CONTAINER...]")
    p.add_argument("--checkpoints-dir", required=True)
    p.add_argument("--answer-dir", help="the directory named in answers (default "
                   "--checkpoints-dir): the kubelet's path, where a Job mounts --checkpoints-dir")
    p.add_argument("--archive", help="archive to hand out (copied)")
    p.add_argument("--checkpoint-command", help="shell command that writes $CKPT_PATH")
    p.add_argument("--scenario-file")
    p.add_argument("--secret-file", help="a file a hostile answer points at")
    p.add_argument("--log", required=True)
    return p.parse_args()


ARGS = parse_args()
LOCK = threading.Lock()


def subject_cn(pem_file):
    info = ssl._ssl._test_decode_cert(pem_file)
    return dict(pair for rdn in info["subject"] for pair in rdn).get("commonName")


CLIENT_CA_CN = subject_cn(ARGS.client_ca)


def load_tokens():
    tokens = {}
    if ARGS.tokens:
        with open(ARGS.tokens) as f:
            for line in f:
                parts = line.split()
                if len(parts) == 2:
                    tokens[parts[0]] = parts[1]
    return tokens


def pods():
    table = {}
    for spec in ARGS.pod:
        ns, pod, containers = spec.split("/", 2)
        table[(ns, pod)] = containers.split(",")
    return table


def scenario():
    if not ARGS.scenario_file or not os.path.exists(ARGS.scenario_file):
        return "ok"
    with open(ARGS.scenario_file) as f:
        return f.read().strip() or "ok"


def archive_name(ns, pod, container):
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return f"checkpoint-{pod}_{ns}-{container}-{now}.tar"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "kubelet-test-double"

    def log_message(self, *args):
        pass

    def record(self, **fields):
        fields["method"] = self.command
        fields["path"] = self.path
        with LOCK, open(ARGS.log, "a") as f:
            f.write(json.dumps(fields) + "\n")

    def answer(self, status, body, content_type="text/plain; charset=utf-8"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def user(self):
        cert = self.connection.getpeercert()
        if cert:
            issuer = dict(pair for rdn in cert.get("issuer", ()) for pair in rdn)
            subject = dict(pair for rdn in cert.get("subject", ()) for pair in rdn)
            if issuer.get("commonName") == CLIENT_CA_CN:
                return subject.get("commonName"), "cert"
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            return load_tokens().get(auth[len("Bearer "):]), "token"
        return None, "none"

    def do_GET(self):
        self.record(status=404)
        self.answer(404, "404 page not found\n")

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        mode = scenario()
        user, how = self.user()
        if mode == "echo-auth":  # a confused kubelet that quotes the request back
            self.record(status=401, auth=how)
            self.answer(401, "Unauthorized: " + self.headers.get("Authorization", ""))
            return
        if user is None:
            self.record(status=401, auth=how)
            self.answer(401, "Unauthorized\n")
            return
        path, _, query = self.path.partition("?")
        route = ROUTE.match(path)
        if mode == "gate-off" or not route:
            self.record(status=404, auth=how, user=user)
            self.answer(404, "404 page not found\n")
            return
        if user not in ARGS.allow:
            self.record(status=403, auth=how, user=user)
            self.answer(403, f"Forbidden (user={user}, verb=create, resource=nodes, "
                             "subresource(s)=[checkpoint])\n")
            return
        ns, pod, container = route.groups()
        table = pods()
        if (ns, pod) not in table:
            self.record(status=404, auth=how, user=user)
            self.answer(404, "pod does not exist\n")
            return
        if container not in table[(ns, pod)]:
            self.record(status=404, auth=how, user=user)
            self.answer(404, f"container {container} does not exist\n")
            return
        timeout = ""
        for part in query.split("&"):
            if part.startswith("timeout="):
                timeout = part[len("timeout="):]
                if not re.fullmatch(r"-?\d+", timeout):
                    self.record(status=404, auth=how, user=user)
                    self.answer(404, "cannot parse value of timeout parameter\n")
                    return
        self.record(status=0, auth=how, user=user, scenario=mode, timeout=timeout)
        self.checkpoint(mode, ns, pod, container, timeout)

    def fail(self, ns, pod, container, message):
        self.answer(500, f"checkpointing of {ns}/{pod}/{container} failed ({message})\n")

    def checkpoint(self, mode, ns, pod, container, timeout):
        where = f"{ns}/{pod}/{container}"
        if mode == "runtime-error":
            self.fail(ns, pod, container, "rpc error: code = Unknown desc = failed to checkpoint "
                      "container: criu failed: type NOTIFY errno 0")
            return
        if mode == "deadline":
            self.fail(ns, pod, container, "rpc error: code = DeadlineExceeded desc = context "
                      "deadline exceeded")
            return
        if mode == "hang":  # never answers; stops when the client goes away
            self.connection.settimeout(1)
            while True:
                try:
                    if self.connection.recv(1) == b"":
                        return
                except socket.timeout:
                    continue
                except OSError:
                    return
        if mode == "not-json":
            self.answer(200, "<html>checkpoint done</html>", "text/html")
            return
        if mode == "wrong-json":
            self.answer(200, '{"items":"no"}', "application/json")
            return
        if mode == "no-items":
            self.answer(200, '{"items":[]}', "application/json")
            return
        directory = ARGS.checkpoints_dir
        path = os.path.join(directory, archive_name(ns, pod, container))
        hostile = {
            "outside": ARGS.secret_file,
            "dotdot": os.path.join(directory, "..", "..", os.path.basename(ARGS.secret_file or "x")),
            "subdir": os.path.join(directory, "sub", "checkpoint.tar"),
            "missing": os.path.join(directory, "checkpoint-that-was-never-written.tar"),
        }
        if mode in hostile:
            self.items(hostile[mode])
            return
        if mode == "symlink":
            os.symlink(ARGS.secret_file, path)
        elif mode == "fifo":
            os.mkfifo(path)
        elif mode == "directory":
            os.mkdir(path)
        elif mode == "hardlink":
            os.link(ARGS.secret_file, path)
        else:
            message = self.make_archive(path, ns, pod, container, timeout)
            if message:
                self.fail(ns, pod, container, message)
                return
        self.items(path)

    def make_archive(self, path, ns, pod, container, timeout):
        if ARGS.checkpoint_command:
            env = dict(os.environ, CKPT_PATH=path, CKPT_NAMESPACE=ns, CKPT_POD=pod,
                       CKPT_CONTAINER=container, CKPT_TIMEOUT=timeout)
            run = subprocess.run(["/bin/sh", "-c", ARGS.checkpoint_command], env=env,
                                 capture_output=True, text=True)
            if run.returncode != 0:
                lines = (run.stderr or run.stdout).strip().splitlines() or ["no output"]
                return "runtime: " + lines[-1]
            return None
        tmp = path + ".part"
        shutil.copyfile(ARGS.archive, tmp)
        os.chmod(tmp, 0o600)
        os.rename(tmp, path)
        return None

    def items(self, path):
        if ARGS.answer_dir and path.startswith(ARGS.checkpoints_dir + "/"):
            path = ARGS.answer_dir + path[len(ARGS.checkpoints_dir):]
        self.answer(200, json.dumps({"items": [path]}), "application/json")


def main():
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(ARGS.cert, ARGS.key)
    context.load_verify_locations(ARGS.client_ca)
    if ARGS.untrusted_ca:
        context.load_verify_locations(ARGS.untrusted_ca)
    context.verify_mode = ssl.CERT_OPTIONAL
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.socket = context.wrap_socket(server.socket, server_side=True)
    tmp = ARGS.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(tmp, ARGS.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
