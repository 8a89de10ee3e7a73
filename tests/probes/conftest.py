from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.probes.haproxy import Haproxy, running_haproxy


@pytest.fixture
def haproxy(tmp_path: Path) -> Iterator[Haproxy]:
    with running_haproxy(tmp_path) as running:
        yield running
