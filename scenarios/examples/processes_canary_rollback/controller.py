"""A rollout controller: the user's own deploy tooling in this example, not part of chaosdrill (plain
Python, standard library only).

It shifts traffic between HAProxy's stable server and its canary server through HAProxy's runtime API on
the admin stats socket, and analyses the canary while it takes traffic: every `--interval` it reads the
canary's answers by status class (`show stat`) and, once the canary has answered `--min-requests` since
the deploy, rolls it back (weight 0) if more than `--max-error-rate` of them were errors. A blue-green
switch uses the same two servers: the canary slot is green, the stable one blue; `/switch` sends all
traffic to green at once (green's weight up before blue's down, so no request finds no server), and
green is analysed the same way and switched back to blue when it fails. 4xx answers
count as errors: the stable version answers none to valid requests, and MLflow's scoring server answers a
model that raises with 400. `--analysis off` deploys without watching: a rollout nobody rolls back.

    POST /deploy    {"weight": 30}    the canary's share of traffic in percent, the stable one's the rest
    POST /switch                      blue-green: all traffic to the canary slot (green)
    POST /rollback                    the canary's weight to 0, the stable one's to 100
    GET  /status    {"state": "canary", "version": "v2", "weight": 30, "analysis": "on", ...}

States: `stable` (no canary traffic yet), `canary` (deployed, analysed), `rolled_back`; `green` (switched,
analysed), `switched_back`.
"""

from __future__ import annotations

import argparse
import csv
import json
import socket
import sys
import threading
import time
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FULL_WEIGHT = 100
STATUS_CLASSES = ("hrsp_1xx", "hrsp_2xx", "hrsp_3xx", "hrsp_4xx", "hrsp_5xx", "hrsp_other")
ERROR_CLASSES = ("hrsp_4xx", "hrsp_5xx")


class RuntimeApi:
    """HAProxy's runtime API on its stats socket (`stats socket ... level admin`): one command per
    connection, answered until HAProxy closes it. What `socat` would do, without socat."""

    def __init__(self, path: str, timeout_s: float = 2.0):
        self.path = path
        self.timeout_s = timeout_s

    def run(self, command: str) -> str:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(self.timeout_s)
            connection.connect(self.path)
            connection.sendall(command.encode() + b"\n")
            chunks = []
            while chunk := connection.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def set_weight(self, backend: str, server: str, weight: int) -> None:
        """HAProxy answers nothing when it took the weight, and why not otherwise."""
        answer = self.run(f"set weight {backend}/{server} {weight}").strip()
        if answer:
            raise RuntimeError(f"set weight {backend}/{server} {weight}: {answer}")

    def weight(self, backend: str, server: str) -> int:
        """The server's current weight (HAProxy answers "30 (initial 0)")."""
        answer = self.run(f"get weight {backend}/{server}").strip()
        if not answer[:1].isdigit():
            raise RuntimeError(f"get weight {backend}/{server}: {answer}")
        return int(answer.split()[0])

    def answers(self, backend: str, server: str) -> Answers:
        """The server's answers so far, by status class, from `show stat` (CSV; `4 -1`: all servers)."""
        text = self.run(f"show stat {backend} 4 -1").removeprefix("# ")
        for row in csv.DictReader(line for line in text.splitlines() if line):
            if row["svname"] == server:
                return Answers(
                    sum(int(row[c] or 0) for c in STATUS_CLASSES),
                    sum(int(row[c] or 0) for c in ERROR_CLASSES),
                )
        raise RuntimeError(f"show stat: no server {backend}/{server}")


@dataclass(frozen=True)
class Answers:
    """A server's answers as HAProxy counted them: all of them, and the errors among them."""

    total: int
    errors: int

    def __sub__(self, since: Answers) -> Answers:
        return Answers(self.total - since.total, self.errors - since.errors)


class Rollout:
    """The canary's state; every change goes through HAProxy first, then is recorded here."""

    def __init__(self, api: RuntimeApi, args: argparse.Namespace):
        self.api, self.args = api, args
        self.lock = threading.Lock()
        self.state = "stable"
        self.weight = api.weight(args.backend, args.canary)  # also proves the socket answers at start-up
        self.reason = ""
        self.baseline = Answers(0, 0)
        self.seen = Answers(0, 0)
        """The canary's answers since the deploy, at the last analysis."""
        self.changed_at = time.time()

    def status(self) -> dict[str, Any]:
        with self.lock:
            return {
                "state": self.state, "version": self.args.canary, "weight": self.weight,
                "analysis": self.args.analysis, "reason": self.reason, "changed_at": self.changed_at,
                "canary_answers": self.seen.total, "canary_errors": self.seen.errors,
            }  # fmt: skip

    def deploy(self, weight: int) -> None:
        with self.lock:
            self.baseline = self.api.answers(self.args.backend, self.args.canary)
            self.seen = Answers(0, 0)
            self.api.set_weight(self.args.backend, self.args.stable, FULL_WEIGHT - weight)
            self.api.set_weight(self.args.backend, self.args.canary, weight)
            self._record("canary", weight, f"deployed {self.args.canary} at {weight}%")

    def switch(self) -> None:
        with self.lock:
            self.baseline = self.api.answers(self.args.backend, self.args.canary)
            self.seen = Answers(0, 0)
            self.api.set_weight(self.args.backend, self.args.canary, FULL_WEIGHT)
            self.api.set_weight(self.args.backend, self.args.stable, 0)
            self._record("green", FULL_WEIGHT, f"switched all traffic to {self.args.canary}")

    def rollback(self, reason: str) -> None:
        with self.lock:
            self._rollback(reason)

    def analyse(self) -> None:
        """One step of canary analysis: roll back once enough answers say the canary is bad."""
        with self.lock:
            if self.state not in ("canary", "green"):
                return
            self.seen = self.api.answers(self.args.backend, self.args.canary) - self.baseline
            if self.seen.total < self.args.min_requests:
                return
            rate, limit = self.seen.errors / self.seen.total, self.args.max_error_rate
            if rate > limit:
                self._rollback(f"error rate {rate:.0%} in {self.seen.total} canary answers > {limit:.0%}")

    def _rollback(self, reason: str) -> None:
        if self.state in ("rolled_back", "switched_back"):  # already undone: the record stays as it was
            return
        if self.state == "green":  # blue back first: with green alone at 0 no server would take requests
            self.api.set_weight(self.args.backend, self.args.stable, FULL_WEIGHT)
            self.api.set_weight(self.args.backend, self.args.canary, 0)
            self._record("switched_back", 0, reason)
            return
        self.api.set_weight(self.args.backend, self.args.canary, 0)  # the canary first: it is the harm
        self.api.set_weight(self.args.backend, self.args.stable, FULL_WEIGHT)
        self._record("rolled_back", 0, reason)

    def _record(self, state: str, weight: int, reason: str) -> None:
        self.state, self.weight, self.reason, self.changed_at = state, weight, reason, time.time()
        print(f"{time.strftime('%H:%M:%S')} {state}: {reason}", file=sys.stderr, flush=True)


def handler(rollout: Rollout) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/status":
                self._answer(HTTPStatus.NOT_FOUND, {"error": f"no {self.path}"})
                return
            self._answer(HTTPStatus.OK, rollout.status())

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                if self.path == "/rollback":
                    rollout.rollback("requested")
                elif self.path == "/switch":
                    rollout.switch()
                elif self.path == "/deploy":
                    weight = _weight(body)
                    if weight is None:
                        self._answer(HTTPStatus.BAD_REQUEST, {"error": 'expected {"weight": 1..100}'})
                        return
                    rollout.deploy(weight)
                else:
                    self._answer(HTTPStatus.NOT_FOUND, {"error": f"no {self.path}"})
                    return
            except (OSError, RuntimeError) as exc:  # HAProxy did not take it: the caller must know
                self._answer(HTTPStatus.BAD_GATEWAY, {"error": str(exc)})
                return
            self._answer(HTTPStatus.OK, rollout.status())

        def _answer(self, status: HTTPStatus, document: dict[str, Any]) -> None:
            data = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the status is polled often; deploys and rollbacks are logged where they happen."""

    return Handler


def _weight(body: bytes) -> int | None:
    try:
        weight = json.loads(body or b"{}").get("weight")
    except (ValueError, AttributeError):
        return None
    ok = isinstance(weight, int) and not isinstance(weight, bool) and 0 < weight <= FULL_WEIGHT
    return weight if ok else None


def analyse_forever(rollout: Rollout, interval_s: float) -> None:
    while True:
        time.sleep(interval_s)
        try:
            rollout.analyse()
        except (OSError, RuntimeError) as exc:  # HAProxy restarting: try again at the next step
            print(f"analysis skipped: {exc}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--haproxy-socket", required=True, help="HAProxy's admin stats socket")
    parser.add_argument("--backend", default="mlflow")
    parser.add_argument("--stable", default="v1", help="the stable server's name in the backend")
    parser.add_argument("--canary", default="v2", help="the canary server's name (the version it serves)")
    parser.add_argument("--analysis", choices=("on", "off"), default="on")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between analysis steps")
    parser.add_argument("--min-requests", type=int, default=10)
    parser.add_argument("--max-error-rate", type=float, default=0.05)
    args = parser.parse_args(argv)
    try:
        rollout = Rollout(RuntimeApi(args.haproxy_socket), args)
    except (OSError, RuntimeError) as exc:
        sys.exit(f"cannot read the canary's weight from HAProxy's runtime API ({args.haproxy_socket}): {exc}")
    if args.analysis == "on":
        threading.Thread(target=analyse_forever, args=(rollout, args.interval), daemon=True).start()
    server = ThreadingHTTPServer((args.host, args.port), handler(rollout))
    print(
        f"rollout controller on {args.host}:{args.port}, analysis {args.analysis}",
        file=sys.stderr,
        flush=True,
    )
    server.serve_forever()


if __name__ == "__main__":
    main()
