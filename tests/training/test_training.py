"""Training support: the per-epoch annotation report, data parallelism, and resuming."""

import json
import os
import pathlib
import subprocess
import sys

import keras
import numpy as np
import pytest
from sklearn.metrics import precision_recall_fscore_support

from mlrank_keras.distribute import data_parallel
from mlrank_keras.training import AnnotationReport
from tests.models.toy import features
from tests.training import resume_check

ROOT = pathlib.Path(__file__).resolve().parents[2]


def top_k_multi_hot(scores, k):
    out = np.zeros_like(scores)
    for i, row in enumerate(scores):
        out[i, np.argsort(-row, kind="stable")[:k]] = 1.0
    return out


def small_model(num_labels):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((16,)), keras.layers.Dense(num_labels)])
    model.compile(optimizer="adam", loss=keras.losses.BinaryCrossentropy(from_logits=True))
    return model


def test_report_after_each_epoch_matches_scikit_learn():
    x, y = features(n=200, num_labels=6)
    x_val, y_val = x[150:], y[150:]
    model = small_model(6)
    callback = AnnotationReport((x_val, y_val), k=2, verbose=0)
    history = model.fit(x[:150], y[:150], epochs=3, verbose=0, callbacks=[callback])
    assert [epoch for epoch, _ in callback.history] == [0, 1, 2]
    predicted = top_k_multi_hot(model.predict(x_val, verbose=0), 2)
    macro = precision_recall_fscore_support(y_val, predicted, average="macro", zero_division=0)
    micro = precision_recall_fscore_support(y_val, predicted, average="micro", zero_division=0)
    logs = history.history
    assert logs["val_C-P"][-1] == pytest.approx(macro[0], abs=1e-6)
    assert logs["val_C-R"][-1] == pytest.approx(macro[1], abs=1e-6)
    assert logs["val_O-P"][-1] == pytest.approx(micro[0], abs=1e-6)
    assert logs["val_O-R"][-1] == pytest.approx(micro[1], abs=1e-6)
    assert logs["val_0-1"][-1] == pytest.approx(np.mean((predicted == y_val).all(axis=1)))
    assert len(logs["val_C-F1"]) == 3


def test_report_from_batches_every_other_epoch(capsys):
    x, y = features(n=120, num_labels=5)
    batches = [(x[i : i + 32], y[i : i + 32]) for i in range(0, 120, 32)]
    model = small_model(5)
    from_batches = AnnotationReport(batches, every=2)
    from_arrays = AnnotationReport((x, y), every=2, verbose=0)
    model.fit(x, y, epochs=3, verbose=0, callbacks=[from_batches, from_arrays])
    assert [e for e, _ in from_batches.history] == [1, 2]  # every 2nd, and the last
    for (_, a), (_, b) in zip(from_batches.history, from_arrays.history, strict=True):
        assert a == pytest.approx(b)
    assert "C-F1" in capsys.readouterr().out


def test_report_argument_errors():
    with pytest.raises(ValueError, match="`every` must be a positive int"):
        AnnotationReport((np.zeros((2, 3)), np.zeros((2, 3))), every=0)
    callback = AnnotationReport([np.zeros((2, 3))])
    with pytest.raises(ValueError, match="must yield \\(inputs, labels\\) batches"):
        callback.report()


def run_module(module, *args):
    env = dict(os.environ, KERAS_BACKEND=keras.backend.backend())
    return subprocess.run(
        [sys.executable, "-m", module, *map(str, args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_killed_training_resumes_from_its_last_epoch(tmp_path):
    """Killed (SIGKILL) after epoch 3 of 6, a restart runs epochs 4 and 5 only and ends with
    the weights of a run that was never interrupted."""
    backup, log = tmp_path / "backup", tmp_path / "epochs.txt"
    killed = run_module("tests.training.resume_check", backup, log, "--kill-after", 3)
    assert killed.returncode == -9, killed.stderr[-2000:]
    assert log.read_text().split() == ["0", "1", "2", "3"]
    resumed = run_module("tests.training.resume_check", backup, log)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert log.read_text().split() == ["0", "1", "2", "3", "4", "5"]
    # The run never interrupted, here in the test's process (no third process start).
    straight = resume_check.train(tmp_path / "other", tmp_path / "b.txt")
    final = json.loads(resumed.stdout.strip().splitlines()[-1])["checksum"]
    assert final == pytest.approx(straight)


@pytest.mark.skipif(
    keras.backend.backend() not in ("tensorflow", "jax"),
    reason="MirroredStrategy (TensorFlow) and DataParallel (JAX) only",
)
def test_two_devices_train_like_one():
    done = run_module("tests.training.distribute_check")
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["replicas"] == 2
    np.testing.assert_allclose(result["parallel"], result["single"], rtol=1e-4)


@pytest.mark.skipif(keras.backend.backend() != "torch", reason="the torch fallback")
def test_torch_trains_on_one_device():
    with data_parallel() as replicas:
        assert replicas == 1
    with pytest.raises(ValueError, match="one device in one process"):
        with data_parallel(["cuda:0", "cuda:1"]):
            pass
