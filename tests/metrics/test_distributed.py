"""Metrics under data parallelism: two devices give the one-device result, which is the
plain-loop reference's. Each check runs in a fresh process (devices are configured before
the backend starts)."""

import json
import os
import pathlib
import subprocess
import sys

import keras
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.mark.skipif(
    keras.backend.backend() not in ("tensorflow", "jax"),
    reason="MirroredStrategy (TensorFlow) and DataParallel (JAX) only",
)
def test_two_devices_give_the_one_device_result():
    env = dict(os.environ, KERAS_BACKEND=keras.backend.backend())
    done = subprocess.run(
        [sys.executable, "-m", "tests.metrics.distributed_check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["devices"] == 2
    for name, value in result["reference"].items():
        assert result["single"][name] == pytest.approx(value, rel=1e-5, abs=1e-6), name
    for name, value in result["single"].items():
        assert result["parallel"][name] == pytest.approx(value, rel=1e-5, abs=1e-6), name
