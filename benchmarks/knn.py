"""kNN tag transfer at scale: time against the bare distance products, and peak memory.

Usage (one backend per process)::

    KERAS_BACKEND=tensorflow .venv/bin/python benchmarks/knn.py [--train 100000] [--dim 512]
        [--queries 2048] [--labels 81] [--repeats 3]

Time: ``KNNTagTransfer(k=50).predict`` of the queries against the same blocked matrix
products (``queries @ features.T``, the distance computation's cost) run interleaved in the
same process; the ratio is the price of the distances, the running top-k merge and the
label vote on top of the products. Memory: a fresh process builds the data, fits, runs a
warm-up query, resets the kernel's peak-RSS counter (``5`` to ``/proc/self/clear_refs``)
and predicts; the figure is the peak resident set during ``predict`` over the resident set
before it, next to the training features' own size and the ``N x N`` matrix it avoids.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import ops  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from mlrank_keras.baselines import KNNTagTransfer  # noqa: E402


def make_data(train, dim, queries, labels, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((train, dim), dtype="float32")
    y = (rng.random((train, labels)) < 3.0 / labels).astype("float32")
    q = rng.standard_normal((queries, dim), dtype="float32")
    return x, y, q


def blocked_products(knn, queries):
    """The matrix products of the blocked search alone, block for block."""
    total = knn.features.shape[0]
    for start in range(0, len(queries), knn.query_batch_size):
        block_q = ops.convert_to_tensor(queries[start : start + knn.query_batch_size])
        for t in range(0, total, knn.train_batch_size):
            product = ops.matmul(block_q, ops.transpose(knn.features[t : t + knn.train_batch_size]))
        ops.convert_to_numpy(product[:1, :1])  # wait for the device


def _status_kb(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def memory_child(args):
    x, y, q = make_data(args.train, args.dim, args.queries, args.labels)
    knn = KNNTagTransfer(k=50).fit(x, y)
    knn.predict(q[:8])  # warm-up: kernels, allocator pools
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")
    before = _status_kb("VmRSS")
    knn.predict(q)
    peak = _status_kb("VmHWM")
    print(json.dumps({"growth_mb": (peak - before) / 1024.0, "peak_mb": peak / 1024.0}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--queries", type=int, default=2048)
    parser.add_argument("--labels", type=int, default=81)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--memory-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        return memory_child(args)

    x, y, q = make_data(args.train, args.dim, args.queries, args.labels)
    knn = KNNTagTransfer(k=50).fit(x, y)
    knn.predict(q[:8])
    blocked_products(knn, q[:8])
    ratios, base_times = [], []
    for _ in range(args.repeats):
        start = time.perf_counter()
        blocked_products(knn, q)
        base = time.perf_counter() - start
        start = time.perf_counter()
        knn.predict(q)
        ratios.append((time.perf_counter() - start) / base)
        base_times.append(base)

    child = subprocess.run(
        [sys.executable, __file__, "--memory-child"] + sys.argv[1:],
        capture_output=True,
        text=True,
        check=True,
        env=os.environ.copy(),
    )
    memory = json.loads(child.stdout.strip().splitlines()[-1])
    mb = 1 / 2**20
    print(
        f"backend={keras.backend.backend()} N={args.train} d={args.dim} "
        f"queries={args.queries} L={args.labels} k=50 blocks=256x8192"
    )
    print(
        f"time: {statistics.median(ratios):.2f}x the bare blocked products "
        f"({1e3 * statistics.median(base_times):.0f} ms for them; runs: "
        + ", ".join(f"{r:.2f}" for r in ratios)
        + ")"
    )
    print(
        f"memory: predict adds {memory['growth_mb']:.0f} MB (process peak "
        f"{memory['peak_mb']:.0f} MB); training features {4 * args.train * args.dim * mb:.0f} MB; "
        f"an N x N float32 matrix would be {4 * args.train**2 * mb:,.0f} MB and a queries x N "
        f"one {4 * args.queries * args.train * mb:,.0f} MB"
    )


if __name__ == "__main__":
    main()
