"""Label decisions: which labels an image is annotated with, given its scores.

The papers annotate each image with its ``k`` highest-scoring labels (Gong: ``k = 3, 5``) or
with every label scoring above a threshold (Li section 3.3). Both are exact and
deterministic on every backend: at a tie for the ``k``-th place, the lower label index wins
(as a stable sort of the negated scores would order them), so an image gets exactly ``k``
labels whatever its scores. A NaN score ranks last (as ``-inf``) and is never above a
threshold, identically on every backend (:func:`nan_last`).
"""

import math

import numpy as np
from keras import ops

from mlrank_keras.labels import numpy_label_masks
from mlrank_keras.validation import positive_int


def k_argument(k):
    """Validates a top-k size: a positive Python int."""
    return positive_int(k, "k")


def threshold_argument(threshold):
    """Validates a threshold: a finite float, or a sequence of per-label floats.

    Returns a float or a tuple of floats (so it serializes in ``get_config``).
    """
    if isinstance(threshold, bool):
        raise ValueError(
            f"`threshold` must be a float or a sequence of floats. Received: {threshold!r}"
        )
    if isinstance(threshold, (int, float)):
        values = (float(threshold),)
    else:
        try:
            values = tuple(float(t) for t in threshold)
        except (TypeError, ValueError):
            raise ValueError(
                "`threshold` must be a float or a sequence of floats (one per label). "
                f"Received: threshold={threshold!r}"
            ) from None
        if not values:
            raise ValueError("`threshold` must not be an empty sequence. Received: ()")
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"`threshold` must be finite. Received: threshold={threshold!r}")
    return values[0] if isinstance(threshold, (int, float)) else values


def decision_arguments(k, threshold, default_k=3):
    """Resolves the ``k=`` / ``threshold=`` pair of a decision: exactly one is used.

    With neither given, the decision is the top ``default_k`` (the papers' ``k = 3``).
    """
    if k is not None and threshold is not None:
        raise ValueError(
            "Pass either `k` (top-k decision) or `threshold` (labels scoring above it), "
            f"not both. Received: k={k!r}, threshold={threshold!r}"
        )
    if threshold is not None:
        return None, threshold_argument(threshold)
    return k_argument(default_k if k is None else k), None


def top_k_labels(scores, k):
    """Multi-hot (boolean) of each row's ``k`` highest scores; ties go to the lower index.

    Exactly ``k`` labels per row, in ``O(L log k)`` per row: the ``k``-th largest value
    comes from ``ops.top_k`` (its value does not depend on how the backend breaks ties), all
    labels above it are taken, and the remaining places go to the first labels equal to it.

    Args:
        scores: ``(..., L)`` scores, higher meaning more relevant.
        k: how many labels to take per row, ``1 <= k <= L``.

    Returns:
        A boolean tensor of ``scores``' shape.

    Example:
    >>> from keras import ops
    >>> ops.convert_to_numpy(top_k_labels([[2.0, 1.0, 1.0, 1.0]], k=2)).tolist()
    [[True, True, False, False]]
    """
    k = k_argument(k)
    scores = ops.convert_to_tensor(scores)
    num_labels = scores.shape[-1]
    if num_labels is not None and k > num_labels:
        raise ValueError(
            f"`k` must be at most the number of labels ({num_labels}). Received: k={k}"
        )
    scores = nan_last(scores)
    kth = ops.top_k(scores, k, sorted=True)[0][..., k - 1 : k]
    return take_first(scores, kth, k)


def nan_last(scores):
    """``scores`` with NaN replaced by ``-inf``: a NaN score ranks last, on every backend.

    The decisions' rule for NaN: a NaN score is never above a threshold and ranks below
    every number in a top-k decision (level with ``-inf``, ties to the lower index), so
    each row still gets exactly ``k`` labels and no backend's ``top_k`` sees a NaN.
    """
    return ops.where(ops.isnan(scores), ops.full_like(scores, -float("inf")), scores)


def take_first(scores, kth, k):
    """The ``k`` labels of each row from its ``k``-th largest value ``kth``.

    All labels above ``kth`` and then the first labels equal to it, so exactly ``k`` per
    row with ties to the lower index. ``k`` is an int or an int tensor of shape
    ``(..., 1)`` (one count per row).
    """
    above = scores > kth
    tied = scores == kth
    places_left = k - ops.sum(ops.cast(above, "int32"), axis=-1, keepdims=True)
    first_tied = ops.cumsum(ops.cast(tied, "int32"), axis=-1) <= places_left
    return ops.logical_or(above, ops.logical_and(tied, first_tied))


def threshold_labels(scores, threshold):
    """Multi-hot (boolean) of the labels scoring strictly above ``threshold``.

    Args:
        scores: ``(..., L)`` scores.
        threshold: a float, or one float per label (Li's per-class thresholds).

    Example:
    >>> from keras import ops
    >>> ops.convert_to_numpy(threshold_labels([[0.2, 0.5, 0.7]], 0.5)).tolist()
    [[False, False, True]]
    """
    threshold = threshold_argument(threshold)
    scores = ops.convert_to_tensor(scores)
    if isinstance(threshold, tuple):
        num_labels = scores.shape[-1]
        if num_labels is not None and len(threshold) != num_labels:
            raise ValueError(
                f"`threshold` has {len(threshold)} per-label values but the scores have "
                f"{num_labels} labels."
            )
    return scores > ops.cast(ops.convert_to_tensor(threshold), scores.dtype)


def decide(scores, k=None, threshold=None):
    """The top-``k`` or thresholded multi-hot (boolean) decision; see the module docstring."""
    k, threshold = decision_arguments(k, threshold)
    if threshold is not None:
        return threshold_labels(scores, threshold)
    return top_k_labels(scores, k)


def best_threshold(y_true, scores, num_candidates=200):
    """The one threshold, among ``num_candidates`` quantiles of ``scores``, with the best
    overall F1 on ``(y_true, scores)`` (unknown labels, -1, are left out).

    Li et al. compare a thresholded decision without saying how the threshold is chosen;
    pick it on training or validation images, never on the test set.

    >>> t = best_threshold(np.array([[1, 0], [0, 1]]), np.array([[0.9, 0.1], [0.3, 0.8]]))
    >>> 0.3 <= t < 0.8  # exactly the true labels score above it
    True
    """
    num_candidates = positive_int(num_candidates, "num_candidates")
    scores = np.asarray(scores, dtype="float64")
    positives, known = numpy_label_masks(y_true)
    if positives.shape != scores.shape:
        raise ValueError(
            "`y_true` and `scores` must have the same shape. Received: "
            f"y_true.shape={positives.shape}, scores.shape={scores.shape}"
        )
    if not np.isfinite(scores[known]).all():
        raise ValueError("`scores` must be finite where the label is known (no NaN or inf).")
    positives &= known
    quantiles = np.linspace(0, 1, num_candidates + 2)[1:-1]
    candidates = np.unique(np.quantile(scores[known], quantiles))
    best, best_f1 = float(candidates[0]), -1.0
    for t in candidates:
        predicted = (scores > t) & known
        f1 = 2 * (predicted & positives).sum() / max(1, predicted.sum() + positives.sum())
        if f1 > best_f1:
            best, best_f1 = float(t), f1
    return best
