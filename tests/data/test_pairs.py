import numpy as np
import pytest

from pixelfes_edu.data.pairs import Pairs


def make(n=4):
    x = np.random.default_rng(0).random((n, 8, 8, 3))
    return Pairs(x, x * 0.5, [f"p{i}" for i in range(n)], "happy", "test data", "test",
                 {"params": {"width": np.arange(n) * 1.0}, "seed": 3, "pupils": np.zeros((n, 2, 2))})


def test_split_by_person_keeps_pairs_and_cuts_meta():
    p = make()
    train, test = p.split(["p1", "p3"])
    assert test.ids.tolist() == ["p1", "p3"] and train.ids.tolist() == ["p0", "p2"]
    np.testing.assert_array_equal(test.inputs, p.inputs[[1, 3]])
    np.testing.assert_array_equal(test.targets, p.targets[[1, 3]])
    assert test.meta["params"]["width"].tolist() == [1.0, 3.0] and test.meta["pupils"].shape == (2, 2, 2)
    assert test.meta["seed"] == 3 and test.source == "test data" and len(train) == 2


def test_mismatched_pairs_are_refused():
    x = np.zeros((3, 4, 4))
    with pytest.raises(ValueError, match="same shape"):
        Pairs(x, x[:2], ["a", "b", "c"], "happy", "s", "n")
    with pytest.raises(ValueError, match="2 ids for 3 pairs"):
        Pairs(x, x, ["a", "b"], "happy", "s", "n")
