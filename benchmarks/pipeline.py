"""Images per second of the training pipeline against bare JPEG decoding of the same files.

Writes JPEG files (quality 90) at two sizes, 500 x 375 (VOC's usual size) and 640 x 480
(COCO's), of two kinds: "smooth", GlyphTags images scaled up with bicubic interpolation (they
compress like smooth, featureless photographs: cheap to decode), and "photo", random windows
of a real photograph (matplotlib's sample ``grace_hopper.jpg``, a public-domain US Navy
portrait; windows side by side, some mirrored, where the size is wider than the photograph),
whose detail makes them larger and costlier to decode (not compared with VOC or COCO's own
files, which are not on this machine), and "gray", product photos on a flat gray background
with sensor noise (their last block decodes as flat gray, so the cut-short check reads their
entropy-coded data once per file: "pipeline, first pass" is that pass). Then, in the
same process, it times in alternating rounds:

- bare: tf.data of the paths -> tf.io.read_file -> tf.io.decode_jpeg (parallel map, AUTOTUNE),
  batched by 32, prefetched; nothing else;
- pipeline: mlrank_keras.data.image_dataset(training=True): read, decode, the skip-and-count
  guard, a random one of Gong's five 220 crops of the 256 x 256 resize, random flip, ImageNet
  normalisation, multi-hot labels, per-epoch shuffle, batch 32, prefetch; once with the
  default num_parallel_calls (AUTOTUNE) and once with os.cpu_count().

Each dataset is run once to warm up, then ROUNDS times over all the files. Printed: the median
and best images per second, the ratio of medians to bare, the process CPU time per image and
bare's CPU time per image over the pipeline's ("CPU vs bare": the throughput ratio when both
keep every core busy; steadier than wall-clock rates on a shared 2-core machine, where
tf.data's thread scheduling makes rates jump between modes).

    TF_CPP_MIN_LOG_LEVEL=3 python benchmarks/pipeline.py [--files 400] [--rounds 7]
"""

import argparse
import itertools
import os
import statistics
import tempfile
import time

import numpy as np
import tensorflow as tf

from mlrank_keras.data import image_dataset, load_glyphtags

SIZES = {"500x375 (VOC)": (375, 500), "640x480 (COCO)": (480, 640)}


def write_smooth_files(folder, count, size):
    images, labels = load_glyphtags("train", num_images=count, seed=0, image_size=96)
    paths = []
    for i, image in enumerate(images):
        big = tf.image.resize(image, size, method="bicubic")
        big = tf.cast(tf.clip_by_value(big, 0, 255), tf.uint8)
        path = os.path.join(folder, f"{i:05d}.jpg")
        tf.io.write_file(path, tf.io.encode_jpeg(big, quality=90))
        paths.append(path)
    return paths, labels


def write_photo_files(folder, count, size, seed=0):
    """JPEG files of ``size`` (height, width) cut from a real photograph, with random labels."""
    import matplotlib.cbook

    source = matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    photo = tf.io.decode_jpeg(tf.io.read_file(str(source)), channels=3).numpy()
    rng = np.random.default_rng(seed)
    photo_height, photo_width = photo.shape[:2]
    height, width = size
    paths = []
    for i in range(count):
        pieces, filled = [], 0
        while filled < width:  # windows side by side until the width is filled
            piece_width = min(width - filled, photo_width)
            y = rng.integers(0, photo_height - height + 1)
            x = rng.integers(0, photo_width - piece_width + 1)
            piece = photo[y : y + height, x : x + piece_width]
            pieces.append(piece[:, ::-1] if rng.random() < 0.5 else piece)
            filled += piece_width
        path = os.path.join(folder, f"{i:05d}.jpg")
        tf.io.write_file(path, tf.io.encode_jpeg(np.concatenate(pieces, axis=1), quality=90))
        paths.append(path)
    return paths, (rng.random((count, 20)) < 0.15).astype(np.float32)


def write_gray_files(folder, count, size, seed=0):
    """Product photos: a window of the photograph in the middle of a flat gray (128)
    background with sensor noise (sigma 1), quality 75. Their last 8 x 8 block decodes as
    exactly 128, so the cut-short check reads each file's entropy-coded data."""
    import matplotlib.cbook

    source = matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    photo = tf.io.decode_jpeg(tf.io.read_file(str(source)), channels=3).numpy()
    rng = np.random.default_rng(seed)
    height, width = size
    paths = []
    for i in range(count):
        canvas = 128 + rng.standard_normal((height, width, 3))
        h, w = height // 2, width // 2
        y = rng.integers(0, photo.shape[0] - h + 1)
        x = rng.integers(0, photo.shape[1] - w + 1)
        top, left = height // 4, width // 4
        canvas[top : top + h, left : left + w] = photo[y : y + h, x : x + w]
        image = np.clip(np.round(canvas), 0, 255).astype(np.uint8)
        path = os.path.join(folder, f"{i:05d}.jpg")
        tf.io.write_file(path, tf.io.encode_jpeg(image, quality=75))
        paths.append(path)
    return paths, (rng.random((count, 20)) < 0.15).astype(np.float32)


KINDS = {"smooth": write_smooth_files, "photo": write_photo_files, "gray": write_gray_files}


def run(dataset, count):
    """(images per second, CPU milliseconds per image) of one pass."""
    wall, cpu = time.perf_counter(), time.process_time()
    seen = 0
    for batch in dataset:
        images = batch[0] if isinstance(batch, tuple) else batch
        seen += int(images.shape[0])
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if seen != count:
        print(f"  (a pass kept {seen} of {count} images)")
    return count / wall, 1e3 * cpu / count


def bench(paths, labels, rounds):
    bare = (
        tf.data.Dataset.from_tensor_slices(paths)
        .map(lambda p: tf.io.decode_jpeg(tf.io.read_file(p)), num_parallel_calls=tf.data.AUTOTUNE)
        .batch(32)
        .prefetch(tf.data.AUTOTUNE)
    )
    datasets = {
        "bare decode_jpeg": bare,
        "pipeline (AUTOTUNE)": image_dataset(paths, labels, training=True, seed=0),
        f"pipeline ({os.cpu_count()} calls)": image_dataset(
            paths, labels, training=True, seed=0, num_parallel_calls=os.cpu_count()
        ),
    }
    results = {name: [] for name in datasets}
    # The first pass of a pipeline reads the data of every gray-cornered file (the verdicts
    # are cached per file content for the passes after it).
    results["pipeline, first pass"] = [run(datasets["pipeline (AUTOTUNE)"], len(paths))]
    for dataset in datasets.values():
        run(dataset, len(paths))
    for _ in range(rounds):
        for name, dataset in datasets.items():
            results[name].append(run(dataset, len(paths)))
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--kinds", nargs="+", choices=list(KINDS), default=list(KINDS))
    args = parser.parse_args()
    print(
        f"{args.files} JPEG files per size, {os.cpu_count()} CPUs, {args.rounds} rounds, "
        f"TensorFlow {tf.__version__}"
    )
    kinds = {kind: KINDS[kind] for kind in args.kinds}
    for (label, size), (kind, write) in itertools.product(SIZES.items(), kinds.items()):
        with tempfile.TemporaryDirectory() as folder:
            paths, labels = write(folder, args.files, size)
            kilobytes = np.mean([os.path.getsize(path) for path in paths]) / 1e3
            results = bench(paths, labels, args.rounds)
        base = statistics.median(r for r, _ in results["bare decode_jpeg"])
        base_cpu = statistics.median(c for _, c in results["bare decode_jpeg"])
        print(f"\n{label}, {kind} ({kilobytes:.0f} kB a file on average)")
        print(
            f"{'':>24} {'median/s':>9} {'best/s':>8} {'vs bare':>8} {'CPU ms/img':>11} "
            f"{'CPU vs bare':>12}"
        )
        for name, values in results.items():
            rates = [r for r, _ in values]
            median = statistics.median(rates)
            cpu = statistics.median(c for _, c in values)
            print(
                f"{name:>24} {median:9.0f} {max(rates):8.0f} {median / base:8.2f} {cpu:11.2f} "
                f"{base_cpu / cpu:12.2f}"
            )


if __name__ == "__main__":
    main()
