"""The admin token reaches a stack process without a command line: from a file (`--admin-token-file` or
its env var, as containers get it) or from the environment (as the local backend passes it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx

from tests.stack.conftest import ADMIN_TOKEN, REPO_ROOT, StackLauncher, pools


def _token_file(tmp_path: Path, token: str) -> Path:
    path = tmp_path / "admin-token"
    path.write_text(f"{token}\n")
    path.chmod(0o400)
    return path


def _status(url: str, path: str, token: str) -> int:
    return httpx.post(f"{url}{path}", json={}, headers={"X-Admin-Token": token}, timeout=10).status_code


def test_a_model_server_takes_its_token_from_the_file_rather_than_the_flag(
    stack: StackLauncher, tmp_path: Path
) -> None:
    token_file = _token_file(tmp_path, "from-a-file")
    (server,) = stack.model_servers([{"name": "m-0", "admin_token_file": str(token_file)}])
    assert _status(server.url, "/admin/faults", "from-a-file") == 200
    assert _status(server.url, "/admin/faults", ADMIN_TOKEN) == 403


def test_a_gateway_takes_its_token_from_the_environment_or_a_file(
    stack: StackLauncher, tmp_path: Path
) -> None:
    (replica,) = stack.model_servers([{"name": "m-0"}])
    config = {"pools": pools(east=[replica])}
    by_env = stack.gateway(config, env={"CHAOSDRILL_GATEWAY_ADMIN_TOKEN": "from-env"})
    token_file = _token_file(tmp_path, "from-a-file")
    by_file = stack.gateway(config, env={"CHAOSDRILL_GATEWAY_ADMIN_TOKEN_FILE": str(token_file)})
    for gateway, token in ((by_env, "from-env"), (by_file, "from-a-file")):
        assert _status(gateway.url, "/admin/canary/rollback", token) not in (401, 403)
        assert _status(gateway.url, "/admin/canary/rollback", ADMIN_TOKEN) == 403  # the config's token lost


def test_an_unreadable_token_file_is_a_usage_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-file"
    argv = [sys.executable, "-m", "stack.model_server", "--admin-token-file", str(missing)]
    result = subprocess.run(argv, cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .endswith(f"error: --admin-token-file: cannot read {missing}: No such file or directory")
    )
