"""Faces from anywhere: landmark accuracy and speed, the alignment it gives, synthesize on a full photo.

    PIXELFES_EDU_DATA=../shared/data python benchmarks/landmarks.py [--quick]

1. Eye and mouth error of ``detect_landmarks`` on the 142 faces with ground truth (London
   neutral + gallery/canada ``.tem``: pupils = points 0 and 1, mouth centre = mean of points
   87-108), in units of the inter-ocular distance (IOD), in three conditions: the photo as is
   (1350 px), shrunk to 200 px wide, and a 128x128 face thumbnail (a square of U(2.2, 3.2) IOD
   around the face centre moved by U(-0.2, 0.2) IOD, seed 0; black outside the photo). The
   scikit-image LBP fallback on the thumbnails for comparison.
2. Loading time (fresh process) and detection time on 640-px photos; synthesize on a
   1350x1350 photo with Pixel-RR.
3. Held-out London (5 folds by person): Pixel-RR (lambda 0.4) trained on the .tem-aligned faces;
   the test faces aligned from their .tem files, or by the detector (eyes + mouth affine, or the
   mesh shape warp); transfer ratio and face SSIM against the target aligned the same way (the
   pair's registration from the .tem pipeline, so only the landmarks differ).
4. Out-of-dataset behaviour: a fox and a cat must be refused, the astronaut and Grace Hopper found.

Timings are wall-clock on whatever machine runs this: read them as orders of magnitude.
Skipped (no rows) without the real-data mirror.
"""
import argparse
import subprocess
import sys
import time
import warnings

import numpy as np

from pixelfes_edu import faces
from pixelfes_edu.data import load_pairs, london_available
from pixelfes_edu.evaluation import metrics, person_folds
from pixelfes_edu.faces import landmarks as L
from pixelfes_edu.models import PixelRidge
from pixelfes_edu.store import data_dir
from table import add_row, print_table


def ground_truth():
    root = data_dir()
    tems = sorted((root / "london" / "neutral_front").glob("*.tem")) + sorted((root / "gallery" / "canada").glob("*.tem"))
    for tem in tems:
        pts = faces.read_tem(tem)
        eyes = pts[[0, 1]]
        yield tem.stem, tem.with_suffix(".jpg"), eyes[np.argsort(eyes[:, 0])], pts[87:109].mean(0)


def conditions(img, eyes, mouth, rng):
    """(name, image, eyes, mouth) of the three conditions; pixel-centre coordinates throughout."""
    from PIL import Image

    h, w = img.shape[:2]
    yield "full size", img, eyes, mouth
    s = 200 / w
    small = np.asarray(Image.fromarray(img).resize((200, round(h * s)), Image.LANCZOS))
    yield "200 px wide", small, (eyes + 0.5) * s - 0.5, (mouth + 0.5) * s - 0.5
    iod = np.hypot(*(eyes[1] - eyes[0]))
    side = rng.uniform(2.2, 3.2) * iod
    x0, y0 = (eyes.sum(0) + mouth) / 3 + rng.uniform(-0.2, 0.2, 2) * iod - side / 2
    k = 128 / side
    big = Image.fromarray(img).resize((round(w * k), round(h * k)), Image.LANCZOS)
    sx, sy = big.size[0] / w, big.size[1] / h
    X0, Y0 = round(x0 * sx), round(y0 * sy)
    thumb = np.asarray(big.crop((X0, Y0, X0 + 128, Y0 + 128)))
    tr = lambda p: np.c_[(p[..., 0] + 0.5) * sx - 0.5 - X0, (p[..., 1] + 0.5) * sy - 0.5 - Y0]
    yield "128 px thumbnail", thumb, tr(eyes), tr(mouth[None])[0]


def accuracy(out, quick):
    det = L.LandmarkDetector()
    rng = np.random.default_rng(0)
    res, lbp, t640 = {}, [], []
    items = list(ground_truth())[:: 7 if quick else 1]
    for name, jpg, eyes, mouth in items:
        img = faces.read_photo(jpg)
        for cond, im, e, m in conditions(img, eyes, mouth, rng):
            r = res.setdefault(cond, {"eye": [], "mouth": [], "fail": []})
            iod = np.hypot(*(e[1] - e[0]))
            try:
                lm = det(im)
            except faces.FaceNotFoundError:
                r["fail"].append(name)
                continue
            r["eye"].append(np.hypot(*(lm.eyes - e).T).max() / iod)  # the worse eye
            r["mouth"].append(np.hypot(*(lm.mouth - m)) / iod)
            if cond == "128 px thumbnail":
                try:
                    lb = faces.detect_eyes(im)
                    lbp.append(np.hypot(*(lb - e).T).max() / iod)
                except ValueError:
                    lbp.append(np.inf)  # no face: counted as a failure
        from PIL import Image

        s = 640 / max(img.shape[:2])
        im640 = np.asarray(Image.fromarray(img).resize((round(img.shape[1] * s), round(img.shape[0] * s))))
        t0 = time.perf_counter()
        det(im640)
        t640.append(time.perf_counter() - t0)
    print(f"\n## Landmark accuracy on {len(items)} ground-truth faces (error / inter-ocular distance, "
          "worse eye per face)\n")
    print("| condition | failures | eye median | eye p90 | eye max | mouth median | mouth p90 |")
    print("|---|---|---|---|---|---|---|")
    for cond, r in res.items():
        e, m = np.array(r["eye"]), np.array(r["mouth"])
        print(f"| {cond} | {len(r['fail'])} | {np.median(e):.4f} | {np.percentile(e, 90):.4f} | {e.max():.4f} | "
              f"{np.median(m):.4f} | {np.percentile(m, 90):.4f} |")
        add_row(out, f"eyes, {cond}: failures / median / p90 (IOD)", np.median(e), "IOD",
                "0 fails, median <= 0.03, p90 <= 0.05",
                not r["fail"] and np.median(e) <= 0.03 and np.percentile(e, 90) <= 0.05,
                f"{len(r['fail'])} fails, p90 {np.percentile(e, 90):.4f}, max {e.max():.4f}")
        add_row(out, f"mouth centre, {cond}: median", np.median(m), "IOD", "<= 0.04", np.median(m) <= 0.04,
                f"p90 {np.percentile(m, 90):.4f}")
    lbp = np.array(lbp)
    found = lbp[np.isfinite(lbp)]
    print(f"| 128 px thumbnail, LBP fallback (found faces) | {np.isinf(lbp).sum()} | {np.median(found):.4f} | "
          f"{np.percentile(found, 90):.4f} | {found.max():.4f} | - | - |")
    print(f"\nLBP fallback on thumbnails: {np.mean(lbp < 0.1):.0%} of faces with both eyes within 0.1 IOD "
          f"(mesh: {np.mean(np.array(res['128 px thumbnail']['eye']) < 0.1):.0%})")
    add_row(out, "detection, 640-px photo (median)", 1e3 * np.median(t640), "ms", "<= 50 ms",
            np.median(t640) <= 0.05, f"p90 {1e3 * np.percentile(t640, 90):.0f} ms")
    code = ("import time; t0 = time.perf_counter(); from pixelfes_edu.faces import landmarks as L; "
            "d = L.landmark_model_dir(); t1 = time.perf_counter(); L.LandmarkDetector(d); "
            "print(t1 - t0, time.perf_counter() - t1)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    imp, load = (float(v) for v in run.stdout.split()[-2:])
    add_row(out, "loading: LiteRT runtime + 4 models, fresh process", load, "s", "<= 1 s", load <= 1.0,
            f"after {imp:.2f} s importing pixelfes_edu.faces and verifying the model files")


def outside_faces(out):
    from skimage.data import astronaut, chelsea
    from matplotlib.cbook import get_sample_data

    cases = {"astronaut": (astronaut(), True), "chelsea (cat)": (chelsea(), False)}
    with get_sample_data("grace_hopper.jpg") as f:
        cases["grace_hopper"] = (faces.read_photo(f), True)
    fox = data_dir() / "gallery" / "animals" / "fox-715588_640.jpg"
    if fox.is_file():
        cases["fox"] = (faces.read_photo(fox), False)
    got = {}
    for name, (img, human) in cases.items():
        try:
            faces.detect_landmarks(img, fallback=False)
            got[name] = True
        except faces.FaceNotFoundError:
            got[name] = False
    ok = all(got[n] == human for n, (_, human) in cases.items())
    add_row(out, "out of dataset: humans found, animals refused", sum(got[n] == h for n, (_, h) in cases.items()),
            f"of {len(cases)}", "all", ok, ", ".join(f"{n}: {'found' if g else 'refused'}" for n, g in got.items()))


def synthesize_speed(out, london):
    pairs = london["shape"]
    model = PixelRidge(lam=0.4).fit(pairs.inputs, pairs.targets)
    img = faces.read_photo(data_dir() / "london" / "neutral_front" / "001_03.jpg")
    faces.synthesize(img, model)
    ts, td = [], []
    for _ in range(5):
        t0 = time.perf_counter()
        faces.synthesize(img, model)
        ts.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        faces.detect_landmarks(img)
        td.append(time.perf_counter() - t0)
    add_row(out, "synthesize, 1350x1350 photo, Pixel-RR (median of 5)", np.median(ts), "s", "<= 1 s",
            np.median(ts) <= 1.0, f"of which detection {1e3 * np.median(td):.0f} ms")


def heldout_alignment(out, london, quick):
    root = data_dir()
    ids = london["shape"].ids
    assert (london["affine"].ids == ids).all()
    if quick:
        keep = np.arange(len(ids)) % 3 == 0
        london = {k: v.subset(keep) for k, v in london.items()}
        ids = ids[keep]
    det = L.LandmarkDetector()
    crops = {"detector, eyes + mouth affine": ([], []), "detector, mesh shape warp": ([], [])}
    t0 = time.perf_counter()
    for pid in ids:
        n = faces.read_photo(root / "london" / "neutral_front" / f"{pid}_03.jpg")
        e = faces.read_photo(root / "london" / "smiling_front" / f"{pid}_08.jpg")
        tem = faces.read_tem(root / "london" / "neutral_front" / f"{pid}_03.tem")
        _, _, info = faces.align_pair(n, e, landmarks=tem, size=128)
        M, C = info["matrix"], info["registration"]
        G = np.linalg.inv(M) @ C @ M  # expressive photo -> neutral photo (the pair's registration)
        lm = det(n)
        for key, warp in (("detector, eyes + mouth affine", "affine"), ("detector, mesh shape warp", "shape")):
            fw = faces.face_warp(landmarks=lm, size=128, warp=warp)
            fe = faces.FaceWarp(fw.matrix @ G, 128, field=fw.field, landmarks=lm)
            crops[key][0].append(fw.crop(n))
            crops[key][1].append(fe.crop(e))
    print(f"\n## Held-out London, test faces aligned by .tem or by the detector ({len(ids)} people, "
          f"5 folds; crops in {time.perf_counter() - t0:.0f} s)\n")
    print("| training faces | test alignment | transfer ratio | face SSIM |")
    print("|---|---|---|---|")
    folds = person_folds(ids, 5, 0)
    for warp in ("shape", "affine"):
        P = london[warp]
        tests = {".tem (reference)": (P.inputs, P.targets),
                 **{k: (np.array(x), np.array(t)) for k, (x, t) in crops.items()}}
        score = {k: [np.empty(len(ids)), np.empty(len(ids))] for k in tests}
        for f in folds:
            te = np.isin(ids, f)
            model = PixelRidge(lam=0.4).fit(P.inputs[~te], P.targets[~te])
            for k, (X, T) in tests.items():
                Y = np.clip(model.predict(X[te]), 0, 1)
                score[k][0][te] = metrics.transfer_ratio(X[te], Y, T[te], "face")
                score[k][1][te] = metrics.ssim(Y, T[te], "face")
        ref = [v.mean() for v in score[".tem (reference)"]]
        for k, (tr, ss) in score.items():
            print(f"| {warp} | {k} | {tr.mean():.4f} ({tr.mean() - ref[0]:+.4f}) | {ss.mean():.4f} "
                  f"({ss.mean() - ref[1]:+.4f}) |")
            if k != ".tem (reference)":
                d = max(ref[0] - tr.mean(), ref[1] - ss.mean())
                add_row(out, f"held-out London, trained warp={warp}, {k}: loss vs .tem", d, "",
                        "<= 0.02 (transfer and face SSIM)", d <= 0.02,
                        f"transfer {tr.mean() - ref[0]:+.4f}, SSIM {ss.mean() - ref[1]:+.4f}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="every 7th face, every 3rd London person")
    args = ap.parse_args(argv)
    if not london_available() or not (data_dir() / "models" / "mediapipe").is_dir():
        print("the real-data mirror (PIXELFES_EDU_DATA) with London and models/ is needed; skipped")
        return []
    warnings.simplefilter("ignore", UserWarning)
    out = []
    accuracy(out, args.quick)
    outside_faces(out)
    london = {w: load_pairs("london", size=128, warp=w, progress=False) for w in ("shape", "affine")}
    synthesize_speed(out, london)
    heldout_alignment(out, london, args.quick)
    print()
    print_table(out)
    return out


if __name__ == "__main__":
    main()
