"""The engine of the pairwise hinge and exact WARP: for rows with few positives, each
positive against every label (no sort); otherwise one sort per row of exact integer codes
of the scores, then prefix sums (``top_k``; on JAX, rows with up to a few thousand
positives sort the positives alone and count by search, more sort the codes alone and
search back). All are exact; the choice is made per batch."""

import keras
from keras import ops

from mlrank_keras.labels import mask_to_float
from mlrank_keras.losses.kernels import (
    bit_pattern,
    center_scores,
    cond,
    masked,
    num_labels_of,
    searchsorted_rows,
    take_rows,
)
from mlrank_keras.losses.slots import centered_slots, positive_slots, violators

_CODES = {  # keys' float dtype -> (code dtype, magnitude mask = the largest code)
    "float32": ("int32", 2**31 - 1),
    "float64": ("int64", 2**63 - 1),
}


def sort_codes(keys, pos, neg):
    """Exact integer sort codes for non-positive float keys, positives first at ties.

    After centering every key is ``<= 0``, so ordering by decreasing value is ordering by
    increasing magnitude, and a float magnitude is all but the sign bit of its bit pattern
    (31 bits of a float32, 63 of a float64). The code ``(magnitude - 2**(bits - 2)) * 2 +
    is_negative`` therefore orders by decreasing key, with a positive's threshold before a
    negative's equal score (the strict hinge), and never overflows (int32 codes for float32
    keys, int64 codes for float64 keys). Unknown labels get the largest code.
    """
    dtype, largest = _CODES[keras.backend.standardize_dtype(keys.dtype)]
    bits = 32 if dtype == "int32" else 64
    magnitude = ops.bitwise_and(bit_pattern(keys, dtype), largest)
    known = (pos + neg) > 0
    magnitude = ops.where(known, magnitude, ops.cast(largest, dtype))
    is_negative = ops.cast(ops.logical_or(neg > 0, ~known), dtype)
    return (magnitude - 2 ** (bits - 2)) * 2 + is_negative


# The path without a sort takes a batch whose rows all have at most this many positives
# (the smallest tier that holds them), where the row has at least four times as many
# labels. Real label sets carry a few per image (NUS-WIDE about 2.4, MS-COCO 2.9, Open
# Images about 8); past 16 a row's sort costs less than 16 comparisons per label on the
# CPU backends (BENCHMARKS.md).
FEW_POSITIVES = (8, 16)


def few_positive_tiers(scores):
    """The tiers of :data:`FEW_POSITIVES` that a row of ``scores`` can take (static)."""
    width = scores.shape[-1]
    if width is None:
        return ()
    return tuple(tier for tier in FEW_POSITIVES if width >= 4 * tier)


# On JAX, rows with more positives than the few-positives path takes but at most this many
# (and at least eight labels per positive) sort their positives alone and count each
# label's place among them by search (`counted_violations`): XLA's CPU sort of every label
# costs several times more (BENCHMARKS.md).
COUNTED_POSITIVES = (64, 256, 1024, 4096)


def counted_tiers(scores):
    """The tiers of :data:`COUNTED_POSITIVES` that a row of ``scores`` can take (static)."""
    width = scores.shape[-1]
    if width is None:
        return ()
    return tuple(tier for tier in COUNTED_POSITIVES if width >= 8 * tier)


def by_positive_count(scores, pos, few_path, sorted_path, tiers=None, counts=None):
    """``few_path(tier)`` for the smallest tier holding every row's positives, else
    ``sorted_path()``: one ``cond`` per tier on the batch's largest positive count. The
    tiers default to `few_positive_tiers`; ``counts``, where given, are the rows' counts
    (``pos`` is then unused)."""
    tiers = few_positive_tiers(scores) if tiers is None else tiers
    if not tiers:
        return sorted_path()
    most = ops.max(ops.sum(pos, axis=-1) if counts is None else counts)

    def choose(i):
        if i == len(tiers):
            return sorted_path
        return lambda: cond(
            most <= tiers[i], lambda: few_path(tiers[i]), choose(i + 1)
        )

    return choose(0)()


def weighted_violations(scores, pos, neg, margin, rank_weight):
    """``sum_{u in P} w(r_u) sum_{v in N: margin - f_u + f_v > 0} (margin - f_u + f_v)``.

    ``r_u`` is the number of negatives violating ``u`` and ``w = rank_weight(r)`` a weight
    that depends on the count only (1 for the pairwise hinge, ``L(r)/r`` for exact WARP).

    Where every row of the batch has few positives (see :data:`FEW_POSITIVES`) each
    positive is compared with every label (``O(few L)`` per row, no sort, see
    `few_violations`); otherwise the row is sorted (`sorted_path`). Same values and
    gradients.
    """
    return by_positive_count(
        scores,
        pos,
        lambda few: few_violations(scores, pos, neg, margin, rank_weight, few),
        lambda: sorted_path(scores, pos, neg, margin, rank_weight),
    )


def sorted_path(scores, pos, neg, margin, rank_weight):
    """On JAX, `counted_violations` for rows of up to a few thousand positives (see
    :data:`COUNTED_POSITIVES`) and `searched_violations` past them (its sort of one operand
    is the fast one); elsewhere `sorted_violations` (``top_k`` costs less than a batched
    search there)."""
    if keras.backend.backend() == "jax":
        return by_positive_count(
            scores,
            pos,
            lambda size: counted_violations(scores, pos, neg, margin, rank_weight, size),
            lambda: searched_violations(scores, pos, neg, margin, rank_weight),
            tiers=counted_tiers(scores),
        )
    return sorted_violations(scores, pos, neg, margin, rank_weight)


def few_violations(scores, pos, neg, margin, rank_weight, few):
    """`weighted_violations` for rows with at most ``few`` positives, without a sort.

    The positives' scores (one ``top_k`` of ``few`` on the positive mask) are compared with
    every negative, one ``(rows, few, L)`` comparison. Each positive's count ``r_u`` is a
    sum over it; the value is ``sum_u w_u r_u (margin - f_u) + sum_v C_v f_v`` as in the
    sorted path, and the negatives' coefficients ``C_v = sum_u w_u [v violates u]`` are one
    batched product. Counts, weights and coefficients are constants for the gradient. A
    negative at ``-inf`` violates nothing; a positive at ``-inf`` is violated by every
    finite negative, with an infinite hinge.
    """
    scores, is_slot, pos_scores, threshold = centered_slots(scores, pos, margin, few)
    violates = mask_to_float(violators(scores, neg, threshold), scores.dtype)
    rank = ops.sum(violates, axis=-1)
    weight = ops.where(is_slot, rank_weight(rank), ops.zeros_like(rank))
    coefficient = ops.squeeze(ops.matmul(weight[..., None, :], violates), axis=-2)
    return ops.sum(masked(margin - pos_scores, weight * rank), axis=-1) + ops.sum(
        masked(scores, coefficient), axis=-1
    )


def sorted_violations(scores, pos, neg, margin, rank_weight):
    """`weighted_violations` by one sort per row.

    One ``top_k`` per row, on exact integer codes of the keys ``f_u - margin`` (positives)
    and ``f_v`` (negatives), sorts them by decreasing value with a positive first at a tie
    (see `sort_codes`): a positive's violators are then exactly the negatives before it.
    The value is written as ``sum_u w_u r_u (margin - f_u) + sum_v C_v f_v``, ``C_v`` being
    the summed weights of the positives that ``v`` violates (those after it). Counts and
    weights are constants for the gradient, so the backward pass is one gather's.
    """
    scores = center_scores(scores, pos, neg)  # keys <= 0; exact sums at any offset
    codes = sort_codes(ops.stop_gradient(scores - margin * pos), pos, neg)
    negated, order = ops.top_k(-1 - codes, k=num_labels_of(scores), sorted=True)
    pos_coefficient, neg_coefficient = _sorted_coefficients(-1 - negated, rank_weight, scores)
    score_sorted = take_rows(scores, order)
    return ops.sum(
        masked(margin - score_sorted, pos_coefficient) + masked(score_sorted, neg_coefficient),
        axis=-1,
    )


def _sorted_coefficients(codes_sorted, rank_weight, scores):
    """The coefficients of a sorted row's scores: ``w_u r_u`` at each positive (of ``margin -
    f_u``) and ``C_v`` at each negative (of ``f_v``), 0 elsewhere."""
    unknown = codes_sorted == _CODES[keras.backend.standardize_dtype(scores.dtype)][1]
    is_neg_bit = ops.bitwise_and(codes_sorted, 1) == 1
    is_pos = ops.cast(ops.logical_and(~is_neg_bit, ~unknown), scores.dtype)
    is_neg = ops.cast(ops.logical_and(is_neg_bit, ~unknown), scores.dtype)
    rank = ops.cumsum(is_neg, axis=-1)  # at a positive's slot: its violator count
    weight = is_pos * rank_weight(rank)
    # A negative violates exactly the positives after it in the sorted row. Suffix sums,
    # not total - prefix: after the last positive they are exactly 0, so a negative at -inf
    # (sorted last) gets weight 0 and not a rounding residue times -inf.
    weight_after = ops.flip(ops.cumsum(ops.flip(weight, axis=-1), axis=-1), axis=-1) - weight
    return weight * rank, is_neg * weight_after


def searched_violations(scores, pos, neg, margin, rank_weight):
    """`sorted_violations` by a sort of the codes alone and a search back (JAX).

    XLA's CPU sort of one int32 operand is several times faster than the two-operand sort
    (codes and their order) that ``top_k`` runs. The counts, weights and suffix sums of
    `sorted_violations` need only the sorted codes; each label then finds its own code's
    place among them (a ``searchsorted`` per row, batched by ``vectorized_map``, which is
    ``vmap`` on JAX) and reads its coefficient there. Labels of one code share their
    coefficients (no label of the other kind sorts between them), so the first place of
    the code serves them all.
    """
    scores = center_scores(scores, pos, neg)
    codes = sort_codes(ops.stop_gradient(scores - margin * pos), pos, neg)
    codes_sorted = ops.sort(codes, axis=-1)
    pos_sorted, neg_sorted = _sorted_coefficients(codes_sorted, rank_weight, scores)
    place = ops.vectorized_map(
        lambda row: ops.searchsorted(row[0], row[1], side="left"), (codes_sorted, codes)
    )
    pos_coefficient = pos * take_rows(pos_sorted, place)
    neg_coefficient = neg * take_rows(neg_sorted, place)
    return ops.sum(
        masked(margin - scores, pos_coefficient) + masked(scores, neg_coefficient), axis=-1
    )


def counted_violations(scores, pos, neg, margin, rank_weight, size):
    """`weighted_violations` for rows with at most ``size`` positives, sorting only them.

    The positives' thresholds ``f_u - margin`` (one ``top_k`` of ``size`` on the positive
    mask) are sorted; a negative violates exactly the positives whose thresholds lie below
    its score, a prefix of that order, so one search per label gives how many (``passed``,
    a ``searchsorted`` per row). Its coefficient ``C_v`` is the prefix sum of the sorted
    positives' weights at ``passed``, and a positive's count ``r_u`` the number of
    negatives that passed it (a histogram of ``passed``, one ``segment_sum``, summed from
    the top). Same values and gradients as `few_violations`, in ``O(L log size)``.
    """
    scores = center_scores(scores, pos, neg)
    is_slot, pos_scores, passed = passed_thresholds(scores, pos, neg, margin, size)
    rank = counts_above(passed, neg, size)
    weight = ops.where(is_slot, rank_weight(rank), ops.zeros_like(rank))
    prefix = ops.concatenate([ops.zeros_like(weight[:, :1]), ops.cumsum(weight, axis=-1)],
                             axis=-1)
    coefficient = take_rows(prefix, passed)
    return ops.sum(masked(margin - pos_scores, weight * rank), axis=-1) + ops.sum(
        masked(scores, coefficient), axis=-1
    )


def passed_thresholds(scores, pos, neg, margin, size):
    """The row's positives in ``size`` slots in increasing order of their thresholds ``f_u -
    margin`` (empty slots last), and per label how many thresholds lie below its score
    (``passed``: the positives a negative violates are the first ``passed``; 0 for the
    other labels). Returns ``(is_slot, pos_scores, passed)``."""
    is_slot, pos_scores, threshold = positive_slots(scores, pos, margin, size)
    order = ops.argsort(threshold, axis=-1)
    threshold, pos_scores = take_rows(threshold, order), take_rows(pos_scores, order)
    constant = ops.stop_gradient(scores)
    negatives = ops.where(neg > 0, constant, ops.full_like(constant, -float("inf")))
    passed = searchsorted_rows(threshold, negatives, side="left")
    return take_rows(is_slot, order), pos_scores, passed


def row_segments(bins, size):
    """Flat segment ids of per-row bins in ``[0, size]`` (row ``r``'s bin ``b`` is ``r (size
    + 1) + b``) and their number."""
    rows = bins.shape[0] if bins.shape[0] is not None else ops.shape(bins)[0]
    offsets = ops.arange(rows, dtype="int32")[:, None] * (size + 1)
    return ops.reshape(bins + offsets, (-1,)), rows * (size + 1)


def counts_above(bins, weights, size):
    """``[sum of the weights of the labels whose bin exceeds j, for j in 0 .. size - 1]`` per
    row, for bins in ``[0, size]``: a histogram (one ``segment_sum``) summed from the top."""
    segments, count = row_segments(bins, size)
    histogram = ops.segment_sum(ops.reshape(weights, (-1,)), segments, num_segments=count)
    histogram = ops.reshape(histogram, (-1, size + 1))
    above = ops.flip(ops.cumsum(ops.flip(histogram, axis=-1), axis=-1), axis=-1)
    return above[:, 1:]
