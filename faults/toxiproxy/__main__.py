"""``python -m faults.toxiproxy --host 127.0.0.1 --port 8474``: run the server in the foreground."""

from __future__ import annotations

import argparse
import sys

from .errors import ServeError
from .server import serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m faults.toxiproxy", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="API address (default: loopback only)")
    parser.add_argument("--port", type=int, default=8474, help="API port; 0 picks a free one")
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="serve the API and let proxies listen off loopback (the API has no authentication)",
    )
    args = parser.parse_args(argv)
    try:
        serve(args.host, args.port, args.allow_remote)
    except ServeError as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
