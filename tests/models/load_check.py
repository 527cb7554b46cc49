"""Loads every ``.keras`` file of a folder under this process's backend and predicts.

``python -m tests.models.load_check DIR``: for each ``DIR/NAME.keras`` with its inputs
``DIR/NAME.x.npy``, writes ``DIR/NAME.KERAS_BACKEND.npy``.
"""

import os
import pathlib
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import mlrank_keras  # noqa: E402, F401  (registers the custom objects)


def main(folder):
    folder = pathlib.Path(folder)
    for path in sorted(folder.glob("*.keras")):
        model = keras.saving.load_model(path)
        x = np.load(folder / f"{path.stem}.x.npy")
        out = keras.ops.convert_to_numpy(model.predict(x, verbose=0))
        np.save(folder / f"{path.stem}.{keras.backend.backend()}.npy", out)


if __name__ == "__main__":
    main(sys.argv[1])
