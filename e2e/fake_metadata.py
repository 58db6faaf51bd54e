#!/usr/bin/env python3
"""A fake cloud instance-metadata service, for tests only.

AWS's IMDSv2, GCP's metadata server and Azure's Scheduled Events cannot exist on a test
machine, so e2e/watch_test.sh and bench/watch_bench.sh put this in front of
`tardisctl watch` on 127.0.0.1. It answers the paths the watcher asks, the way each
cloud documents them, and misbehaves on request.

    fake_metadata.py --cloud aws|gcp|azure --port-file PATH --log PATH
                     [--mode MODE] [--token-ttl-cap SECONDS] [--vm-name NAME]

It listens on a free port and writes the port to --port-file once it is ready. The mode
changes at run time (`PUT /control/mode`, the body is the mode):
    quiet           no notice (AWS 404, GCP FALSE, Azure no events)
    notice          the notice (AWS terminate in 2 min, GCP TRUE, Azure a Preempt event)
    rebalance       AWS: a rebalance recommendation, no interruption
    down            the connection is closed without an answer
    slow            the notice, 10 s late
    error500        500
    garbage         200 with an HTML page
    truncated       the notice's JSON cut in half
    unknown-action  AWS "reboot", GCP "MAYBE", Azure a Freeze event for this VM
    stale           the notice, dated an hour ago
    wrong-flavor    GCP: TRUE without Metadata-Flavor: Google (others: garbage)
    other-vm        Azure: a Preempt event for another VM
`GET /control/requests` counts the requests answered (control ones aside); --log gets
one line per request: `METHOD PATH STATUS [token=T] [body=B]`.
"""

import argparse
import email.utils
import json
import os
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

AZURE_EVENT_ID = "602d9444-d2cd-49c7-8624-8643e7171297"
GARBAGE = b"<html><body>captive portal</body></html>"


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.mode = args.mode
        # A notice is dated when it appears, and keeps its date while it stays.
        self.noticed_at = time.time()
        self.requests = 0
        self.tokens = {}  # token -> expiry (monotonic seconds)
        self.acknowledged = False
        self.incarnation = 1
        self.last_document = None

    def token_live(self, token):
        with self.lock:
            return token in self.tokens and time.monotonic() < self.tokens[token]


def rfc3339(seconds):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state = None  # set in main

    def log_message(self, *args):
        pass

    # --- plumbing

    def answer(self, status, body=b"", content_type="text/plain", headers=()):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
        self.record(status)

    def record(self, status, body=None):
        line = f"{self.command} {self.path} {status}"
        if self.state.args.cloud == "aws":
            line += f" token={self.headers.get('X-aws-ec2-metadata-token', '-')}"
        if self.command == "POST":
            line += f" body={self.request_body}"
        with self.state.lock:
            self.state.requests += 1
            with open(self.state.args.log, "a") as log:
                log.write(line + "\n")

    def misbehave(self, mode):
        """Answers for the modes every cloud shares; True when it answered."""
        if mode == "down":
            self.close_connection = True
            self.record("closed")
            return True
        if mode == "slow":
            time.sleep(10)
        if mode == "error500":
            self.answer(500, "internal")
            return True
        wrong_flavor_elsewhere = mode == "wrong-flavor" and self.state.args.cloud != "gcp"
        if mode == "garbage" or wrong_flavor_elsewhere:
            self.answer(200, GARBAGE, "text/html")
            return True
        return False

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.request_body = self.rfile.read(length).decode(errors="replace") if length else ""

    # --- control

    def control(self, url):
        if self.command == "PUT" and url.path == "/control/mode":
            with self.state.lock:
                self.state.mode = self.request_body.strip()
                self.state.noticed_at = time.time()
        elif not (self.command == "GET" and url.path == "/control/requests"):
            return False
        with self.state.lock:
            body = "ok" if self.command == "PUT" else str(self.state.requests)
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())
        return True

    def route(self):
        self.read_body()
        url = urlsplit(self.path)
        if self.control(url):
            return
        {"aws": self.aws, "gcp": self.gcp, "azure": self.azure}[self.state.args.cloud](url)

    do_GET = do_PUT = do_POST = route

    # --- AWS IMDSv2

    def aws(self, url):
        if url.path == "/latest/api/token":
            if self.command != "PUT":
                return self.answer(405)
            try:
                ttl = int(self.headers.get("X-aws-ec2-metadata-token-ttl-seconds", ""))
            except ValueError:
                ttl = 0
            if not 1 <= ttl <= 21600:
                return self.answer(400)
            with self.state.lock:
                token = f"tok-{len(self.state.tokens) + 1}"
                self.state.tokens[token] = time.monotonic() + min(ttl, self.state.args.token_ttl_cap)
            return self.answer(200, token, headers=[("X-aws-ec2-metadata-token-ttl-seconds", str(ttl))])
        if not self.state.token_live(self.headers.get("X-aws-ec2-metadata-token", "")):
            return self.answer(401)
        mode = self.state.mode
        if self.misbehave(mode):
            return
        when = rfc3339(self.state.noticed_at + (-3600 if mode == "stale" else 120))
        if url.path == "/latest/meta-data/spot/instance-action":
            action = {"action": "reboot" if mode == "unknown-action" else "terminate", "time": when}
            if mode in ("notice", "slow", "stale", "unknown-action"):
                return self.answer(200, json.dumps(action), "application/json")
            if mode == "truncated":
                text = json.dumps(action)
                return self.answer(200, text[: len(text) // 2], "application/json")
            return self.answer(404)
        if url.path == "/latest/meta-data/events/recommendations/rebalance":
            if mode == "rebalance":
                return self.answer(200, json.dumps({"noticeTime": rfc3339(self.state.noticed_at)}), "application/json")
            return self.answer(404)
        return self.answer(404)

    # --- GCP

    def gcp_value(self):
        mode = self.state.mode
        value = {"notice": "TRUE", "slow": "TRUE", "stale": "TRUE", "wrong-flavor": "TRUE",
                 "unknown-action": "MAYBE", "truncated": "TR"}.get(mode, "FALSE")
        return value, "e" + value.encode().hex()[:8]

    def gcp(self, url):
        if url.path != "/computeMetadata/v1/instance/preempted":
            return self.answer(404)
        if self.headers.get("Metadata-Flavor") != "Google":
            return self.answer(403, "Missing Metadata-Flavor:Google header.")
        query = parse_qs(url.query)
        if query.get("wait_for_change") == ["true"]:
            last = query.get("last_etag", [self.gcp_value()[1]])[0]
            deadline = time.monotonic() + float(query.get("timeout_sec", ["60"])[0])
            while self.gcp_value()[1] == last and time.monotonic() < deadline:
                time.sleep(0.05)
        if self.misbehave(self.state.mode):
            return
        value, etag = self.gcp_value()
        flavor = "Proxy" if self.state.mode == "wrong-flavor" else "Google"
        self.answer(200, value, headers=[("Metadata-Flavor", flavor), ("ETag", etag)])

    # --- Azure

    def azure_document(self):
        mode = self.state.mode
        events = []
        if mode in ("notice", "slow", "stale", "other-vm", "unknown-action", "truncated") \
                and not self.state.acknowledged:
            offset = -3600 if mode == "stale" else 30
            events.append({
                "EventId": AZURE_EVENT_ID,
                "EventType": "Freeze" if mode == "unknown-action" else "Preempt",
                "ResourceType": "VirtualMachine",
                "Resources": ["some-other-vm" if mode == "other-vm" else self.state.args.vm_name],
                "EventStatus": "Scheduled",
                "NotBefore": email.utils.formatdate(self.state.noticed_at + offset, usegmt=True),
                "Description": "", "EventSource": "Platform", "DurationInSeconds": -1,
            })
        with self.state.lock:
            shape = json.dumps([{k: v for k, v in e.items() if k != "NotBefore"} for e in events])
            if shape != self.state.last_document:
                self.state.incarnation += self.state.last_document is not None
                self.state.last_document = shape
            return {"DocumentIncarnation": self.state.incarnation, "Events": events}

    def azure(self, url):
        if self.headers.get("Metadata") != "true":
            return self.answer(400, json.dumps({"error": "Bad request: missing Metadata header"}))
        if url.path == "/metadata/instance/compute/name":
            return self.answer(200, self.state.args.vm_name)
        if url.path != "/metadata/scheduledevents":
            return self.answer(404)
        if self.command == "POST":
            try:
                wanted = [r["EventId"] for r in json.loads(self.request_body)["StartRequests"]]
            except (ValueError, KeyError, TypeError):
                wanted = []
            current = [e["EventId"] for e in self.azure_document()["Events"]]
            if wanted and all(w in current for w in wanted):
                self.state.acknowledged = True
                return self.answer(200)
            return self.answer(400)
        if self.misbehave(self.state.mode):
            return
        text = json.dumps(self.azure_document())
        if self.state.mode == "truncated":
            text = text[: len(text) // 2]
        self.answer(200, text, "application/json")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cloud", required=True, choices=["aws", "gcp", "azure"])
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--mode", default="quiet")
    parser.add_argument("--token-ttl-cap", type=float, default=21600)
    parser.add_argument("--vm-name", default="tardis-vm-1")
    args = parser.parse_args()
    Handler.state = State(args)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    with open(args.port_file + ".tmp", "w") as port_file:
        port_file.write(str(server.server_address[1]))
    os.rename(args.port_file + ".tmp", args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
