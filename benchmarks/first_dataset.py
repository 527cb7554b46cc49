"""Time of a process's first ``image_dataset`` (built and read to the end), with the data
pipeline's own functions run as they are and with AutoGraph converting them, as TensorFlow
does by default.

Usage: ``python benchmarks/first_dataset.py [--files 16] [--runs 4]``

AutoGraph converts a function once per process, so each measurement is a fresh process;
the two forms take turns, and the table gives the median of each and their ratio. The
pipeline's functions branch in Python on Python values only, so AutoGraph has nothing to
convert in them (``mlrank_keras.data.crops.Augment.graph``).
"""

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]


def child(folder, count, autograph):
    """One measurement, in this (fresh) process: prints the seconds."""
    import tensorflow as tf

    from mlrank_keras.data import crops, image_dataset, pipeline

    if autograph:  # the default of Dataset.map: every function converted
        crops.without_autograph = pipeline.without_autograph = lambda fn: fn
        crops.Augment.graph = lambda self, fn: fn
    paths = []
    for i in range(count):
        image = tf.cast(tf.random.stateless_uniform((40, 30, 3), (i, 0), 0, 256), tf.uint8)
        path = pathlib.Path(folder) / f"{i:03d}.jpg"
        path.write_bytes(tf.io.encode_jpeg(image).numpy())
        paths.append(str(path))
    start = time.perf_counter()
    data = image_dataset(paths, [[i % 5] for i in range(count)], num_labels=5, batch_size=4,
                         image_size=16, crop_size=12, training=True, seed=0)
    batches = sum(1 for _ in data)
    print(json.dumps({"seconds": time.perf_counter() - start, "batches": batches}))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=16)
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--child", choices=["as-is", "autograph"])
    parser.add_argument("--folder")
    args = parser.parse_args()
    if args.child:
        child(args.folder, args.files, args.child == "autograph")
        return
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", TF_ENABLE_ONEDNN_OPTS="0")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    times = {"as-is": [], "autograph": []}
    with tempfile.TemporaryDirectory() as folder:
        for run in range(args.runs):
            for form in (("as-is", "autograph") if run % 2 else ("autograph", "as-is")):
                done = subprocess.run(
                    [sys.executable, __file__, "--child", form, "--folder", folder,
                     "--files", str(args.files)],
                    env=env, capture_output=True, text=True, check=True)
                times[form].append(json.loads(done.stdout.strip().splitlines()[-1])["seconds"])
    median = {form: statistics.median(found) for form, found in times.items()}
    print(f"first image_dataset of {args.files} JPEG files, built and read to the end, "
          f"median of {args.runs} fresh processes each:")
    print("| pipeline functions | seconds | ratio |\n|---|---|---|")
    for form, label in (("autograph", "converted by AutoGraph"), ("as-is", "as they are")):
        print(f"| {label} | {median[form]:.2f} | {median[form] / median['autograph']:.2f} |")


if __name__ == "__main__":
    main()
