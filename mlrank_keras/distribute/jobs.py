"""Jobs of several processes: their settings, which process this is, and who writes files.

A job is ``num_processes`` copies of the same script, one per host (or several on one
host), numbered by ``process_id`` from 0; process 0 is the coordinator, and the others
reach it at ``coordinator`` (``"host:port"``). The three come from arguments or from
Keras's variables ``KERAS_DISTRIBUTION_JOB_ADDRESSES``, ``KERAS_DISTRIBUTION_NUM_PROCESSES``
and ``KERAS_DISTRIBUTION_PROCESS_ID``, as in ``keras.distribution.initialize``.
"""

import contextlib
import os
import re

import keras

from mlrank_keras import validation

ADDRESSES = "KERAS_DISTRIBUTION_JOB_ADDRESSES"
NUM_PROCESSES = "KERAS_DISTRIBUTION_NUM_PROCESSES"
PROCESS_ID = "KERAS_DISTRIBUTION_PROCESS_ID"
_ADDRESS = re.compile(r"^[A-Za-z0-9.\-\[\]:]+:\d{1,5}$")


def _from_environment(name, convert):
    value = os.environ.get(name)
    if value is None or value == "":
        return None
    try:
        return convert(value)
    except ValueError:
        raise ValueError(
            f"The environment variable {name} must hold an int. Received: {name}={value!r}"
        ) from None


def job_settings(coordinator=None, num_processes=None, process_id=None):
    """The job's ``(coordinator, num_processes, process_id)``, checked.

    Arguments win over the Keras variables. A job of one process (nothing set, or
    ``num_processes=1``) gives ``(None, 1, 0)``.
    """
    if coordinator is None:
        coordinator = os.environ.get(ADDRESSES) or None
    if num_processes is None:
        num_processes = _from_environment(NUM_PROCESSES, int)
    if process_id is None:
        process_id = _from_environment(PROCESS_ID, int)
    if num_processes is None:
        if coordinator is not None or process_id is not None:
            raise ValueError(
                "A job of several processes needs `num_processes` (or "
                f"{NUM_PROCESSES}). Received: num_processes=None with "
                f"coordinator={coordinator!r}, process_id={process_id!r}"
            )
        return None, 1, 0
    num_processes = validation.positive_int(num_processes, "num_processes")
    if num_processes == 1:
        return None, 1, validation.int_in_range(process_id or 0, "process_id", 0, 0)
    if process_id is None:
        raise ValueError(
            f"A job of {num_processes} processes needs `process_id` (or {PROCESS_ID}), "
            "from 0 (the coordinator) to num_processes - 1. Received: process_id=None"
        )
    process_id = validation.int_in_range(process_id, "process_id", 0, num_processes - 1)
    if not isinstance(coordinator, str):
        raise ValueError(
            f"A job of {num_processes} processes needs `coordinator` (or {ADDRESSES}): "
            f"the address of process 0 as 'host:port'. Received: coordinator={coordinator!r}"
        )
    addresses = coordinator.split(",")
    if len(addresses) > 1 and len(addresses) != num_processes:
        raise ValueError(
            f"`coordinator` lists {len(addresses)} addresses for a job of {num_processes} "
            f"processes; give one (process 0's) or one per process. Received: "
            f"coordinator={coordinator!r}"
        )
    if not all(_ADDRESS.match(address) for address in addresses):
        raise ValueError(
            "`coordinator` must be 'host:port' (for example '10.0.0.1:1234' or "
            f"'127.0.0.1:12355'). Received: coordinator={coordinator!r}"
        )
    return addresses[0], num_processes, process_id


def start_jax_job(coordinator, num_processes, process_id):
    """Start ``jax.distributed`` for this job (``keras.distribution.initialize``), once."""
    import jax

    if jax.distributed.is_initialized():
        if jax.process_count() != num_processes or jax.process_index() != process_id:
            raise ValueError(
                f"This process is already process {jax.process_index()} of a job of "
                f"{jax.process_count()}; received num_processes={num_processes}, "
                f"process_id={process_id}."
            )
        return
    keras.distribution.initialize(coordinator, num_processes, process_id)


def process_count():
    """The number of processes in the running job (1 outside a multi-process job)."""
    if keras.backend.backend() == "jax":
        import jax

        return jax.process_count()
    return 1


def process_index():
    """This process's number in the job, from 0 (0 outside a multi-process job)."""
    if keras.backend.backend() == "jax":
        import jax

        return jax.process_index()
    return 0


def barrier(name):
    """Wait here until every process of the job has reached ``barrier(name)`` (a no-op in a
    job of one process); e.g. before reading a file that process 0 has just written."""
    if process_count() > 1:
        from jax.experimental import multihost_utils

        multihost_utils.sync_global_devices(name)


def process_shard():
    """``(process_count(), process_index())``: the ``shard=`` argument of the file and TFDS
    pipelines that gives each process of a job its own part of the data."""
    return process_count(), process_index()


def is_chief():
    """Whether this process writes the job's files (checkpoints, ``.keras`` files, reports).

    Every process of a job computes the same weights; one copy of each file is enough, and
    several processes writing one shared path would corrupt it. Process 0 writes.
    """
    return process_index() == 0


@contextlib.contextmanager
def undistributed():
    """Inside this context no distribution is set, so one process can save files alone.

    Keras creates variables when it saves a model (a reference optimizer, for one), and
    under a distribution of several processes creating a variable is a collective step that
    every process must take; a process that saved alone would wait for the others (or fail).
    """
    distribution = keras.distribution.distribution()
    keras.distribution.set_distribution(None)
    try:
        yield
    finally:
        keras.distribution.set_distribution(distribution)


def save_model(model, filepath, **kwargs):
    """``model.save(filepath, **kwargs)`` on process 0 of a job (:func:`is_chief`) only.

    Every process holds the same weights; one writes the file. The other processes return
    at once. Outside a multi-process job it is ``model.save``.
    """
    if is_chief():
        with undistributed():
            model.save(filepath, **kwargs)


class BackupAndRestore(keras.callbacks.BackupAndRestore):
    """``keras.callbacks.BackupAndRestore`` for a job of several processes.

    Every process restores from ``backup_dir`` when training starts, and only process 0
    (:func:`is_chief`) writes and removes it, so ``backup_dir`` must be a folder that every
    process can read (the same path on one host, or a shared file system across hosts).
    In a job of one process it is Keras's callback.
    """

    def _save_model(self):
        if is_chief():
            with undistributed():
                super()._save_model()

    def on_train_end(self, logs=None):
        if is_chief():
            super().on_train_end(logs)
