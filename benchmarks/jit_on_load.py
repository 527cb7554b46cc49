"""A ``.keras`` file compiled on JAX, predicting on PyTorch or TensorFlow: as the file says
(``jit_compile`` True: ``torch.compile``, or XLA) against False (Keras's ``"auto"`` on
PyTorch and on a CPU-only TensorFlow machine, and what ``mlrank-keras predict`` and
``evaluate`` do there).

    python benchmarks/jit_on_load.py [--on torch|tensorflow] [--images 40] [--batch 16]

A ResNet50V2 ranker (``keras.applications``, no weights) is built and saved on JAX, where
``jit_compile="auto"`` resolves to True and the file keeps it; each form then loads it in a
fresh process of the ``--on`` backend (on TensorFlow, True means XLA) and times two
``predict`` passes over the same images (the last batch short, as a folder's usually is).
Fresh processes, so that neither form finds the other's compiled code.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

CHILD = """
import sys, time
import numpy as np, keras
import mlrank_keras  # noqa: F401  (its registered losses)
path, form, images, batch, side = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:])
if form == "save":
    backbone = keras.applications.ResNet50V2(
        include_top=False, weights=None, input_shape=(side, side, 3), pooling="avg")
    model = mlrank_keras.build_ranker(20, mlrank_keras.losses.WARPLoss(), backbone=backbone)
    model.predict(np.zeros((2, side, side, 3), "float32"), verbose=0)
    model.save(path)
    print("saved on", keras.backend.backend(), "with jit_compile", model.jit_compile)
    sys.exit()
x = np.random.default_rng(0).uniform(0, 255, (images, side, side, 3)).astype("float32")
model = keras.saving.load_model(path)
if form == "eager":
    model.jit_compile = False
for n in (1, 2):
    start = time.perf_counter()
    model.predict(x, batch_size=batch, verbose=0)
    print(f"{form} {n} {time.perf_counter() - start:.3f}")
"""


def run(backend, *args):
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run([sys.executable, "-c", CHILD, *map(str, args)], env=env,
                          capture_output=True, text=True, check=True)
    return done.stdout.splitlines()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--on", choices=("torch", "tensorflow"), default="torch")
    parser.add_argument("--images", type=int, default=40)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--side", type=int, default=160)
    args = parser.parse_args()
    sizes = (args.images, args.batch, args.side)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "ranker.keras")
        print(run("jax", path, "save", *sizes)[-1])
        times = {}
        for form in ("eager", "file"):
            start = time.perf_counter()
            lines = run(args.on, path, form, *sizes)
            print(f"{form}: the process took {time.perf_counter() - start:.1f} s")
            times[form] = [float(line.split()[2]) for line in lines if line.startswith(form)]
    print(f"predict on {args.on}, {args.images} images of {args.side} x {args.side}, "
          f"batch {args.batch}: first pass, then second (s)")
    for form, (first, second) in times.items():
        label = "jit_compile=False" if form == "eager" else "the file's jit_compile=True"
        print(f"  {label:30s} {first:7.2f} {second:7.2f}")
    eager, compiled = times["eager"], times["file"]
    print(f"  the file's against False: first pass {compiled[0] / eager[0]:.1f}x, "
          f"second {compiled[1] / eager[1]:.2f}x")


if __name__ == "__main__":
    main()
