"""Explorers: the ipywidgets the notebooks use (JupyterLab 4 and Voilà, ipywidgets 8).

One module per explorer; :mod:`~pixelfes_edu.explore.controls` holds the
sliders and the base class they share.

Each explorer holds an ``ipywidgets.VBox`` (``.widget``) and displays as it:
put the explorer on the last line of a cell.  It takes its data and models as arguments (no global state), keeps
its controls as attributes (``.lam``, ``.sigma``, ``.alpha`` ...) and draws
into ``ipywidgets.Image`` widgets (``.image``) as PNG bytes, so a test or a
script can drive it: set ``explorer.lam.value = 0.1`` and read
``explorer.image.value``.

Sliders are fast because nothing is refitted from the images: λ re-solves
from stored statistics (``model.update(lam=...)``), α only re-blends, and σ
(Pixel-KR) rebuilds from the stored training values while a busy note shows.
``n_fits`` counts full fits, so you can check that moving a slider did not
trigger one.

================================  =========================================================
:class:`PixelInspector`           one pixel's N training pairs, Pixel-RR line, Pixel-KR curve
:class:`TrainingExplorer`         Pixel-RR: λ, target expression, intensity α; weight/bias maps
:class:`KernelExplorer`           Pixel-KR: σ and λ next to Pixel-RR
:class:`GalleryExplorer`          trained models on out-of-dataset faces and your own photo
:class:`ReceptiveFieldExplorer`   masked regression: receptive field r (r = 1 is Pixel-RR)
:class:`SparseFieldExplorer`      sparse fields: radius, λ, locality, smoothness (R = 0 is Pixel-RR)
:class:`SmileApp`                 the web app (notebooks/app.ipynb): a face, model, λ, σ, α, the photo changed
================================  =========================================================

>>> import numpy as np
>>> X = np.random.default_rng(0).random((12, 16, 16, 3))
>>> ex = TrainingExplorer(pairs_like(X, X ** 2), pairs_like(X[:3], X[:3] ** 2))
>>> before = ex.image.value; ex.lam.value = 5.0
>>> ex.image.value != before, ex.n_fits
(True, 1)
"""
from .app import SmileApp
from .controls import Explorer, alpha_slider, lam_slider, pairs_like, sigma_slider
from .gallery import GalleryExplorer, decode_upload, parse_eyes
from .kernel import KernelExplorer
from .pixel import PixelInspector
from .receptive_field import ReceptiveFieldExplorer
from .sparse_field import SparseFieldExplorer
from .training import TrainingExplorer

__all__ = ["PixelInspector", "TrainingExplorer", "KernelExplorer", "GalleryExplorer", "ReceptiveFieldExplorer",
           "SparseFieldExplorer", "Explorer", "pairs_like", "parse_eyes", "decode_upload", "lam_slider",
           "sigma_slider", "alpha_slider", "SmileApp"]
