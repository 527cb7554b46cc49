"""How large each loss's gradient is, and how WARP's rank weight shapes it (TensorFlow).

For GlyphTags' training labels and scores drawn at three spreads (an untrained network's small
scores, then the larger ones training brings), prints per loss the mean loss and the mean
L1 norm of its gradient with respect to one row's scores, the share of negative labels that
get any gradient, and for WARP the mean weight per violating pair: ``L(r) / r`` (exact) against
``L(r)`` on one sampled violator (sampled). Adam divides the gradient by its running scale, so
the overall size matters less than how it is spread over labels and rows: which this shows.

    python benchmarks/warp_scale.py
"""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from mlrank_keras import losses  # noqa: E402
from mlrank_keras.data.glyphtags import load_glyphtags  # noqa: E402

LOSSES = {
    "multilabel softmax": losses.MultilabelSoftmaxLoss(),
    "pairwise ranking": losses.PairwiseHingeLoss(),
    "WARP, exact": losses.WARPLoss(rank_estimate="exact"),
    "WARP, sampled": losses.WARPLoss(rank_estimate="sampled", seed=0),
    "LSEP": losses.LSEPLoss(),
}


def harmonic(r):
    return np.array([np.sum(1.0 / np.arange(1, n + 1)) for n in r])


def main():
    _, y = load_glyphtags("train", num_images=2048, seed=0, image_size=32)
    y = y.astype("float32")
    rng = np.random.default_rng(0)
    print(f"{len(y)} GlyphTags label rows, {y.sum(1).mean():.2f} positives of 20 per row\n")
    print("| score sd | loss | mean loss | grad L1 / row | negatives reached | rows reached |")
    print("|---|---|---|---|---|---|")
    for spread in (0.1, 1.0, 3.0):
        scores = tf.constant(rng.normal(scale=spread, size=y.shape).astype("float32"))
        for name, loss in LOSSES.items():
            with tf.GradientTape() as tape:
                tape.watch(scores)
                value = loss(y, scores) * len(y)  # the sum over rows: per-row gradients
            grad = np.abs(tape.gradient(value, scores).numpy())
            row = grad.sum(1)
            reached = ((grad > 0) & (y <= 0)).sum() / max((y <= 0).sum(), 1)
            print(
                f"| {spread:g} | {name} | {float(value) / len(y):.3f} | {row.mean():.3f} | "
                f"{100 * reached:.0f} % | {100 * (row > 0).mean():.0f} % |"
            )
        # WARP's weight per violating pair, from the exact violator counts r.
        s, pos = scores.numpy(), y > 0
        ranks = np.array([
            int(((1 - s[i, u] + s[i, ~pos[i]]) > 0).sum())
            for i in range(len(y)) for u in np.flatnonzero(pos[i])
        ])
        ranks = ranks[ranks > 0]
        weights = harmonic(ranks)
        print(
            f"|   | WARP: r = {ranks.mean():.1f} violators per positive; exact puts L(r)/r = "
            f"{(weights / ranks).mean():.3f} on each, sampled L(r) = {weights.mean():.2f} "
            "on one | | | | |"
        )


if __name__ == "__main__":
    main()
