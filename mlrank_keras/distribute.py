"""Data-parallel training with each backend's own mechanism.

Keras 3 has no single data-parallel API for every backend: on TensorFlow it is a
``tf.distribute.MirroredStrategy``, on JAX a ``keras.distribution.DataParallel``. ``data_parallel``
picks the one for the running backend, so a script reads the same on both::

    with data_parallel() as replicas:
        model = build_warp_alexnet(num_labels=81)  # built and compiled on every device
    model.fit(train.batch(32 * replicas), epochs=10)

This is the one module outside ``mlrank_keras.data`` that imports TensorFlow (only on the
TensorFlow backend, for ``tf.distribute``).
"""

import contextlib

import keras


@contextlib.contextmanager
def data_parallel(devices=None):
    """Build and compile a model inside this context to train it on several devices.

    Args:
        devices: the devices to replicate over; all visible ones by default. TensorFlow takes
            names such as ``"/gpu:0"``; JAX takes names such as ``"cpu:0"`` or ``"gpu:1"``
            (see ``keras.distribution.list_devices()``).

    Yields:
        The number of replicas: make the global batch size a multiple of it.

    On TensorFlow the model is built under ``tf.distribute.MirroredStrategy(devices).scope()``
    and ``fit`` uses the strategy by itself. On JAX, ``keras.distribution.DataParallel`` is set
    as the process's distribution and stays set after the block (``fit``, ``evaluate`` and
    ``predict`` then split each batch across the devices; the batch size must divide by the
    number of devices); ``keras.distribution.set_distribution(None)`` undoes it. On PyTorch
    Keras has no in-process data parallelism: one device is used and the context yields 1.
    """
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        strategy = tf.distribute.MirroredStrategy(devices)
        with strategy.scope():
            yield strategy.num_replicas_in_sync
    elif backend == "jax":
        found = keras.distribution.list_devices()
        devices = found if devices is None else list(devices)
        unknown = [d for d in devices if d not in found]
        if unknown:
            raise ValueError(f"`devices` holds {unknown}, which JAX does not have; it has {found}.")
        keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
        yield len(devices)
    else:
        if devices is not None and len(list(devices)) > 1:
            raise ValueError(
                f"The {backend} backend trains on one device in one process; got "
                f"devices={devices!r}. Use TensorFlow or JAX for data parallelism."
            )
        yield 1
