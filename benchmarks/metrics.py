"""Cost of the annotation metrics inside ``model.evaluate``, against the loss alone.

Usage (one backend per process)::

    KERAS_BACKEND=tensorflow .venv/bin/python benchmarks/metrics.py [--labels 81 10000]

A model that passes its input scores through (``keras.layers.Identity``) is evaluated on
``rows`` x ``L`` scores in batches of 32, compiled with binary cross-entropy alone (the
baseline) and with binary cross-entropy plus one metric; runs alternate in the same
process and the table gives the median ratio of evaluate times. Keras computes each
metric's ``result()`` after every batch (for the progress bar), so that is included.
"""

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import keras  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from mlrank_keras import metrics  # noqa: E402

CASES = {
    "PerClassRecall(k=3)": lambda: metrics.PerClassRecall(k=3),
    "OverallF1(k=3)": lambda: metrics.OverallF1(k=3),
    "NPlus(k=3)": lambda: metrics.NPlus(k=3),
    "MacroF1(threshold=0)": lambda: metrics.MacroF1(threshold=0.0),
    "ExactMatch(threshold=0)": lambda: metrics.ExactMatch(threshold=0.0),
    "MeanAveragePrecision()": lambda: metrics.MeanAveragePrecision(),
    "MeanAveragePrecision(200)": lambda: metrics.MeanAveragePrecision(num_thresholds=200),
    "all ten above": lambda: (
        [
            cls(k=3)
            for cls in (
                metrics.PerClassPrecision,
                metrics.PerClassRecall,
                metrics.PerClassF1,
                metrics.OverallPrecision,
                metrics.OverallRecall,
                metrics.OverallF1,
                metrics.MacroF1,
                metrics.NPlus,
                metrics.ExactMatch,
            )
        ]
        + [metrics.MeanAveragePrecision()]
    ),
}


def model_with(metric_list, num_labels):
    model = keras.Sequential([keras.Input((num_labels,)), keras.layers.Identity()])
    model.compile(
        loss=keras.losses.BinaryCrossentropy(from_logits=True), metrics=metric_list or None
    )
    return model


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=int, nargs="+", default=[81, 10_000])
    parser.add_argument("--rows", type=int, default=640)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"backend={keras.backend.backend()} rows={args.rows} batch=32")
    print("| metric | " + " | ".join(f"L={n:,}" for n in args.labels) + " |")
    print("|---|" + "---|" * len(args.labels))
    results = {name: [] for name in CASES}
    base_ms = []
    for num_labels in args.labels:
        rng = np.random.default_rng(0)
        y = (rng.random((args.rows, num_labels)) < 3.0 / num_labels + 0.02).astype("float32")
        x = rng.normal(size=(args.rows, num_labels)).astype("float32")
        base = model_with(None, num_labels)
        base.evaluate(x, y, batch_size=32, verbose=0)
        base_times = []
        for name, make in CASES.items():
            made = make()
            model = model_with(made if isinstance(made, list) else [made], num_labels)
            model.evaluate(x, y, batch_size=32, verbose=0)  # compile
            ratios = []
            for _ in range(args.repeats):
                start = time.perf_counter()
                base.evaluate(x, y, batch_size=32, verbose=0)
                b = time.perf_counter() - start
                start = time.perf_counter()
                model.evaluate(x, y, batch_size=32, verbose=0)
                ratios.append((time.perf_counter() - start) / b)
                base_times.append(b)
            results[name].append(statistics.median(ratios))
        base_ms.append(1e3 * statistics.median(base_times) / (args.rows / 32))
    for name, ratios in results.items():
        print(f"| {name} | " + " | ".join(f"{r:.2f}x" for r in ratios) + " |")
    print(
        "| (baseline: BCE alone, ms per batch) | "
        + " | ".join(f"{ms:.2f} ms" for ms in base_ms)
        + " |"
    )


if __name__ == "__main__":
    main()
