"""One SGD step of a ranker at 20,000 labels with the score layer copied and split over 2 devices.

Run as ``python -m tests.training.sharded_check`` with ``KERAS_BACKEND=jax``. For each loss,
the same ranker takes one ``train_on_batch`` step at learning rate 1 (so the change of
every weight is minus its gradient) under ``data_parallel()`` (the score layer copied to
both devices) and under ``sharded_scores()`` (split by label); then ``evaluate`` gives the
loss and the metrics. Prints one JSON line: the largest differences, and the per-device
bytes and shard shapes of the score layer's kernel in both runs.
"""

import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# XLA's default CPU passes: with the suite's (optimisation off) the split WARP step, a sort
# over a label axis split in two, compiles in 45 s instead of 3. The older fusion emitters
# (as in the suite) take this check from 13.4 s to 11.2 s.
os.environ["XLA_FLAGS"] = (
    "--xla_force_host_platform_device_count=2 --xla_cpu_use_fusion_emitters=false"
)

import keras  # noqa: E402
import numpy as np  # noqa: E402

from mlrank_keras import build_ranker, distribute  # noqa: E402
from mlrank_keras.losses import (  # noqa: E402
    LSEPLoss,
    WARPLoss,
)
from mlrank_keras.metrics import OverallPrecision, PerClassRecall  # noqa: E402

NUM_LABELS, FEATURES, BATCH = 20_000, 8, 8
LOSSES = {
    "warp": lambda: WARPLoss(),
    "lsep": lambda: LSEPLoss(),
}


def run(key, context, x, y):
    keras.utils.set_random_seed(0)
    with context:
        backbone = keras.Sequential([keras.Input((FEATURES,)), keras.layers.Dense(8)])
        model = build_ranker(
            NUM_LABELS,
            LOSSES[key](),
            backbone=backbone,
            optimizer=keras.optimizers.SGD(1.0),
            metrics=[PerClassRecall(k=3), OverallPrecision(k=3)],
        )
    before = [w.copy() for w in model.get_weights()]
    step_loss = float(model.train_on_batch(x, y)[0])
    grads = [b - a for a, b in zip(model.get_weights(), before, strict=True)]
    results = model.evaluate(x, y, batch_size=BATCH, verbose=0, return_dict=True)
    kernel = model.get_layer("scores").kernel
    layout = {
        "bytes": distribute.bytes_per_device([kernel]),
        "shards": sorted({tuple(s.data.shape) for s in kernel.value.addressable_shards}),
    }
    keras.distribution.set_distribution(None)
    return step_loss, grads, results, layout


def main():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, FEATURES)).astype("float32")
    y = (rng.random((BATCH, NUM_LABELS)) < 4 / NUM_LABELS).astype("float32")
    y[:, 0] = 1.0  # every row has a positive
    report = {}
    for key in LOSSES:
        copied = run(key, distribute.data_parallel(), x, y)
        split = run(key, distribute.sharded_scores(), x, y)
        report[key] = {
            "loss": [copied[0], split[0]],
            "grad_diff": max(
                float(np.abs(a - b).max()) for a, b in zip(copied[1], split[1], strict=True)
            ),
            "grad_scale": max(float(np.abs(a).max()) for a in copied[1]),
            "metrics": [copied[2], split[2]],
            "copied": copied[3],
            "split": split[3],
        }
    print(json.dumps(report, default=list))


if __name__ == "__main__":
    main()
