"""A score layer too large to copy to every device, split over the devices by label.

At 100,000 labels and 4,096 features the ``"scores"`` layer of a ranker holds 1.6 GB of
float32 weights, and Adam's two moments twice as much again. ``sharded_scores`` sets a
``keras.distribution.ModelParallel`` that gives each device of the mesh's ``"model"`` axis
an equal slice of the labels (the kernel's columns, the bias and their optimizer state,
which Keras lays out like the variables they belong to) and splits the batch over the
``"batch"`` axis; everything else is copied to every device. The losses and metrics
reduce over the labels as they do on one device; XLA adds the collectives.
"""

import contextlib

import keras

from mlrank_keras import validation
from mlrank_keras.distribute import jobs

LAYOUTS = {
    "kernel": (None, "model"),
    "bias": ("model",),
}


def score_layout_map(mesh, layers=("scores",)):
    """A ``keras.distribution.LayoutMap`` that splits these layers' kernels and biases over
    ``mesh``'s ``"model"`` axis (by output column, i.e. by label)."""
    layout_map = keras.distribution.LayoutMap(mesh)
    for name in layers:
        for variable, axes in LAYOUTS.items():
            layout_map[rf"(^|/){name}/{variable}$"] = axes
    return layout_map


@contextlib.contextmanager
def sharded_scores(
    devices=None,
    *,
    model_devices=None,
    layers=("scores",),
    coordinator=None,
    num_processes=None,
    process_id=None,
):
    """Build and compile a ranker inside this context to split its score layer over devices.

    Args:
        devices: the devices of the mesh; all of the job's by default.
        model_devices: how many devices share one copy of the model (the ``"model"`` axis);
            all of ``devices`` by default. The rest of the devices form the ``"batch"``
            axis: ``len(devices) / model_devices`` copies, each fed its part of the batch.
        layers: the names of the layers to split by output column (``"scores"``, the
            ranker's score layer, by default).
        coordinator, num_processes, process_id: a job of several processes, as for
            :func:`data_parallel`.

    Yields:
        The number of model copies (the batch axis): make the batch size a multiple of it.

    JAX only (Keras's ``ModelParallel`` is JAX's). The number of labels must divide by
    ``model_devices``. The distribution stays set after the block, as ``data_parallel``'s
    does; ``keras.distribution.set_distribution(None)`` undoes it.
    """
    backend = keras.backend.backend()
    if backend != "jax":
        raise ValueError(
            f"A sharded score layer needs the JAX backend (keras.distribution.ModelParallel); "
            f"the running backend is {backend}. Set KERAS_BACKEND=jax."
        )
    coordinator, num_processes, process_id = jobs.job_settings(
        coordinator, num_processes, process_id
    )
    if num_processes > 1:
        jobs.start_jax_job(coordinator, num_processes, process_id)
    devices = keras.distribution.list_devices() if devices is None else list(devices)
    model_devices = len(devices) if model_devices is None else model_devices
    model_devices = validation.positive_int(model_devices, "model_devices")
    if len(devices) % model_devices:
        raise ValueError(
            f"`model_devices` must divide the number of devices ({len(devices)}). "
            f"Received: model_devices={model_devices}"
        )
    if isinstance(layers, str):
        layers = (layers,)
    copies = len(devices) // model_devices
    mesh = keras.distribution.DeviceMesh(
        shape=(copies, model_devices), axis_names=("batch", "model"), devices=devices
    )
    keras.distribution.set_distribution(
        keras.distribution.ModelParallel(
            layout_map=score_layout_map(mesh, layers), batch_dim_name="batch"
        )
    )
    yield copies


def bytes_per_device(variables):
    """``{device: bytes}`` that these (JAX) variables take on each device of this process."""
    found = {}
    for variable in variables:
        for shard in variable.value.addressable_shards:
            found[str(shard.device)] = found.get(str(shard.device), 0) + shard.data.nbytes
    return found
