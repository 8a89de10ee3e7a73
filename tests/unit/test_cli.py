"""The CLI's contract: exit codes and one-line errors, no tracebacks."""

import pytest

from harness.cli import main


def test_validate_ok(capsys):
    assert main(["validate", "scenarios/quickstart.yaml"]) == 0
    assert "scenarios/quickstart.yaml: OK" in capsys.readouterr().out


def test_validate_bad_file_is_one_line_exit_2(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\nload: {users: 1, duration: 5s}\nfaults: [{name: a, kind: nope}]\n")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"chaosdrill: error: {path}: faults[0].kind: unknown fault kind 'nope'")


def test_plan_prints_resolved_timeline(capsys):
    assert main(["plan", "scenarios/quickstart.yaml", "--seed", "7"]) == 0
    out = capsys.readouterr().out
    assert "inject kill-gpu: node-kill on gpu-" in out and "seed 7" in out


@pytest.mark.parametrize(
    "argv",
    [["run"], ["run", "x.yaml", "--seed", "abc"], ["run", "x.yaml", "--backend", "k8s"], ["explode"], []],
)
def test_bad_flags_exit_2_with_one_line(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "error:" in err


def test_missing_scenario_file(capsys):
    assert main(["run", "does-not-exist.yaml"]) == 2
    assert "does-not-exist.yaml: cannot read scenario file" in capsys.readouterr().err
