"""Drills stay on loopback unless `safety.allow_remote`: every entry point refuses a remote address with
one line naming the field, and with the opt-in names it in a warning on stderr instead."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from harness.backends.compose_backend import load_target
from harness.errors import InputError
from harness.scenario import load_scenario
from harness.scenario.compose import compose_exposures
from harness.scenario.safety import check_compose_exposure

REPO = Path(__file__).resolve().parents[2]
OPT_IN = "safety.allow_remote=true"


def _scenario(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def _with_proxy(tmp_path: Path, url: str) -> Path:
    return _scenario(
        tmp_path, f"name: remote\ntoxiproxy: {{url: '{url}'}}\nload: {{users: 1, duration: 5s}}\n"
    )


def _with_compose(tmp_path: Path, gateway: str) -> Path:
    """`gateway`: the entrypoint service's keys besides its image."""
    services = f"services:\n  gateway: {{image: my/gw, {gateway}}}\n  model: {{image: my/model}}\n"
    (tmp_path / "stack.yaml").write_text(services)
    return _scenario(tmp_path, """
        name: remote
        stack:
          backend: docker
          compose: {file: stack.yaml, entrypoint: {service: gateway, port: 80}}
        load: {users: 1, duration: 5s}
    """)  # fmt: skip


# --- toxiproxy.url ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["http://127.0.0.1:8474", "http://localhost:8474", "http://[::1]:8474/"])
def test_a_loopback_toxiproxy_url_is_accepted_quietly(
    tmp_path: Path, url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert load_scenario(_with_proxy(tmp_path, url)).toxiproxy.url == url
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://169.254.169.254:80", "a link-local address"),
        ("http://10.0.0.5:8474", "a private address"),
        ("http://[fe80::1]:8474", "a link-local address"),
        ("http://8.8.8.8:8474", "a public address"),
        ("http://0.0.0.0:8474", "the any-address (every interface)"),
        ("http://no-such-host.invalid:8474", "an address that does not resolve"),
    ],
)
def test_a_remote_toxiproxy_url_is_refused_naming_the_field(tmp_path: Path, url: str, kind: str) -> None:
    with pytest.raises(InputError) as refused:
        load_scenario(_with_proxy(tmp_path, url))
    message = str(refused.value)
    host = url.split("//")[1].rsplit(":", 1)[0].strip("[]")
    assert f"toxiproxy.url: host {host} is {kind}; drills stay on loopback" in message
    assert message.endswith("drills stay on loopback unless safety.allow_remote: true (or --allow-remote)")


def test_a_remote_toxiproxy_url_is_allowed_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = load_scenario(_with_proxy(tmp_path, "http://10.0.0.5:8474"), [OPT_IN])
    assert scenario.safety.allow_remote
    assert capsys.readouterr().err == (
        "chaosdrill: warning: toxiproxy.url: host 10.0.0.5 is a private address "
        "(allowed by safety.allow_remote)\n"
    )


def test_the_cli_refuses_in_one_line_and_run_allow_remote_warns(tmp_path: Path) -> None:
    """`validate` exits 2 with one line; `run --allow-remote` warns, then goes on (and here finds no API)."""
    path = _with_proxy(tmp_path, "http://0.0.0.0:9")
    refused = _cli("validate", str(path))
    assert refused.returncode == 2
    assert (
        refused.stderr.count("\n") == 1 and "toxiproxy.url: host 0.0.0.0 is the any-address" in refused.stderr
    )
    allowed = _cli("run", str(path), "--allow-remote", "--out", str(tmp_path / "run"))
    lines = allowed.stderr.splitlines()
    assert lines[0] == (
        "chaosdrill: warning: toxiproxy.url: host 0.0.0.0 is the any-address (every interface) "
        "(allowed by safety.allow_remote)"
    )
    assert "no Toxiproxy API answers at http://0.0.0.0:9" in allowed.stderr and allowed.returncode == 2


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "harness.cli", *args]
    return subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=120)


# --- compose files: published ports and host networking (no engine needed) --------------------------------


@pytest.mark.parametrize(
    "gateway",
    [
        "labels: {role: gateway}",
        "ports: ['127.0.0.1:8080:80']",
        "ports: ['127.0.0.1::80/tcp', '[::1]:8081:80']",
        "ports: [{target: 80, published: 8080, host_ip: 127.0.0.1}]",
        "network_mode: bridge, expose: ['80']",
    ],
)
def test_a_compose_file_publishing_on_loopback_only_is_accepted(tmp_path: Path, gateway: str) -> None:
    load_scenario(_with_compose(tmp_path, gateway))


@pytest.mark.parametrize(
    ("gateway", "refusal"),
    [
        ("ports: ['8080:80']", "ports[0] \"8080:80\" publishes on every interface"),
        ("ports: ['80']", "ports[0] \"80\" publishes on every interface"),
        ("ports: [8080]", "ports[0] \"8080\" publishes on every interface"),
        ("ports: ['0.0.0.0:8080:80/tcp']", "publishes on the any-address (every interface)"),
        ("ports: ['127.0.0.1::1', '10.1.2.3:8080:80']", "ports[1] \"10.1.2.3:8080:80\" publishes on a priv"),
        ("ports: ['[::]:8080:80']", "publishes on the any-address (every interface)"),
        ("ports: [{target: 80, published: 8080}]", "\"target: 80, published: 8080\" publishes on every"),
        ("ports: [{target: 80, host_ip: 192.168.1.4}]", "publishes on a private address"),
        ("ports: ['${BIND:-127.0.0.1}:8080:80']", "an address set by a variable (${BIND:-127.0.0.1})"),
        ("network_mode: host", "network_mode \"host\" listens on every interface"),
    ],
)  # fmt: skip
def test_a_compose_file_opening_ports_beyond_loopback_is_refused(
    tmp_path: Path, gateway: str, refusal: str
) -> None:
    with pytest.raises(InputError) as refused:
        load_scenario(_with_compose(tmp_path, gateway))
    message = str(refused.value)
    assert "s.yaml: stack.compose.file (stack.yaml): services.gateway." in message and "\n" not in message
    assert refusal in message
    assert message.endswith("drills stay on loopback unless safety.allow_remote: true (or --allow-remote)")


def test_a_compose_file_opening_ports_is_allowed_with_one_warning_each(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _with_compose(tmp_path, "network_mode: host, ports: ['8080:80', '127.0.0.1:1:1']")
    load_scenario(path, [OPT_IN])
    assert capsys.readouterr().err.splitlines() == [
        'chaosdrill: warning: stack.compose.file (stack.yaml): services.gateway.network_mode "host" '
        "listens on every interface (allowed by safety.allow_remote)",
        'chaosdrill: warning: stack.compose.file (stack.yaml): services.gateway.ports[0] "8080:80" '
        "publishes on every interface (allowed by safety.allow_remote)",
    ]


def test_the_backend_checks_the_file_as_compose_resolved_it() -> None:
    """`compose config` writes ports in long syntax, with what variables and `extends` made of them."""
    resolved = {
        "gateway": {"ports": [{"mode": "ingress", "target": 80, "published": "8080", "protocol": "tcp"}]},
        "model": {"ports": [{"target": 80, "host_ip": "127.0.0.1", "published": "8081"}]},
    }
    assert [e.host for e in compose_exposures(resolved)] == [None, "127.0.0.1"]
    with pytest.raises(ValueError, match=r"services.gateway.ports\[0\] .* publishes on every interface"):
        check_compose_exposure(resolved, Path("stack.yaml"), allow_remote=False)
    assert len(check_compose_exposure(resolved, Path("stack.yaml"), allow_remote=True)) == 1


# --- the load target: where the engine published the compose entrypoint ------------------------------------


@pytest.mark.parametrize(
    ("bindings", "url"),
    [
        ([{"HostIp": "127.0.0.1", "HostPort": "32768"}], "http://127.0.0.1:32768"),
        ([{"HostIp": "10.1.2.3", "HostPort": "1"}, {"HostIp": "127.0.0.1", "HostPort": "2"}], "http://127.0.0.1:2"),
        ([{"HostIp": "::1", "HostPort": "3"}], "http://[::1]:3"),
        ([{"HostIp": "0.0.0.0", "HostPort": "4"}], "http://127.0.0.1:4"),
    ],
)  # fmt: skip
def test_the_load_goes_to_a_loopback_binding(bindings: list[dict[str, str]], url: str) -> None:
    assert load_target(bindings, allow_remote=False) == url


def test_a_load_target_without_a_loopback_binding_is_refused_or_warned_about(
    capsys: pytest.CaptureFixture[str],
) -> None:
    bindings = [{"HostIp": "10.1.2.3", "HostPort": "8080"}]
    with pytest.raises(
        InputError, match=r"^stack.compose.entrypoint: load target 10.1.2.3 .* is a private address"
    ):
        load_target(bindings, allow_remote=False)
    assert load_target(bindings, allow_remote=True) == "http://10.1.2.3:8080"
    assert capsys.readouterr().err == (
        "chaosdrill: warning: stack.compose.entrypoint: load target 10.1.2.3 (the entrypoint's published "
        "address) is a private address (allowed by safety.allow_remote)\n"
    )
