"""Scaling out on JAX: the score layer's memory per device, copied against split, and the
step time of a job of two local processes against one process.

    KERAS_BACKEND=jax python benchmarks/scaling.py memory [--features 4096] [--labels 1000 ...]
    KERAS_BACKEND=jax python benchmarks/scaling.py steps [--steps 30]

``memory``: for each label count, in a fresh process with two CPU devices, a ranker whose
features (``--features``, fixed) feed ``Dense(num_labels, name="scores")`` is built under
``data_parallel()`` (the layer copied to both devices) and under ``sharded_scores()`` (split
by label), compiled with Adam and WARP, and takes one ``train_on_batch`` step at batch 8.
Printed per device: the bytes of the score layer's kernel and bias, and of Adam's state for
them (its two moments), read from the JAX arrays' shards on that device; and the step's loss
in both layouts.

``steps``: a ranker of 2,048 features at 1,000 labels (WARP, Adam, global batch 64) trains
``--steps`` steps (after two to compile) as one process with one device, one process with
two devices (``data_parallel``), and a job of two processes on 127.0.0.1 with one device
each. Printed: the mean step time of each, from the start of step 3 to the end of ``fit``.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import time

HERE = os.path.abspath(__file__)


def child_memory(num_labels, features):
    import keras
    import numpy as np

    from mlrank_keras import build_ranker, distribute
    from mlrank_keras.losses import WARPLoss

    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, features)).astype("float32")
    y = (rng.random((8, num_labels)) < 8 / num_labels).astype("float32")
    y[:, 0] = 1.0
    found = {}
    for name, context in (
        ("copied", distribute.data_parallel),
        ("split", distribute.sharded_scores),
    ):
        keras.utils.set_random_seed(0)
        with context():
            backbone = keras.Sequential([keras.Input((features,)), keras.layers.Identity()])
            model = build_ranker(
                num_labels, WARPLoss(), backbone=backbone, optimizer=keras.optimizers.Adam(1e-3)
            )
        loss = float(model.train_on_batch(x, y))
        layer = model.get_layer("scores")
        weights = [layer.kernel, layer.bias]
        paths = {v.path for v in weights}
        state = [
            v
            for v in model.optimizer.variables
            if any(p.replace("/", "_") in v.path for p in paths)
        ]
        found[name] = {
            "loss": loss,
            "weights": distribute.bytes_per_device(weights),
            "adam": distribute.bytes_per_device(state),
            "adam_variables": len(state),
        }
        keras.distribution.set_distribution(None)
        del model
    print(json.dumps(found))


def child_steps(steps):
    import keras
    import numpy as np
    import tensorflow as tf

    from mlrank_keras import build_ranker, distribute
    from mlrank_keras.losses import WARPLoss

    rng = np.random.default_rng(0)
    x = rng.standard_normal((64 * (steps + 2), 2048)).astype("float32")
    y = (rng.random((len(x), 1000)) < 0.003).astype("float32")
    with distribute.data_parallel():
        backbone = keras.Sequential([keras.Input((2048,)), keras.layers.Identity()])
        model = build_ranker(1000, WARPLoss(), backbone=backbone, optimizer="adam")
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(64, drop_remainder=True)

    class Clock(keras.callbacks.Callback):
        """From the start of step 3 to the end of training (JAX dispatches steps ahead of
        their results; the end of ``fit`` waits for the last one)."""

        def on_train_batch_begin(self, batch, logs=None):
            if batch == 2:
                self.start = time.perf_counter()

        def on_train_end(self, logs=None):
            self.seconds = time.perf_counter() - self.start

    clock = Clock()
    model.fit(data, epochs=1, verbose=0, shuffle=False, callbacks=[clock])
    if distribute.is_chief():
        print(json.dumps({"ms": 1000 * clock.seconds / steps}))


def run(args, devices, env=None):
    env = dict(os.environ, KERAS_BACKEND="jax", **(env or {}))
    env["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={devices}"
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    return subprocess.Popen(
        [sys.executable, HERE, *args], env=env, stdout=subprocess.PIPE, text=True
    )


def last_json(process):
    out, _ = process.communicate()
    assert process.returncode == 0, f"child failed ({process.returncode})"
    return json.loads(out.strip().splitlines()[-1])


def memory(args):
    print(f"features {args.features}, one train_on_batch step (WARP, Adam), 2 CPU devices")
    print("| labels | layout | weights per device (MB) | Adam state per device (MB) | loss |")
    print("|---|---|---|---|---|")
    for num_labels in args.labels:
        found = last_json(run(["child-memory", str(num_labels), str(args.features)], devices=2))
        for name in ("copied", "split"):
            item = found[name]
            weights = sorted(item["weights"].values())
            adam = sorted(item["adam"].values())
            print(
                f"| {num_labels:,} | {name} | {' / '.join(f'{b / 1e6:.1f}' for b in weights)} "
                f"| {' / '.join(f'{b / 1e6:.1f}' for b in adam)} | {item['loss']:.6f} |"
            )
        difference = abs(found["copied"]["loss"] - found["split"]["loss"])
        print(
            f"|  | relative loss difference | {difference / abs(found['copied']['loss']):.1e} | | |"
        )


def steps(args):
    one = last_json(run(["child-steps", str(args.steps)], devices=1))
    two_devices = last_json(run(["child-steps", str(args.steps)], devices=2))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    job = [
        run(
            ["child-steps", str(args.steps)],
            devices=1,
            env={
                "KERAS_DISTRIBUTION_JOB_ADDRESSES": f"127.0.0.1:{port}",
                "KERAS_DISTRIBUTION_NUM_PROCESSES": "2",
                "KERAS_DISTRIBUTION_PROCESS_ID": str(i),
            },
        )
        for i in (0, 1)
    ]
    two_processes = last_json(job[0])
    job[1].communicate()
    base = one["ms"]
    print("2,048 features, 1,000 labels, WARP, Adam, global batch 64; mean time of steps 3 on")
    print("| run | ms per step | against one process, one device |")
    print("|---|---|---|")
    for name, item in (
        ("one process, one device", one),
        ("one process, two devices (data_parallel)", two_devices),
        ("two processes on 127.0.0.1, one device each", two_processes),
    ):
        print(f"| {name} | {item['ms']:.1f} | {item['ms'] / base:.2f}x |")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "child-memory":
        return child_memory(int(sys.argv[2]), int(sys.argv[3]))
    if len(sys.argv) > 1 and sys.argv[1] == "child-steps":
        return child_steps(int(sys.argv[2]))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["memory", "steps"])
    parser.add_argument("--features", type=int, default=4096)
    parser.add_argument("--labels", type=int, nargs="+", default=[1000, 20000, 100000])
    parser.add_argument("--steps", type=int, default=30)
    args = parser.parse_args()
    memory(args) if args.mode == "memory" else steps(args)


if __name__ == "__main__":
    main()
