"""Which images a Dockerfile builds from: what the harness requires locally before a build, so the builder
never pulls one (it would, for any missing image a stage starts from)."""

import pytest

from harness.backends.dockerfile import base_images

MULTI_STAGE = """\
# escape=`
ARG BASE=chaosdrill/base:bookworm
ARG TOOLS
FROM ${BASE} AS build
RUN echo one `
    two
# FROM commented:out
from --platform=$BUILDPLATFORM ${TOOLS:-debian:bookworm-slim} as tools
COPY --from=build /a /a
COPY --from=1 /b /b
COPY --from=nginx:1.27 /etc/nginx /etc/nginx
FROM build
FROM scratch
"""


@pytest.mark.parametrize(
    ("text", "args", "images"),
    [
        ("FROM chaosdrill/base:bookworm\nRUN true\n", {}, ["chaosdrill/base:bookworm"]),
        (MULTI_STAGE, {}, ["chaosdrill/base:bookworm", "debian:bookworm-slim", "nginx:1.27"]),
        (
            MULTI_STAGE,
            {"BASE": "my/base:1", "TOOLS": "my/tools:2"},
            ["my/base:1", "my/tools:2", "nginx:1.27"],
        ),
        # a build argument counts only where an ARG before the first FROM declares it
        ("ARG V=1\nFROM x:$V\nARG LATER=y\nFROM ${LATER:-z}\n", {"V": "2", "LATER": "q"}, ["x:2", "z"]),
        ("ARG B\nFROM ${B:+ubuntu}\n", {"B": "set"}, ["ubuntu"]),
        (
            "ARG B\nFROM ${B:+ubuntu}\n",
            {},
            [],
        ),  # no image at all: the build fails on its own, pulling nothing
        ("FROM a AS a\nFROM a\n", {}, ["a"]),
        ("FROM scratch\nCOPY x /x\n", {}, []),
        ("FROM \\\n  python:3.11 \\\n  AS py\n", {}, ["python:3.11"]),
    ],
)
def test_base_images(text: str, args: dict[str, str], images: list[str]) -> None:
    assert base_images(text, args) == images
