"""The bad-input catalogue: every broken scenario is one clear line naming file and field."""

import textwrap

import pytest

from harness.errors import InputError
from harness.plan import resolve_plan
from harness.scenario import load_scenario

VALID = """
name: t
load: {users: 2, duration: 20s}
faults:
  - {name: slow, kind: latency, at: 2s, duration: 3s, target: cpu-0, params: {latency: 100ms}}
  - {name: kill, kind: node-kill, at: 8s, duration: 4s, target: {labels: {accelerator: gpu}, count: 1}}
expectations:
  errors: ["rate < 1%"]
  latency{fault:slow}: ["p(99) < 1s"]
  recovery_time: [{fault: kill, max: 5s}]
"""


def write(tmp_path, text):
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_valid_scenario_loads(tmp_path):
    scenario = load_scenario(write(tmp_path, VALID))
    assert scenario.load.mode == "closed"
    assert [f.name for f in scenario.faults] == ["slow", "kill"]
    assert scenario.faults[0].typed_params().latency == pytest.approx(0.1)
    assert len(scenario.expectations.thresholds()) == 2


def test_shipped_scenarios_are_valid():
    from pathlib import Path

    for path in sorted(Path("scenarios").glob("*.yaml")):
        load_scenario(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: t\nload: {users: 2, duration: 20s\n", "malformed YAML: line"),
        ("- just a list\n", "expected a mapping"),
        (VALID + "\nbogus: 1\n", "bogus: unknown key"),
        (VALID.replace("duration: 20s", "duration: 20s, usrs: 3"), "load.usrs: unknown key"),
        (VALID.replace("kind: latency", "kind: latencyy"), "faults[0].kind: unknown fault kind 'latencyy'"),
        (
            VALID.replace("duration: 3s", "duration: 0s"),
            "faults[0].duration: duration must be greater than zero",
        ),
        (VALID.replace("duration: 3s", "duration: -3s"), "faults[0].duration: invalid duration '-3s'"),
        (VALID.replace("duration: 20s", "duration: 0s"), "load.duration: duration must be greater than zero"),
        (
            VALID.replace("at: 8s", "at: 19s"),
            "faults[1] (kill).duration: ends at 23s, after the load ends at 20s",
        ),
        (VALID.replace("at: 8s", "at: 25s"), "faults[1] (kill).at: starts at 25s, after the load ends"),
        (VALID.replace("target: cpu-0", "target: cpu-9"), "faults[0] (slow).target: unknown node 'cpu-9'"),
        (VALID.replace("accelerator: gpu}, count: 1", "accelerator: tpu}"), "no replica has labels"),
        (VALID.replace("count: 1", "count: 3"), "count 3 but only 2 replica(s) match"),
        (
            VALID.replace("{fault: kill,", "{fault: kil,"),
            "expectations.recovery_time[0].fault: no fault named 'kil'",
        ),
        (VALID.replace("fault:slow", "fault:slo"), "expectations.latency{fault:slo}: no such fault"),
        (VALID.replace("rate < 1%", "rat < 1%"), "unknown aggregation 'rat'"),
        (VALID.replace("errors:", "erors:"), "unknown metric 'erors'"),
        (
            VALID.replace("latency: 100ms}", "latncy: 100ms}"),
            "faults[0].params.latncy: unknown parameter for latency",
        ),
        (VALID.replace("{users: 2,", "{users: 2, rate: 5/s,"), "set exactly one of 'users'"),
        (
            VALID.replace("{latency: 100ms}", "{latency: fast}"),
            "faults[0].params.latency: invalid duration 'fast'",
        ),
        (VALID.replace("name: slow,", "name: kill,"), "faults[1].name: duplicate fault name 'kill'"),
        (VALID.replace("kind: latency, at: 2s, duration: 3s", "kind: latency, at: 2s"), "needs a 'duration'"),
        (
            VALID + "stack: {gateway: {mechanisms: {retries: {enabld: false}}}}\n",
            "stack.gateway.mechanisms.retries.enabld: unknown key",
        ),
        (VALID + "slo: {latency: 'p(99) > 1s'}\n", "slo.latency: SLO latency must read like"),
        (
            VALID.replace(
                "kind: latency, at: 2s, duration: 3s, target: cpu-0, params: {latency: 100ms}",
                "kind: cpu-squeeze, at: 2s, duration: 3s, target: cpu-0, params: {cpus: 0.2}",
            ),
            "faults[0] (slow).kind: cpu-squeeze needs the docker backend (stack.backend)",
        ),
        (
            VALID.replace("kind: node-kill", "kind: gpu-hang").replace(
                "{labels: {accelerator: gpu}, count: 1}", "cpu-0"
            ),
            "faults[1] (kill).target: gpu-hang hits GPU nodes only; cpu-0 is not one",
        ),
        (
            VALID.replace("kind: node-kill", "kind: bad-deploy"),
            "fault kind 'bad-deploy' acts on the gateway's canary, it takes no 'target'",
        ),
        (
            VALID.replace(
                "{name: slow, kind: latency, at: 2s, duration: 3s, target: cpu-0, params: {latency: 100ms}}",
                "{name: slow, kind: data-drift, at: 2s, params: {transform: mean-shift, features: [salary]}}",
            ).replace("latency{fault:slow}", "latency"),
            "faults[0] (slow).params.features: feature 'salary' is not in the feature schema",
        ),
        (
            VALID.replace(
                "{name: slow, kind: latency, at: 2s, duration: 3s, target: cpu-0, params: {latency: 100ms}}",
                "{name: slow, kind: data-drift, at: 2s, params: {transform: category-swap, features: [age]}}",
            ).replace("latency{fault:slow}", "latency"),
            "category-swap needs a categorical feature, not 'age'",
        ),
    ],
)
def test_bad_input_is_one_line_naming_file_and_field(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(InputError) as info:
        load_scenario(path)
    error = str(info.value)
    assert error.startswith(f"{path}: ")
    assert message in error
    assert "\n" not in error


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="cannot read scenario file"):
        load_scenario(tmp_path / "nope.yaml")


def test_plan_is_deterministic_per_seed(tmp_path):
    scenario = load_scenario(write(tmp_path, VALID))
    picks = {resolve_plan(scenario, seed).faults[1].targets for seed in range(20)}
    assert picks == {("gpu-0",), ("gpu-1",)}  # the seed really chooses...
    assert resolve_plan(scenario, 3).faults == resolve_plan(scenario, 3).faults  # ...and replays exactly


def test_plan_describes_timeline(tmp_path):
    text = resolve_plan(load_scenario(write(tmp_path, VALID))).describe()
    assert "inject slow: latency on cpu-0" in text
    assert "load stops" in text


def test_set_overrides_fields_before_validation(tmp_path):
    path = write(tmp_path, VALID)
    scenario = load_scenario(path, ["stack.gateway.profile=fragile", "load.users=5", "faults.0.at=3s"])
    assert scenario.stack.gateway.profile == "fragile"
    assert scenario.load.users == 5
    assert scenario.faults[0].at == 3.0


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("stack.gateway.profile", "expected KEY.PATH=VALUE"),
        ("faults.7.at=1s", "--set faults.7.at: faults has no item 7"),
        ("name.x=1", "--set name.x: name is not a mapping or list"),
        ("load.users=[", "--set load.users: malformed YAML: line 1"),
        ("stack.gateway.profile=brittle", "stack.gateway.profile: Input should be 'resilient' or 'fragile'"),
    ],
)
def test_bad_overrides(tmp_path, override, message):
    with pytest.raises(InputError, match=message.replace("[", r"\[").replace(".", r"\.")):
        load_scenario(write(tmp_path, VALID), [override])


def test_container_kinds_on_docker_and_sizes(tmp_path):
    text = VALID.replace(
        "kind: latency, at: 2s, duration: 3s, target: cpu-0, params: {latency: 100ms}",
        "kind: memory-squeeze, at: 2s, duration: 3s, target: cpu-0, params: {memory: 256m}",
    )
    scenario = load_scenario(write(tmp_path, text), ["stack.backend=docker"])
    assert scenario.faults[0].typed_params().memory == 256 << 20


def test_gpu_kinds_default_to_one_gpu_node(tmp_path):
    text = VALID.replace(
        "kind: node-kill, at: 8s, duration: 4s, target: {labels: {accelerator: gpu}, count: 1}",
        "kind: gpu-hang, at: 8s, duration: 4s",
    )
    plan = resolve_plan(load_scenario(write(tmp_path, text)))
    assert plan.faults[1].targets[0].startswith("gpu-")
