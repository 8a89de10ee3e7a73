"""The bounded sample of failed answers: counts per class, a few different bodies each, their message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.load.error_samples import (
    MAX_BODY_BYTES,
    MAX_SAMPLES,
    ErrorSampler,
    message_of,
    read_error_samples,
)

MLSERVER_422 = (
    b'{"detail":[{"type":"missing","loc":["body","inputs"],"msg":"Field required",'
    b'"input":{"instances":[[40,5]]}}]}'
)
"""MLServer 1.7's answer to the reference stack's body (FastAPI request validation)."""
PYTHON_TRACEBACK = (
    b'Traceback (most recent call last):\n  File "x.py", line 1, in <module>\n    predict(X)\n'
    b"ValueError: Input X contains NaN.\nLogisticRegression does not accept missing values encoded as NaN.\n"
)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (MLSERVER_422, "body.inputs: Field required"),
        (b'{"error": "There was an error decoding the payload"}', "There was an error decoding the payload"),
        (b'{"error_code": "BAD_REQUEST", "message": "Verify the input"}', "Verify the input"),
        (
            b'{"message": "Verify the input", "stack_trace": '
            b'"Traceback (most recent call last):\\n  File \\"m.py\\"\\nValueError: Expected 2D array\\n"}',
            "ValueError: Expected 2D array (Verify the input)",
        ),
        (b'{"detail": "Not Found"}', "Not Found"),
        (b'{"error": {"message": "quota", "code": 429}}', "quota"),
        (PYTHON_TRACEBACK, "ValueError: Input X contains NaN."),
        (b"\n  upstream   connect error\nreset\n", "upstream connect error"),
        (b"", ""),
        (b'{"predictions": []}', '{"predictions": []}'),
    ],
)
def test_message_of_common_error_answers(body: bytes, message: str) -> None:
    assert message_of(body) == message


def test_counts_every_failure_but_keeps_a_few_different_answers(tmp_path: Path) -> None:
    path = tmp_path / "error_samples.jsonl"
    sampler = ErrorSampler(path)
    for i in range(160):
        sampler.add(422, "http_4xx", MLSERVER_422, 100.0 + i)
    for i in range(20):
        sampler.add(400, "http_4xx", b'{"error": "bad %d"}' % i + b" " * 1000, 200.0 + i)
    sampler.add(0, "connect", b"ConnectionRefusedError: [Errno 111] Connection refused", 300.0)
    sampler.flush()
    first, second, third = read_error_samples(path)
    assert (first.label, first.count, len(first.answers)) == ("422", 160, 1)
    assert (first.answers[0].count, first.answers[0].first_t, first.answers[0].message) == (
        160, 100.0, "body.inputs: Field required",
    )  # fmt: skip
    assert (second.label, second.count, len(second.answers)) == ("400", 20, MAX_SAMPLES)
    assert [a.message for a in second.answers] == [f"bad {i}" for i in range(MAX_SAMPLES)]  # whole body read
    assert all(len(a.body.encode()) == MAX_BODY_BYTES and a.size > MAX_BODY_BYTES for a in second.answers)
    assert (third.label, third.error, third.count) == ("connect", "connect", 1)


def test_the_file_is_rewritten_whole_and_survives_a_damaged_line(tmp_path: Path) -> None:
    path = tmp_path / "error_samples.jsonl"
    sampler = ErrorSampler(path)
    sampler.flush()
    assert not path.exists()  # nothing failed: no file
    sampler.add(503, "http_5xx", b"\xff\xfeoverloaded", 1.0)
    sampler.flush()
    sampler.add(503, "http_5xx", b"\xff\xfeoverloaded", 2.0)
    sampler.add(404, "http_4xx", b"", 3.0)
    sampler.close()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 and json.loads(lines[0])["count"] == 2
    assert not list(tmp_path.glob("*.tmp"))
    path.write_text(lines[0] + "\n{cut sho\n" + lines[1] + "\n", encoding="utf-8")
    kept = read_error_samples(path)
    assert [(k.label, k.count) for k in kept] == [("503", 2), ("404", 1)]
    assert kept[0].answers[0].body == "\ufffd\ufffdoverloaded"
    assert read_error_samples(tmp_path / "absent.jsonl") == []
