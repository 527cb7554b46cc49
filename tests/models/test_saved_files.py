"""`.keras` files saved by an earlier release keep loading and predicting the same.

The files in ``tests/models/saved/`` were written by ``scripts/make_saved_models.py`` on
commit a1ae0bc (TensorFlow backend, Keras 3.15.1), before the package was reorganised:
a Gong WARP ranker, a transformation model, a DREL model and a label-decision model (a
softmax ranker with Li's label-count head). Each is loaded on the backend under test and
must predict what it predicted when saved.
"""

import pathlib

import keras
import numpy as np
import pytest

import mlrank_keras  # noqa: F401  (registers the package's layers and losses)
from tests.helpers import to_numpy

SAVED = pathlib.Path(__file__).resolve().parent / "saved"
NAMES = ["warp_alexnet", "transform_alexnet", "drel", "label_decision"]


@pytest.mark.parametrize("name", NAMES)
def test_an_old_file_loads_and_predicts_as_before(name):
    model = keras.saving.load_model(SAVED / f"{name}.keras")
    x = np.load(SAVED / f"{name}.x.npy")
    expected = np.load(SAVED / f"{name}.expected.npy")
    got = to_numpy(model.predict(x, verbose=0))
    if name == "label_decision":  # multi-hot label sets: exactly the same
        np.testing.assert_array_equal(got, expected)
    else:
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", ["warp_alexnet", "drel"])
def test_an_old_file_trains_on(name):
    """The compiled loss and optimizer come back: one more step lowers nothing to NaN."""
    model = keras.saving.load_model(SAVED / f"{name}.keras")
    x = np.load(SAVED / f"{name}.x.npy")
    y = (np.arange(x.shape[0] * model.output_shape[-1]).reshape(x.shape[0], -1) % 3 == 0)
    history = model.fit(x, y.astype("float32"), epochs=1, batch_size=len(x), verbose=0)
    assert np.isfinite(history.history["loss"][0])
