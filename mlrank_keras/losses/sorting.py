"""The sort engine of the pairwise hinge and exact WARP: one ``top_k`` per row on exact
integer codes of the scores, then prefix sums."""

import keras
from keras import ops

from mlrank_keras.losses.kernels import (
    bit_pattern,
    center_scores,
    masked,
    num_labels_of,
    take_rows,
)

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


def weighted_violations(scores, pos, neg, margin, rank_weight):
    """``sum_{u in P} w(r_u) sum_{v in N: margin - f_u + f_v > 0} (margin - f_u + f_v)``.

    ``r_u`` is the number of negatives violating ``u`` and ``w = rank_weight(r)`` a weight
    that depends on the count only (1 for the pairwise hinge, ``L(r)/r`` for exact WARP).

    One ``top_k`` per row, on exact integer codes of the keys ``f_u - margin`` (positives)
    and ``f_v`` (negatives), sorts them by decreasing value with a positive first at a tie
    (see `sort_codes`): a positive's violators are then exactly the negatives before it.
    The value is written as ``sum_u w_u r_u (margin - f_u) + sum_v C_v f_v``, ``C_v`` being
    the summed weights of the positives that ``v`` violates (those after it). Counts and
    weights are constants for the gradient, so the backward pass is one gather's.
    """
    scores = center_scores(scores, pos, neg)  # keys <= 0; exact sums at any offset
    keys = scores - margin * pos
    codes = sort_codes(ops.stop_gradient(keys), pos, neg)
    negated, order = ops.top_k(-1 - codes, k=num_labels_of(scores), sorted=True)
    codes_sorted = -1 - negated
    unknown = codes_sorted == _CODES[keras.backend.standardize_dtype(keys.dtype)][1]
    is_neg_bit = ops.bitwise_and(codes_sorted, 1) == 1
    is_pos = ops.cast(ops.logical_and(~is_neg_bit, ~unknown), scores.dtype)
    is_neg = ops.cast(ops.logical_and(is_neg_bit, ~unknown), scores.dtype)
    score_sorted = take_rows(scores, order)
    rank = ops.cumsum(is_neg, axis=-1)  # at a positive's slot: its violator count
    weight = is_pos * rank_weight(rank)
    # A negative violates exactly the positives after it in the sorted row. Suffix sums,
    # not total - prefix: after the last positive they are exactly 0, so a negative at -inf
    # (sorted last) gets weight 0 and not a rounding residue times -inf.
    weight_after = ops.flip(ops.cumsum(ops.flip(weight, axis=-1), axis=-1), axis=-1) - weight
    return ops.sum(
        masked(margin - score_sorted, weight * rank) + masked(score_sorted, is_neg * weight_after),
        axis=-1,
    )
