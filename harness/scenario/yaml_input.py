"""YAML the harness is handed (scenario files, compose files, `--set` values), read strictly and boundedly.

PyYAML's safe loader still accepts three things that hurt a harness: a duplicated key silently keeps the
last value (a whole `faults:` list vanishes), aliases expand without limit (a "billion laughs" file of a
few hundred bytes needs gigabytes once validated), and a file of any size is parsed (6 MB take 15 s).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

MAX_FILE_BYTES = 1 << 20
"""Scenario and compose files are hand-written: a megabyte is far beyond any real one."""
MAX_ALIASES = 20
"""Enough to share a target or params between faults; a bomb needs many (its blow-up is ~e^(n/e))."""
MAX_DEPTH = 32
"""Nesting levels: a scenario needs fewer than ten; deeper is a mistake or an attack on the parser."""

_MERGE_TAG = "tag:yaml.org,2002:merge"


class YamlInputError(ValueError):
    """One line saying what is wrong (with field or line where known), without the file name."""


def read_yaml(path: Path, what: str) -> Any:
    """Parse the file at `path`, refusing it before parsing when it is larger than `MAX_FILE_BYTES`."""
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise YamlInputError(f"cannot read {what}: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise YamlInputError(f"{what} is larger than {MAX_FILE_BYTES >> 20} MiB, the limit for YAML input")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise YamlInputError(f"{what} is not a UTF-8 text file") from None
    return parse_yaml(text)


def parse_yaml(text: str) -> Any:
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as exc:
        raise YamlInputError(f"malformed YAML: {_reason(exc)}") from None
    except RecursionError:
        raise YamlInputError(f"malformed YAML: nested deeper than {MAX_DEPTH} levels") from None


class _StrictLoader(yaml.SafeLoader):
    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._aliases = 0

    def compose_node(self, parent: Node | None, index: object) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise yaml.composer.ComposerError(
                    None,
                    None,
                    f"more than {MAX_ALIASES} aliases (*name); write the values out",
                    self.peek_event().start_mark,
                )
        return super().compose_node(parent, index)

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        """PyYAML lets a few constructors' own errors escape (`2001-02-30`, `!!int abc`): give them a line."""
        try:
            return super().construct_object(node, deep)
        except (ValueError, KeyError, TypeError, OverflowError) as exc:
            kind = node.tag.rpartition(":")[2]
            raise yaml.constructor.ConstructorError(
                None, None, f"not a valid {kind}: {exc}", node.start_mark
            ) from None

    def construct_document(self, node: Node) -> Any:
        self._check_keys(node)
        return super().construct_document(node)

    def _check_keys(self, root: Node) -> None:
        """Duplicate keys at any depth (named by their path) and nesting beyond `MAX_DEPTH`."""
        pending: list[tuple[Node, str, int]] = [(root, "", 0)]
        seen_nodes: set[int] = set()
        while pending:
            node, path, depth = pending.pop()
            if id(node) in seen_nodes:  # an alias: checked where its anchor is
                continue
            seen_nodes.add(id(node))
            if depth > MAX_DEPTH:
                where = path if len(path) <= 60 else path[:59] + "…"
                line = node.start_mark.line + 1
                raise YamlInputError(f"{where}: nested deeper than {MAX_DEPTH} levels (line {line})")
            if isinstance(node, SequenceNode):
                pending += [(item, f"{path}[{i}]", depth + 1) for i, item in enumerate(node.value)]
            elif isinstance(node, MappingNode):
                first_line: dict[Any, int] = {}
                for key_node, value_node in node.value:
                    if key_node.tag == _MERGE_TAG:
                        pending.append((value_node, path, depth + 1))
                        continue
                    key = self.construct_object(key_node) if isinstance(key_node, ScalarNode) else key_node
                    field = f"{path}.{key}" if path else str(key)
                    line = key_node.start_mark.line + 1
                    if key in first_line:
                        first = first_line[key]
                        lines = f"line {line}" if line == first else f"lines {first} and {line}"
                        raise YamlInputError(f"{field}: duplicate key ({lines})")
                    first_line[key] = line
                    pending.append((value_node, field, depth + 1))


def _reason(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}" if mark else problem
