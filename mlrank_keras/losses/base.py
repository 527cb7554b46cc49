"""The base class of the multilabel losses.

The label convention (positive, negative, unknown) is :mod:`mlrank_keras.labels`; argument
checks are :mod:`mlrank_keras.validation`; the numeric kernels :mod:`.kernels`, the sort
engine :mod:`.sorting` and the sampled losses' seeds :mod:`.seeds`.
"""

import functools

import keras
import numpy as np
from keras import ops

from mlrank_keras.labels import check_same_rank, compute_dtype, squeeze_row_weights
from mlrank_keras.losses.kernels import cond
from mlrank_keras.validation import seed_argument


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

    def __call__(self, y_true, y_pred, sample_weight=None):
        if sample_weight is not None:
            # One value per sample: (B, L) weights would be broadcast against the (B,)
            # losses by Keras, silently transposed when B == L.
            squeeze_row_weights(_static_shape(sample_weight), _static_shape(y_pred))
        return super().__call__(y_true, y_pred, sample_weight=sample_weight)

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


def _static_shape(x):
    shape = getattr(x, "shape", None)
    return tuple(np.shape(x) if shape is None else shape)


def per_sample(fn=None, *, scores_per_label=True):
    """Makes a plain loss function ``fn(y_true, y_pred, **kwargs)`` take any rank and any
    number of rows, with one rule for non-finite scores.

    Labels (and scores) are on the last axis; every leading axis is a per-sample axis, and
    the result has the shape ``y_pred.shape[:-1]`` (a scalar for rank-1 inputs). ``fn``
    itself sees ``(rows, labels)`` tensors. A batch with no rows (a static 0 in the leading
    shape) gives an empty result of the compute dtype without calling ``fn``.

    Non-finite scores: a row with a NaN or ``+inf`` score on a known label (``y_true >=
    0``) has the loss NaN, on every backend and every loss: never a plausible number. A
    score of ``-inf`` is a limit, not an error: the label ranks below every other, and the
    loss takes its limit value (a negative at ``-inf`` violates nothing; a positive at
    ``-inf`` gives ``inf`` for the hinge losses). Scores of unknown labels are ignored,
    whatever they are. A NaN in ``y_true`` makes its row's loss NaN too (it is neither a
    label value nor the unknown mark -1). Boolean ``y_true`` is read as 1 (True) and 0
    (False). With ``scores_per_label=False`` (the label-count loss, whose scores
    are label counts, not labels) the rule applies to every score of the row.
    """
    if fn is None:
        return functools.partial(per_sample, scores_per_label=scores_per_label)

    @functools.wraps(fn)
    def wrapper(y_true, y_pred, *args, **kwargs):
        y_pred = ops.convert_to_tensor(y_pred)
        y_true = ops.convert_to_tensor(y_true)
        if keras.backend.standardize_dtype(y_true.dtype) == "bool":
            y_true = ops.cast(y_true, compute_dtype(y_pred))  # True positive, False negative
        check_same_rank(y_true, y_pred)
        leading = tuple(y_pred.shape[:-1])
        if any(size == 0 for size in leading):
            return ops.zeros(leading, dtype=compute_dtype(y_pred))
        if len(leading) == 1:
            out = fn(y_true, y_pred, *args, **kwargs)
        else:
            true_rows = ops.reshape(y_true, (-1, ops.shape(y_true)[-1]))
            pred_rows = ops.reshape(y_pred, (-1, ops.shape(y_pred)[-1]))
            out = ops.reshape(fn(true_rows, pred_rows, *args, **kwargs), ops.shape(y_pred)[:-1])
        bad = cond(
            ops.all(_finite_rows(y_true, y_pred)),
            lambda: ops.zeros(ops.shape(out), dtype="bool"),
            lambda: _non_finite_rows(y_true, y_pred, scores_per_label),
        )
        return ops.where(bad, ops.full_like(out, float("nan")), out)

    return wrapper


def _finite_rows(y_true, y_pred):
    """True for a row whose scores and labels sum to a finite number: it holds no NaN and
    no infinity, so the full test (`_non_finite_rows`) can be skipped. One sum per tensor:
    the full test costs several passes, each slow on PyTorch's CPU kernels."""
    total = ops.sum(ops.cast(y_pred, "float32"), axis=-1)
    return ops.isfinite(total + ops.sum(ops.cast(y_true, "float32"), axis=-1))


def _non_finite_rows(y_true, y_pred, scores_per_label):
    """Per row: a NaN or ``+inf`` score on a known label (any label with
    ``scores_per_label=False``) or a NaN label."""
    bad = ops.logical_or(ops.isnan(y_pred), y_pred == float("inf"))
    if scores_per_label:
        bad = ops.logical_and(bad, y_true >= 0)
    bad = ops.any(bad, axis=-1)
    if keras.backend.standardize_dtype(y_true.dtype).startswith(("float", "bfloat")):
        # A NaN label is no label value (y_true may be narrower: label counts).
        bad = ops.logical_or(bad, ops.any(ops.isnan(y_true), axis=-1))
    return bad
