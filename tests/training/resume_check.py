"""Trains a small model for EPOCHS epochs with keras.callbacks.BackupAndRestore.

``python -m tests.training.resume_check BACKUP_DIR LOG [--kill-after N]``: appends each
finished epoch's index to LOG; with ``--kill-after N`` the process kills itself (SIGKILL, as
an out-of-memory killer or a pre-empted machine would) right after epoch N is backed up.
Prints the final weights' checksum as JSON when training ends. The tests also call `train`
in their own process for the run that is never interrupted.
"""

import json
import os
import signal
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from mlrank_keras import losses  # noqa: E402

EPOCHS = 6


class Record(keras.callbacks.Callback):
    def __init__(self, log, kill_after):
        super().__init__()
        self.log, self.kill_after = log, kill_after

    def on_epoch_end(self, epoch, logs=None):
        with open(self.log, "a") as f:
            f.write(f"{epoch}\n")
        if epoch == self.kill_after:
            os.kill(os.getpid(), signal.SIGKILL)


def train(backup, log, kill_after=-1):
    """The model trained under BackupAndRestore; the final weights' checksum."""
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 10)).astype("float32")
    y = (x[:, :5] > 0).astype("float32")
    model = keras.Sequential([keras.Input((10,)), keras.layers.Dense(16), keras.layers.Dense(5)])
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss=losses.WARPLoss(seed=1))
    callbacks = [keras.callbacks.BackupAndRestore(backup), Record(log, kill_after)]
    model.fit(x, y, batch_size=16, epochs=EPOCHS, shuffle=False, verbose=0, callbacks=callbacks)
    weights = [np.asarray(w) for w in model.get_weights()]
    return float(sum(np.abs(w).sum() for w in weights))


def main():
    backup, log = sys.argv[1], sys.argv[2]
    kill_after = int(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[3] == "--kill-after" else -1
    print(json.dumps({"checksum": train(backup, log, kill_after)}))


if __name__ == "__main__":
    main()
