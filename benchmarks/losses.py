"""Forward+backward time and peak memory of each loss, as ratios to binary cross-entropy.

Usage (one backend per process; `make bench-losses` runs all three):

    KERAS_BACKEND=tensorflow python benchmarks/losses.py [--sizes 20 81 1000 10000]

Each loss's gradient step (the mean loss over a B x L batch of scores and its gradient with
respect to the scores) runs in the backend's default `fit` mode: `tf.function` without XLA
on a CPU-only TensorFlow (what Keras's `jit_compile="auto"` picks there), `jax.jit`, and
eager PyTorch. Times are medians of runs interleaved with
`keras.losses.BinaryCrossentropy(from_logits=True)` in the same process, reported as
ratios. Peak memory is the growth of the peak resident set of a fresh subprocess that
builds the inputs and then runs the step twice. "dense all-pairs" is the textbook
B x L x L pairwise hinge, for comparison where it fits in memory.
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

from mlrank_keras import losses  # noqa: E402

BATCH = 32
# Steps of every loss run before any is timed. In a fresh process a PyTorch step faults its
# large buffers in afresh (about 1,000 page faults a step for the pairwise hinge at 32 x
# 10,000) for its first 25-50 steps, until the allocator keeps that memory; measured after 2
# warm-up steps the pairwise hinge took 5.8-6.6x BCE in most runs, after 50 4.0-4.3x. A
# training run is thousands of steps: the warm figure is the one a user sees.
WARM_UP = 50
DENSE_MAX_LABELS = 1000  # B x L x L float32 at 10,000 labels is 12.8 GB per tensor


def dense_pairwise_hinge(y_true, y_pred, margin=1.0):
    """The all-pairs form most public implementations use: a B x L x L tensor."""
    pos = ops.cast(y_true > 0.5, y_pred.dtype)
    neg = ops.cast(ops.logical_and(y_true >= 0, y_true <= 0.5), y_pred.dtype)
    hinge = ops.relu(margin - y_pred[..., :, None] + y_pred[..., None, :])
    return ops.sum(pos[..., :, None] * neg[..., None, :] * hinge, axis=(-2, -1))


CASES = {
    "BCE (baseline)": lambda: keras.losses.BinaryCrossentropy(from_logits=True),
    "MultilabelSoftmaxLoss": lambda: losses.MultilabelSoftmaxLoss(),
    "PairwiseHingeLoss": lambda: losses.PairwiseHingeLoss(),
    "WARPLoss exact": lambda: losses.WARPLoss(rank_estimate="exact"),
    "WARPLoss sampled": lambda: losses.WARPLoss(rank_estimate="sampled", seed=0),
    "LSEPLoss all pairs": lambda: losses.LSEPLoss(),
    "LSEPLoss 1000 pairs": lambda: losses.LSEPLoss(num_pairs=1000, seed=0),
    "BPMLLLoss": lambda: losses.BPMLLLoss(),
    "dense all-pairs hinge": lambda: dense_pairwise_hinge,
}
BASELINE = "BCE (baseline)"


def make_inputs(num_labels, seed=0, positives=None):
    """Scores and labels: ``positives`` per row exactly, or about ``3/L + 2%`` (None)."""
    rng = np.random.default_rng(seed)
    if positives is None:
        y = (rng.random((BATCH, num_labels)) < min(0.5, 3.0 / num_labels + 0.02)).astype("float32")
    else:
        y = np.zeros((BATCH, num_labels), "float32")
        for row in y:
            row[rng.choice(num_labels, positives, replace=False)] = 1.0
    f = rng.standard_normal((BATCH, num_labels)).astype("float32")
    return ops.convert_to_tensor(y), ops.convert_to_tensor(f)


def make_step(loss):
    """A function (y, f) -> gradient of mean(loss(y, f)) with respect to f, finished."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        @tf.function(jit_compile=False)
        def step(y, f):
            with tf.GradientTape() as tape:
                tape.watch(f)
                value = ops.mean(loss(y, f))
            return tape.gradient(value, f)

        return lambda y, f: step(y, f).numpy()
    if backend == "jax":
        import jax

        step = jax.jit(jax.grad(lambda f, y: ops.mean(loss(y, f))))
        return lambda y, f: step(f, y).block_until_ready()
    if backend == "torch":

        def step(y, f):
            f = f.detach().requires_grad_(True)
            ops.mean(loss(y, f)).backward()
            return f.grad

        return step
    raise NotImplementedError(backend)


def fits(name, num_labels):
    return not (name.startswith("dense") and num_labels > DENSE_MAX_LABELS)


def time_ratios(num_labels, repeats, positives=None):
    y, f = make_inputs(num_labels, positives=positives)
    base = make_step(CASES[BASELINE]())
    base(y, f)
    base(y, f)
    steps = {name: make_step(make()) for name, make in CASES.items()
             if name != BASELINE and fits(name, num_labels)}
    for step in steps.values():  # every loss warm before any is timed
        for _ in range(WARM_UP):
            step(y, f)
    rows = {}
    for name, step in steps.items():
        ratios, base_times, times = [], [], []
        for _ in range(repeats):
            start = time.perf_counter()
            base(y, f)
            middle = time.perf_counter()
            step(y, f)
            end = time.perf_counter()
            base_times.append(middle - start)
            times.append(end - middle)
            ratios.append((end - middle) / (middle - start))
        rows[name] = {
            "ratio": statistics.median(ratios),
            "ms": 1e3 * statistics.median(times),
            "bce_ms": 1e3 * statistics.median(base_times),
        }
    return rows


def _status_kb(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def peak_memory_child(name, num_labels, positives=None):
    """Runs in a fresh process: prints the step's own peak memory in MB.

    The step is compiled and run once first; then the kernel's peak-RSS counter is reset
    (``5`` to ``/proc/self/clear_refs``) and the step runs again, so the figure is the
    peak resident set during that step over the resident set just before it.
    """
    y, f = make_inputs(num_labels, positives=positives)
    step = make_step(CASES[name]())
    step(y, f)
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")
    before = _status_kb("VmRSS")
    step(y, f)
    peak = _status_kb("VmHWM")
    print(json.dumps({"growth_mb": (peak - before) / 1024.0, "peak_mb": peak / 1024.0}))


def peak_memory(name, num_labels, positives=None):
    extra = [] if positives is None else ["--positives", str(positives)]
    out = subprocess.run(
        [sys.executable, __file__, "--memory-child", name, str(num_labels), *extra],
        capture_output=True, text=True, check=True, env=os.environ.copy(),
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return f"{result['growth_mb']:.0f} / {result['peak_mb']:.0f}"


def print_times(results, sizes):
    print("Time of forward+backward as a ratio to BCE in the same process (median):\n")
    print("| loss | " + " | ".join(f"L={n:,}" for n in sizes) + " |")
    print("|---|" + "---|" * len(sizes))
    print("| BCE (baseline), ms | " + " | ".join(
        f"{statistics.median(r['bce_ms'] for r in results[n].values()):.3f}"
        for n in sizes) + " |")
    for name in CASES:
        if name == BASELINE:
            continue
        cells = [
            f"{results[n][name]['ratio']:.2f}x" if name in results[n] else "does not fit"
            for n in sizes
        ]
        print(f"| {name} | " + " | ".join(cells) + " |")


def print_memory(sizes, positives=None):
    print("\nMemory of one forward+backward step (compiled before), MB: peak RSS during the "
          "step over the RSS just before it / the process's peak RSS during the step:\n")
    print("| loss | " + " | ".join(f"L={n:,}" for n in sizes) + " |")
    print("|---|" + "---|" * len(sizes))
    for name in CASES:
        cells = [
            peak_memory(name, n, positives) if fits(name, n) else "needs > 12.8 GB" for n in sizes
        ]
        print(f"| {name} | " + " | ".join(cells) + " |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[20, 81, 1000, 10000])
    parser.add_argument("--memory-sizes", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--memory-child", nargs=2, metavar=("CASE", "LABELS"))
    parser.add_argument(
        "--positives", type=int, default=None,
        help="positives per row, exactly (default: about 3/L + 2%% of the row)",
    )
    parser.add_argument("--cases", nargs="*", default=None, help="only these losses")
    args = parser.parse_args()
    if args.cases:
        for name in list(CASES):
            if name != BASELINE and name not in args.cases:
                del CASES[name]
    if args.memory_child:
        peak_memory_child(args.memory_child[0], int(args.memory_child[1]), args.positives)
        return
    rows = "about 3/L + 2% positives a row" if args.positives is None else (
        f"{args.positives} positives a row")
    print(f"## backend: {keras.backend.backend()}, B={BATCH}, {rows}\n")
    if args.sizes:
        results = {
            n: time_ratios(n, repeats=25 if n <= 1000 else 15, positives=args.positives)
            for n in args.sizes
        }
        print_times(results, args.sizes)
    if args.memory_sizes:
        print_memory(args.memory_sizes, args.positives)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
