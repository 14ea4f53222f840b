"""The explorers' test data: 24 small synthetic pairs, the last 4 people held out."""
import pytest

import pixelfes_edu as pfe


@pytest.fixture(scope="module")
def data():
    p = pfe.load_pairs("synthetic", n=24, size=32, seed=1)
    return p.split(p.ids[-4:])
