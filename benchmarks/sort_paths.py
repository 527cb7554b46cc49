"""The two exact sorted paths of the pairwise hinge and exact WARP, side by side: ``top_k``
(codes and their order, what TensorFlow and PyTorch use) against a sort of the codes alone
and a search back (``sorting.searched_violations``, what JAX uses).

    KERAS_BACKEND=jax python benchmarks/sort_paths.py [--labels 10000] [--repeats 25]

Rows of about ``3/L + 2%`` positives (200 a row at 10,000 labels: past the few-positive
tiers, so the sorted path runs), batch 32; forward+backward in the backend's ``fit`` mode,
interleaved with BCE in one process (`losses.py`'s inputs and steps); medians of the
ratios to BCE.
"""

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import losses as bench  # noqa: E402

from mlrank_keras import losses  # noqa: E402
from mlrank_keras.losses import sorting  # noqa: E402

PATHS = {"top_k": sorting.sorted_violations, "searched": sorting.searched_violations}
LOSSES = {
    "PairwiseHingeLoss": lambda: losses.PairwiseHingeLoss(),
    "WARPLoss exact": lambda: losses.WARPLoss(rank_estimate="exact"),
}


def with_path(step, path):
    """``step`` with ``sorting.sorted_path`` set to ``path`` (at each call: PyTorch runs
    eagerly; a compiled step keeps the path it was traced with)."""

    def run(y, f):
        sorting.sorted_path = path
        return step(y, f)

    return run


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=int, default=10000)
    parser.add_argument("--repeats", type=int, default=25)
    args = parser.parse_args()
    y, f = bench.make_inputs(args.labels)
    steps = {"BCE": bench.make_step(bench.CASES[bench.BASELINE]())}
    for path, fn in PATHS.items():
        for name, make in LOSSES.items():
            step = with_path(bench.make_step(make()), fn)
            step(y, f)
            step(y, f)
            steps[f"{name}, {path}"] = step
    times = {name: [] for name in steps}
    for _ in range(args.repeats):
        for name, step in steps.items():
            start = time.perf_counter()
            step(y, f)
            times[name].append(time.perf_counter() - start)
    base = statistics.median(times["BCE"])
    print(f"## backend: {bench.keras.backend.backend()}, 32 x {args.labels:,}, about 2 % "
          f"positives; BCE {1e3 * base:.3f} ms\n")
    print("| loss, sorted path | ratio to BCE |\n|---|---|")
    for name in steps:
        if name != "BCE":
            print(f"| {name} | {statistics.median(times[name]) / base:.2f}x |")


if __name__ == "__main__":
    main()
