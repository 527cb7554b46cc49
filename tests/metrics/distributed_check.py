"""Evaluates one model's annotation metrics on one device and data-parallel on two.

Run as ``python -m tests.metrics.distributed_check`` with ``KERAS_BACKEND`` set to
``tensorflow`` (``tf.distribute.MirroredStrategy`` over two logical CPU devices) or ``jax``
(``keras.distribution.DataParallel`` over two host devices). Prints one JSON line:
``{"devices": n, "single": {...}, "parallel": {...}}``. It runs in its own process because
the devices must be configured before the backend starts.
"""

import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ["XLA_FLAGS"] = (
    os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=2"
)

import keras  # noqa: E402
import numpy as np  # noqa: E402

from mlrank_keras import metrics  # noqa: E402
from tests.metrics import references  # noqa: E402

NUM_LABELS = 12


def all_metrics():
    return [
        metrics.PerClassPrecision(k=3),
        metrics.PerClassRecall(k=3),
        metrics.PerClassF1(k=3),
        metrics.OverallPrecision(k=3),
        metrics.OverallRecall(k=3),
        metrics.OverallF1(k=3),
        metrics.MacroF1(threshold=0.2),
        metrics.NPlus(k=3),
        metrics.ExactMatch(threshold=0.2),
        metrics.MeanAveragePrecision(),
        metrics.LabelRankingAveragePrecision(),
        metrics.RankingLoss(),
        metrics.CoverageError(),
        metrics.NDCGAtK(k=3),
    ]


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(100, 8)).astype("float32")
    y = (rng.random((100, NUM_LABELS)) < 0.3).astype("float32")
    y[rng.random(y.shape) < 0.05] = -1.0  # some unknown labels
    weights = rng.uniform(0.5, 2.0, size=100).astype("float32")
    return x, y, weights


def build_model():
    model = keras.Sequential(
        [
            keras.Input((8,)),
            keras.layers.Dense(
                NUM_LABELS, kernel_initializer=keras.initializers.GlorotUniform(seed=1)
            ),
        ]
    )
    model.compile(loss="mse", weighted_metrics=all_metrics())
    return model


def evaluate_tensorflow():
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    x, y, weights = data()

    def dataset():  # 100 rows in batches of 16: the last batch (4) is split unevenly
        return tf.data.Dataset.from_tensor_slices((x, y, weights)).batch(16)

    single = build_model()
    weights_values = single.get_weights()
    single_result = single.evaluate(dataset(), verbose=0, return_dict=True)
    single_result["scores"] = single.predict(x, verbose=0)
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    with strategy.scope():
        parallel = build_model()
        parallel.set_weights(weights_values)
    parallel_result = parallel.evaluate(dataset(), verbose=0, return_dict=True)
    return strategy.num_replicas_in_sync, single_result, parallel_result


def evaluate_jax():
    import jax

    x, y, weights = data()
    x, y, weights = x[:96], y[:96], weights[:96]  # DataParallel needs whole batches
    single = build_model()
    weights_values = single.get_weights()
    single_result = single.evaluate(
        x, y, sample_weight=weights, batch_size=16, verbose=0, return_dict=True
    )
    single_result["scores"] = single.predict(x, verbose=0)
    devices = jax.devices("cpu")
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
    parallel = build_model()
    parallel.set_weights(weights_values)
    parallel_result = parallel.evaluate(
        x, y, sample_weight=weights, batch_size=16, verbose=0, return_dict=True
    )
    return len(devices), single_result, parallel_result


def sklearn_ranking(y, scores, weights):
    """scikit-learn's ranking metrics, each image ranked over its known labels."""
    from sklearn import metrics as skm

    out = {}
    for name, fn in (("label_ranking_average_precision",
                      skm.label_ranking_average_precision_score),
                     ("ranking_loss", skm.label_ranking_loss),
                     ("coverage_error", skm.coverage_error)):
        known = y >= 0
        values = [fn(y[i : i + 1, known[i]], scores[i : i + 1, known[i]]) for i in range(len(y))]
        out[name] = float(np.average(values, weights=weights))
    return out


def main():
    backend = keras.backend.backend()
    if backend == "tensorflow":
        devices, single, parallel = evaluate_tensorflow()
    elif backend == "jax":
        devices, single, parallel = evaluate_jax()
    else:
        raise SystemExit(f"no data-parallel check for the {backend} backend")
    scores = np.asarray(single.pop("scores"))
    x, y, weights = data()
    y, weights = y[: len(scores)], weights[: len(scores)]
    top3 = references.report(y, references.top_k_sets(scores, 3), weights)
    above = references.report(y, references.threshold_sets(scores, 0.2), weights)
    reference = {
        "per_class_precision": top3["C-P"],
        "per_class_recall": top3["C-R"],
        "per_class_f1": top3["C-F1"],
        "overall_precision": top3["O-P"],
        "overall_recall": top3["O-R"],
        "overall_f1": top3["O-F1"],
        "macro_f1": above["F1"],
        "n_plus": top3["N+"],
        "exact_match": above["0-1"],
    }
    reference.update(sklearn_ranking(y, scores, weights))
    as_floats = lambda d: {k: float(v) for k, v in d.items()}  # noqa: E731
    result = {"devices": devices, "single": as_floats(single), "parallel": as_floats(parallel)}
    result["reference"] = as_floats(reference)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
