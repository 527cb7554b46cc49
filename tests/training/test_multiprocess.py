"""Jobs of several processes: two JAX processes on 127.0.0.1 train like one with two devices."""

import json
import os
import pathlib
import signal
import socket
import subprocess
import sys

import keras
import numpy as np
import pytest

from mlrank_keras import distribute

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHECK = "tests.training.multiprocess_check"
TIMEOUT = 240  # seconds for one job; a hung collective ends the test, not the suite
JOB_VARIABLES = (
    distribute.jobs.ADDRESSES,
    distribute.jobs.NUM_PROCESSES,
    distribute.jobs.PROCESS_ID,
)
jax_only = pytest.mark.skipif(keras.backend.backend() != "jax", reason="jobs run on JAX")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(out, *args, env=None):
    env = dict(os.environ, KERAS_BACKEND="jax", **(env or {}))
    return subprocess.Popen(
        [sys.executable, "-m", CHECK, str(out), *map(str, args)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def finish(processes):
    """Wait for every process (killing all of them past TIMEOUT); their return codes and stderr."""
    results = []
    for process in processes:
        try:
            _, stderr = process.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            for other in processes:
                if other.poll() is None:
                    os.killpg(other.pid, signal.SIGKILL)
            pytest.fail(f"a process of the job ran past {TIMEOUT} s")
        results.append((process.returncode, stderr))
    return results


def job(out, *args):
    port = free_port()
    return finish(
        [
            start(
                out,
                *args,
                env={
                    "KERAS_DISTRIBUTION_JOB_ADDRESSES": f"127.0.0.1:{port}",
                    "KERAS_DISTRIBUTION_NUM_PROCESSES": "2",
                    "KERAS_DISTRIBUTION_PROCESS_ID": str(process),
                },
            )
            for process in (0, 1)
        ]
    )


def weights(out, key, process):
    with np.load(out / f"weights-{key}-{process}.npz") as found:
        return [found[name] for name in sorted(found.files, key=lambda n: int(n.split("_")[1]))]


@pytest.fixture(scope="module")
def one_process(tmp_path_factory):
    """One process with two CPU devices, the same global batch."""
    out = tmp_path_factory.mktemp("one_process")
    ((code, stderr),) = finish([start(out, "--devices", 2)])
    assert code == 0, stderr[-3000:]
    return out


def assert_same_weights(found, expected):
    assert len(found) == len(expected)
    for a, b in zip(found, expected, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def history(out, process):
    return json.loads((out / f"history-{process}.json").read_text())


@jax_only
def test_a_two_process_job_trains_like_one_process_and_resumes_when_killed(one_process, tmp_path):
    """Both processes killed (SIGKILL) at the end of WARP's epoch 2 of 4; the job started
    again runs epochs 3 and 4 only. Epoch by epoch, the two runs together give the losses and
    metric counts of one process with two devices, and end with its weights."""
    for code, stderr in job(tmp_path, "--kill-after", 1):
        assert code == -signal.SIGKILL, stderr[-3000:]
    metadata = json.loads((tmp_path / "backup" / "training_metadata.json").read_text())
    assert metadata["epoch"] == 2
    killed = [history(tmp_path, process) for process in (0, 1)]
    for code, stderr in job(tmp_path):
        assert code == 0, stderr[-3000:]
    single = history(one_process, 0)["history"]
    for process in (0, 1):
        found = history(tmp_path, process)
        assert found["processes"] == 2
        before = killed[process]["history"]["warp"]
        assert len(before["loss"]) == 2 and len(found["history"]["warp"]["loss"]) == 2
        for key in ("lsep", "warp"):
            # the losses and the metric's counts are the whole job's, on every process
            for name in ("loss", "per_class_precision"):
                epochs = found["history"][key][name]
                if key == "warp":
                    epochs = before[name] + epochs  # epochs 1-2 killed, 3-4 resumed
                np.testing.assert_allclose(epochs, single[key][name], rtol=1e-5)
            assert_same_weights(weights(tmp_path, key, process), weights(one_process, key, 0))
            assert "drop_remainder=True" in found["history"][f"{key}-refused"]
    assert single["warp-refused"] is None  # one process: a short last batch is fine
    # the file pipeline's parts: each process its own files, none in both
    parts = [history(tmp_path, p)["history"]["files"] for p in (0, 1)]
    assert parts[0]["loss"] == parts[1]["loss"] and len(parts[0]["loss"]) == 2
    for process, part in enumerate(parts):
        assert len(part["seen"]) == 8 == len(set(part["seen"]))  # one epoch: 1 step of 8
        assert all(index % 2 == process for index in part["seen"])
    # process 0 alone wrote the .keras files, and they hold the job's weights
    loaded = keras.saving.load_model(tmp_path / "warp.keras", compile=False)
    assert_same_weights(loaded.get_weights(), weights(one_process, "warp", 0))
    assert not (tmp_path / "backup").exists()  # removed by process 0 at the end


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"num_processes": 0}, "`num_processes` must be a positive int"),
        ({"num_processes": 2, "coordinator": "127.0.0.1:1234"}, "needs `process_id`"),
        ({"num_processes": 2, "process_id": 2, "coordinator": "127.0.0.1:1"}, "from 0 to 1"),
        ({"num_processes": 2, "process_id": 1}, "needs `coordinator`"),
        ({"num_processes": 2, "process_id": 1, "coordinator": "127.0.0.1"}, "'host:port'"),
        ({"num_processes": 3, "process_id": 1, "coordinator": "a:1,b:2"}, "lists 2 addresses"),
        ({"process_id": 1}, "needs `num_processes`"),
    ],
)
def test_job_settings_are_checked(kwargs, message, monkeypatch):
    for name in (
        distribute.jobs.ADDRESSES,
        distribute.jobs.NUM_PROCESSES,
        distribute.jobs.PROCESS_ID,
    ):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ValueError, match=message):
        distribute.job_settings(**kwargs)


def test_job_settings_come_from_the_keras_variables(monkeypatch):
    monkeypatch.setenv(distribute.jobs.ADDRESSES, "10.0.0.1:1234,10.0.0.2:2345")
    monkeypatch.setenv(distribute.jobs.NUM_PROCESSES, "2")
    monkeypatch.setenv(distribute.jobs.PROCESS_ID, "1")
    assert distribute.job_settings() == ("10.0.0.1:1234", 2, 1)
    assert distribute.job_settings(process_id=0) == ("10.0.0.1:1234", 2, 0)
    monkeypatch.setenv(distribute.jobs.NUM_PROCESSES, "two")
    with pytest.raises(ValueError, match="KERAS_DISTRIBUTION_NUM_PROCESSES must hold an int"):
        distribute.job_settings()
    for name in (
        distribute.jobs.ADDRESSES,
        distribute.jobs.NUM_PROCESSES,
        distribute.jobs.PROCESS_ID,
    ):
        monkeypatch.delenv(name)
    assert distribute.job_settings() == (None, 1, 0)
    assert distribute.process_count() == 1 and distribute.is_chief()


@pytest.mark.skipif(keras.backend.backend() == "jax", reason="the backends without jobs")
def test_a_job_of_several_processes_is_refused_off_jax():
    job_of_two = {"coordinator": "127.0.0.1:1234", "num_processes": 2, "process_id": 0}
    match = "keras-team/keras#20585" if keras.backend.backend() == "tensorflow" else "PyTorch"
    with pytest.raises(ValueError, match=match):
        with distribute.data_parallel(**job_of_two):
            pass
    with pytest.raises(ValueError, match="needs the JAX backend"):
        with distribute.sharded_scores():
            pass


@jax_only
def test_a_split_score_layer_at_20000_labels_matches_the_copied_one():
    """sharded_scores over 2 devices: each holds half the kernel, and WARP's and LSEP's loss,
    gradients (one SGD step at rate 1) and top-3 metrics equal the copied layer's."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.training.sharded_check"],
        cwd=ROOT,
        env=dict(os.environ, KERAS_BACKEND="jax"),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(report) == {"warp", "lsep"}
    for found in report.values():
        copied, split = found["loss"]
        assert split == pytest.approx(copied, rel=1e-5)
        assert found["grad_diff"] <= 1e-5 * max(found["grad_scale"], 1.0)
        for name, value in found["metrics"][0].items():
            assert found["metrics"][1][name] == pytest.approx(value, rel=1e-5), name
        assert found["copied"]["shards"] == [[8, 20_000]]
        assert found["split"]["shards"] == [[8, 10_000]]
        assert found["copied"]["bytes"] == {"cpu:0": 8 * 20_000 * 4, "cpu:1": 8 * 20_000 * 4}
        assert found["split"]["bytes"] == {"cpu:0": 8 * 10_000 * 4, "cpu:1": 8 * 10_000 * 4}
