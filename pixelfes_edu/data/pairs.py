"""The one object every paired data source returns."""
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Pairs:
    """Aligned (input, target) face pairs: input ``i`` pairs with target ``i``.

    Attributes
    ----------
    inputs, targets : ndarray, float64 ``(N, size, size, 3)`` in [0, 1]
        Neutral faces and the same faces showing ``expression``.
    ids : ndarray of str, ``(N,)``
        Person ids; split by these so nobody is in train and test at once.
    expression : str
        Target expression, e.g. ``"happy"``.
    source : str
        Human-readable name and licence of the data, e.g.
        ``"Face Research Lab London Set (CC BY 4.0)"``; show it next to results.
    name : str
        Loader name (``"london"``, ``"synthetic"``, ``"kdef"`` ...).
    meta : dict
        Anything else a loader knows (citation, alignment measures ...).

    Examples
    --------
    >>> x = np.zeros((2, 8, 8, 3)); p = Pairs(x, x + 0.5, np.array(["a", "b"]), "happy", "demo", "demo")
    >>> len(p), p.split(["b"])[1].ids.tolist()
    (2, ['b'])
    """

    inputs: np.ndarray
    targets: np.ndarray
    ids: np.ndarray
    expression: str
    source: str
    name: str
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        self.ids = np.asarray(self.ids).astype(str)
        if self.inputs.shape != self.targets.shape:
            raise ValueError(
                f"inputs {self.inputs.shape} and targets {self.targets.shape} must have the same shape"
            )
        if len(self.ids) != len(self.inputs):
            raise ValueError(f"{len(self.ids)} ids for {len(self.inputs)} pairs")

    def __len__(self):
        return len(self.inputs)

    def subset(self, index):
        """Pairs at the given integer or boolean index (same expression/source).

        Per-pair arrays in ``meta`` (length N, also inside a dict such as the
        synthetic faces' ``params``) are cut the same way.
        """
        n = len(self)

        def cut(v):
            if isinstance(v, dict):
                return {k: cut(x) for k, x in v.items()}
            return v[index] if isinstance(v, np.ndarray) and v.ndim and len(v) == n else v

        return Pairs(self.inputs[index], self.targets[index], self.ids[index],
                     self.expression, self.source, self.name, cut(self.meta))

    def split(self, test_ids):
        """``(train, test)``: pairs whose person id is not / is in ``test_ids``."""
        test = np.isin(self.ids, np.asarray(test_ids).astype(str))
        return self.subset(~test), self.subset(test)

    def split_by_person(self, test_fraction=0.2, seed=0):
        """``(train, test)`` with a random ``test_fraction`` of the people held out (nobody in both).

        The same ``seed`` holds out the same people; at least one person is held out.

        >>> x = np.zeros((10, 4, 4, 3)); p = Pairs(x, x, np.arange(10).astype(str), "happy", "demo", "demo")
        >>> train, test = p.split_by_person(0.2, seed=0)
        >>> len(train), len(test), bool(set(train.ids) & set(test.ids))
        (8, 2, False)
        """
        if not 0 < test_fraction < 1:
            raise ValueError(f"test_fraction must be between 0 and 1 (exclusive), got {test_fraction!r}")
        people = np.unique(self.ids)
        if len(people) < 2:
            raise ValueError(f"splitting by person needs at least 2 people, these pairs have {len(people)}")
        n_test = min(len(people) - 1, max(1, int(round(test_fraction * len(people)))))
        return self.split(np.random.default_rng(seed).choice(people, size=n_test, replace=False))

    def sample(self, n, seed=0):
        """``n`` pairs of randomly chosen people (seeded), in their original order; all if ``n >= len``."""
        if n is None or n >= len(self):
            return self
        keep = np.sort(np.random.default_rng(seed).choice(len(self), size=n, replace=False))
        return self.subset(keep)

    def __repr__(self):
        return (f"Pairs(name={self.name!r}, n={len(self)}, shape={self.inputs.shape[1:]}, "
                f"expression={self.expression!r}, source={self.source!r})")
