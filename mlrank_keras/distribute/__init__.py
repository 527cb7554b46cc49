"""Training on several devices and several hosts, with each backend's own mechanism.

Keras 3 has no single data-parallel API for every backend: on TensorFlow it is a
``tf.distribute.MirroredStrategy``, on JAX a ``keras.distribution.DataParallel``.
``data_parallel`` picks the one for the running backend, so a script reads the same on both::

    with data_parallel() as replicas:
        model = build_warp_alexnet(num_labels=81)  # built and compiled on every device
    model.fit(train.batch(32 * replicas), epochs=10)

Given a job's coordinator, process count and process id (or Keras's
``KERAS_DISTRIBUTION_*`` variables), the same lines train on several hosts (JAX).
``sharded_scores`` splits a score layer too large for one device over several.

This package is the one place outside ``mlrank_keras.data`` that imports TensorFlow (on
the TensorFlow backend, for ``tf.distribute``) or JAX (on the JAX backend).
"""

from mlrank_keras.distribute.data_parallel import (
    TF_MULTI_WORKER,
    ProcessShardedDataParallel,
    data_parallel,
)
from mlrank_keras.distribute.jobs import (
    BackupAndRestore,
    barrier,
    is_chief,
    job_settings,
    process_count,
    process_index,
    process_shard,
    save_model,
    undistributed,
)
from mlrank_keras.distribute.sharded import bytes_per_device, score_layout_map, sharded_scores

__all__ = [
    "TF_MULTI_WORKER",
    "BackupAndRestore",
    "barrier",
    "ProcessShardedDataParallel",
    "bytes_per_device",
    "data_parallel",
    "is_chief",
    "job_settings",
    "process_count",
    "process_index",
    "process_shard",
    "save_model",
    "score_layout_map",
    "sharded_scores",
    "undistributed",
]
