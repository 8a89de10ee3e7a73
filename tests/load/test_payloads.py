import json

import pytest

from harness.load.payloads import FeatureSchemaError, PayloadGenerator
from tests.load.load_helpers import FEATURES


def _instances(generator: PayloadGenerator, count: int) -> list[list[dict]]:
    return [json.loads(generator.next_body())["instances"] for _ in range(count)]


def test_same_seed_same_bodies_and_other_seed_other_bodies() -> None:
    first = [PayloadGenerator(FEATURES, seed=3, rows_per_request=2).next_body() for _ in range(2)]
    assert first[0] == first[1]
    a = PayloadGenerator(FEATURES, seed=3, rows_per_request=2)
    b = PayloadGenerator(FEATURES, seed=3, rows_per_request=2)
    c = PayloadGenerator(FEATURES, seed=4, rows_per_request=2)
    bodies_a = [a.next_body() for _ in range(150)]
    assert bodies_a == [b.next_body() for _ in range(150)]
    assert bodies_a != [c.next_body() for _ in range(150)]
    assert len(set(bodies_a)) == 150


def test_bodies_respect_the_schema() -> None:
    requests = _instances(PayloadGenerator(FEATURES, seed=1, rows_per_request=3), 400)
    rows = [row for instances in requests for row in instances]
    assert {len(instances) for instances in requests} == {3}
    assert all(set(row) == {"age", "income", "segment"} for row in rows)
    ages = [row["age"] for row in rows]
    assert min(ages) >= 18.0 and max(ages) <= 90.0
    assert min(ages) == 18.0  # mean 40, std 12: some draws fall below 18 and must be clipped, not dropped
    incomes = [row["income"] for row in rows]
    assert abs(sum(incomes) / len(incomes) - 5.0) < 0.2
    segments = [row["segment"] for row in rows]
    assert set(segments) == {"a", "b", "c"}
    assert abs(segments.count("a") / len(segments) - 0.5) < 0.05


@pytest.mark.parametrize(
    ("feature", "message"),
    [
        ({"name": "x", "type": "weird"}, "unknown type"),
        ({"name": "x", "type": "numeric", "mean": 0}, "'std'"),
        ({"name": "x", "type": "numeric", "mean": 0, "std": 1, "min": 2, "max": 1}, "min > max"),
        ({"name": "x", "type": "categorical", "categories": ["a", "b"], "probs": [0.5]}, "one non-negative"),
        ({"name": "x", "type": "categorical", "categories": ["a", "b"], "probs": [0.5, 0.6]}, "sum to 1"),
        ({"type": "numeric", "mean": 0, "std": 1}, "no 'name'"),
    ],
)
def test_bad_feature_entries_are_rejected(feature: dict, message: str) -> None:
    with pytest.raises(FeatureSchemaError, match=message):
        PayloadGenerator([feature], seed=0, rows_per_request=1)
