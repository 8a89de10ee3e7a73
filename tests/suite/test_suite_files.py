"""Which drills a suite runs: folders, suite files with ids, overrides and tags; mistakes in one line."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from harness.errors import InputError
from harness.suite.model import collect_suite
from harness.suite.runner import SuiteOptions, checked_entries
from tests.e2e.drills import chaosdrill, scenario, write_scenario


def drills_in(folder: Path, *names: str) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [write_scenario(folder, scenario(name, [], {"errors": ["rate < 1%"]})) for name in names]


def suite_file(folder: Path, data: dict) -> Path:
    path = folder / "suite.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_a_folder_is_its_yaml_files_in_name_order_without_subfolders(tmp_path):
    drills_in(tmp_path / "drills", "b-drill", "a-drill")
    drills_in(tmp_path / "drills" / "nested", "c-drill")
    suite = collect_suite([tmp_path / "drills"], [])
    assert suite.name == "drills"
    assert [e.id for e in checked_entries(suite, SuiteOptions())] == ["a-drill", "b-drill"]


def test_a_suite_file_gives_ids_overrides_and_tags_and_the_cli_adds_its_own(tmp_path):
    [kill] = drills_in(tmp_path / "drills", "kill")
    path = suite_file(tmp_path, {"name": "nightly", "drills": [
        {"scenario": f"drills/{kill.name}", "tags": ["gpu"]},
        {"scenario": f"drills/{kill.name}", "id": "kill-fragile", "set": ["stack.gateway.profile=fragile"],
         "tags": ["nightly"]},
    ]})  # fmt: skip
    suite = collect_suite([path], ["nightly"])
    [entry] = checked_entries(suite, SuiteOptions(overrides=["load.users=2"], backend="local"))
    assert (suite.name, entry.id, entry.tags) == ("nightly", "kill-fragile", ["nightly"])
    assert entry.overrides == ["stack.gateway.profile=fragile", "load.users=2", "stack.backend=local"]


@pytest.mark.parametrize(
    ("drills", "expected"),
    [
        ([{"scenario": "drills/absent.yaml"}], "suite.yaml: drills[0].scenario: no such file"),
        ([{"scenario": "drills/kill.yaml", "tag": ["x"]}], "suite.yaml: drills.0.tag: unknown key"),
        ([{"scenario": "drills/kill.yaml", "id": "Kill Me"}], "suite.yaml: drills.0.id: String should match"),
        ([], "suite.yaml: drills: List should have at least 1 item"),
        ([{"scenario": "drills/kill.yaml"}, {"scenario": "drills/kill.yaml"}],
         "drill id 'kill' is also"),
        ([{"scenario": "drills/kill.yaml", "set": ["load.users=-1"]}],
         "kill.yaml: load.users: Input should be"),
    ],
)  # fmt: skip
def test_a_mistake_in_the_suite_is_one_line_before_any_drill_runs(tmp_path, drills, expected):
    drills_in(tmp_path / "drills", "kill")
    path = suite_file(tmp_path, {"drills": drills})
    with pytest.raises(InputError) as raised:
        checked_entries(collect_suite([path], []), SuiteOptions())
    assert expected in str(raised.value) and "\n" not in str(raised.value)
    result = chaosdrill("suite", str(path), "--out", str(tmp_path / "out"))
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and expected in result.stderr
    assert not (tmp_path / "out").exists()
