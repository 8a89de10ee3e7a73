"""Which images a Dockerfile builds from, read the way the builder reads them, so that none is ever pulled.

The builder pulls an image a build starts from whenever the local engine lacks it, whatever `pull=False`
says (that flag only stops a *re*-pull of one it has). So the harness must know every image a build will
need before it starts one: each stage's `FROM` and each `COPY --from=` naming an image rather than an
earlier stage, with the `ARG`s declared before the first `FROM` (their defaults, overridden by the
build's args) substituted as the builder does. `scratch` is no image.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping

_DIRECTIVE = re.compile(r"#\s*escape\s*=\s*(\S)", re.IGNORECASE)
_VARIABLE = re.compile(r"\$(?:\{(\w+)(?::([-+])([^}]*))?\}|(\w+))")
_COPY_FROM = re.compile(r"--from=(\S+)")


def base_images(text: str, build_args: Mapping[str, str | None]) -> list[str]:
    """The images `text` (a Dockerfile) builds from, in order, each once."""
    global_args: dict[str, str] = {}
    stages: set[str] = set()
    images: list[str] = []
    seen_from = False
    for instruction, rest in _instructions(text):
        if instruction == "ARG" and not seen_from:
            for declared in _words(rest):
                name, has_default, default = declared.partition("=")
                given = build_args.get(name)
                global_args[name] = given if given is not None else (default if has_default else "")
        elif instruction == "FROM":
            seen_from = True
            words = [w for w in rest.split() if not w.startswith("--")]
            images.append(_image(_substitute(words[0], global_args) if words else "", stages))
            if len(words) >= 3 and words[1].upper() == "AS":
                stages.add(words[2].lower())
        elif instruction == "COPY" and (source := _COPY_FROM.search(rest)):
            images.append(_image(_substitute(source.group(1), global_args), stages))
    return list(dict.fromkeys(image for image in images if image))


def _image(reference: str, stages: set[str]) -> str:
    """`reference` if it names an image; empty for an earlier stage (by name or number) or `scratch`."""
    if reference.lower() in stages or reference.isdigit() or reference == "scratch":
        return ""
    return reference


def _words(rest: str) -> list[str]:
    """An instruction's arguments, unquoted; split on blanks where the quotes do not pair up."""
    try:
        return shlex.split(rest)
    except ValueError:
        return rest.split()


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, the rest) per instruction: continuation lines joined, comments dropped."""
    lines = text.splitlines()
    first = _DIRECTIVE.fullmatch(lines[0].strip()) if lines else None
    escape = first.group(1) if first else "\\"
    joined: list[str] = []
    current = ""
    for line in lines:
        if line.strip().startswith("#"):
            continue
        stripped = line.rstrip()
        if stripped.endswith(escape):
            current += stripped[: -len(escape)] + " "
            continue
        current += stripped
        if current.strip():
            joined.append(current.strip())
        current = ""
    if current.strip():
        joined.append(current.strip())
    return [(word.upper(), rest) for word, _, rest in (line.partition(" ") for line in joined)]


def _substitute(word: str, args: Mapping[str, str]) -> str:
    """`$NAME`, `${NAME}`, `${NAME:-default}` and `${NAME:+alternative}`; an unset name is empty."""

    def replace(match: re.Match[str]) -> str:
        braced, operator, operand, bare = match.groups()
        value = args.get(braced or bare, "")
        if operator == "-":
            return value or operand
        if operator == "+":
            return operand if value else ""
        return value

    return _VARIABLE.sub(replace, word)
