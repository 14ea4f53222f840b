"""Decoding BlazeFace, MediaPipe's single-shot face detector: anchors, boxes, weighted NMS.

The detector scores a fixed grid of anchors; each row of its output is a box
and six key points as offsets in input pixels from the anchor centre.  These
functions turn that into face boxes (plain numpy, tested against brute force).
"""
import functools

import numpy as np

__all__ = ["ssd_anchors", "decode_boxes", "weighted_nms", "sigmoid", "SSD_LAYOUTS", "MIN_SCORE", "NMS_IOU"]


# SSD anchor layouts of the two BlazeFace models (MediaPipe's face detection
# graphs): input side, and (stride, anchors per cell) of each feature map.
# Short range: 16x16 cells x 2 + 8x8 cells x 6 = 896 anchors; full range:
# 48x48 cells x 1 = 2304. Anchors have unit size, so the raw outputs are
# offsets in input pixels from the anchor centre.
SSD_LAYOUTS = {
    "short": {"side": 128, "grid": ((8, 2), (16, 6))},
    "full": {"side": 192, "grid": ((4, 1),)},
}
MIN_SCORE = 0.5  # detection threshold on the sigmoid of the class logit
NMS_IOU = 0.3  # boxes overlapping more than this are one face


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.clip(x, -80, 80)))


@functools.lru_cache(maxsize=None)
def ssd_anchors(kind):
    """Anchor centres ``(N, 2)`` in input pixels ``(x, y)`` of a BlazeFace model.

    Each feature map of stride ``s`` is a ``side / s`` grid of cells centred
    at ``((j + 0.5) s, (i + 0.5) s)``, row-major, with ``per_cell`` identical
    anchors per cell: the order of the model's output rows.

    >>> ssd_anchors("short").shape, ssd_anchors("full").shape
    ((896, 2), (2304, 2))
    >>> ssd_anchors("short")[:3].tolist()
    [[4.0, 4.0], [4.0, 4.0], [12.0, 4.0]]
    """
    side = SSD_LAYOUTS[kind]["side"]
    out = []
    for stride, per_cell in SSD_LAYOUTS[kind]["grid"]:
        n = side // stride
        yy, xx = np.mgrid[0:n, 0:n]
        out.append(np.repeat((np.c_[xx.ravel(), yy.ravel()] + 0.5) * stride, per_cell, axis=0))
    return np.concatenate(out).astype(np.float64)


def decode_boxes(raw, anchors):
    """Raw regressor rows ``(N, 16)`` -> boxes ``(N, 4)`` and key points ``(N, 6, 2)``.

    A row holds the box centre offset ``(dx, dy)``, the box size ``(w, h)``
    and six key-point offsets ``(dx, dy)``, in input pixels from the anchor
    centre. Boxes are ``[x_min, y_min, x_max, y_max]``.

    >>> b, k = decode_boxes(np.r_[1.0, 2, 10, 20, np.zeros(12)][None], np.array([[50.0, 60]]))
    >>> b.tolist(), k[0, 0].tolist()
    ([[46.0, 52.0, 56.0, 72.0]], [50.0, 60.0])
    """
    raw = np.asarray(raw, np.float64).reshape(len(anchors), 16)
    centre = raw[:, 0:2] + anchors
    half = raw[:, 2:4] / 2
    return np.c_[centre - half, centre + half], raw[:, 4:16].reshape(-1, 6, 2) + anchors[:, None, :]


def _iou(box, boxes):
    lt, rb = np.maximum(box[:2], boxes[:, :2]), np.minimum(box[2:], boxes[:, 2:])
    inter = np.prod(np.clip(rb - lt, 0, None), axis=1)
    area = np.prod(np.clip(boxes[:, 2:] - boxes[:, :2], 0, None), axis=1)
    own = np.prod(np.clip(box[2:] - box[:2], 0, None))
    return inter / np.maximum(own + area - inter, 1e-12)


def weighted_nms(boxes, kps, scores, iou=NMS_IOU):
    """Merge overlapping detections (BlazeFace's weighted non-maximum suppression).

    The best remaining detection and every remaining one overlapping it by
    IoU > ``iou`` form a cluster; the cluster becomes one detection whose box
    and key points are the score-weighted means of its members and whose
    score is the best one. Repeat until none remain.

    Returns ``boxes (M, 4)``, ``kps (M, 6, 2)``, ``scores (M,)``, best first.

    >>> b = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [50, 50, 60, 60.]])
    >>> mb, mk, ms = weighted_nms(b, np.zeros((3, 6, 2)), np.array([0.9, 0.6, 0.8]))
    >>> mb.round(2).tolist(), ms.tolist()
    ([[0.4, 0.0, 10.4, 10.0], [50.0, 50.0, 60.0, 60.0]], [0.9, 0.8])
    """
    order = np.argsort(-scores, kind="stable")
    boxes, kps, scores = boxes[order], kps[order], scores[order]
    alive = np.ones(len(scores), bool)
    out_b, out_k, out_s = [], [], []
    for i in range(len(scores)):
        if not alive[i]:
            continue
        member = alive & (_iou(boxes[i], boxes) > iou)
        member[i] = True
        w = scores[member] / scores[member].sum()
        out_b.append(w @ boxes[member])
        out_k.append(np.tensordot(w, kps[member], axes=1))
        out_s.append(scores[i])
        alive &= ~member
    return np.reshape(out_b, (-1, 4)), np.reshape(out_k, (-1, 6, 2)), np.array(out_s)
