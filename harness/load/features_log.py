"""The sent-features log (features.csv): one CSV row per instance sent, with its request's intended time.

It is the ground truth for drift: what the load really sent, after injected drift, against which the
harness measures drift per time window and compares with what the stack's monitor reported. An empty
cell means the row carried no usable value for that feature (null, renamed or dropped key).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from harness.load.csvstream import CsvStream, complete_lines

TIME_COLUMN = "t_intended"


class FeatureLog(CsvStream):
    """features.csv: header `t_intended,<feature>...` in schema order, streamed like samples.csv."""

    def __init__(self, path: Path, feature_names: Sequence[str], flush_every_s: float = 0.5) -> None:
        super().__init__(path, (TIME_COLUMN, *feature_names), flush_every_s)

    def write(self, t_intended: float, rows: Sequence[tuple[Any, ...]]) -> None:
        stamp = f"{t_intended:.6f}"
        self.write_rows([(stamp, *row) for row in rows])


def read_features(path: Path) -> pd.DataFrame:
    """Load features.csv (a last line cut short by a killed writer is dropped): `t_intended` as float,
    numeric features as float with NaN for empty cells, categorical ones as text with NaN for empty cells.

    Only empty cells count as missing: a category spelled "NA" or "null" stays a category.
    """
    complete = complete_lines(path)
    if not complete:
        return pd.DataFrame({TIME_COLUMN: pd.Series(dtype="float64")})
    return pd.read_csv(
        io.BytesIO(complete), keep_default_na=False, na_values=[""], dtype={TIME_COLUMN: "float64"}
    )
