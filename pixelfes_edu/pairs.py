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

    def __repr__(self):
        return (f"Pairs(name={self.name!r}, n={len(self)}, shape={self.inputs.shape[1:]}, "
                f"expression={self.expression!r}, source={self.source!r})")
