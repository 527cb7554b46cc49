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
    check_same_shape(y_true, y_pred)
    pos = ops.cast(y_true > 0.5, dtype)
    neg = ops.cast(ops.logical_and(y_true >= 0.0, y_true <= 0.5), dtype)
    return scores, pos, neg


def check_same_shape(y_true, y_pred):
    """Raises a clear error unless the two tensors' (static) shapes agree, rank >= 1."""
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


def num_labels_of(scores):
    """The label count: static where known (``top_k`` on JAX needs a Python int)."""
    static = scores.shape[-1]
    return static if static is not None else ops.shape(scores)[-1]


def take_rows(x, indices):
    """``take_along_axis(x, indices, axis=-1)`` as one flat gather (leading axes as rows).

    Same values and gradients; on TensorFlow it costs half as much as ``take_along_axis``,
    which builds full index grids.
    """
    width = ops.shape(x)[-1]
    out_shape = ops.shape(indices)
    rows_x = ops.reshape(x, (-1, width))
    rows_i = ops.reshape(ops.cast(indices, "int32"), (ops.shape(rows_x)[0], -1))
    offsets = ops.arange(ops.shape(rows_x)[0], dtype="int32")[:, None] * width
    flat = ops.take(ops.reshape(rows_x, (-1,)), ops.reshape(rows_i + offsets, (-1,)))
    return ops.reshape(flat, out_shape)


def running_max(x):
    """Running maximum along the last axis: ``log2(L)`` shifted maxima.

    With a static label count this costs less than half of ``ops.associative_scan`` on
    TensorFlow; otherwise it falls back to it.
    """
    width = x.shape[-1]
    if width is None:
        out = ops.associative_scan(ops.maximum, x, axis=-1)
        return ops.reshape(out, ops.shape(x))  # TF drops the rank
    shift = 1
    while shift < width:
        padding = ops.full_like(x[..., :shift], -float("inf"))
        x = ops.maximum(x, ops.concatenate([padding, x[..., :-shift]], axis=-1))
        shift *= 2
    return x


def searchsorted_rows(sorted_rows, queries, side):
    """``searchsorted`` of each row of ``queries`` into the same row of ``sorted_rows``."""
    return ops.vectorized_map(
        lambda row: ops.searchsorted(row[0], row[1], side=side), (sorted_rows, queries)
    )


def _sort_codes(keys, pos, neg):
    """Exact int32 sort codes for non-positive float32 keys, positives first at ties.

    After centering every key is ``<= 0``, so ordering by decreasing value is ordering by
    increasing magnitude, and a float32 magnitude is 31 bits of its bit pattern. The code
    ``(magnitude - 2**30) * 2 + is_negative`` therefore orders by decreasing key, with a
    positive's threshold before a negative's equal score (the strict hinge), and never
    overflows int32. Unknown labels get the largest code.
    """
    magnitude = ops.bitwise_and(ops.view(keys, "int32"), 0x7FFFFFFF)
    known = (pos + neg) > 0
    magnitude = ops.where(known, magnitude, 0x7FFFFFFF)
    is_negative = ops.cast(ops.logical_or(neg > 0, ~known), "int32")
    return (magnitude - 2**30) * 2 + is_negative


def weighted_violations(scores, pos, neg, margin, rank_weight):
    """``sum_{u in P} w(r_u) sum_{v in N: margin - f_u + f_v > 0} (margin - f_u + f_v)``.

    ``r_u`` is the number of negatives violating ``u`` and ``w = rank_weight(r)`` a weight
    that depends on the count only (1 for the pairwise hinge, ``L(r)/r`` for exact WARP).

    One ``top_k`` per row, on exact integer codes of the keys ``f_u - margin`` (positives)
    and ``f_v`` (negatives), sorts them by decreasing value with a positive first at a tie
    (see `_sort_codes`): a positive's violators are then exactly the negatives before it.
    The value is written as ``sum_u w_u r_u (margin - f_u) + sum_v C_v f_v``, ``C_v`` being
    the summed weights of the positives that ``v`` violates (those after it). Counts and
    weights are constants for the gradient, so the backward pass is one gather's.
    """
    scores = center_scores(scores, pos, neg)  # keys <= 0; exact sums at any offset
    keys = scores - margin * pos
    codes = _sort_codes(ops.stop_gradient(keys), pos, neg)
    negated, order = ops.top_k(-1 - codes, k=num_labels_of(scores), sorted=True)
    codes_sorted = -1 - negated
    unknown = codes_sorted == 2**31 - 1
    is_neg_bit = ops.bitwise_and(codes_sorted, 1) == 1
    is_pos = ops.cast(ops.logical_and(~is_neg_bit, ~unknown), scores.dtype)
    is_neg = ops.cast(ops.logical_and(is_neg_bit, ~unknown), scores.dtype)
    score_sorted = take_rows(scores, order)
    rank = ops.cumsum(is_neg, axis=-1)  # at a positive's slot: its violator count
    weight = is_pos * rank_weight(rank)
    # A negative violates exactly the positives after it in the sorted row.
    weight_after = ops.sum(weight, axis=-1, keepdims=True) - ops.cumsum(weight, axis=-1)
    return ops.sum(
        weight * rank * (margin - score_sorted) + is_neg * weight_after * score_sorted, axis=-1
    )


def step_seed(seed, scores):
    """The seed to hand to ``keras.random`` for the sampled losses.

    ``seed`` is None, an int or a ``keras.random.SeedGenerator``. On JAX, ``fit`` runs the
    loss inside a jitted step that carries forward only layers', optimizers' and metrics'
    variables, never a loss's, so a loss's ``SeedGenerator`` would hand every step the same
    key. There the key is folded with the bits of ``sum(f * (1 + f))`` over the scores,
    which change at every training step; the draws remain a function of the seed and the
    inputs (reproducible). TensorFlow and PyTorch advance the generator's state as usual.
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
    return seed


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
    A function that takes ``seed`` gets this loss's ``keras.random.SeedGenerator``, made
    from the int (or None) seed that the config saves.
    """

    def __init__(self, fn, name, reduction="sum_over_batch_size", dtype=None, **fn_kwargs):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        if "seed" in fn_kwargs:
            seed = seed_argument(fn_kwargs["seed"])
            if isinstance(seed, keras.random.SeedGenerator):
                raise ValueError(
                    f"`seed` of {type(self).__name__} must be None or an int (it is saved "
                    f"in the config). Received: seed={seed!r}"
                )
            self.seed_generator = keras.random.SeedGenerator(seed)
        self.fn = fn
        self.fn_kwargs = fn_kwargs

    def call(self, y_true, y_pred):
        kwargs = dict(self.fn_kwargs)
        if "seed" in kwargs:
            kwargs["seed"] = self.seed_generator
        return self.fn(y_true, y_pred, **kwargs)

    def get_config(self):
        config = super().get_config()
        config["dtype"] = self.dtype
        config.update(self.fn_kwargs)
        return config
