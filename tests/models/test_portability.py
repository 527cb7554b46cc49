"""Saved on one backend, loaded on another; exported as a TensorFlow SavedModel."""

import os
import pathlib
import subprocess
import sys

import keras
import numpy as np
import pytest

from tests.helpers import to_numpy
from tests.models import builders

ROOT = pathlib.Path(__file__).resolve().parents[2]
NEXT_BACKEND = {"tensorflow": "jax", "jax": "torch", "torch": "tensorflow"}


def test_a_file_saved_here_loads_on_the_next_backend(tmp_path):
    expected = {}
    # The models with this library's own layers and losses (the others are Keras's).
    for name in ("warp_alexnet", "transform_alexnet", "drel", "wsabie", "linear_svm"):
        model, x, y = builders.tiny(name)
        model.save(tmp_path / f"{name}.keras")
        np.save(tmp_path / f"{name}.x.npy", x[:4])
        np.save(tmp_path / f"{name}.y.npy", y[:4])
        expected[name] = to_numpy(model.predict(x[:4], verbose=0))
        keras.backend.clear_session()
    other = NEXT_BACKEND[keras.backend.backend()]
    done = subprocess.run(
        [sys.executable, "-m", "tests.models.load_check", str(tmp_path)],
        cwd=ROOT,
        env=dict(os.environ, KERAS_BACKEND=other),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    for name, values in expected.items():
        loaded = np.load(tmp_path / f"{name}.{other}.npy")
        np.testing.assert_allclose(loaded, values, rtol=1e-4, atol=1e-4, err_msg=name)
        # Issue 14, item 13 (README): loaded with compile=False and compiled again there,
        # the model trains on: finite losses, weights moved.
        *losses, moved = np.load(tmp_path / f"{name}.{other}.trained.npy")
        assert np.all(np.isfinite(losses)) and moved > 0, (name, losses, moved)


@pytest.mark.skipif(
    keras.backend.backend() == "torch", reason="tf_saved_model export needs TensorFlow or JAX"
)
@pytest.mark.parametrize("name", ["warp_alexnet", "transform_alexnet", "drel"])
def test_export_to_a_saved_model_serves_the_same_scores(name, tmp_path):
    import tensorflow as tf

    model, x, _ = builders.tiny(name)
    model.export(str(tmp_path / "export"), format="tf_saved_model", verbose=False)
    served = tf.saved_model.load(str(tmp_path / "export"))
    got = served.serve(tf.constant(x[:4])).numpy()
    np.testing.assert_allclose(got, to_numpy(model.predict(x[:4], verbose=0)), rtol=1e-4, atol=1e-5)
