"""Sampled WARP's first violators on eager PyTorch, from the row's first draws.

The draw order is the one of `mlrank_keras.losses.warp` (decreasing random key, at equal
keys the smaller label first); a positive's first violator is its violator of the largest
key, and its misses the negatives of a larger key.
"""

from keras import ops

from mlrank_keras.losses.kernels import num_labels_of, take_rows

# On eager PyTorch, sampled WARP first looks for each positive's first violator among the
# row's first this many draws (`first_violators_by_slot`). With the scores of an untrained
# model a batch of 32 rows of 8 positives expects 0.2 positives past 64 draws (0.6 past 32,
# 0.07 past 128); 64 was the fastest of 32 to 512 (BENCHMARKS.md).
DRAW_PREFIX = 64


def first_violators_by_slot(scores, neg, threshold, keys):
    """`mlrank_keras.losses.warp._first_violators` over ``(rows, L)`` tensors, for eager
    PyTorch: each slot's first violator (its label), whether it has one, and its misses.

    The paper's sampler stops at the first violator, so it costs few draws while a positive
    has many violators. Likewise, the row's first `DRAW_PREFIX` draws (a ``top_k`` of the
    keys) are compared with every slot's threshold first (`_first_draws`); only a slot whose
    violators all come later, and only where the row has one (its largest negative score
    passes the threshold), takes a pass over the row (`_later_first_violators`). Same draws
    either way. A draw is named by an int64 code (`_code`), larger for an earlier draw.
    Eager PyTorch runs a ``where`` and an ``argmax`` over ``(rows, few, L)`` several times
    slower than this, and every fresh buffer of that size costs page faults.
    """
    num_labels = num_labels_of(scores)
    block = num_labels + 1
    constant = ops.stop_gradient(scores)
    first, misses, later = _first_draws(constant, neg, threshold, keys, block)
    # Host syncs, cheap on eager PyTorch (the only caller besides the tests).
    if bool(ops.any(later)):
        top = ops.max(ops.where(neg > 0, constant, -float("inf")), axis=-1, keepdims=True)
        later = ops.logical_and(later, top > threshold)
        slots = ops.convert_to_numpy(ops.any(later, axis=0))
        if slots.any():
            first, misses = _later_first_violators(
                constant, neg, threshold, keys, later, slots, first, misses, block)
    found = first > 0
    label = ops.where(found, num_labels - first % block, ops.zeros_like(first))
    return label, found, misses


def _first_draws(constant, neg, threshold, keys, block):
    """Each slot's first violator among the row's first `DRAW_PREFIX` draws: its code (0
    if none), its misses, and which slots (not empty) have none there.

    The prefix holds the labels of a key above the ``DRAW_PREFIX``-th largest: every label
    of a larger key than any of them is there too, so a first violator found there and its
    misses (the negatives of a larger key) are those of the whole row; the positives and
    unknown labels among them are no draws."""
    num_labels = block - 1
    drawn_key, label = ops.top_k(keys, k=min(DRAW_PREFIX, num_labels), sorted=True)
    is_draw = ops.logical_and(take_rows(neg, label) > 0, drawn_key > drawn_key[..., -1:])
    hit = ops.logical_and(take_rows(constant, label)[..., None, :] > threshold[..., :, None],
                          is_draw[..., None, :])
    drawn_key = ops.cast(drawn_key, "int64")
    code = _code(drawn_key, label, block)
    first = ops.max(code[..., None, :] * ops.cast(hit, "int64"), axis=-1)
    earlier = ops.logical_and(is_draw[..., None, :],
                              drawn_key[..., None, :] > (first // block)[..., :, None])
    misses = ops.sum(earlier, axis=-1)
    later = ops.logical_and(first == 0, threshold < float("inf"))
    return first, misses, later


def _later_first_violators(constant, neg, threshold, keys, later, slots, first, misses,
                           block):
    """For the slots marked in ``slots`` (booleans), where ``later`` holds, the first
    violator by a pass over the row: its label the ``argmax`` of ``key + 1`` among the
    negatives that pass the threshold (0 for the other labels; of equal keys the first
    label, as ``argmax`` returns the first of equal maxima), its misses the negatives of a
    larger key."""
    negative_keys = (keys + 1) * ops.cast(neg > 0, "int32")  # keys + 1 <= 2**28 - 1
    firsts, counts = [], []
    for slot in range(ops.shape(first)[-1]):
        here = first[..., slot:slot + 1]
        count = misses[..., slot:slot + 1]
        if slots[slot]:
            use = later[..., slot:slot + 1]
            passed = ops.cast(constant > threshold[..., slot:slot + 1], "int32")
            label = ops.argmax(negative_keys * passed, axis=-1)[..., None]
            key = take_rows(negative_keys, label)  # 0: no violator
            drawn_before = ops.sum(negative_keys > key, axis=-1, keepdims=True)
            code = _code(key - 1, label, block)
            here = ops.where(use, ops.where(key > 0, code, 0), here)
            count = ops.where(use, ops.cast(drawn_before, count.dtype), count)
        firsts.append(here)
        counts.append(count)
    return ops.concatenate(firsts, axis=-1), ops.concatenate(counts, axis=-1)


def _code(key, label, block):
    """A draw's int64 code, larger for an earlier draw: ``key * (L + 1) + L - label`` (at
    equal keys the smaller label first, as ``argmax``); ``block`` is ``L + 1``."""
    return ops.cast(key, "int64") * block + (block - 1) - ops.cast(label, "int64")
