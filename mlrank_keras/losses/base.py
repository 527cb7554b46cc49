"""Shared machinery of the multilabel ranking losses.

Label convention (every loss in this package):

* ``y_true`` has the shape of ``y_pred``: one column per label, labels on the last axis.
* an entry ``> 0.5`` marks a positive label (the set P), an entry in ``[0, 0.5]`` a negative
  label (the set N), and a negative entry (conventionally ``-1``) an unknown label, which is
  neither positive nor negative and takes no part in the loss.
* ``y_pred`` holds scores (logits), higher meaning more relevant.

Half-precision scores (``float16``, ``bfloat16``) are computed and returned in ``float32``:
the sums over up to ``|P| * |N|`` pairs overflow ``float16`` long before the scores do.
"""

import keras
from keras import ops

HALF_DTYPES = ("float16", "bfloat16")


def prepare_inputs(y_true, y_pred):
    """Validates shapes and returns ``(scores, pos, neg)`` in the compute dtype.

    ``pos`` and ``neg`` are float 0/1 masks of the positive and negative labels.
    """
    y_pred = ops.convert_to_tensor(y_pred)
    dtype = keras.backend.standardize_dtype(y_pred.dtype)
    if dtype in HALF_DTYPES or not dtype.startswith("float"):
        dtype = "float32"
    scores = ops.cast(y_pred, dtype)
    y_true = ops.cast(ops.convert_to_tensor(y_true), dtype)
    true_shape, pred_shape = tuple(y_true.shape), tuple(y_pred.shape)
    if len(true_shape) != len(pred_shape) or len(pred_shape) < 1:
        raise ValueError(
            "`y_true` and `y_pred` must have the same rank (at least 1, labels on the last "
            f"axis). Received: y_true.shape={true_shape}, y_pred.shape={pred_shape}"
        )
    for a, b in zip(true_shape, pred_shape, strict=True):
        if a is not None and b is not None and a != b:
            raise ValueError(
                "`y_true` and `y_pred` must have the same shape. "
                f"Received: y_true.shape={true_shape}, y_pred.shape={pred_shape}"
            )
    pos = ops.cast(y_true > 0.5, dtype)
    neg = ops.cast(ops.logical_and(y_true >= 0.0, y_true <= 0.5), dtype)
    return scores, pos, neg


def rankable(pos, neg):
    """Boolean per row: True where the row has at least one positive and one negative."""
    return ops.logical_and(ops.sum(pos, axis=-1) > 0, ops.sum(neg, axis=-1) > 0)


def center_scores(scores, pos, neg):
    """Subtracts the row's largest known score (a constant for the gradient).

    Every loss here depends on score differences only, so this changes no value; it keeps
    cumulative sums small when all scores share a large offset.
    """
    known = (pos + neg) > 0
    row_max = ops.max(ops.where(known, scores, -float("inf")), axis=-1, keepdims=True)
    row_max = ops.where(ops.isfinite(row_max), row_max, ops.zeros_like(row_max))
    return scores - ops.stop_gradient(row_max)


def masked_logsumexp(x, mask):
    """``log(sum_{j: mask_j} exp(x_j))`` over the last axis, stable for any scale.

    Returns ``(value, nonempty)``; rows with an empty mask get the value 0 (and zero
    gradients), and ``nonempty`` is False there.
    """
    is_in = mask > 0
    nonempty = ops.any(is_in, axis=-1)
    x_max = ops.max(ops.where(is_in, x, -float("inf")), axis=-1, keepdims=True)
    x_max = ops.stop_gradient(ops.where(ops.isfinite(x_max), x_max, ops.zeros_like(x_max)))
    shifted = ops.where(is_in, x - x_max, ops.zeros_like(x))
    total = ops.sum(ops.exp(shifted) * mask, axis=-1)
    safe_total = ops.where(nonempty, total, ops.ones_like(total))
    value = ops.log(safe_total) + ops.squeeze(x_max, axis=-1)
    return ops.where(nonempty, value, ops.zeros_like(value)), nonempty


def harmonic_numbers(num_labels, dtype):
    """``[L(0), L(1), ..., L(num_labels)]`` with ``L(r) = sum_{j=1..r} 1/j``."""
    j = ops.arange(1, num_labels + 1, dtype=dtype)
    return ops.concatenate([ops.zeros((1,), dtype=dtype), ops.cumsum(1.0 / j)], axis=0)


def sorted_violators(scores, pos, neg, margin):
    """One stable sort per row gives, for every positive, its violating negatives.

    A negative ``v`` violates a positive ``u`` when ``margin - f_u + f_v > 0``. The row is
    laid out as ``[f - margin | f]`` (the thresholds of the positives, then the scores of
    the negatives; length ``2L``) and sorted by decreasing key. The sort is stable, so at a
    tie ``f_v == f_u - margin`` the threshold comes first and ``v`` is not counted: the
    comparison is strict, exactly as in the hinge. At a positive's slot, a cumulative sum
    over the sorted row then counts (and sums the scores of) exactly its violators.

    Returns a dict of ``(..., 2L)`` tensors in sorted order:
        order: the sorting permutation (indices into the ``2L`` layout).
        is_pos: 1 at the slot of a positive's threshold.
        pos_score: ``f_u`` at a positive's slot.
        num_violators: ``r_u`` at a positive's slot (the count of violating negatives).
        violator_sum: ``sum_{violating v} f_v`` at a positive's slot.
    """
    zeros = ops.zeros_like(scores)
    keys = ops.concatenate([scores - margin, scores], axis=-1)
    order = ops.argsort(-keys, axis=-1)

    def gather(first, second):
        return ops.take_along_axis(ops.concatenate([first, second], axis=-1), order, axis=-1)

    is_neg = gather(zeros, neg)
    return {
        "order": order,
        "is_pos": gather(pos, zeros),
        "pos_score": gather(scores * pos, zeros),
        "num_violators": ops.cumsum(is_neg, axis=-1),
        "violator_sum": ops.cumsum(gather(zeros, scores * neg), axis=-1),
    }


def draw_uniform(shape, seed, scores):
    """Uniform ``[0, 1)`` draws of ``shape`` through ``seed`` for the sampled losses.

    ``seed`` is None, an int or a ``keras.random.SeedGenerator``. On JAX, ``fit`` runs the
    loss inside a jitted step that carries forward only layers', optimizers' and metrics'
    variables, never a loss's, so a loss's ``SeedGenerator`` would hand every step the same
    key. There the key is folded with the bits of ``sum(f * (1 + f))`` over the scores,
    which change at every training step; the draws remain a function of the seed and the
    inputs (reproducible).
    TensorFlow and PyTorch advance the generator's state as usual.
    """
    if keras.backend.backend() == "jax" and isinstance(seed, keras.random.SeedGenerator):
        key = seed.next()
        # Not the plain sum: these losses are shift invariant, so their gradients sum to
        # zero over a row and the sum of the scores can stay constant during training.
        scores = ops.stop_gradient(ops.cast(scores, "float32"))
        fold = ops.view(ops.sum(scores * (1.0 + scores)), "uint32")
        seed = key + ops.cast(ops.convert_to_tensor([0, 1]), key.dtype) * ops.cast(
            fold, key.dtype
        )
    return keras.random.uniform(shape, seed=seed, dtype=scores.dtype)


def seed_argument(seed):
    """Validates a ``seed`` argument: None, an int, or a ``keras.random.SeedGenerator``."""
    if seed is None or isinstance(seed, keras.random.SeedGenerator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(
            "`seed` must be None, an int or a keras.random.SeedGenerator. "
            f"Received: seed={seed!r}"
        )
    return seed


def margin_argument(margin):
    try:
        value = float(margin)
    except (TypeError, ValueError):
        value = float("nan")
    if not value >= 0.0 or value == float("inf"):
        raise ValueError(
            f"`margin` must be a finite number >= 0. Received: margin={margin!r}"
        )
    return value


class MultilabelLoss(keras.losses.Loss):
    """Base of the multilabel losses: wraps a plain per-sample loss function.

    Subclasses pass their plain function and its keyword arguments; the ``keras.losses.Loss``
    base does the reduction, sample weights and masks. ``get_config`` lists every argument.
    """

    def __init__(self, fn, name, reduction="sum_over_batch_size", dtype=None, **fn_kwargs):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self.fn_kwargs = fn_kwargs

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self.call_kwargs())

    def call_kwargs(self):
        """The keyword arguments passed to the plain function on each call."""
        return dict(self.fn_kwargs)

    def get_config(self):
        config = super().get_config()
        config["dtype"] = self.dtype
        config.update(self.fn_kwargs)
        return config
