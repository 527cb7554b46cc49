"""Each process of a job reads its own part of the files (``shard=`` of the file pipelines).

In a job of several processes, Keras's default re-batches one global pipeline and gives each
process a slice of every batch: every process reads and decodes every image. A pipeline
built with ``shard=(num_processes, process_id)`` reads only the files whose index is
``process_id`` modulo ``num_processes`` (disjoint parts that cover the data), batched at the
per-process batch size. The processes must take the same number of steps, whatever files
turn out unreadable, so a sharded pipeline repeats its passes without end and
``steps_per_epoch`` (the dataset's attribute: the smallest part's full batches) ends the
epochs: ``model.fit(data, steps_per_epoch=data.steps_per_epoch)``. Each pass still
shuffles its part anew and names its skipped files at its end.
"""

import tensorflow as tf

from mlrank_keras.validation import int_in_range, positive_int


def shard_argument(shard, drop_remainder):
    """``None`` or a checked ``(num_shards, index)``."""
    if shard is None:
        return None
    try:
        num_shards, index = shard
    except (TypeError, ValueError):
        raise ValueError(
            "`shard` must be None or (num_shards, index), e.g. "
            f"mlrank_keras.distribute.process_shard(). Received: shard={shard!r}"
        ) from None
    num_shards = positive_int(num_shards, "shard[0] (num_shards)")
    index = int_in_range(index, "shard[1] (index)", 0, num_shards - 1)
    if not drop_remainder:
        raise ValueError(
            "A sharded pipeline needs `drop_remainder=True`: every process must take "
            "batches of the same size. Received: drop_remainder=False"
        )
    return num_shards, index


def shard_indices(num_examples, shard):
    """The file indices of this shard, and the initial 'seen' mask of the pass (the other
    shards' files count as seen, so only this shard's unreadable files are named)."""
    num_shards, index = shard
    indices = tf.data.Dataset.range(index, num_examples, num_shards)
    seen = tf.range(num_examples) % num_shards != index
    return indices, seen


def steps_per_epoch(num_examples, shard, batch_size):
    """Full batches in the smallest shard: the step count every process can take."""
    smallest = num_examples // shard[0]
    steps = smallest // batch_size
    if steps < 1:
        raise ValueError(
            f"Each of the {shard[0]} shards holds at least {smallest} files, fewer than one "
            f"batch of {batch_size}: use a smaller `batch_size` or fewer processes."
        )
    return steps
