"""Time to build (trace) and first run a loss's gradient in a TensorFlow graph whose label
width is unknown (``input_signature=[TensorSpec([None, None])] * 2``), as a ratio to the
same graph with the width known, in the same process.

Usage (TensorFlow only: only its graphs have unknown dimensions):

    KERAS_BACKEND=tensorflow python benchmarks/trace.py [--labels 13] [--repeats 3]

Each measurement builds a new ``tf.function`` and times its first call (trace + run).
Sampled WARP's running maximum took 22 s to build at an unknown width through
``ops.associative_scan``; it now doubles in a while loop.
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from mlrank_keras import losses  # noqa: E402

LOSSES = {
    "warp (sampled)": lambda: losses.WARPLoss(rank_estimate="sampled", seed=7),
    "warp (exact)": lambda: losses.WARPLoss(),
    "lsep (sampled)": lambda: losses.LSEPLoss(num_pairs=5, seed=7),
    "pairwise": lambda: losses.PairwiseHingeLoss(),
    "hinge rank (sampled)": lambda: losses.HingeRankLoss(num_negatives=3, seed=7),
}


def first_call_seconds(make_loss, width, y, f):
    loss = make_loss()
    spec = tf.TensorSpec([None, width], "float32")

    @tf.function(input_signature=[spec, spec])
    def value_and_grad(y_true, y_pred):
        with tf.GradientTape() as tape:
            tape.watch(y_pred)
            value = loss(y_true, y_pred)
        return value, tape.gradient(value, y_pred)

    start = time.perf_counter()
    value_and_grad(y, f)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--labels", type=int, default=13)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    y = tf.constant((rng.random((8, args.labels)) < 0.35).astype("float32"))
    f = tf.constant(rng.standard_normal((8, args.labels)).astype("float32"))
    print(f"{'loss':22s} {'known (s)':>10s} {'unknown (s)':>12s} {'ratio':>7s}")
    for name, make in LOSSES.items():
        known, unknown = [], []
        for _ in range(args.repeats):  # interleaved, so drifts hit both alike
            known.append(first_call_seconds(make, args.labels, y, f))
            unknown.append(first_call_seconds(make, None, y, f))
        k, u = statistics.median(known), statistics.median(unknown)
        print(f"{name:22s} {k:10.2f} {u:12.2f} {u / k:7.2f}")


if __name__ == "__main__":
    main()
