"""Each loss of a past commit and of the working tree, in one process, as ratios to BCE.

Usage (one backend per process):

    KERAS_BACKEND=torch python benchmarks/compare_commits.py --base 7040418 \
        [--labels 10000] [--positives 8] [--cases PairwiseHingeLoss "WARPLoss exact"]

Timings of one loss differ by up to 1.5x between processes on these machines (JAX's most of
all: a process runs in one of two speeds), more than most changes move them. Here the
``--base`` commit's ``mlrank_keras`` is extracted with ``git archive`` into a temporary
folder as a package of another name, and its step, the working tree's step and the BCE step
run interleaved in one process (alternating which goes first), so both see the same
process. Reported: the median of each step's time over the BCE step run just before it.
"""

import argparse
import os
import pathlib
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import losses as loss_bench  # noqa: E402

CASES = {
    "MultilabelSoftmaxLoss": lambda m: m.MultilabelSoftmaxLoss(),
    "PairwiseHingeLoss": lambda m: m.PairwiseHingeLoss(),
    "WARPLoss exact": lambda m: m.WARPLoss(rank_estimate="exact"),
    "WARPLoss sampled": lambda m: m.WARPLoss(rank_estimate="sampled", seed=0),
    "LSEPLoss all pairs": lambda m: m.LSEPLoss(),
    "LSEPLoss 1000 pairs": lambda m: m.LSEPLoss(num_pairs=1000, seed=0),
    "BPMLLLoss": lambda m: m.BPMLLLoss(),
}
BASE_PACKAGE = "mlrank_keras_base"


def extract_base(commit, folder):
    """The commit's ``mlrank_keras`` as the package ``mlrank_keras_base`` under ``folder``."""
    archive = pathlib.Path(folder) / "base.tar"
    subprocess.run(["git", "-C", str(ROOT), "archive", "-o", str(archive), commit,
                    "mlrank_keras"], check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(folder, filter="data")
    package = pathlib.Path(folder) / BASE_PACKAGE
    (pathlib.Path(folder) / "mlrank_keras").rename(package)
    for path in package.rglob("*.py"):
        text = path.read_text()
        path.write_text(re.sub(r"\bmlrank_keras\b", BASE_PACKAGE, text))
    sys.path.insert(0, str(folder))


def compare(name, base_losses, losses, y, f, repeats):
    bce = loss_bench.make_step(loss_bench.CASES[loss_bench.BASELINE]())
    steps = {"base": loss_bench.make_step(CASES[name](base_losses)),
             "now": loss_bench.make_step(CASES[name](losses))}
    for step in (bce, *steps.values()):
        for _ in range(loss_bench.WARM_UP):
            step(y, f)
    ratios = {key: [] for key in steps}
    for i in range(repeats):
        for key in (("base", "now") if i % 2 else ("now", "base")):
            start = time.perf_counter()
            bce(y, f)
            middle = time.perf_counter()
            steps[key](y, f)
            end = time.perf_counter()
            ratios[key].append((end - middle) / (middle - start))
    return {key: statistics.median(values) for key, values in ratios.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the commit to compare with")
    parser.add_argument("--labels", type=int, default=10000)
    parser.add_argument("--positives", default="8", help='a count per row, or "2%%"')
    parser.add_argument("--cases", nargs="*", default=list(CASES), choices=list(CASES))
    parser.add_argument("--repeats", type=int, default=60)
    parser.add_argument("--shift", type=float, default=0.0,
                        help="added to the positives' scores (0: scores of an untrained "
                             "model; 2 to 4: a model that ranks most positives high)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        extract_base(args.base, folder)
        base_losses = __import__(BASE_PACKAGE + ".losses", fromlist=["losses"])
        from mlrank_keras import losses

        positives = None if args.positives == "2%" else int(args.positives)
        y, f = loss_bench.make_inputs(args.labels, positives=positives)
        import keras

        f = f + args.shift * y
        shifted = f", positives' scores + {args.shift:g}" if args.shift else ""
        print(f"## {keras.backend.backend()}, B={loss_bench.BATCH}, L={args.labels:,}, "
              f"{args.positives} positives a row{shifted}: {args.base} and now, ratio to "
              "BCE\n")
        print(f"| loss | {args.base} | now |\n|---|---|---|")
        for name in args.cases:
            found = compare(name, base_losses, losses, y, f, args.repeats)
            print(f"| {name} | {found['base']:.2f}x | {found['now']:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
