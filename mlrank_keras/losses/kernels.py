"""Numeric kernels of the ranking losses: stable sums, gathers, scans and searches.

Each works on the last axis (labels), with any leading axes as rows, on every backend, and
is exact at any score offset where the loss is shift invariant.
"""

import functools
import sys

import keras
import numpy as np
from keras import ops


def cond(pred, true_fn, false_fn):
    """``ops.cond``; on PyTorch the Python branch that Keras's PyTorch ``cond`` takes, without
    the ``Operation`` that ``ops.cond`` builds at every call.

    That operation's automatic name comes from a global counter, and ``torch.compile``
    (``jit_compile=True`` on PyTorch) guards on it: a compiled step recompiled at every call
    until dynamo's limit (8), with a warning, and then ran eagerly. A symbolic (``meta``)
    predicate takes ``true_fn``, as in Keras.
    """
    if keras.backend.backend() != "torch":
        return ops.cond(pred, true_fn, false_fn)
    if getattr(getattr(pred, "device", None), "type", None) == "meta":
        return true_fn()
    return true_fn() if bool(pred) else false_fn()


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
    """``[L(0), L(1), ..., L(num_labels)]`` with ``L(r) = sum_{j=1..r} 1/j``, exact to the
    precision of ``dtype`` on every backend.

    A running sum in float32 drifts (a relative error of 2e-4 at 200,000 labels on
    TensorFlow), so the values are computed once in float64 with NumPy where the label count
    is static, and otherwise from the asymptotic series ``ln r + gamma + 1/(2r) - 1/(12r^2) +
    1/(120r^4) - 1/(252r^6)`` (error below ``1/(240 r^8)``) for ``r >= 8`` and exact sums
    below.
    """
    dtype = keras.backend.standardize_dtype(dtype)
    if isinstance(num_labels, int):
        table = _harmonic_table if torch_compiling() else _static_harmonic_numbers
        return ops.convert_to_tensor(table(num_labels, dtype))
    r = ops.cast(ops.arange(0, num_labels + 1), dtype)
    big = ops.maximum(r, 8.0)
    inv2 = 1.0 / (big * big)
    series = (
        ops.log(big)
        + EULER_GAMMA
        + 0.5 / big
        - inv2 * (1.0 / 12.0 - inv2 * (1.0 / 120.0 - inv2 / 252.0))
    )
    small = ops.convert_to_tensor(_SMALL_HARMONIC.astype(dtype))
    index = ops.cast(ops.minimum(r, 8.0), "int32")
    return ops.where(r < 8.0, ops.take(small, index), series)


def _harmonic_table(num_labels, dtype):
    """`harmonic_numbers` of a static label count as a NumPy array (float64 sums)."""
    values = np.concatenate([[0.0], np.cumsum(1.0 / np.arange(1, num_labels + 1))])
    return values.astype(dtype)


@functools.lru_cache(maxsize=16)
def _static_harmonic_numbers(num_labels, dtype):
    """`_harmonic_table` computed once per count and dtype (the loss runs every step; eager
    PyTorch would redo the float64 sums)."""
    values = _harmonic_table(num_labels, dtype)
    values.flags.writeable = False
    return values


def torch_compiling():
    """True while ``torch.compile`` (``jit_compile=True`` on PyTorch) traces.

    NumPy code there runs as traced tensors: a harmonic table cached from inside a trace is
    a view of one, and every later trace that reads it fails (dynamo: "Expected np.nditer
    base"), so a trace computes its own (a constant of the compiled graph). Sampled WARP
    also picks its compiled form by it (`warp._few_sampled_warp`).
    """
    if keras.backend.backend() != "torch":
        return False
    # Keras's PyTorch backend has loaded torch; looked up, not imported (the package
    # imports no backend framework outside the data pipeline).
    return sys.modules["torch"].compiler.is_compiling()


EULER_GAMMA = 0.5772156649015329
_SMALL_HARMONIC = _harmonic_table(8, "float64")  # L(0)..L(8)


def num_labels_of(scores):
    """The label count: static where known (``top_k`` on JAX needs a Python int)."""
    static = scores.shape[-1]
    return static if static is not None else ops.shape(scores)[-1]


def bit_pattern(x, dtype):
    """``ops.view(x, dtype)`` for a same-size integer ``dtype``, at any (unknown) width.

    TensorFlow's ``view`` needs a static last axis; a column of one element has one.
    """
    return ops.reshape(ops.view(ops.reshape(x, (-1, 1)), dtype), ops.shape(x))


def take_rows(x, indices):
    """``take_along_axis(x, indices, axis=-1)`` as one flat gather (leading axes as rows).

    Same values and gradients; on TensorFlow it costs half as much as ``take_along_axis``,
    which builds full index grids. Eager PyTorch takes ``take_along_axis`` itself (one
    ``take_along_dim``): there each of the flat gather's ten small ops costs more than the
    gather.
    """
    if keras.backend.backend() == "torch":
        return ops.take_along_axis(x, indices, axis=-1)
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
    TensorFlow; an unknown one (a TensorFlow graph) runs the same doubling in a while loop
    (``ops.associative_scan`` took 22 s to build there).
    """
    width = x.shape[-1]
    if width is None:
        return _running_max_unknown_width(x)
    shift = 1
    while shift < width:
        padding = ops.full_like(x[..., :shift], -float("inf"))
        x = ops.maximum(x, ops.concatenate([padding, x[..., :-shift]], axis=-1))
        shift *= 2
    return x


def _running_max_unknown_width(x):
    width = ops.shape(x)[-1]
    index = ops.arange(width, dtype="int32")

    def body(shift, x):
        shifted = ops.take(x, ops.maximum(index - shift, 0), axis=-1)
        shifted = ops.where(index >= shift, shifted, ops.full_like(shifted, -float("inf")))
        return shift * 2, ops.maximum(x, shifted)

    start = ops.convert_to_tensor(1, dtype="int32")
    _, out = ops.while_loop(lambda shift, x: shift < width, body, (start, x))
    return out


def searchsorted_rows(sorted_rows, queries, side):
    """``searchsorted`` of each row of ``queries`` into the same row of ``sorted_rows``.

    int32 positions on every backend (TensorFlow's are int64 otherwise).
    """
    positions = ops.vectorized_map(
        lambda row: ops.searchsorted(row[0], row[1], side=side), (sorted_rows, queries)
    )
    return ops.cast(positions, "int32")


def searchsorted_counts(counts, queries):
    """``searchsorted(row, query, side="left")`` per row, for rows of non-decreasing whole
    numbers in ``[0, L]`` (cumulative counts of a 0/1 mask) and whole-number queries.

    One flat ``searchsorted`` over all rows, not one per row (a ``vectorized_map``, which
    costs more than the search on TensorFlow and PyTorch): row ``r`` is shifted by ``r (L +
    1)`` and the queries clipped to ``[0, L + 1]``, which keeps the flat array sorted and
    every query inside its own row (a query above the row's last count lands at the row's
    end, ``L``, as per row). int32 positions; exact while ``rows * (L + 1) < 2**31``.
    """
    width = ops.shape(counts)[-1]
    rows_c = ops.reshape(ops.cast(counts, "int32"), (-1, width))
    rows = ops.shape(rows_c)[0]
    rows_q = ops.clip(ops.reshape(ops.cast(queries, "int32"), (rows, -1)), 0, width + 1)
    offsets = ops.arange(rows, dtype="int32")[:, None]
    flat = ops.reshape(rows_c + offsets * (width + 1), (-1,))
    found = ops.searchsorted(flat, ops.reshape(rows_q + offsets * (width + 1), (-1,)),
                             side="left")
    positions = ops.reshape(ops.cast(found, "int32"), ops.shape(rows_q)) - offsets * width
    return ops.reshape(positions, ops.shape(queries))


def masked(x, mask):
    """``x * mask`` that is 0 wherever ``mask`` is 0, even where ``x`` is infinite.

    The losses weight scores and hinges by 0/1 label masks; a plain product turns a score
    of ``-inf`` on a label the mask leaves out into NaN (``0 * inf``). Eager PyTorch takes
    ``where(mask > 0, x, 0) * mask`` (no zeros buffer; a few percent faster there), and
    TensorFlow the product inside the ``where`` (its sorted pairwise hinge 3-15 % faster).
    """
    if keras.backend.backend() == "torch":
        return ops.where(mask > 0, x, 0.0) * mask
    return ops.where(mask > 0, x * mask, ops.zeros_like(x))
