"""Does the input pipeline keep up? ``model.fit`` on JPEG files against the same model fed
from tensors already in memory, and the pipeline's CPU cost per image against its stages.

    TF_ENABLE_ONEDNN_OPTS=1 KERAS_BACKEND=tensorflow python benchmarks/input_fit.py
        [--images 4000] [--rounds 5] [--image-size 32]

The files: GlyphTags training images written as JPEG files (quality 95) at
``--image-size`` (32: the demo's images; larger sizes are scaled up bicubically). The
model: the demo's network (``cpu_convnet`` at width 0.5 on 28 x 28 crops, WARP, Adam),
batch 64, one epoch per ``fit`` call:

- files: ``image_dataset(paths, labels, training=True)`` (read, decode, a random crop of
  the ``image_size`` resize, ImageNet normalisation, shuffle, batch, prefetch: what
  ``mlrank-keras train`` feeds ``fit``);
- files, cache=True: the same with ``cache=True`` (decoded and resized once, in memory;
  crops, flips and normalisation once per batch), its first pass in the warm-up;
- memory: the same images, decoded, cropped and normalised once, from tensors in memory
  (``tf.data.Dataset.from_tensor_slices(...).batch(64).prefetch``).

The epochs alternate, ``--rounds`` times each after a warm-up epoch of each; the ratio
is of the median epoch times (the same number of steps). Then, without the model, the
process CPU time per image of one pass of the pipeline against passes that stop after each
of its necessary stages (read; + decode; + resize and crop; + normalise), all with the same
parallel map, batch and prefetch.
"""

import argparse
import os
import statistics
import tempfile
import time
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from mlrank_keras import build_ranker, cpu_convnet  # noqa: E402
from mlrank_keras.data import GLYPHTAGS_LABELS, image_dataset, load_glyphtags  # noqa: E402
from mlrank_keras.data.normalization import NORMALIZATIONS  # noqa: E402
from mlrank_keras.data.tagged_folder import write_tagged_folder  # noqa: E402
from mlrank_keras.losses import WARPLoss  # noqa: E402

BATCH = 64
CROP = 28
AUTOTUNE = tf.data.AUTOTUNE


def write_files(folder, count, image_size):
    images, labels = load_glyphtags("train", num_images=count, seed=0)
    if image_size != images.shape[1]:
        images = tf.image.resize(images, (image_size, image_size), method="bicubic")
        images = tf.cast(tf.clip_by_value(images, 0, 255), tf.uint8).numpy()
    names = [name.replace(" ", "_") for name in GLYPHTAGS_LABELS]
    write_tagged_folder(folder, images, labels, names)
    paths = sorted(os.path.join(folder, "images", n) for n in os.listdir(f"{folder}/images"))
    return paths, labels


def files_dataset(paths, labels, image_size, cache=False):
    return image_dataset(
        paths, labels, training=True, batch_size=BATCH, image_size=image_size,
        crop_size=CROP, flip=False, seed=0, cache=cache,
    )


def memory_dataset(paths, labels, image_size):
    """The files decoded, resized, centre-cropped and normalised once, as tensors."""
    images = image_dataset(
        paths, labels, training=False, batch_size=BATCH, image_size=image_size,
        crop_size=CROP, shuffle=False,
    )
    x = np.concatenate([batch.numpy() for batch, _ in images])
    dataset = tf.data.Dataset.from_tensor_slices((x, labels.astype("float32")))
    return dataset.batch(BATCH).prefetch(AUTOTUNE)


def epoch_time(model, dataset):
    start = time.perf_counter()
    model.fit(dataset, epochs=1, verbose=0, shuffle=False)
    return time.perf_counter() - start


def fit_ratio(paths, labels, image_size, rounds):
    model = build_ranker(
        labels.shape[1], WARPLoss(), backbone=cpu_convnet(CROP, 0.5),
        optimizer=keras.optimizers.Adam(1e-3),
    )
    feeds = {
        "memory": memory_dataset(paths, labels, image_size),
        "files": files_dataset(paths, labels, image_size),
        "files, cache=True": files_dataset(paths, labels, image_size, cache=True),
    }
    for dataset in feeds.values():  # warm-up: traces the step, fills the cache and autotuner
        epoch_time(model, dataset)
    times = {name: [] for name in feeds}
    for _ in range(rounds):
        for name, dataset in feeds.items():
            times[name].append(epoch_time(model, dataset))
    steps = -(-len(paths) // BATCH)
    return {name: statistics.median(values) / steps for name, values in times.items()}, times


def stage_datasets(paths, image_size):
    """Passes that stop after each necessary stage of the pipeline."""
    normalise = NORMALIZATIONS["imagenet"]

    def read(path):
        return tf.strings.length(tf.io.read_file(path))

    def decode(path):
        return tf.io.decode_jpeg(tf.io.read_file(path), channels=3)

    def resize_crop(path):
        image = tf.image.resize(decode(path), (image_size, image_size))
        return tf.image.random_crop(image, (CROP, CROP, 3))

    def normalised(path):
        return normalise(resize_crop(path))

    stages = {"read": read, "+ decode": decode, "+ resize, crop": resize_crop,
              "+ normalise": normalised}
    base = tf.data.Dataset.from_tensor_slices(paths)
    return {
        name: base.map(fn, num_parallel_calls=AUTOTUNE).batch(BATCH).prefetch(AUTOTUNE)
        for name, fn in stages.items()
    }


def cpu_per_image(dataset, count, rounds):
    for _ in dataset:  # warm-up
        pass
    per_image = []
    for _ in range(rounds):
        start = time.process_time()
        for _ in dataset:
            pass
        per_image.append((time.process_time() - start) / count * 1e6)
    return statistics.median(per_image)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--image-size", type=int, default=32)
    args = parser.parse_args()
    warnings.filterwarnings("ignore", message=".*ran out of data.*")
    with tempfile.TemporaryDirectory() as folder:
        paths, labels = write_files(folder, args.images, args.image_size)
        step, times = fit_ratio(paths, labels, args.image_size, args.rounds)
        print(f"## backend: {keras.backend.backend()}, {args.images} JPEG files of "
              f"{args.image_size} x {args.image_size}, batch {BATCH}, {args.rounds} rounds\n")
        print("| fed from | ms per step (median epoch) | epochs (s) |")
        print("|---|---|---|")
        for name in times:
            epochs = " / ".join(f"{t:.2f}" for t in times[name])
            print(f"| {name} | {1e3 * step[name]:.2f} | {epochs} |")
        for name in times:
            if name != "memory":
                print(f"\n{name} / memory: {step[name] / step['memory']:.3f}x")
        print()
        print("| pass (no model) | CPU us per image |")
        print("|---|---|")
        stages = stage_datasets(paths, args.image_size)
        costs = {name: cpu_per_image(ds, len(paths), args.rounds) for name, ds in stages.items()}
        for name, cost in costs.items():
            print(f"| {name} | {cost:.1f} |")
        pipeline = cpu_per_image(files_dataset(paths, labels, args.image_size), len(paths),
                                 args.rounds)
        cached = files_dataset(paths, labels, args.image_size, cache=True)
        cached_cost = cpu_per_image(cached, len(paths), args.rounds)  # after its first pass
        print(f"| the pipeline (`image_dataset`, training) | {pipeline:.1f} |")
        print(f"| the pipeline, `cache=True`, after the first pass | {cached_cost:.1f} |")
        print(f"\npipeline / its necessary stages: {pipeline / costs['+ normalise']:.2f}x")


if __name__ == "__main__":
    main()
