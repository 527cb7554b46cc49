"""The backbone trials behind the recipes' CPU network: one softmax model per setting.

Trains the multilabel softmax ranker on GlyphTags' first 8,000 training images and reports
C-F1, C-R, O-F1 and N+ at the top 3 labels on the last 2,000 (a validation split: never the
test set), with the training time, for a choice of backbone (``cpu_convnet`` or the older
``cpu_alexnet``), resolution, width, convolutions per stage, learning rate and epochs (Adam
with a half-epoch warm-up and a cosine decay), and whether TensorFlow compiles with XLA.

    TF_ENABLE_ONEDNN_OPTS=1 python benchmarks/backbone_trials.py --image 32 --crop 28 --epochs 12
"""

import argparse
import json
import time

import keras
import numpy as np

from mlrank_keras import losses, metrics
from mlrank_keras.data.array_pipeline import array_dataset
from mlrank_keras.data.glyphtags import load_glyphtags
from mlrank_keras.models import build_ranker, cpu_alexnet, cpu_convnet


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--image", type=int, default=64)
    parser.add_argument("--crop", type=int, default=56)
    parser.add_argument("--width", type=float, default=0.5)
    parser.add_argument("--backbone", choices=("convnet", "alexnet"), default="convnet")
    parser.add_argument("--convs", type=int, default=2, help="convolutions per stage")
    parser.add_argument("--flip", type=int, default=0)
    parser.add_argument("--jit", choices=("auto", "0", "1"), default="auto")
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(0)
    x, y = load_glyphtags("train", num_images=10_000, seed=0, image_size=args.image)
    x_train, y_train, x_val, y_val = x[:8000], y[:8000], x[8000:], y[8000:]
    train = array_dataset(
        x_train, y_train, training=True, batch_size=args.batch_size, crop_size=args.crop,
        seed=0, flip=bool(args.flip),
    )
    validation = array_dataset(x_val, y_val, batch_size=128, crop_size=args.crop)
    if args.backbone == "convnet":
        backbone = cpu_convnet(args.crop, args.width, convs_per_stage=args.convs)
    else:
        backbone = cpu_alexnet(args.crop, args.width)
    steps = int(np.ceil(len(x_train) / args.batch_size)) * args.epochs
    warmup = int(0.5 * steps / args.epochs)
    schedule = keras.optimizers.schedules.CosineDecay(
        0.0, steps - warmup, warmup_target=args.lr, warmup_steps=warmup
    )
    model = build_ranker(20, None, backbone=backbone, compile=False)
    model.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss=losses.MultilabelSoftmaxLoss(),
        jit_compile={"auto": "auto", "0": False, "1": True}[args.jit],
    )
    start = time.perf_counter()
    model.fit(train, epochs=args.epochs, verbose=0)
    seconds = time.perf_counter() - start
    report = metrics.annotation_report(y_val, model.predict(validation, verbose=0), k=3)
    result = dict(
        vars(args), seconds=round(seconds, 1), params=backbone.count_params(),
        **{key: round(100 * float(report[key]), 2) for key in ("C-F1", "C-R", "O-F1")},
        n_plus=int(report["N+"]),
    )
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
