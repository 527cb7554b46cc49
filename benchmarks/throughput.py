"""Images per second of a training step on Gong's AlexNet-style backbone, each ranking loss
against binary cross-entropy (issue 24, item 5: what WARP costs a user on a GPU).

    KERAS_BACKEND=jax python benchmarks/throughput.py [--image-size 224] [--batch 128]
        [--labels 81] [--positives 3] [--steps 20]

For each loss a fresh `build_warp_alexnet` network (the same initial weights for all), SGD
with momentum, compiled with the backend's default ``jit_compile``, takes two warm-up
``train_on_batch`` steps on one batch of random images in memory (no input pipeline), then
``--steps`` steps interleaved with the BCE model's on the same batch. Printed: the median
step time, images per second and the ratio to BCE's step. On the 2-core CPU use a small
image (``--image-size 96 --batch 16``; the backbone needs at least 67); the paper's size is
224 (227 in the paper).
"""

import argparse
import statistics
import time

import keras
import numpy as np

from mlrank_keras import build_warp_alexnet
from mlrank_keras.losses import LSEPLoss, PairwiseHingeLoss, WARPLoss

LOSSES = {
    "BCE (baseline)": lambda: keras.losses.BinaryCrossentropy(from_logits=True),
    "PairwiseHingeLoss": PairwiseHingeLoss,
    "WARPLoss exact": WARPLoss,
    "WARPLoss sampled": lambda: WARPLoss(rank_estimate="sampled", seed=0),
    "LSEPLoss 1000 pairs": lambda: LSEPLoss(num_pairs=1000, seed=0),
}
BASELINE = "BCE (baseline)"


def make_batch(batch, image_size, num_labels, positives, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, size=(batch, image_size, image_size, 3)).astype("float32")
    y = np.zeros((batch, num_labels), "float32")
    for row in y:
        row[rng.choice(num_labels, min(positives, num_labels), replace=False)] = 1.0
    return x, y


def make_model(loss, image_size, num_labels, weights=None):
    keras.utils.set_random_seed(0)
    model = build_warp_alexnet(num_labels, compile=False, input_shape=(image_size,) * 2 + (3,))
    if weights is not None:
        model.set_weights(weights)
    model.compile(optimizer=keras.optimizers.SGD(0.002, momentum=0.9), loss=loss)
    return model


def step_time(model, x, y):
    start = time.perf_counter()
    loss = model.train_on_batch(x, y)
    float(np.asarray(loss))  # the step has finished
    return time.perf_counter() - start


def measure(image_size, batch, num_labels, positives, steps):
    x, y = make_batch(batch, image_size, num_labels, positives)
    base = make_model(LOSSES[BASELINE](), image_size, num_labels)
    weights = base.get_weights()
    for _ in range(2):
        step_time(base, x, y)
    rows = {}
    for name, make in LOSSES.items():
        if name == BASELINE:
            continue
        model = make_model(make(), image_size, num_labels, weights)
        for _ in range(2):
            step_time(model, x, y)
        base_times, times = [], []
        for _ in range(steps):
            base_times.append(step_time(base, x, y))
            times.append(step_time(model, x, y))
        rows[name] = (statistics.median(times), statistics.median(base_times))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--labels", type=int, default=81)
    parser.add_argument("--positives", type=int, default=3)
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    rows = measure(args.image_size, args.batch, args.labels, args.positives, args.steps)
    print(
        f"{keras.backend.backend()}: Gong's backbone at {args.image_size} x {args.image_size}, "
        f"batch {args.batch}, {args.labels} labels, {args.positives} positives a row, "
        f"median of {args.steps} interleaved steps"
    )
    print("| loss | step, ms | images/s | step / BCE step | BCE step, ms |")
    print("|---|---|---|---|---|")
    for name, (seconds, base_seconds) in rows.items():
        print(
            f"| {name} | {1e3 * seconds:.1f} | {args.batch / seconds:,.0f} | "
            f"{seconds / base_seconds:.2f}x | {1e3 * base_seconds:.1f} |"
        )


if __name__ == "__main__":
    main()
