"""What sampled WARP's few-positives step costs on eager PyTorch, part by part.

Usage: ``KERAS_BACKEND=torch python benchmarks/warp_floor.py [--labels 10000] [--slots 8]``

At B = 32 rows, each part's time as a ratio to the BCE step (forward and backward) measured
in the same process, interleaved: the draw of one random key per label (as the loss draws
it, through ``keras.random.randint`` below ``2**28 - 1``, and with PyTorch's generator
directly at two ranges), the ``top_k`` of the keys that gives every row's first
``first_draws.DRAW_PREFIX`` draws (`first_draws._first_draws`), and the three passes over
``(B, L)`` that a slot takes only where its first violator comes after them
(`first_draws._later_first_violators`: its threshold comparison, the ``argmax`` of the
passing negatives' keys, the count of the negatives drawn before it). The key draw and the
``top_k`` are the floor every step pays, set beside the whole step
(``WARPLoss(rank_estimate="sampled")``, the labels of ``benchmarks/losses.py`` with
``--slots`` positives a row).
"""

import argparse
import os
import pathlib
import statistics
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "torch")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import keras  # noqa: E402
import losses as loss_bench  # noqa: E402

from mlrank_keras.losses import WARPLoss, first_draws  # noqa: E402


def median_ratio(step, base, repeats):
    """The median over ``repeats`` of ``step``'s time over ``base``'s, run just before it."""
    ratios = []
    for _ in range(repeats):
        times = []
        for fn in (base, step):
            start = time.perf_counter()
            for _ in range(10):
                fn()
            times.append(time.perf_counter() - start)
        ratios.append(times[1] / times[0])
    return statistics.median(ratios), times[0] / 10


def main():
    if keras.backend.backend() != "torch":
        sys.exit("run with KERAS_BACKEND=torch: this is eager PyTorch's floor")
    import torch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=int, default=10_000)
    parser.add_argument("--slots", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    rows, num_labels = loss_bench.BATCH, args.labels
    y, f = loss_bench.make_inputs(num_labels, positives=args.slots)
    bce = loss_bench.make_step(keras.losses.BinaryCrossentropy(from_logits=True))
    warp = loss_bench.make_step(WARPLoss(rank_estimate="sampled", seed=0))
    seed = keras.random.SeedGenerator(0)
    generator = torch.Generator().manual_seed(0)
    keys = torch.randint(0, 2**28 - 1, (rows, num_labels), dtype=torch.int32)
    negative_keys = keys + 1
    threshold = f[:, :1] - 1.0
    passed = (f > threshold).to(torch.int32)
    first = negative_keys.amax(-1, keepdim=True)
    parts = {
        "key draw, as the loss: keras.random.randint [0, 2**28 - 1)": lambda: keras.random.randint(
            (rows, num_labels), 0, 2**28 - 1, dtype="int32", seed=seed),
        "key draw, torch.randint [0, 2**31 - 1) (two 32-bit words a key)": lambda: torch.randint(
            0, 2**31 - 1, (rows, num_labels), generator=generator, dtype=torch.int32),
        "key draw, torch.randint [0, 2**28 - 1) (one word a key)": lambda: torch.randint(
            0, 2**28 - 1, (rows, num_labels), generator=generator, dtype=torch.int32),
        f"first draws: top_k of the keys, k = {first_draws.DRAW_PREFIX}": lambda: torch.topk(
            keys, min(first_draws.DRAW_PREFIX, num_labels)),
        "a later slot: threshold comparison": lambda: f > threshold,
        "a later slot: first violator (int32 product, argmax)": lambda: (
            negative_keys * passed).argmax(-1),
        "a later slot: draws before it (count)": lambda: (negative_keys > first).sum(-1),
    }
    bce_seconds = None
    ratio = {}
    for name, part in [("BCE step", lambda: bce(y, f))] + list(parts.items()) + [
        (f"sampled WARP step, {args.slots} positives a row", lambda: warp(y, f))
    ]:
        for _ in range(loss_bench.WARM_UP):
            part()
        ratio[name], bce_seconds = median_ratio(part, lambda: bce(y, f), args.repeats)
    print(f"torch {torch.__version__}, B = {rows}, L = {num_labels}, BCE step "
          f"{bce_seconds * 1e3:.2f} ms; ratios to it (median of {args.repeats}):")
    for name, value in ratio.items():
        print(f"  {value:6.2f}x  {name}")
    floor = (ratio["key draw, as the loss: keras.random.randint [0, 2**28 - 1)"]
             + ratio[f"first draws: top_k of the keys, k = {first_draws.DRAW_PREFIX}"])
    per_slot = sum(v for k, v in ratio.items() if k.startswith("a later slot"))
    print(f"  {floor:6.2f}x  floor: the key draw and the top_k (no masks, weights or "
          f"backward); {per_slot:.2f}x more for each slot whose first violator comes later")


if __name__ == "__main__":
    main()
