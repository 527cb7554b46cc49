"""Trains the same model for a few steps on one device and data-parallel on two.

Run as ``python -m tests.training.distribute_check`` with ``KERAS_BACKEND`` set to
``tensorflow`` (MirroredStrategy over two logical CPUs) or ``jax`` (DataParallel over two
host devices). Prints one JSON line: the per-epoch losses of both runs and the replica count.
"""

import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ["XLA_FLAGS"] = (
    os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=2"
)

import keras  # noqa: E402

from mlrank_keras import build_warp_alexnet  # noqa: E402
from mlrank_keras.distribute import data_parallel  # noqa: E402
from tests.models.toy import TINY_ALEXNET, images  # noqa: E402


def build():
    keras.utils.set_random_seed(0)
    config = dict(TINY_ALEXNET, dropout=0.0)
    return build_warp_alexnet(num_labels=4, rank_estimate="exact", **config)


def train(model, x, y):
    history = model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
    return history.history["loss"]


def main():
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2
        )
        devices = ["/cpu:0", "/cpu:1"]
    else:
        devices = None
    x, y = images(n=64, num_labels=4)
    single = train(build(), x, y)
    with data_parallel(devices) as replicas:
        model = build()
    parallel = train(model, x, y)
    print(json.dumps({"replicas": replicas, "single": single, "parallel": parallel}))


if __name__ == "__main__":
    main()
