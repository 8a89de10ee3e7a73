"""Request profiles replayed from a user's CSV (or Parquet) file, with drift on top."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from harness.errors import HarnessError
from harness.load.drift import DriftWindow
from harness.load.payloads import PayloadGenerator
from harness.load.process import LoadProcess
from harness.load.replay import load_replay
from tests.load.load_helpers import FEATURES, ScriptedGateway, make_config

CSV_TEXT = (
    "request_id,age,income,segment\n"
    "r1,30,4.5,a\n"
    "r2,55.5,,b\n"  # an empty cell: a missing value, sent as null
    "r3,71,6.25,NA\n"  # "NA" is a category like any other, not a missing value
)


def _write(tmp_path: Path, text: str, name: str = "requests.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_rows_are_replayed_round_robin_with_only_the_schema_columns(tmp_path: Path) -> None:
    rows, labels = load_replay(_write(tmp_path, CSV_TEXT), FEATURES)
    assert labels is None
    assert rows == [(30.0, 4.5, "a"), (55.5, None, "b"), (71.0, 6.25, "NA")]
    generator = PayloadGenerator(FEATURES, seed=0, rows_per_request=2, chunk_requests=2, replay=rows)
    bodies = [json.loads(generator.next_body())["instances"] for _ in range(3)]
    assert bodies == [
        [{"age": 30.0, "income": 4.5, "segment": "a"}, {"age": 55.5, "income": None, "segment": "b"}],
        [{"age": 71.0, "income": 6.25, "segment": "NA"}, {"age": 30.0, "income": 4.5, "segment": "a"}],
        [{"age": 55.5, "income": None, "segment": "b"}, {"age": 71.0, "income": 6.25, "segment": "NA"}],
    ]


def test_drift_applies_on_top_of_replayed_rows(tmp_path: Path) -> None:
    rows, _ = load_replay(_write(tmp_path, CSV_TEXT), FEATURES)
    drift = DriftWindow(name="shift", start_at=100.0, end_at=200.0, transform="mean-shift", features=["age"])
    generator = PayloadGenerator(FEATURES, seed=0, rows_per_request=3, drifts=[drift], replay=rows)
    before, during, after = (generator.next_payload(t) for t in (50.0, 150.0, 250.0))
    assert before.rows == after.rows == rows
    assert [row[0] for row in during.rows] == [30.0 + 24.0, 55.5 + 24.0, 71.0 + 24.0]  # 2 σ of 12
    assert [row[1:] for row in during.rows] == [row[1:] for row in rows]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("requests.csv", "age,income,segment\n", "has no rows"),
        ("requests.csv", "age,segment\n30,a\n", "lacks feature columns: income"),
        ("requests.csv", "age,income,segment\n30,lots,a\n", "'income' must hold finite numbers, row 1"),
        ("requests.csv", "age,income,segment\n30,inf,a\n", "must hold finite numbers"),
        ("requests.csv", "", "cannot read replay file"),
        ("requests.json", "{}", "expected a .csv or .parquet file"),
    ],
)
def test_unusable_replay_files_are_rejected_with_the_reason(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    with pytest.raises(HarnessError, match=message):
        load_replay(_write(tmp_path, text, name), FEATURES)


def test_a_label_column_is_each_rows_ground_truth_unless_drift_changed_the_row(tmp_path: Path) -> None:
    text = "age,income,segment,defaulted\n30,4.5,a,1\n55.5,,b,0\n71,6.25,NA,\n"
    rows, labels = load_replay(_write(tmp_path, text), FEATURES, label="defaulted")
    assert labels == [1.0, 0.0, None]  # an empty cell: no truth for that row
    drift = DriftWindow(name="shift", start_at=100.0, end_at=200.0, transform="mean-shift", features=["age"])
    generator = PayloadGenerator(FEATURES, seed=0, rows_per_request=2, chunk_requests=2, drifts=[drift],
                                 replay=rows, replay_labels=labels)  # fmt: skip
    assert [generator.next_payload(t).labels for t in (50.0, 150.0, 250.0)] == [
        [1.0, 0.0], [None, None], [0.0, None]]  # fmt: skip
    with pytest.raises(HarnessError, match="lacks the label column 'label'"):
        load_replay(_write(tmp_path, text), FEATURES, label="label")
    with pytest.raises(HarnessError, match="'defaulted' must hold finite numbers, row 2"):
        load_replay(_write(tmp_path, text.replace(",0\n", ",no\n")), FEATURES, label="defaulted")
    assert PayloadGenerator(FEATURES, seed=0, rows_per_request=1, replay=rows).next_payload(0).labels is None


def test_missing_replay_file_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(HarnessError, match=r"replay file .*absent\.csv does not exist"):
        load_replay(str(tmp_path / "absent.csv"), FEATURES)


def test_parquet_is_read_with_pyarrow_or_asks_for_it(tmp_path: Path) -> None:
    path = tmp_path / "requests.parquet"
    frame = pd.DataFrame({"age": [30.0, 40.0], "income": [4.5, None], "segment": ["a", "c"]})
    if importlib.util.find_spec("pyarrow") is None:
        path.write_bytes(b"PAR1")  # never parsed: the engine is missing
        with pytest.raises(HarnessError, match="needs pyarrow: pip install pyarrow"):
            load_replay(str(path), FEATURES)
    else:
        frame.to_parquet(path)
        assert load_replay(str(path), FEATURES) == ([(30.0, 4.5, "a"), (40.0, None, "c")], None)


def test_worker_replays_the_file_and_stops_at_start_up_when_it_is_missing(
    tmp_path: Path, gateway: ScriptedGateway, load_factory: Callable[..., LoadProcess]
) -> None:
    replayed = load_factory(make_config(gateway.url, duration_s=0.5, replay=_write(tmp_path, CSV_TEXT)))
    replayed.start()
    assert replayed.wait(timeout=20) == 0
    seen = {(row["age"], row["income"], row["segment"]) for row in gateway.instances}
    assert seen == {(30.0, 4.5, "a"), (55.5, None, "b"), (71.0, 6.25, "NA")}

    missing = load_factory(make_config(gateway.url, replay=str(tmp_path / "gone.csv")), "missing")
    with pytest.raises(HarnessError, match=r"exited with code 2 during start-up.*gone\.csv does not exist"):
        missing.start()
