"""Loads every ``.keras`` file of a folder under this process's backend and predicts.

``python -m tests.models.load_check DIR``: for each ``DIR/NAME.keras`` with its inputs
``DIR/NAME.x.npy``, writes ``DIR/NAME.KERAS_BACKEND.npy``. Where labels ``DIR/NAME.y.npy``
are there too, it then trains on as the README says to (``load_model(compile=False)``,
compiled again here with the saved loss and a new optimizer) and writes the losses of two
epochs and how far the weights moved to ``DIR/NAME.KERAS_BACKEND.trained.npy``.
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
        labels = folder / f"{path.stem}.y.npy"
        if labels.exists():
            np.save(
                folder / f"{path.stem}.{keras.backend.backend()}.trained.npy",
                train_on(path, model.loss, x, np.load(labels)),
            )


def train_on(path, loss, x, y):
    model = keras.saving.load_model(path, compile=False)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss=loss)
    before = [keras.ops.convert_to_numpy(w) for w in model.trainable_weights]
    history = model.fit(x, y, epochs=2, batch_size=len(x), verbose=0, shuffle=False)
    moved = sum(
        float(np.abs(keras.ops.convert_to_numpy(w) - b).sum())
        for w, b in zip(model.trainable_weights, before, strict=True)
    )
    return np.array([*history.history["loss"], moved])


if __name__ == "__main__":
    main(sys.argv[1])
