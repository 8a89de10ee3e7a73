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
