"""`pip install mlrank-keras` without extras: the core trains, each extra is named."""

import importlib.util
import os
import pathlib
import subprocess
import sys

import keras
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.mark.skipif(keras.backend.backend() != "jax", reason="one backend suffices (a subprocess)")
def test_the_core_needs_only_keras_numpy_and_a_backend():
    assert importlib.util.find_spec("jax") is not None
    done = subprocess.run(
        [sys.executable, "-m", "tests.core.core_only_check"],
        cwd=ROOT,
        env=dict(os.environ, KERAS_BACKEND="jax"),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert "refused mlrank_keras.data" in done.stdout
