"""CI gate: the tests of the verdict path must detect at least 90% of mutants in every module mutated.

The verdict decides whether a drill gates a deploy green, so a change that turns a FAIL into a PASS must
break a test. See docs/MUTATION_TESTING.md; `python3 tests/mutation/mutation_score.py` prints the table.
"""

import pytest

from tests.mutation.mutation_score import measure, table

MIN_SCORE = 90.0


@pytest.mark.slow
@pytest.mark.timeout(1500)
def test_verdict_path_mutation_score():
    scores, output = measure()
    report = table(scores)
    assert scores and all(s.total for s in scores), f"no mutants generated:\n{output}"
    low = {s.path: s.survivors for s in scores if s.percent < MIN_SCORE}
    assert not low, f"mutation score below {MIN_SCORE:g}%:\n{report}\nsurvivors: {low}"
