"""A first look at the losses: train one small scorer per loss and compare top-3 results.

Run with ``make demo`` (or ``python -m mlrank_keras.demo``). The data are synthetic: 20
labels whose relevance is a noisy linear function of 32 features, with a long-tailed label
frequency, so every number printed comes from real training on this machine.
"""

import argparse
import time

import keras
import numpy as np

from mlrank_keras import losses

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


def precision_at_k(y, scores, k=3):
    top = np.argsort(-scores, axis=1)[:, :k]
    return float(np.take_along_axis(y, top, axis=1).mean())


def per_class_recall_at_k(y, scores, k=3):
    """Mean over labels of (images where the label is true and in the top k) / (true)."""
    top = np.argsort(-scores, axis=1)[:, :k]
    predicted = np.zeros_like(y)
    np.put_along_axis(predicted, top, 1.0, axis=1)
    hits = (predicted * y).sum(0)
    truth = y.sum(0)
    return float(np.mean(np.where(truth > 0, hits / np.maximum(truth, 1), 0.0)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--rows", type=int, default=8000, help="training rows")
    args = parser.parse_args(argv)
    x_train, y_train = make_data(args.rows)
    x_test, y_test = make_data(2000, seed=2)
    print(f"Keras {keras.__version__}, backend {keras.backend.backend()}; "
          f"{len(x_train)} training rows, {y_train.shape[1]} labels, "
          f"{y_train.sum(1).mean():.2f} positives per row\n")
    print(f"{'loss':28s} {'final loss':>10s} {'P@3':>6s} {'C-R@3':>6s} {'seconds':>8s}")
    for name, make in LOSSES.items():
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((x_train.shape[1],)),
                                  keras.layers.Dense(64, activation="relu"),
                                  keras.layers.Dense(y_train.shape[1])])
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=make())
        start = time.perf_counter()
        history = model.fit(x_train, y_train, batch_size=32, epochs=args.epochs, verbose=0)
        seconds = time.perf_counter() - start
        scores = model.predict(x_test, verbose=0)
        precision = precision_at_k(y_test, scores)
        recall = per_class_recall_at_k(y_test, scores)
        print(f"{name:28s} {history.history['loss'][-1]:10.4f} {precision:6.3f} {recall:6.3f} "
              f"{seconds:8.1f}")


if __name__ == "__main__":
    main()
