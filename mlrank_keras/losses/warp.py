"""WARP: weighted approximate-rank pairwise loss (Gong et al. 2014, section 3.2.3).

After Weston et al. (WSABIE, 2011). With ``L(r) = sum_{j=1..r} 1/j`` and, for a positive
label ``u``, its violators ``V_u = {v in N : margin - f_u + f_v > 0}``:

* ``rank_estimate="exact"``: ``r_u = |V_u|`` counted exactly and the loss for ``u`` is
  ``L(r_u) / r_u * sum_{v in V_u} (margin - f_u + f_v)`` (WSABIE's rank-weighted pairwise
  error; the weight is piecewise constant in the scores).
* ``rank_estimate="sampled"``: the paper's estimator. Negatives are drawn uniformly without
  replacement until the first violator ``v*``; after ``s`` draws ``r_u = floor((c - 1) / s)``
  with ``c`` the number of labels (the row's length), and the loss for ``u`` is
  ``L(r_u) * (margin - f_u + f_v*)``. The weight is a constant for the gradient; a positive
  with no violator gives no loss.

Both forms take one sort per row (``O(L log L)`` time, ``O(L)`` memory per row) and no
Python loop, except in a batch whose rows all have few positives (see
`mlrank_keras.losses.sorting.FEW_POSITIVES`), where each positive is compared with every
label instead (``O(few L)``, no sort), with the same values and gradients, and on JAX
rows of up to a few thousand positives sort only those (see
`mlrank_keras.losses.sorting.COUNTED_POSITIVES`, ``O(L log P)``). The exact form
sorts the scores (see `weighted_violations`). The sampled form draws one uniformly random
order of the row's negatives per call (random keys, drawn by decreasing key) and lets every
positive read its own first violator from it: with a sort, the first draw whose running
maximum score passes ``f_u - margin`` (a binary search); without one, the violator with the
largest key, after the negatives with larger keys. Each positive's draws follow the paper's
process (a uniformly random order without replacement) up to ties between two keys, which
every path breaks by label index. The keys have 28 bits (see `_draw_keys`): about ``L**2 /
2**29`` tied pairs a row, 0.19 at 10,000 labels and 19 at 100,000, and a tie changes a draw
only where it involves the first violator's key (for a given positive, a chance of about
``L / 2**28``: 4e-5 at 10,000 labels, 4e-4 at 100,000). Positives of one row share that
order.
"""

import keras
from keras import ops

from mlrank_keras.api import register
from mlrank_keras.labels import prepare_inputs
from mlrank_keras.losses.base import MultilabelLoss, per_sample
from mlrank_keras.losses.first_draws import first_violators_by_slot
from mlrank_keras.losses.kernels import (
    harmonic_numbers,
    masked,
    num_labels_of,
    running_max,
    searchsorted_rows,
    take_rows,
    torch_compiling,
)
from mlrank_keras.losses.seeds import step_seed
from mlrank_keras.losses.slots import slot_labels, slot_thresholds, violators
from mlrank_keras.losses.sorting import (
    by_positive_count,
    counted_tiers,
    counts_above,
    passed_thresholds,
    row_segments,
    weighted_violations,
)
from mlrank_keras.validation import margin_argument, seed_argument

RANK_ESTIMATES = ("exact", "sampled")


def _rank_estimate_argument(rank_estimate):
    if rank_estimate not in RANK_ESTIMATES:
        raise ValueError(
            f"`rank_estimate` must be one of {RANK_ESTIMATES}. "
            f"Received: rank_estimate={rank_estimate!r}"
        )
    return rank_estimate


def _draw_keys(scores, seed):
    """One uniformly random draw order per row: random keys below ``2**28 - 1``, drawn by
    decreasing key (ties are rare and broken by label index, see the module docstring).

    PyTorch's CPU ``randint`` takes one 32-bit word of its generator a key for a range
    below ``2**28`` and two from there on: 31-bit keys took half as long again to draw
    (0.93 against 0.63 ms at 32 x 10,000), for 8 times fewer ties."""
    return keras.random.randint(
        ops.shape(scores), 0, 2**28 - 1, dtype="int32", seed=step_seed(seed, scores)
    )


def _sampled_weight(misses, num_labels, harmonic, dtype):
    """``L(floor((c - 1) / s))`` after ``s = misses + 1`` draws, a constant (an integer
    division: exact at any label count)."""
    misses = ops.cast(misses, "int32")
    rank = (ops.cast(num_labels, "int32") - 1) // (misses + 1)
    return ops.stop_gradient(ops.cast(ops.take(harmonic, rank), dtype))


def _sampled_warp(scores, pos, neg, margin, harmonic, keys):
    """Sampled WARP by one sort of the draw keys per row (any number of positives)."""
    num_labels = num_labels_of(scores)
    _, draw_order = ops.top_k(ops.where(neg > 0, keys, -1), k=num_labels, sorted=True)
    drawn = take_rows(ops.where(neg > 0, scores, -float("inf")), draw_order)
    # Positive u's first violator is the first draw scoring above f_u - margin, that is the
    # first place where the running maximum of the drawn scores exceeds it.
    record = running_max(ops.stop_gradient(drawn))
    misses = searchsorted_rows(record, ops.stop_gradient(scores) - margin, side="right")
    found = pos * ops.cast(misses < num_labels, scores.dtype)
    misses = ops.minimum(misses, num_labels - 1)
    weight = _sampled_weight(misses, num_labels, harmonic, scores.dtype)
    violator_score = take_rows(drawn, misses)
    violator_score = ops.where(found > 0, violator_score, 0.0)
    return ops.sum(masked(margin - scores + violator_score, found * weight), axis=-1)


def _few_sampled_warp(scores, pos, neg, margin, harmonic, keys, few):
    """Sampled WARP for rows with at most ``few`` positives, without a sort: the same draw
    order (decreasing key). A positive's first violator is its violator with the largest
    key, and the draws before it are the negatives with larger keys."""
    is_slot, slot = slot_labels(pos, few)
    _, _, threshold = slot_thresholds(
        take_rows(ops.stop_gradient(scores), slot), is_slot, margin)
    if keras.backend.backend() == "torch" and not torch_compiling():
        first, found, misses = first_violators_by_slot(scores, neg, threshold, keys)
    else:
        first, found, misses = _first_violators(scores, neg, threshold, keys)
    found = ops.cast(ops.logical_and(is_slot, found), scores.dtype)
    weight = _sampled_weight(misses, num_labels_of(scores), harmonic, scores.dtype)
    # The positives' and their first violators' scores in one gather (one gradient buffer)
    taken = take_rows(scores, ops.concatenate(
        [ops.cast(slot, "int32"), ops.cast(first, "int32")], axis=-1))
    pos_scores, violator_score = taken[..., :few], taken[..., few:]
    violator_score = ops.where(found > 0, violator_score, 0.0)
    return ops.sum(masked(margin - pos_scores + violator_score, found * weight), axis=-1)


def _first_violators(scores, neg, threshold, keys):
    """Each slot's first violator, whether it has one, and its misses (the negatives of
    larger key), from ``(rows, few, L)`` tensors (XLA fuses them on JAX, inductor under
    ``torch.compile``; on TensorFlow this costs less than
    `mlrank_keras.losses.first_draws.first_violators_by_slot`)."""
    violator_keys = ops.where(violators(scores, neg, threshold), keys[..., None, :], -1)
    first = ops.argmax(violator_keys, axis=-1)
    first_key = ops.squeeze(take_rows(violator_keys, first[..., None]), axis=-1)
    negative_keys = ops.where(neg > 0, keys, -1)
    # A sum of booleans: PyTorch counts them without a float copy of (rows, few, L).
    misses = ops.sum(negative_keys[..., None, :] > first_key[..., :, None], axis=-1)
    return first, first_key >= 0, misses


def _counted_sampled_warp(scores, pos, neg, margin, harmonic, keys, size):
    """Sampled WARP for rows with at most ``size`` positives, sorting only them (JAX): the
    same draw order (decreasing key) and values as `_few_sampled_warp`.

    With the thresholds ``f_u - margin`` sorted, positive ``j`` (in that order) is violated
    by the negatives that passed more than ``j`` thresholds (``passed``, one search per
    label, as in `counted_violations`). Each count of passed thresholds keeps its largest
    key and the label holding it (``segment_max``); a suffix scan over the counts gives
    each positive its first violator. Its misses, the negatives of larger key, are counted
    the same way: one search of each negative's key among the first violators' keys and a
    histogram. Where two negatives of a row draw the same key (about ``L**2 / 2**29`` a
    row), the one of the smaller index is drawn first, as by ``argmax``.
    """
    num_labels = num_labels_of(scores)
    is_slot, pos_scores, passed = passed_thresholds(scores, pos, neg, margin, size)
    segments, count = row_segments(passed, size)
    negative_keys = ops.where(neg > 0, keys, -1)

    def per_count_max(values):  # (rows, size + 1); -1 where no negative passed that many
        found = ops.segment_max(ops.reshape(values, (-1,)), segments, num_segments=count)
        return ops.maximum(ops.reshape(found, (-1, size + 1)), -1)

    # Per count of passed thresholds: the largest key, and the smallest label holding it.
    bin_key = per_count_max(negative_keys)
    is_top = ops.logical_and(negative_keys == take_rows(bin_key, passed), neg > 0)
    reversed_index = num_labels - 1 - ops.arange(num_labels, dtype="int32")
    bin_label = per_count_max(ops.where(is_top, reversed_index[None, :], -1))

    def larger(a, b):  # the larger key; at equal keys the smaller label
        take_b = ops.logical_or(a[0] < b[0], ops.logical_and(a[0] == b[0], a[1] < b[1]))
        return ops.where(take_b, b[0], a[0]), ops.where(take_b, b[1], a[1])

    first_key, first_label = ops.associative_scan(
        larger, (bin_key, bin_label), reverse=True, axis=1
    )
    first_key, first_label = first_key[:, 1:], num_labels - 1 - first_label[:, 1:]
    found = ops.cast(ops.logical_and(is_slot, first_key >= 0), scores.dtype)
    # Misses of positive j: the negatives whose keys exceed its first violator's, counted
    # by the place of each negative's key among the first keys in increasing order.
    below = searchsorted_rows(ops.flip(first_key, axis=-1), negative_keys, side="left")
    misses = ops.cast(ops.flip(counts_above(below, neg, size), axis=-1), "int32")
    weight = _sampled_weight(misses, num_labels, harmonic, scores.dtype)
    first_label = ops.clip(first_label, 0, num_labels - 1)
    violator_score = ops.where(found > 0, take_rows(scores, first_label), 0.0)
    return ops.sum(masked(margin - pos_scores + violator_score, found * weight), axis=-1)


@register
@per_sample
def warp_loss(y_true, y_pred, margin=1.0, rank_estimate="exact", seed=None):
    """WARP loss per sample, exact or with the paper's sampled rank estimate.

    See the module docstring for the formulas. Rows with no positive or no negative label
    give 0 and zero gradients; unknown labels (-1) take no part.

    Args:
        y_true: multi-hot targets, ``1`` positive, ``0`` negative, ``-1`` unknown.
        y_pred: scores (logits) of the same shape.
        margin: the hinge margin, a number ``>= 0``. Defaults to 1.
        rank_estimate: ``"exact"`` (count violators) or ``"sampled"`` (Gong's estimator
            ``floor((c - 1) / s)``). Defaults to ``"exact"``.
        seed: for ``"sampled"``: None, an int or a ``keras.random.SeedGenerator``. Inside a
            jitted JAX function pass a ``SeedGenerator`` (as `WARPLoss` does).

    Returns:
        The per-sample loss, shape ``y_pred.shape[:-1]``.

    Example:
    >>> # The positive has 2 violators (0.5 and 1.0): L(2)/2 * (0.5 + 1.0) = 1.125
    >>> float(warp_loss([[1.0, 0.0, 0.0, 0.0]], [[1.0, 0.5, 1.0, -3.0]])[0])
    1.125
    """
    margin = margin_argument(margin)
    rank_estimate = _rank_estimate_argument(rank_estimate)
    seed = seed_argument(seed)
    scores, pos, neg = prepare_inputs(y_true, y_pred)
    harmonic = harmonic_numbers(num_labels_of(scores), scores.dtype)
    if rank_estimate == "exact":

        def rank_weight(rank):  # L(r) / r, and 0 for r = 0
            # ones_like: PyTorch's maximum with a Python float returns float32
            return ops.take(harmonic, ops.cast(rank, "int32")) / ops.maximum(
                rank, ops.ones_like(rank)
            )

        return weighted_violations(scores, pos, neg, margin, rank_weight)
    # The keys are drawn outside `cond`: a SeedGenerator advanced inside a traced branch
    # would keep a tracer in its state on JAX.
    keys = _draw_keys(scores, seed)
    return by_positive_count(
        scores,
        pos,
        lambda few: _few_sampled_warp(scores, pos, neg, margin, harmonic, keys, few),
        lambda: _sampled_path(scores, pos, neg, margin, harmonic, keys),
    )


def _sampled_path(scores, pos, neg, margin, harmonic, keys):
    """Past the few-positives tiers: on JAX `_counted_sampled_warp` for rows of up to a few
    thousand positives (see `mlrank_keras.losses.sorting.COUNTED_POSITIVES`), else (and
    elsewhere) `_sampled_warp`'s sort of the keys."""
    if keras.backend.backend() != "jax":
        return _sampled_warp(scores, pos, neg, margin, harmonic, keys)
    return by_positive_count(
        scores,
        pos,
        lambda size: _counted_sampled_warp(scores, pos, neg, margin, harmonic, keys, size),
        lambda: _sampled_warp(scores, pos, neg, margin, harmonic, keys),
        tiers=counted_tiers(scores),
    )


@register
class WARPLoss(MultilabelLoss):
    """Gong et al. 2014's WARP loss (section 3.2.3), exact or sampled.

    Args:
        margin: the hinge margin, a number ``>= 0``. Defaults to 1.
        rank_estimate: ``"exact"`` counts each positive's violating negatives;
            ``"sampled"`` is the paper's estimator from drawing negatives until the first
            violator. Defaults to ``"exact"``.
        seed: an int seed for ``"sampled"`` (random draws go through a
            ``keras.random.SeedGenerator``, so the same seed gives the same values).
            Defaults to None (a random seed).
        reduction: as for any ``keras.losses.Loss``. Defaults to ``"sum_over_batch_size"``.
        name: the loss name. Defaults to ``"warp_loss"``.
        dtype: the dtype of the loss computations. Defaults to ``keras.backend.floatx()``.

    Example:
    >>> loss = WARPLoss(rank_estimate="exact")
    >>> float(loss([[1.0, 0.0, 0.0, 0.0]], [[1.0, 0.5, 1.0, -3.0]]))
    1.125
    """

    def __init__(self, margin=1.0, rank_estimate="exact", seed=None,
                 reduction="sum_over_batch_size", name="warp_loss", dtype=None):
        super().__init__(warp_loss, name=name, reduction=reduction, dtype=dtype,
                         margin=margin_argument(margin),
                         rank_estimate=_rank_estimate_argument(rank_estimate), seed=seed)
