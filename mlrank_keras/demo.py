"""A first look at the losses: train one small scorer per loss and print the papers' table.

Run with ``make demo`` (or ``python -m mlrank_keras.demo``). The data are synthetic: 20
labels whose relevance is a noisy linear function of 32 features, with a long-tailed label
frequency, so every number printed comes from real training on this machine.
"""

import argparse
import time

import keras
import numpy as np

from mlrank_keras import losses, metrics

LOSSES = {
    "multilabel softmax (Gong)": lambda: losses.MultilabelSoftmaxLoss(),
    "pairwise hinge (Gong)": lambda: losses.PairwiseHingeLoss(),
    "WARP, exact rank": lambda: losses.WARPLoss(rank_estimate="exact"),
    "WARP, sampled rank (Gong)": lambda: losses.WARPLoss(rank_estimate="sampled", seed=0),
    "LSEP (Li)": lambda: losses.LSEPLoss(),
    "BP-MLL": lambda: losses.BPMLLLoss(),
}


def make_data(n, num_features=32, num_labels=20, seed=0):
    rng = np.random.default_rng(seed)
    weights = np.random.default_rng(1).standard_normal((num_features, num_labels))
    bias = -np.log1p(np.arange(num_labels))  # a long tail of label frequencies
    x = rng.standard_normal((n, num_features)).astype("float32")
    logits = x @ weights / np.sqrt(num_features) * 3.0 + 2.0 * bias + 1.0
    noisy = logits + rng.standard_normal(logits.shape)
    y = (noisy > 0).astype("float32")
    return x, y


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--rows", type=int, default=8000, help="training rows")
    parser.add_argument("--k", type=int, default=3, help="labels per image in the table")
    args = parser.parse_args(argv)
    x_train, y_train = make_data(args.rows)
    x_test, y_test = make_data(2000, seed=2)
    print(
        f"Keras {keras.__version__}, backend {keras.backend.backend()}; "
        f"{len(x_train)} training rows, {y_train.shape[1]} labels, "
        f"{y_train.sum(1).mean():.2f} positives per row\n"
    )
    reports = {"upper bound (Gong)": metrics.upper_bound(y_test, k=args.k, seed=0)}
    for name, make in LOSSES.items():
        keras.utils.set_random_seed(0)
        model = keras.Sequential(
            [
                keras.Input((x_train.shape[1],)),
                keras.layers.Dense(64, activation="relu"),
                keras.layers.Dense(y_train.shape[1]),
            ]
        )
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=make())
        start = time.perf_counter()
        history = model.fit(x_train, y_train, batch_size=32, epochs=args.epochs, verbose=0)
        seconds = time.perf_counter() - start
        print(f"trained {name:28s} final loss {history.history['loss'][-1]:8.4f} {seconds:6.1f} s")
        scores = model.predict(x_test, verbose=0)
        reports[name] = metrics.annotation_report(y_test, scores, k=args.k)
    print(f"\nTest set, top {args.k} labels per image (rates in %, N+ of {y_test.shape[1]}):")
    metrics.print_reports(reports)


if __name__ == "__main__":
    main()
