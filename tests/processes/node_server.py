"""A node for the processes-backend tests, run as the user's command would be: an HTTP server on
`$CHAOSDRILL_PORT` whose GET answers `{"pid": ...}` (404 on /missing), logging each signal it gets.

    --worker     serve from a forked child while this process waits, as a gunicorn master does
    --ignore     ignore the stop signal (SIGTERM), so only SIGKILL ends it
    --linger S   the worker takes S seconds to stop gracefully (draining, as real servers do)
    --exit CODE  print "boom" and exit at once with CODE, as a server with a broken config does
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status = 404 if self.path == "/missing" else 200
        body = json.dumps({"pid": os.getpid()}).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


LINGER_S = 0.0
"""How long this process takes to stop once signalled (set in the worker by --linger)."""


def on_signal(number: int, _frame: object) -> None:
    time.sleep(LINGER_S)
    print(f"got {signal.Signals(number).name} at {time.time():.3f}", flush=True)
    sys.exit(0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--worker", action="store_true")
    parser.add_argument("--ignore", action="store_true")
    parser.add_argument("--exit", type=int)
    parser.add_argument("--linger", type=float, default=0.0)
    args = parser.parse_args()
    if args.exit is not None:
        print("boom: this node cannot start", flush=True)
        sys.exit(args.exit)
    for number in (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1):
        signal.signal(number, signal.SIG_IGN if args.ignore and number == signal.SIGTERM else on_signal)
    server = HTTPServer(("127.0.0.1", int(os.environ["CHAOSDRILL_PORT"])), Handler)
    if args.worker and os.fork() != 0:
        server.server_close()
        os.wait()
        return
    global LINGER_S
    LINGER_S = args.linger
    print(f"serving as {os.getpid()}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
