#!/usr/bin/env python3
"""livy_server.py — a Livy-compatible server for the tests: Apache Livy's batch REST protocol
(the JSON shapes, status codes and state names of Livy's SessionServlet / BatchSessionServlet),
and each batch really run with spark-submit from the .venv's pyspark in local mode.

  POST   /batches                 CreateBatchRequest -> 201 batch view, Location: /batches/{id}
  GET    /batches?from=&size=     {"from", "total", "sessions": [batch view...]}
  GET    /batches/{id}            {"id", "name", "owner", "proxyUser", "state", "appId",
                                   "appInfo": {"driverLogUrl", "sparkUiUrl"}, "log": [last 10 lines]}
  GET    /batches/{id}/state      {"id", "state"}
  GET    /batches/{id}/log?from=&size=   {"id", "from", "total", "log": [lines]} (Livy's paging:
                                   size defaults to 100, from to the last `size` lines)
  DELETE /batches/{id}            kills spark-submit, {"msg": "deleted"}; the batch is gone after
Errors are {"msg": "..."} as Livy sends them: 400 for a malformed or unknown field, 404 for an
unknown batch.  A batch goes starting -> running -> success | dead (spark-submit's exit status),
or killed by DELETE.  As Livy with CSRF protection on, POST and DELETE need X-Requested-By.

Authentication stands in for Fabric's Entra tokens / a Databricks PAT: every request needs
"Authorization: Bearer $LIVY_TEST_TOKEN" (or a token that extends it: "$LIVY_TEST_TOKEN-" and
anything, as a refreshed token), else 401 — whose message quotes the token it got (a careless
server), so that the test can check that the client blots it out.  With --token-ttl S a token
expires S seconds after its first use, as Entra ID tokens do after about an hour: 401 again.

Usage: livy_server.py --port-file F --log F (--spark-submit PATH [--master local[2]] | --fake-output DIR)
       [--scenario guid|flaky|killed|hang|leaky-log] [--token-ttl S] [--run-seconds S]

--fake-output DIR is for the protocol tests (tests/scripts/livy_protocol.sh, no Spark): a batch
"runs" by copying DIR into its output argument (args[1], a file: URI) after --run-seconds (default
1), with a log
of a few lines.  --scenario bends the server the way real services differ or misbehave: guid (ids
are GUIDs, as Fabric's), flaky (every other state poll answers 503), killed (the batch ends killed
by itself), hang (the batch never ends), leaky-log (the log quotes the request's Authorization
header, as a careless service might).
Each request is logged as one JSON line (method, path, status, and for a created batch its file,
name, pyFiles, args and conf; never a header)."""
import argparse
import json
import os
import shutil
import time
import uuid
import signal
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse, parse_qs

ARGS = None
LOCK = threading.Lock()
BATCHES = {}
NEXT_ID = [0]
POLLS = [0]
FIRST_USE = {}   # token -> when it was first used (--token-ttl)

# CreateBatchRequest's fields and their JSON types (Livy rejects anything else)
FIELDS = {"file": str, "proxyUser": str, "className": str, "args": [str], "jars": [str], "pyFiles": [str],
          "files": [str], "driverMemory": str, "driverCores": int, "executorMemory": str, "executorCores": int,
          "numExecutors": int, "archives": [str], "queue": str, "name": str, "conf": {str: str}}


def well_typed(value, kind):
    if isinstance(kind, list):
        return isinstance(value, list) and all(isinstance(v, kind[0]) for v in value)
    if isinstance(kind, dict):
        return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
    return isinstance(value, kind) and not isinstance(value, bool)


class Batch:
    def __init__(self, bid, req):
        self.id, self.req, self.state, self.lines, self.proc = bid, req, "starting", [], None

    def view(self):
        return {"id": self.id, "name": self.req.get("name"), "owner": None, "proxyUser": self.req.get("proxyUser"),
                "state": self.state, "appId": None, "appInfo": {"driverLogUrl": None, "sparkUiUrl": None},
                "log": self.lines[-10:]}

    def command(self):
        r = self.req
        cmd = [ARGS.spark_submit, "--master", ARGS.master, "--conf", "spark.ui.enabled=false"]
        if r.get("name"):
            cmd += ["--name", r["name"]]
        for k, v in sorted(r.get("conf", {}).items()):
            cmd += ["--conf", "%s=%s" % (k, v)]
        for opt, key in (("--py-files", "pyFiles"), ("--files", "files"), ("--jars", "jars")):
            if r.get(key):
                cmd += [opt, ",".join(r[key])]
        if r.get("className"):
            cmd += ["--class", r["className"]]
        return cmd + [r["file"]] + r.get("args", [])

    def fake_run(self):
        with LOCK:
            self.state = "running"
            self.lines += ["fake spark-submit: %s" % self.req["file"], "mapforge job: plan (fake) on local[2]"]
            if ARGS.scenario == "leaky-log":
                self.lines.append("request header Authorization: %s" % self.auth)
        time.sleep(ARGS.run_seconds)
        if ARGS.scenario == "hang":
            return
        if ARGS.scenario == "killed":
            with LOCK:
                self.state = "killed"
            return
        out = self.req["args"][1]
        out = out[len("file://"):] if out.startswith("file://") else out[len("file:"):]
        shutil.copytree(ARGS.fake_output, out)
        with LOCK:
            if self.state != "killed":
                # the real job's last line (mapforge_runtime.py main), with the prepared run.json's counts
                try:
                    with open(os.path.join(ARGS.fake_output, "run.json")) as f:
                        self.lines.append("mapforge job: %(rows_in)d rows in, %(rows_out)d out, %(rows_rejected)d "
                                          "rejected, %(rows_filtered)d filtered" % json.load(f))
                except (OSError, ValueError, KeyError):
                    pass
                self.lines.append("mapforge job: done")
                self.state = "success"

    def run(self):
        if ARGS.fake_output:
            self.fake_run()
            return
        env = dict(os.environ, SPARK_LOCAL_IP="127.0.0.1")
        bindir = os.path.dirname(os.path.abspath(ARGS.spark_submit))
        py = os.path.join(bindir, "python3")
        if os.path.exists(py):
            env.update(PYSPARK_PYTHON=py, PYSPARK_DRIVER_PYTHON=py, PATH=bindir + ":" + env.get("PATH", ""))
        env.pop("LIVY_TEST_TOKEN", None)   # the job never sees the service's credentials
        with LOCK:
            if self.state == "killed":
                return
            self.proc = subprocess.Popen(self.command(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, env=env, start_new_session=True)
            self.state = "running"
        for raw in self.proc.stdout:
            with LOCK:
                self.lines.append(raw.decode("utf-8", "replace").rstrip("\r\n"))
        rc = self.proc.wait()
        with LOCK:
            if self.state != "killed":
                self.state = "success" if rc == 0 else "dead"

    def kill(self):
        with LOCK:
            self.state = "killed"
            proc = self.proc
        if proc and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass


def log_request(method, path, status, batch=None):
    entry = {"method": method, "path": path, "status": status}
    if batch is not None:   # what was asked to run (the request body holds no credentials)
        entry.update(file=batch.get("file"), pyFiles=batch.get("pyFiles"), args=batch.get("args"),
                     name=batch.get("name"), conf=batch.get("conf"))
    with LOCK, open(ARGS.log, "a") as f:
        f.write(json.dumps(entry) + "\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, obj, headers=None, batch=None):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)
        log_request(self.command, self.path, status, batch)

    def authorized(self):
        got = self.headers.get("Authorization", "")
        shown = got[len("Bearer "):] if got.startswith("Bearer ") else got
        good = os.environ["LIVY_TEST_TOKEN"]
        if got.startswith("Bearer ") and (shown == good or shown.startswith(good + "-")):
            with LOCK:
                first = FIRST_USE.setdefault(shown, time.monotonic())
            if ARGS.token_ttl is None or time.monotonic() - first <= ARGS.token_ttl:
                return True
            self.reply(401, {"msg": "Unauthorized: the token '%s' has expired" % shown})
            return False
        self.reply(401, {"msg": "Unauthorized: the token '%s' is not valid for this workspace" % shown})
        return False

    def csrf_ok(self):
        if self.headers.get("X-Requested-By"):
            return True
        self.reply(400, {"msg": "Missing Required Header for CSRF protection."})
        return False

    def batch(self, parts):
        bid = parts[1]
        if ARGS.scenario != "guid":
            try:
                bid = int(bid)
            except ValueError:
                self.reply(404, {"msg": "Session '%s' not found." % parts[1]})
                return None
        with LOCK:
            b = BATCHES.get(bid)
        if b is None:
            self.reply(404, {"msg": "Session '%s' not found." % bid})
        return b

    def do_GET(self):
        if not self.authorized():
            return
        u = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(u.query).items()}
        parts = [p for p in u.path.split("/") if p]
        if parts == ["batches"]:
            frm, size = int(q.get("from", 0)), int(q.get("size", 100))
            with LOCK:
                views = [BATCHES[k].view() for k in sorted(BATCHES)]
            self.reply(200, {"from": frm, "total": len(views), "sessions": views[frm:frm + size]})
            return
        if len(parts) < 2 or parts[0] != "batches" or len(parts) > 3:
            self.reply(404, {"msg": "Not found"})
            return
        b = self.batch(parts)
        if b is None:
            return
        with LOCK:
            if len(parts) == 2:
                out = b.view()
            elif parts[2] == "state":
                POLLS[0] += 1
                if ARGS.scenario == "flaky" and POLLS[0] % 2:
                    out = "flaky"
                else:
                    out = {"id": b.id, "state": b.state}
            elif parts[2] == "log":
                lines = list(b.lines)
                size = int(q.get("size", 100))
                frm = int(q.get("from", -1))
                if size < 0:
                    size = len(lines)
                if frm < 0:
                    frm = max(0, len(lines) - size)
                out = {"id": b.id, "from": frm, "total": len(lines), "log": lines[frm:frm + size]}
            else:
                out = None
        if out is None:
            self.reply(404, {"msg": "Not found"})
        elif out == "flaky":
            self.reply(503, {"msg": "Service temporarily unavailable"})
        else:
            self.reply(200, out)

    def do_POST(self):
        if not self.authorized() or not self.csrf_ok():
            return
        if urlparse(self.path).path.rstrip("/") != "/batches":
            self.reply(404, {"msg": "Not found"})
            return
        n = int(self.headers.get("Content-Length", 0))
        try:
            req = json.loads(self.rfile.read(n))
        except ValueError as err:
            self.reply(400, {"msg": "Rejected, malformed JSON: %s" % err})
            return
        if not isinstance(req, dict):
            self.reply(400, {"msg": "Rejected, the request is not a JSON object"})
            return
        for k, v in req.items():
            if k not in FIELDS:
                self.reply(400, {"msg": 'Unrecognized field "%s"' % k})
                return
            if not well_typed(v, FIELDS[k]):
                self.reply(400, {"msg": 'Field "%s" has the wrong type' % k})
                return
        if "file" not in req:
            self.reply(400, {"msg": "requirement failed: File is required."})
            return
        with LOCK:
            bid = NEXT_ID[0] if ARGS.scenario != "guid" else str(uuid.uuid4())
            NEXT_ID[0] += 1
            b = BATCHES[bid] = Batch(bid, req)
            b.auth = self.headers.get("Authorization", "")
            view = b.view()
        threading.Thread(target=b.run, daemon=True).start()
        self.reply(201, view, {"Location": "/batches/%s" % bid}, req)

    def do_DELETE(self):
        if not self.authorized() or not self.csrf_ok():
            return
        parts = [p for p in urlparse(self.path).path.split("/") if p]
        if len(parts) != 2 or parts[0] != "batches":
            self.reply(404, {"msg": "Not found"})
            return
        b = self.batch(parts)
        if b is None:
            return
        b.kill()
        with LOCK:
            BATCHES.pop(b.id, None)
        self.reply(200, {"msg": "deleted"})


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--spark-submit")
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--fake-output")
    ap.add_argument("--scenario", choices=["guid", "flaky", "killed", "hang", "leaky-log"])
    ap.add_argument("--token-ttl", type=float, help="a token expires this many seconds after its first use")
    ap.add_argument("--run-seconds", type=float, default=1.0, help="--fake-output: how long a batch runs")
    ARGS = ap.parse_args()
    if not ARGS.spark_submit and not ARGS.fake_output:
        sys.exit("livy_server.py: --spark-submit PATH or --fake-output DIR")
    if not os.environ.get("LIVY_TEST_TOKEN"):
        sys.exit("livy_server.py: set LIVY_TEST_TOKEN")
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    with open(ARGS.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(ARGS.port_file + ".tmp", ARGS.port_file)

    def stop(*_):
        with LOCK:
            batches = list(BATCHES.values())
        for b in batches:
            b.kill()
        raise SystemExit(0)
    signal.signal(signal.SIGTERM, stop)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        stop()


if __name__ == "__main__":
    sys.exit(main())
