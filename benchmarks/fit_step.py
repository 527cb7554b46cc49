"""The time of a whole training step with each loss, as a ratio to the same step with BCE.

Usage (one backend per process):

    KERAS_BACKEND=jax python benchmarks/fit_step.py [--sizes 81 10000 100000]
        [--positives 3 8 2%] [--repeats 15]

The model is what a ranker is after its backbone: the backbone's output (2,048 features,
fixed, as when the backbone is frozen or its features are cached) feeds the score layer,
``Dense(num_labels)``. Each loss gets its own copy of that model (the same initial
weights) and a fresh BCE model beside it, both compiled with Adam and the backend's
default ``jit_compile``; one step is one ``model.train_on_batch`` on a batch of 32. The
steps run interleaved with the BCE model's step on the same batch, and the table gives the
median of the per-step ratios. A ratio of 1.2x means the loss makes the step 20 % slower
than BCE would.

Labels: 3 or 8 positives a row (real label sets: NUS-WIDE about 2.4 a photo, MS-COCO 2.9,
Open Images 8), or about ``3/L + 2%`` of the row (``2%``: the loss benchmark's case, 200 a
row at 10,000 labels). keras-rs's ``PairwiseHingeLoss`` (a dense list-wise pairwise form,
``B x L x L``) runs beside ours where it fits in memory (``pip install --no-deps
keras-rs==0.4.0``; skipped when it is not installed).
"""

import argparse
import gc
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

from mlrank_keras import losses  # noqa: E402

BATCH = 32
FEATURES = 2048
DENSE_MAX_LABELS = 2000  # keras-rs's B x L x L pairs: 12.8 GB per tensor at 10,000 labels

CASES = {
    "BCE (baseline)": lambda: keras.losses.BinaryCrossentropy(from_logits=True),
    "MultilabelSoftmaxLoss": lambda: losses.MultilabelSoftmaxLoss(),
    "PairwiseHingeLoss": lambda: losses.PairwiseHingeLoss(),
    "WARPLoss exact": lambda: losses.WARPLoss(rank_estimate="exact"),
    "WARPLoss sampled": lambda: losses.WARPLoss(rank_estimate="sampled", seed=0),
    "LSEPLoss all pairs": lambda: losses.LSEPLoss(),
    "LSEPLoss 1000 pairs": lambda: losses.LSEPLoss(num_pairs=1000, seed=0),
    "keras-rs PairwiseHingeLoss": lambda: keras_rs_pairwise_hinge(),
}
BASELINE = "BCE (baseline)"


def keras_rs_pairwise_hinge():
    import keras_rs

    return keras_rs.losses.PairwiseHingeLoss()


def has_keras_rs():
    try:
        import keras_rs  # noqa: F401
    except ImportError:
        return False
    return True


def fits(name, num_labels):
    if name.startswith("keras-rs"):
        return has_keras_rs() and num_labels <= DENSE_MAX_LABELS
    return True


def make_batch(num_labels, positives, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCH, FEATURES)).astype("float32")
    if positives == "2%":
        y = (rng.random((BATCH, num_labels)) < min(0.5, 3.0 / num_labels + 0.02))
        return x, y.astype("float32")
    y = np.zeros((BATCH, num_labels), "float32")
    for row in y:
        row[rng.choice(num_labels, int(positives), replace=False)] = 1.0
    return x, y


def make_model(num_labels, loss, weights=None):
    inputs = keras.Input((FEATURES,), name="features")
    outputs = keras.layers.Dense(num_labels, name="scores")(inputs)
    model = keras.Model(inputs, outputs)
    if weights is not None:
        model.set_weights(weights)
    model.compile(optimizer=keras.optimizers.Adam(1e-4), loss=loss)
    return model


def time_ratios(num_labels, positives, repeats):
    """Per loss, a fresh BCE model and a fresh model with the loss (the same initial
    weights), both freed afterwards: at 100,000 labels a model with Adam's state holds
    2.5 GB."""
    x, y = make_batch(num_labels, positives)
    weights = None
    rows = {}
    for name, make in CASES.items():
        if name == BASELINE or not fits(name, num_labels):
            continue
        base = make_model(num_labels, CASES[BASELINE](), weights)
        weights = base.get_weights() if weights is None else weights
        model = make_model(num_labels, make(), weights)
        for _ in range(2):
            base.train_on_batch(x, y)
            model.train_on_batch(x, y)
        ratios, base_times = [], []
        for _ in range(repeats):
            start = time.perf_counter()
            base.train_on_batch(x, y)
            middle = time.perf_counter()
            model.train_on_batch(x, y)
            end = time.perf_counter()
            base_times.append(middle - start)
            ratios.append((end - middle) / (middle - start))
        rows[name] = {
            "ratio": statistics.median(ratios),
            "bce_ms": 1e3 * statistics.median(base_times),
        }
        del base, model
        keras.backend.clear_session()  # else TensorFlow keeps every model's variables
        gc.collect()
    return rows


def run_child(num_labels, positives, cases):
    """``time_ratios`` in a fresh process (the models' memory goes with it)."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(num_labels), positives, *cases],
        capture_output=True, text=True, env=os.environ.copy(),
    )
    if out.returncode != 0:
        raise RuntimeError(f"L={num_labels}, {positives}, {cases}: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[81, 10000, 100000])
    parser.add_argument("--positives", nargs="*", default=["3", "8", "2%"])
    parser.add_argument("--repeats", type=int, default=None,
                        help="steps per loss (default: 15, 5 at 100,000 labels)")
    parser.add_argument("--child", nargs="+", metavar=("LABELS", "POSITIVES"))
    args = parser.parse_args()
    if args.child:
        num_labels, positives, *cases = args.child
        num_labels = int(num_labels)
        for name in list(CASES):
            if cases and name != BASELINE and name not in cases:
                del CASES[name]
        repeats = args.repeats or (5 if num_labels >= 100000 else 15)
        print(json.dumps(time_ratios(num_labels, positives, repeats)))
        return
    print(f"## backend: {keras.backend.backend()}, batch {BATCH}, {FEATURES} features\n")
    columns = [(n, p) for n in args.sizes for p in args.positives]
    results = {}
    for n, p in columns:
        # One process per column; at 100,000 labels one per loss (2.5 GB a model).
        groups = [[name] for name in CASES if name != BASELINE] if n >= 100000 else [[]]
        results[n, p] = {}
        for cases in groups:
            results[n, p].update(run_child(n, p, cases))
        print(f"  L={n}, positives {p}: " + ", ".join(
            f"{name} {row['ratio']:.2f}x" for name, row in results[n, p].items()),
            file=sys.stderr, flush=True)
    print("One train_on_batch step as a ratio to the BCE step (median):\n")
    print("| loss | " + " | ".join(f"L={n:,}, {p}" for n, p in columns) + " |")
    print("|---|" + "---|" * len(columns))
    print("| BCE step, ms | " + " | ".join(
        f"{statistics.median(r['bce_ms'] for r in results[c].values()):.1f}"
        for c in columns) + " |")
    for name in CASES:
        if name == BASELINE:
            continue
        cells = [
            f"{results[c][name]['ratio']:.2f}x" if name in results[c] else "does not fit"
            for c in columns
        ]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
