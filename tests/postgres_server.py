"""A real, throw-away PostgreSQL server from Debian's packages (scripts/install-test-deps.sh installs them).

initdb into a fresh folder, pg_ctl on a free 127.0.0.1 port with its socket in that folder, stopped and
removed at the end. initdb refuses to run as root, so as root the server runs as the `postgres` user the
package creates.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

USER = "chaosdrill"


def bin_dir() -> Path:
    """The newest installed server's binaries (/usr/lib/postgresql/<major>/bin)."""
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3]))
    if not versions:
        raise RuntimeError("no PostgreSQL server installed: run scripts/install-test-deps.sh")
    return versions[-1].parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _as_server_user(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yields the server's base URL (`postgresql://chaosdrill@127.0.0.1:PORT`), no database named."""
    binaries = bin_dir()
    folder = Path(tempfile.mkdtemp(prefix="chaosdrill-pg-"))
    if os.geteuid() == 0:
        account = pwd.getpwnam("postgres")
        os.chown(folder, account.pw_uid, account.pw_gid)
    data, port = folder / "data", _free_port()
    run = subprocess.run
    try:
        run(_as_server_user([str(binaries / "initdb"), "-D", str(data), "-U", USER, "--auth=trust",
                             "-E", "UTF8", "--no-sync"]), check=True, capture_output=True)  # fmt: skip
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        run(_as_server_user([str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-l",
                             str(folder / "server.log"), "-w", "-t", "60", "start"]),
            check=True, capture_output=True)  # fmt: skip
        yield f"postgresql://{USER}@127.0.0.1:{port}"
    finally:
        if (data / "postmaster.pid").exists():
            run(_as_server_user([str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]),
                capture_output=True)  # fmt: skip
        shutil.rmtree(folder, ignore_errors=True)


def create_database(server_url: str) -> str:
    """A fresh, empty database on the server: its URL."""
    name = f"history_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"{server_url}/{name}"
