"""Trains a tiny ranker with sampled WARP and sampled LSEP, data-parallel, in one process of a job.

Run as ``python -m tests.training.multiprocess_check OUT [--kill-after EPOCH]`` with
``KERAS_BACKEND=jax`` and either ``KERAS_DISTRIBUTION_*`` set (one process of a job, one
CPU device each) or ``--devices 2`` (one process with two CPU devices). Each process
writes its final weights to ``OUT/weights-<loss>-<process>.npz`` and its epoch logs to
``OUT/history-<process>.json`` (rewritten at the end of every epoch, so a killed process
leaves the epochs it finished); WARP trains under ``mk.distribute.BackupAndRestore``
(``OUT/backup``), and ``--kill-after E`` kills the process (SIGKILL) at the end of epoch E
of WARP's run, after the backup and the epoch's logs are written.
"""

import argparse
import json
import os
import pathlib
import signal

parser = argparse.ArgumentParser()
parser.add_argument("out", type=pathlib.Path)
parser.add_argument("--devices", type=int, default=1)
parser.add_argument("--kill-after", type=int, default=None)
parser.add_argument("--epochs", type=int, default=4)
args = parser.parse_args()

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["XLA_FLAGS"] = (
    os.environ.get("XLA_FLAGS", "") + f" --xla_force_host_platform_device_count={args.devices}"
)

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from mlrank_keras import build_ranker, distribute  # noqa: E402
from mlrank_keras.data import image_dataset  # noqa: E402
from mlrank_keras.losses import LSEPLoss, WARPLoss  # noqa: E402
from mlrank_keras.metrics import PerClassPrecision  # noqa: E402
from tests.data.test_pipeline import write_images  # noqa: E402
from tests.models.toy import features  # noqa: E402

LOSSES = {
    "lsep": lambda: LSEPLoss(num_pairs=6, seed=3),
    "warp": lambda: WARPLoss(rank_estimate="sampled", seed=3),
}
GLOBAL_BATCH = 16


def write_history(history):
    summary = {"processes": distribute.process_count(), "history": history}
    (args.out / f"history-{distribute.process_index()}.json").write_text(json.dumps(summary))
    return summary


class RecordEpochs(keras.callbacks.Callback):
    """Each epoch's logs into ``history[key]``, written out at once."""

    def __init__(self, history, key):
        super().__init__()
        self.history, self.key = history, key

    def on_epoch_end(self, epoch, logs=None):
        record = self.history.setdefault(self.key, {})
        for name, value in (logs or {}).items():
            record.setdefault(name, []).append(float(value))
        write_history(self.history)


class KillAfter(keras.callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            os.kill(os.getpid(), signal.SIGKILL)


def train(key, history):
    keras.utils.set_random_seed(0)
    with distribute.data_parallel():
        backbone = keras.Sequential([keras.Input((16,)), keras.layers.Dense(32, activation="relu")])
        model = build_ranker(
            20,
            LOSSES[key](),
            backbone=backbone,
            optimizer=keras.optimizers.SGD(0.1),
            metrics=[PerClassPrecision(k=3)],
        )
    x, y = features(n=128, dim=16, num_labels=20)
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(GLOBAL_BATCH, drop_remainder=True)
    callbacks = [RecordEpochs(history, key)]
    if key == "warp":
        callbacks.insert(0, distribute.BackupAndRestore(str(args.out / "backup")))
        if args.kill_after is not None:
            callbacks.append(KillAfter(args.kill_after))
    model.fit(data, epochs=args.epochs, verbose=0, callbacks=callbacks, shuffle=False)
    process = distribute.process_index()
    np.savez(args.out / f"weights-{key}-{process}.npz", *model.get_weights())
    distribute.save_model(model, args.out / f"{key}.keras")
    ragged = tf.data.Dataset.from_tensor_slices((x[:40], y[:40])).batch(GLOBAL_BATCH)
    try:  # a last batch of 8: the processes would run different step counts
        model.fit(ragged, verbose=0, shuffle=False)
        history[f"{key}-refused"] = None
    except ValueError as error:
        history[f"{key}-refused"] = str(error)


def train_on_files(history):
    """Each process reads its own part of 16 image files (shard=process_shard())."""
    folder = args.out / f"images-{distribute.process_index()}"  # the same files in each
    folder.mkdir(exist_ok=True)
    paths, _ = write_images(folder, 16)
    data = image_dataset(
        paths,
        [[i % 20] for i in range(16)],
        num_labels=20,
        batch_size=GLOBAL_BATCH // distribute.process_count(),
        image_size=16,
        crop_size=12,
        training=True,
        seed=0,
        drop_remainder=True,
        shard=distribute.process_shard(),
    )
    seen = []
    for _, y in data.take(data.steps_per_epoch).as_numpy_iterator():
        seen.extend(y.argmax(1).tolist())
    keras.utils.set_random_seed(0)
    with distribute.data_parallel():
        backbone = keras.Sequential(
            [keras.Input((12, 12, 3)), keras.layers.Flatten(), keras.layers.Dense(8)]
        )
        model = build_ranker(20, LOSSES["warp"](), backbone=backbone, optimizer="sgd")
    fit = model.fit(data, epochs=2, steps_per_epoch=data.steps_per_epoch, verbose=0)
    history["files"] = {"seen": seen, "loss": fit.history["loss"]}


def main():
    args.out.mkdir(parents=True, exist_ok=True)
    history = {}
    for key in LOSSES:
        train(key, history)
    train_on_files(history)
    print(json.dumps(write_history(history)))


if __name__ == "__main__":
    main()
