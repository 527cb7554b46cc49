"""Data-parallel training with each backend's own mechanism, on one host or several."""

import contextlib

import keras

from mlrank_keras.distribute import jobs

# Checked with Keras 3.15.1 and TensorFlow 2.21 (two workers on 127.0.0.1): the first
# training step fails with "Attempt to convert a value (PerReplica:{...}) with an
# unsupported type" (keras-team/keras#20585).
TF_MULTI_WORKER = (
    "TensorFlow's MultiWorkerMirroredStrategy does not train Keras 3 models "
    "(keras-team/keras#20585: the first step fails with 'Attempt to convert a value "
    "(PerReplica...)'), so a job of several processes runs on the JAX backend: set "
    "KERAS_BACKEND=jax and keep the same arguments."
)


class ProcessShardedDataParallel(keras.distribution.DataParallel):
    """``keras.distribution.DataParallel`` that refuses a dataset that could hang a job.

    Keras re-batches a batched ``tf.data.Dataset`` to the per-process batch and gives each
    process every ``num_processes``-th piece. A last, smaller batch would leave the
    processes with different step counts, and the one with an extra step would wait for
    the others for ever; so the batch size must be static (``drop_remainder=True``). The
    shard's size is then known, which ``fit`` uses for its progress bar.

    A pipeline of this library built with ``shard=process_shard()`` (its files already
    split between the processes, :mod:`mlrank_keras.data.shards`) is taken as it is.
    """

    def distribute_dataset(self, dataset):
        if not self._is_multi_process or not self.auto_shard_dataset:
            return dataset
        import tensorflow as tf

        own = getattr(dataset, "process_shard", None)
        if own is not None:  # a pipeline built with shard=: this process's own files
            if tuple(own) != (self.num_processes, self._process_id):
                raise ValueError(
                    f"The dataset was built with shard={tuple(own)}, but this is process "
                    f"{self._process_id} of {self.num_processes}: build it with "
                    "shard=mlrank_keras.distribute.process_shard()."
                )
            return dataset
        if isinstance(dataset, tf.data.Dataset):
            sizes = [spec.shape[0] for spec in tf.nest.flatten(dataset.element_spec)]
            if any(size is None for size in sizes):
                raise ValueError(
                    "In a job of several processes every process must run the same number "
                    "of steps, so batch the dataset with `drop_remainder=True` (or pass "
                    "each process its own shard and set `auto_shard_dataset=False`). "
                    f"Received: a dataset whose batch size is not static: {dataset.element_spec}"
                )
            if sizes[0] % self.num_processes:
                raise ValueError(
                    f"The global batch size ({sizes[0]}) must divide by the number of "
                    f"processes ({self.num_processes})."
                )
            steps = int(dataset.cardinality())
            shard = super().distribute_dataset(dataset)
            if steps >= 0:
                shard = shard.apply(tf.data.experimental.assert_cardinality(steps))
            return shard
        return super().distribute_dataset(dataset)


@contextlib.contextmanager
def data_parallel(devices=None, *, coordinator=None, num_processes=None, process_id=None):
    """Build and compile a model inside this context to train it on several devices.

    Args:
        devices: the devices to replicate over; all visible ones by default (in a job of
            several processes, every process's). TensorFlow takes names such as
            ``"/gpu:0"``; JAX takes names such as ``"cpu:0"`` or ``"gpu:1"`` (see
            ``keras.distribution.list_devices()``).
        coordinator: for a job of several processes, process 0's address as
            ``"host:port"``; by default ``KERAS_DISTRIBUTION_JOB_ADDRESSES``.
        num_processes: the job's number of processes; by default
            ``KERAS_DISTRIBUTION_NUM_PROCESSES``, else 1.
        process_id: this process's number, from 0 (the coordinator); by default
            ``KERAS_DISTRIBUTION_PROCESS_ID``.

    Yields:
        The number of replicas over the whole job: make the global batch size a multiple of it.

    On TensorFlow the model is built under ``tf.distribute.MirroredStrategy(devices).scope()``
    and ``fit`` uses the strategy by itself. On JAX, ``keras.distribution.DataParallel`` is set
    as the process's distribution and stays set after the block (``fit``, ``evaluate`` and
    ``predict`` then split each batch across the devices; the batch size must divide by the
    number of devices); ``keras.distribution.set_distribution(None)`` undoes it. On PyTorch
    Keras has no in-process data parallelism: one device is used and the context yields 1.

    A job of several processes (one per host, each running the same script) runs on JAX:
    the first call starts ``jax.distributed`` (``keras.distribution.initialize``). Every
    process then feeds ``fit`` the same global ``tf.data`` pipeline, batched at the global
    batch size with ``drop_remainder=True``; each one reads its own part of every batch.
    Every process ends with the same weights; let one write files (:func:`is_chief`,
    :class:`BackupAndRestore`). TensorFlow's multi-worker strategy does not work with Keras 3
    and PyTorch has no Keras distribution: both raise a ``ValueError`` that says so.
    """
    backend = keras.backend.backend()
    coordinator, num_processes, process_id = jobs.job_settings(
        coordinator, num_processes, process_id
    )
    if num_processes > 1 and backend != "jax":
        if backend == "tensorflow":
            raise ValueError(f"Received num_processes={num_processes}. {TF_MULTI_WORKER}")
        raise ValueError(
            f"The {backend} backend trains in one process; received "
            f"num_processes={num_processes}. Keras has no distribution for PyTorch: a job "
            "of several processes runs on the JAX backend (KERAS_BACKEND=jax)."
        )
    if backend == "tensorflow":
        import tensorflow as tf

        strategy = tf.distribute.MirroredStrategy(devices)
        with strategy.scope():
            yield strategy.num_replicas_in_sync
    elif backend == "jax":
        if num_processes > 1:
            jobs.start_jax_job(coordinator, num_processes, process_id)
        found = keras.distribution.list_devices()
        devices = found if devices is None else list(devices)
        unknown = [d for d in devices if d not in found]
        if unknown:
            raise ValueError(f"`devices` holds {unknown}, which JAX does not have; it has {found}.")
        distribution = (
            ProcessShardedDataParallel if num_processes > 1 else keras.distribution.DataParallel
        )
        keras.distribution.set_distribution(distribution(devices=devices))
        yield len(devices)
    else:
        if devices is not None and len(list(devices)) > 1:
            raise ValueError(
                f"The {backend} backend trains on one device in one process; got "
                f"devices={devices!r}. Use TensorFlow or JAX for data parallelism."
            )
        yield 1
