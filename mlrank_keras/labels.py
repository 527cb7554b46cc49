"""The label convention, shared by every loss, metric, decision and layer of the package.

* ``y_true`` has the shape of the scores ``y_pred``: one column per label, labels on the
  last axis (any leading axes are per-sample axes).
* an entry ``> 0.5`` marks a **positive** label (the set P), an entry in ``[0, 0.5]`` a
  **negative** label (the set N), and a negative entry (conventionally ``-1``) an
  **unknown** label, which is neither positive nor negative: it takes no part in a loss and
  counts nowhere in a metric.
* ``y_pred`` holds scores (logits), higher meaning more relevant.

Half-precision scores (``float16``, ``bfloat16``) are computed in ``float32``
(:func:`compute_dtype`): the sums over up to ``|P| * |N|`` pairs overflow ``float16`` long
before the scores do, and half-precision values are exact in ``float32``.

>>> import numpy as np
>>> positive, known = numpy_label_masks(np.array([1.0, 0.0, -1.0, 0.7]))
>>> positive.tolist(), known.tolist()
([True, False, False, True], [True, True, False, True])
"""

import keras
import numpy as np
from keras import ops

POSITIVE_ABOVE = 0.5  # an entry above this is a positive label
HALF_DTYPES = ("float16", "bfloat16")


def mask_to_float(mask, dtype):
    """``ops.cast`` of a boolean mask to the float ``dtype``; on PyTorch through ``uint8``.

    PyTorch's CPU cast of ``bool`` to a float is several times slower than ``bool`` to
    ``uint8`` and ``uint8`` to the float (0.42 against 0.09 ms for a ``(32, 8, 10,000)``
    mask; the few-positives pairwise step 1-7 % faster). XLA fuses the cast on JAX, and
    the direct cast is the faster on TensorFlow. Same values on every backend.
    """
    if keras.backend.backend() == "torch":
        mask = ops.cast(mask, "uint8")
    return ops.cast(mask, dtype)


def compute_dtype(x):
    """The dtype losses and metrics compute in for scores ``x``: float32 for half-precision
    and non-float scores, else the scores' own float dtype (float32, float64)."""
    dtype = keras.backend.standardize_dtype(x.dtype)
    if dtype in HALF_DTYPES or not dtype.startswith("float"):
        return "float32"
    return dtype


def label_masks(y_true):
    """``(positive, known)`` boolean masks of a tensor of labels."""
    return y_true > POSITIVE_ABOVE, y_true >= 0.0


def numpy_label_masks(y_true):
    """:func:`label_masks` for NumPy arrays."""
    y_true = np.asarray(y_true)
    return y_true > POSITIVE_ABOVE, y_true >= 0


def check_same_rank(y_true, y_pred):
    """Raises a clear error unless the two tensors have the same rank, at least 1."""
    true_shape, pred_shape = tuple(y_true.shape), tuple(y_pred.shape)
    if len(true_shape) != len(pred_shape) or len(pred_shape) < 1:
        raise ValueError(
            "`y_true` and `y_pred` must have the same rank (at least 1, labels on the last "
            f"axis). Received: y_true.shape={true_shape}, y_pred.shape={pred_shape}"
        )


def check_same_shape(y_true, y_pred):
    """Raises a clear error unless the two tensors' (static) shapes agree, rank >= 1."""
    check_same_rank(y_true, y_pred)
    true_shape, pred_shape = tuple(y_true.shape), tuple(y_pred.shape)
    for a, b in zip(true_shape, pred_shape, strict=True):
        if a is not None and b is not None and a != b:
            raise ValueError(
                "`y_true` and `y_pred` must have the same shape. "
                f"Received: y_true.shape={true_shape}, y_pred.shape={pred_shape}"
            )


def squeeze_row_weights(weight_shape, pred_shape):
    """Whether weights of ``weight_shape`` hold one weight per row of scores of
    ``pred_shape`` with a trailing axis of 1 (to squeeze); raises a clear error where they
    hold more than one weight per row (per-label weights, which Keras would broadcast over
    the labels: ``(1, L)`` is not a row weight). The rule of every loss and metric."""
    weight_shape, pred_shape = tuple(weight_shape), tuple(pred_shape)
    if len(weight_shape) == len(pred_shape) and weight_shape and weight_shape[-1] == 1:
        return True
    if len(weight_shape) >= len(pred_shape):
        rows = pred_shape[:-1]
        raise ValueError(
            f"`sample_weight` must hold one weight per sample (shape {rows} or "
            f"{(*rows, 1)}, or a scalar), not one per label: mark unknown labels with -1 in "
            f"`y_true` instead. Received: sample_weight.shape={weight_shape}"
        )
    return False


def scores_and_labels(y_true, y_pred):
    """``(y_true, scores)`` as tensors of the compute dtype, their shapes checked."""
    y_pred = ops.convert_to_tensor(y_pred)
    dtype = compute_dtype(y_pred)
    scores = ops.cast(y_pred, dtype)
    y_true = ops.cast(ops.convert_to_tensor(y_true), dtype)
    check_same_shape(y_true, scores)
    return y_true, scores


def prepare_inputs(y_true, y_pred):
    """``(scores, pos, neg)`` in the compute dtype, for the losses.

    ``pos`` and ``neg`` are float 0/1 masks of the positive and negative labels.
    """
    y_true, scores = scores_and_labels(y_true, y_pred)
    positive, known = label_masks(y_true)
    pos = mask_to_float(positive, scores.dtype)
    return scores, pos, mask_to_float(known, scores.dtype) - pos  # positives are known
