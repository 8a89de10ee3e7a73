"""``python -m faults.toxiproxy --host 127.0.0.1 --port 8474``: run the server in the foreground."""

from __future__ import annotations

import argparse

from .server import serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m faults.toxiproxy", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="API address (default: loopback only)")
    parser.add_argument("--port", type=int, default=8474, help="API port; 0 picks a free one")
    args = parser.parse_args(argv)
    serve(args.host, args.port)


if __name__ == "__main__":
    main()
