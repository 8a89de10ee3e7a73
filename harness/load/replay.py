"""Request profiles replayed from a user's file of real requests (CSV, or Parquet with pyarrow installed).

The file is read and checked once at worker start-up, so a wrong path or a broken file stops the drill
before any load is sent. Its columns are matched to the feature schema by name: every schema feature must
be there, other columns (ids, labels, timestamps) are not sent. Empty cells are sent as JSON null. A label
column (`load.profile.label`) is read as each row's ground truth, for drills that judge the answers' quality.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from harness.errors import HarnessError

_PARQUET_SUFFIXES = (".parquet", ".pq")


def _read_table(path: Path) -> pd.DataFrame:
    if path.suffix.lower() in _PARQUET_SUFFIXES:
        try:
            return pd.read_parquet(path)
        except ImportError:
            raise HarnessError(
                f"replay file {path} is Parquet, which needs pyarrow: pip install pyarrow "
                "(or replay a CSV file)"
            ) from None
    if path.suffix.lower() != ".csv":
        raise HarnessError(f"replay file {path}: expected a .csv or .parquet file")
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])


def _numeric(path: Path, name: str, column: pd.Series) -> list[Any]:
    numbers = pd.to_numeric(column, errors="coerce").astype(float)
    bad = (numbers.isna() & column.notna()) | np.isinf(numbers)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise HarnessError(
            f"replay file {path}: column {name!r} must hold finite numbers, "
            f"row {row + 1} has {column.iloc[row]!r}"
        )
    return [None if np.isnan(value) else value for value in numbers.tolist()]


def _categorical(column: pd.Series) -> list[Any]:
    return [None if pd.isna(value) else str(value) for value in column.tolist()]


def load_replay(
    path: str, features: Sequence[Mapping[str, Any]], label: str | None = None
) -> tuple[list[tuple[Any, ...]], list[float | None] | None]:
    """The file's rows as tuples in schema order, and with `label` each row's ground truth (a number;
    None for an empty cell); raises HarnessError naming the file and what is wrong."""
    source = Path(path)
    if not source.is_file():
        raise HarnessError(f"replay file {source} does not exist")
    try:
        table = _read_table(source)
    except (OSError, ValueError) as exc:  # pandas' parser and decoding errors are ValueErrors
        raise HarnessError(f"cannot read replay file {source}: {exc}") from None
    names = [feature["name"] for feature in features]
    if label is not None and label not in table.columns:
        raise HarnessError(f"replay file {source} lacks the label column {label!r}")
    absent = [name for name in names if name not in table.columns]
    if absent:
        raise HarnessError(f"replay file {source} lacks feature columns: {', '.join(absent)}")
    if table.empty:
        raise HarnessError(f"replay file {source} has no rows")
    columns = [
        _numeric(source, feature["name"], table[feature["name"]])
        if feature["type"] == "numeric"
        else _categorical(table[feature["name"]])
        for feature in features
    ]
    labels = None if label is None else _numeric(source, label, table[label])
    return list(zip(*columns, strict=True)), labels
