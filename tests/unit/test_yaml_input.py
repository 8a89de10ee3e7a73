"""Strict YAML reading: the limits refuse abuse (see tests/bad_inputs) but never what real files do."""

from pathlib import Path

import pytest

from harness.scenario.yaml_input import (
    MAX_ALIASES,
    MAX_DEPTH,
    MAX_FILE_BYTES,
    YamlInputError,
    parse_yaml,
    read_yaml,
)


def test_a_merge_key_overriding_its_base_is_not_a_duplicate() -> None:
    text = "base: &base {image: a, restart: always}\nservice: {<<: *base, image: b}\n"
    assert parse_yaml(text)["service"] == {"image": "b", "restart": "always"}


def test_the_same_key_in_different_mappings_is_fine() -> None:
    assert parse_yaml("a: {x: 1}\nb: {x: 2}\nc: [{x: 3}, {x: 4}]\n")["c"] == [{"x": 3}, {"x": 4}]


def test_up_to_the_alias_limit_is_accepted() -> None:
    text = "t: &t gpu-0\nuses: [" + ", ".join(["*t"] * MAX_ALIASES) + "]\n"
    assert parse_yaml(text)["uses"] == ["gpu-0"] * MAX_ALIASES
    with pytest.raises(YamlInputError, match="more than 20 aliases"):
        parse_yaml(text.replace("]", ", *t]"))


def test_up_to_the_depth_limit_is_accepted() -> None:
    assert parse_yaml("a: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    with pytest.raises(YamlInputError, match="nested deeper than 32 levels"):
        parse_yaml("a: " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))


def test_a_file_of_exactly_the_size_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("a: 1\n" + "#" * (MAX_FILE_BYTES - 6) + "\n")
    assert path.stat().st_size == MAX_FILE_BYTES
    assert read_yaml(path, "scenario file") == {"a": 1}
    path.write_text("a: 1\n" + "#" * (MAX_FILE_BYTES - 5) + "\n")
    with pytest.raises(YamlInputError, match="scenario file is larger than 1 MiB"):
        read_yaml(path, "scenario file")
