"""``mlrank-keras train`` on JPEG files against the same recipe fed from arrays.

Per seed: GlyphTags' 10,000 training and 2,000 test images (32 x 32) are written as JPEG
files (quality 95) with a CSV whose ``is_valid`` column marks the test images. Then

* arrays: the recipe's WARP ranker (``cpu_convnet`` width 0.5, 28 x 28 crops, Adam with the
  tuned rate, warm-up and cosine decay, 6 epochs, batch 64, no mirroring) trained on the
  arrays and scored on the test arrays at top 3;
* files: :func:`mlrank_keras.tagger.train_tagger` (what ``mlrank-keras train --image-size 28
  --no-flip --batch-size 64`` runs) on the files, its table on the validation rows (the same
  test images). It keeps the best epoch by that C-F1, which favours it slightly; its last
  epoch's C-F1 is printed too;
* the arrays recipe again on the arrays decoded from those JPEG files (what the compression
  alone changes);
* predict: :func:`mlrank_keras.tag_predict.predict_tags` on the 2,000 test files against
  ``model.predict`` on the same files decoded here, the share of images with the same top 3,
  and both times.

    TF_ENABLE_ONEDNN_OPTS=1 KERAS_BACKEND=tensorflow python benchmarks/tagger.py --seeds 0 1 2
"""

import argparse
import math
import tempfile
import time

import keras
import numpy as np

from mlrank_keras import metrics, tagger, tuned
from mlrank_keras.data import GLYPHTAGS_LABELS, array_dataset, load_glyphtags, write_tagged_folder
from mlrank_keras.models import build_ranker, cpu_convnet
from mlrank_keras.tag_predict import predict_tags
from mlrank_keras.training import AnnotationReport

EPOCHS, BATCH, CROP = tuned.EPOCHS, 64, 28
NAMES = [name.replace(" ", "_") for name in GLYPHTAGS_LABELS]  # "ankle boot": one tag


def from_arrays(x, y, x_test, y_test, seed):
    keras.utils.set_random_seed(seed)
    loss, rate = tuned.tuned_loss("warp")
    optimizer = tuned.warmup_cosine_adam(rate, math.ceil(len(x) / BATCH), EPOCHS)
    model = build_ranker(20, loss, backbone=cpu_convnet(CROP, 0.5), optimizer=optimizer,
                         jit_compile=False if keras.backend.backend() == "tensorflow" else "auto")
    train = array_dataset(x, y, training=True, flip=False, batch_size=BATCH, crop_size=CROP,
                          seed=seed)
    start = time.perf_counter()
    model.fit(train, epochs=EPOCHS, verbose=0, shuffle=False)
    seconds = time.perf_counter() - start
    test = array_dataset(x_test, y_test, batch_size=BATCH, crop_size=CROP)
    scores = model.predict(test, verbose=0)
    return metrics.annotation_report(y_test, scores, k=3)["C-F1"], seconds


def tf_decode(path):
    import tensorflow as tf

    return tf.io.decode_jpeg(tf.io.read_file(path), channels=3)


def decoded(paths):
    import tensorflow as tf

    images = [tf.io.decode_jpeg(tf.io.read_file(p), channels=3) for p in paths]
    images = [tf.image.resize(tf.cast(i, "float32"), (32, 32))[2:30, 2:30] for i in images]
    return np.stack([np.asarray(i) for i in images])


def run(seed, root):
    x, y = load_glyphtags("train", seed=seed, image_size=32)
    x_test, y_test = load_glyphtags("test", seed=seed, image_size=32)
    arrays_f1, arrays_s = from_arrays(x, y, x_test, y_test, seed)
    folder = f"{root}/seed{seed}"
    start = time.perf_counter()
    csv_path = write_tagged_folder(folder, np.concatenate([x, x_test]),
                                   np.concatenate([y, y_test]), NAMES,
                                   is_valid=[False] * len(x) + [True] * len(x_test))
    write_s = time.perf_counter() - start
    # The arrays recipe again, on the JPEG files decoded: what the compression alone changes.
    files = [f"{folder}/images/{i:05d}.jpg" for i in range(len(x) + len(x_test))]
    pixels = np.stack([np.asarray(tf_decode(p)) for p in files])
    decoded_f1, _ = from_arrays(pixels[: len(x)], y, pixels[len(x):], y_test, seed)
    last = {}
    report_end = AnnotationReport.on_epoch_end

    def record(self, epoch, logs=None):
        report_end(self, epoch, logs)
        last["C-F1"] = logs["val_C-F1"]

    AnnotationReport.on_epoch_end = record
    start = time.perf_counter()
    result = tagger.train_tagger(csv_path, f"{folder}/run", image_size=CROP, epochs=EPOCHS,
                                 flip=False, batch_size=BATCH, seed=seed, verbose=0)
    files_s = time.perf_counter() - start
    AnnotationReport.on_epoch_end = report_end
    test_files = [f"{folder}/images/{i:05d}.jpg" for i in range(len(x), len(x) + len(x_test))]
    start = time.perf_counter()
    rows, _ = predict_tags(result.model, test_files, k=3, batch_size=BATCH)
    predict_s = time.perf_counter() - start
    start = time.perf_counter()
    images = decoded(test_files)
    scores = np.asarray(result.model.predict(images, batch_size=BATCH, verbose=0))
    direct_s = time.perf_counter() - start
    names = result.model.get_layer("label_names").label_names
    top3 = [[names[j] for j in np.argsort(-s, kind="stable")[:3]] for s in scores]
    same = np.mean([r["tags"] == t for r, t in zip(rows, top3, strict=True)])
    return dict(arrays=arrays_f1, decoded_arrays=decoded_f1,
                files=result.reports["top-3"]["C-F1"], files_last=last["C-F1"],
                best_epoch=result.best_epoch + 1, arrays_s=arrays_s, files_s=files_s,
                write_s=write_s, predict_s=predict_s, direct_s=direct_s, same_top3=same)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    args = parser.parse_args()
    print(f"Keras {keras.__version__}, backend {keras.backend.backend()}")
    results = []
    with tempfile.TemporaryDirectory() as root:
        for seed in args.seeds:
            results.append(run(seed, root))
            print(f"seed {seed}: " + ", ".join(
                f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}"
                for k, v in results[-1].items()), flush=True)
    table = {k: np.array([r[k] for r in results], float) for k in results[0]}
    diff = 100 * (table["files"] - table["arrays"])
    print(f"C-F1 at top 3 (%), mean +- sd over {len(results)} seed(s): arrays "
          f"{100 * table['arrays'].mean():.2f} +- {100 * table['arrays'].std():.2f}; arrays of "
          f"the decoded JPEG files {100 * table['decoded_arrays'].mean():.2f} +- "
          f"{100 * table['decoded_arrays'].std():.2f}; files (best "
          f"epoch) {100 * table['files'].mean():.2f} +- {100 * table['files'].std():.2f}; files "
          f"(last epoch) {100 * table['files_last'].mean():.2f}; files - arrays "
          f"{diff.mean():+.2f} +- {diff.std():.2f}")
    for key in ("arrays_s", "files_s", "write_s", "predict_s", "direct_s", "same_top3"):
        print(f"{key}: {table[key].mean():.3f} +- {table[key].std():.3f}")
    print(f"train time, files / arrays: {(table['files_s'] / table['arrays_s']).mean():.2f}")


if __name__ == "__main__":
    main()
