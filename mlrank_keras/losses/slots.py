"""The few-positives paths' slots: each row's positives in ``few`` slots (one ``top_k`` of
the positive mask), their thresholds ``f_u - margin``, and which negatives pass them."""

from keras import ops

from mlrank_keras.losses.kernels import take_rows


def positive_slots(scores, pos, margin, few):
    """The row's positives in ``few`` slots: ``(is_slot, pos_scores, threshold)``.

    ``threshold`` is ``f_u - margin`` (a constant for the gradient), ``+inf`` in a slot
    with no positive, so that no negative passes it.
    """
    is_slot, pos_scores = _slot_scores(scores, pos, few)
    return slot_thresholds(pos_scores, is_slot, margin)


def centered_slots(scores, pos, margin, few):
    """`positive_slots` of the scores shifted by the largest finite score among the row's
    positives (0 where there is none; a constant for the gradient): ``(scores, is_slot,
    pos_scores, threshold)``.

    The hinge sums depend on score differences only, and this shift keeps them exact at any
    offset as `center_scores` does, from the ``few`` slots instead of a masked maximum over
    the row (PyTorch's CPU ``where`` over ``(rows, L)`` costs several times a product).
    """
    is_slot, pos_scores = _slot_scores(scores, pos, few)
    top = ops.stop_gradient(pos_scores)
    top = ops.where(ops.logical_and(is_slot, ops.isfinite(top)), top, -float("inf"))
    centre = ops.max(top, axis=-1, keepdims=True)
    centre = ops.where(ops.isfinite(centre), centre, ops.zeros_like(centre))
    return (scores - centre,) + slot_thresholds(pos_scores - centre, is_slot, margin)


def slot_labels(pos, few):
    """``(is_slot, labels)``: one ``top_k`` of the positive mask puts the row's positives in
    ``few`` slots (the empty ones last, with ``is_slot`` False)."""
    slot, index = ops.top_k(pos, k=few, sorted=False)
    return slot > 0, index


def _slot_scores(scores, pos, few):
    is_slot, index = slot_labels(pos, few)
    return is_slot, take_rows(scores, index)


def slot_thresholds(pos_scores, is_slot, margin):
    """``(is_slot, pos_scores, threshold)`` from the slots' scores, as `positive_slots`."""
    threshold = ops.where(
        is_slot, ops.stop_gradient(pos_scores) - margin, ops.full_like(pos_scores, float("inf"))
    )
    return is_slot, pos_scores, threshold


def violators(scores, neg, threshold):
    """``(rows, few, L)`` booleans: negative ``v`` violates slot ``u`` (``f_v > f_u -
    margin``, the sorted path's rule; a NaN compares false: `per_sample` makes such a row
    NaN). The negatives are picked by a ``logical_and`` of booleans, not a ``where`` over
    the scores (several times slower on PyTorch's CPU kernels)."""
    passed = ops.stop_gradient(scores)[..., None, :] > threshold[..., :, None]
    return ops.logical_and(passed, (neg > 0)[..., None, :])
