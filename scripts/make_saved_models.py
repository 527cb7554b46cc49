"""Save the small `.keras` files that tests/models/test_saved_files.py loads.

Run once, on the commit whose files they are (a1ae0bc, before the package's move-and-split):
``KERAS_BACKEND=tensorflow python -m scripts.make_saved_models``. Writes, per model, the
``.keras`` file, the inputs and the scores (or label sets) it gave, into
``tests/models/saved/``. Re-running it on a later commit would test nothing: keep the files.
"""

import pathlib

import keras
import numpy as np

import mlrank_keras as mk
from tests.models import builders

OUT = pathlib.Path(__file__).resolve().parents[1] / "tests" / "models" / "saved"


def save(name, model, x):
    model.save(OUT / f"{name}.keras")
    np.save(OUT / f"{name}.x.npy", x)
    np.save(OUT / f"{name}.expected.npy", np.asarray(model.predict(x, verbose=0)))


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for name in ("warp_alexnet", "transform_alexnet", "drel"):
        model, x, y = builders.tiny(name)
        model.fit(x, y, epochs=1, batch_size=32, verbose=0)  # optimizer state in the file
        save(name, model, x[:6])
    ranker, x, y = builders.tiny("softmax_alexnet")
    ranker.fit(x, y, epochs=1, batch_size=32, verbose=0)
    features = mk.models.ranker_features(ranker).predict(x, verbose=0)
    head = mk.build_label_count_head(features.shape[1], max_count=3, hidden_units=(8,))
    head.fit(features, y, epochs=1, batch_size=32, verbose=0)
    save("label_decision", mk.build_label_decision_model(ranker, count_head=head), x[:6])
    print("saved with keras", keras.__version__, "on", keras.backend.backend(), "to", OUT)


if __name__ == "__main__":
    main()
