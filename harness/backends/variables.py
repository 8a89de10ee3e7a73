"""The run's addresses as variables a user's stack is configured with: `${CHAOSDRILL_LINK_GPU_0}` in a
command, an environment value, a templated config file or a compose file.

One naming rule for every stack kind, so a config written for `stack.processes` reads the same under
`stack.compose`: `CHAOSDRILL_<WHAT>_<NODE>` with the node's name upper-cased and every other character an
underscore. Interpolation follows compose's braced form: `${VAR}`, `${VAR:-default}` (also when empty),
`$${` for a literal `${`; a bare `$word` is left alone (nginx and shell configs are full of them). The
run's variables come first, then the harness's environment; an unknown variable is an error that names
where it was used, never an empty string.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

HOST_VARIABLE = "CHAOSDRILL_HOST"
"""The address the harness's listeners (links, node ports) are on."""
PORT_VARIABLE = "CHAOSDRILL_PORT"
"""In a node's own command and environment: the port it must listen on."""
CONFIG_DIR_VARIABLE = "CHAOSDRILL_CONFIG_DIR"
"""Where templated config files are written (inside the run dir)."""
RUN_DIR_VARIABLE = "CHAOSDRILL_RUN_DIR"

_PLACEHOLDER = re.compile(r"\$(?:(\$)\{|\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\})")


def node_variable(what: str, node: str) -> str:
    """`node_variable("LINK", "gpu-0")` → `CHAOSDRILL_LINK_GPU_0`."""
    return f"CHAOSDRILL_{what}_{re.sub(r'[^A-Z0-9]', '_', node.upper())}"


def link_variable(node: str) -> str:
    """host:port of the chaosdrill link in front of `node`."""
    return node_variable("LINK", node)


def port_variable(node: str) -> str:
    """The port `node` listens on (`stack.processes`)."""
    return node_variable("PORT", node)


def run_variables(run_dir: Path, links: Mapping[str, str], ports: Mapping[str, int]) -> dict[str, str]:
    """What a run sets for a user's stack: its folders, each link's host:port (by node) and each node's
    port (`stack.processes`). Validation calls it with stand-in values: the names are known before a run."""
    run_dir = run_dir.absolute()  # nodes and actions run in the scenario's folder, not the harness's
    variables = {
        HOST_VARIABLE: "127.0.0.1",
        RUN_DIR_VARIABLE: str(run_dir),
        CONFIG_DIR_VARIABLE: str(config_dir(run_dir)),
    }
    variables.update({link_variable(node): address for node, address in links.items()})
    variables.update({port_variable(node): str(port) for node, port in ports.items()})
    return variables


def config_dir(run_dir: Path) -> Path:
    """Where templated config files are written."""
    return run_dir / "config"


ENTRYPOINT_VARIABLE = "CHAOSDRILL_ENTRYPOINT"
"""The URL the load goes to (`http://127.0.0.1:PORT`): every stack's, for probes and actions."""
ADMIN_TOKEN_VARIABLE = "CHAOSDRILL_ADMIN_TOKEN"
"""The reference stack's admin token, for actions that drive its admin API as a CD pipeline would."""
SECRET_VARIABLES = frozenset({ADMIN_TOKEN_VARIABLE})
"""Never written into a command line (every local user may read those with `ps`): commands find them in
their environment, and HTTP requests in their headers, which stay in the harness."""


def stack_variables(stack: object) -> dict[str, str]:
    """Every variable of a started stack, for probes and actions: its backend's own (`variables`, a user's
    stack), the host, the run directory, the entrypoint, and the admin token where the stack has one."""
    found = {HOST_VARIABLE: "127.0.0.1", ENTRYPOINT_VARIABLE: str(getattr(stack, "gateway_url", ""))}
    run_dir = getattr(stack, "run_dir", None)
    if run_dir is not None:
        found[RUN_DIR_VARIABLE] = str(Path(run_dir).absolute())
    token = getattr(stack, "admin_token", None)
    if token:
        found[ADMIN_TOKEN_VARIABLE] = str(token)
    return {**found, **(getattr(stack, "variables", None) or {})}


def interpolate(text: str, variables: Mapping[str, str], where: str) -> str:
    """`text` with its placeholders replaced; ValueError naming `where` for an unknown variable."""

    def replace(match: re.Match[str]) -> str:
        escaped, name, default = match.groups()
        if escaped:
            return "${"
        value = variables.get(name)
        if value:
            return value
        if default is not None:
            return default
        if value is not None:
            return value
        known = ", ".join(sorted(k for k in variables if k.startswith("CHAOSDRILL_"))) or "none"
        raise ValueError(f"{where}: ${{{name}}} is not set (chaosdrill sets: {known})")

    return _PLACEHOLDER.sub(replace, text)
