"""What sampled WARP's few-positives step must cost on eager PyTorch, part by part.

Usage: ``KERAS_BACKEND=torch python benchmarks/warp_floor.py [--labels 10000] [--slots 8]``

At B = 32 rows, each part's time as a ratio to the BCE step (forward and backward) measured
in the same process, interleaved: the draw of one random key per label (as the loss draws
it, through ``keras.random.randint``, and with PyTorch's generator directly at two ranges),
and the three passes each positive slot takes over ``(B, L)`` in
``warp._first_violators_by_slot`` (its threshold comparison, the product and ``max`` that
give its first violator, the count of the negatives drawn before it). Their sum is the
floor of that form before the label masks, the slots' ``top_k``, the weights and the
backward pass, set beside the whole step (``WARPLoss(rank_estimate="sampled")``, the
labels of ``benchmarks/losses.py`` with ``--slots`` positives a row).
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

from mlrank_keras.losses import WARPLoss  # noqa: E402


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
    code = torch.randint(0, 2**31 * (num_labels + 1), (rows, num_labels))
    threshold = f[:, :1] - 1.0
    passed = f > threshold
    first = code.amax(-1, keepdim=True)
    parts = {
        "key draw, keras.random.randint [0, 2**31 - 1)": lambda: keras.random.randint(
            (rows, num_labels), 0, 2**31 - 1, dtype="int32", seed=seed),
        "key draw, torch.randint [0, 2**31 - 1)": lambda: torch.randint(
            0, 2**31 - 1, (rows, num_labels), generator=generator, dtype=torch.int32),
        "key draw, torch.randint [0, 2**28 - 1) (one 32-bit word a key)": lambda: torch.randint(
            0, 2**28 - 1, (rows, num_labels), generator=generator, dtype=torch.int32),
        "a slot: threshold comparison": lambda: f > threshold,
        "a slot: first violator (int64 product, max)": lambda: (code * passed).amax(-1),
        "a slot: draws before it (count)": lambda: (code > first).sum(-1),
    }
    bce_seconds = None
    ratio = {}
    for name, part in [("BCE step", lambda: bce(y, f))] + list(parts.items()) + [
        (f"sampled WARP step, {args.slots} positives a row", lambda: warp(y, f))
    ]:
        for _ in range(5):
            part()
        ratio[name], bce_seconds = median_ratio(part, lambda: bce(y, f), args.repeats)
    print(f"torch {torch.__version__}, B = {rows}, L = {num_labels}, BCE step "
          f"{bce_seconds * 1e3:.2f} ms; ratios to it (median of {args.repeats}):")
    for name, value in ratio.items():
        print(f"  {value:6.2f}x  {name}")
    per_slot = sum(v for k, v in ratio.items() if k.startswith("a slot"))
    floor = ratio["key draw, keras.random.randint [0, 2**31 - 1)"] + args.slots * per_slot
    print(f"  {floor:6.2f}x  floor: the key draw and {args.slots} slots of "
          f"{per_slot:.2f}x (no masks, top_k, weights or backward)")


if __name__ == "__main__":
    main()
