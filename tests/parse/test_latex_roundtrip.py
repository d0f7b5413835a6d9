"""Random trees over the whole grammar, printed to LaTeX two ways and read back: the same tree.

The generator, both printers and the comparison are in latex_roundtrip.py
(also a script that measures the mismatch rate).
"""

import pytest

from tests.parse.latex_roundtrip import run


def _failures(tallies: dict) -> str:
    return "\n".join(f"{name}: {example}" for name, tally in tallies.items() for example in tally.examples)


def test_a_fixed_sample_of_random_trees_reads_back_the_same():
    tallies = run(cases=250, seed=2027, depth=3)
    assert tallies["plain"].cases == 250
    assert tallies["renderer"].cases >= 240  # the renderer typesets (nearly) every tree
    assert all(t.mismatches == 0 for t in tallies.values()), _failures(tallies)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_thousands_of_random_trees_read_back_the_same(seed):
    tallies = run(cases=1500, seed=seed, depth=4)
    assert all(t.mismatches == 0 for t in tallies.values()), _failures(tallies)


def test_the_sample_covers_limits_integrals_expectations_and_matrix_expressions():
    import ast
    import random

    from tests.parse.latex_roundtrip import Generator

    generator = Generator(random.Random(2027))
    texts = [ast.unparse(generator.tree(3)) for _ in range(250)]
    for constructs in (("Limit(",), ("Integral(",), ("Expectation(", "Var("), (" @ ", "dot(", "norm(")):
        assert sum(any(c in text for c in constructs) for text in texts) >= 3, constructs
