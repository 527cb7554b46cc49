"""Tag your own photos: a folder of JPEG files and a CSV of tags, end to end.

Writes GlyphTags' training and test images as JPEG files with a ``tags.csv`` (the test images
marked ``is_valid``), then trains a tagger on them twice: through the command line
(``mlrank-keras train``, the CPU network from scratch) and through the Python API
(:func:`mlrank_keras.tagger.train_tagger`) with a keras-hub backbone loaded from a local
preset folder (frozen for one epoch, then fine-tuned), and tags a few files with
``mlrank-keras predict``. Nothing downloads.

    python recipes/own_photos.py [--smoke] [--epochs 6] [--out out/own_photos]
"""

# %% [markdown]
# # Tag your own photos
#
# A person with photos has a folder of JPEG files and a spreadsheet of tags. Here the photos
# are GlyphTags images written out as JPEG files, and the spreadsheet a fastai-style CSV
# (`file_name,tags,is_valid`, tags separated by spaces). The command line trains a tagger on
# them with the tuned WARP recipe, keeps the best epoch by validation C-F1, stores the label
# names and the decision threshold in the `.keras` file, and tags new files by name.

# %%
import os
import pathlib
import subprocess
import sys

import keras
import numpy as np

from mlrank_keras.data import GLYPHTAGS_LABELS, load_glyphtags, write_tagged_folder
from mlrank_keras.demo import parse_recipe_args, recipe_parser

# The demo's options (--smoke, --epochs, --seed, --out, ...; in a notebook: MLRANK_RECIPE_ARGS).
args = parse_recipe_args(recipe_parser("own_photos", "Tag your own photos: files and a CSV"))
out = pathlib.Path(args.out)
out.mkdir(parents=True, exist_ok=True)
x, y = load_glyphtags("train", num_images=args.train_images, seed=args.seed, image_size=32)
x_test, y_test = load_glyphtags("test", num_images=args.test_images, seed=args.seed,
                                image_size=32)
photos = out / "photos"
tags_csv = write_tagged_folder(photos, np.concatenate([x, x_test]), np.concatenate([y, y_test]),
                               [name.replace(" ", "_") for name in GLYPHTAGS_LABELS],
                               is_valid=[False] * len(x) + [True] * len(x_test))
print(open(tags_csv).read().splitlines()[:3], f"... {len(x) + len(x_test)} files")


# %% [markdown]
# ## The command line
#
# `mlrank-keras train` with the defaults (WARP, the CPU network from scratch), at the
# GlyphTags recipe's sizes: 28 x 28 crops of the 32 x 32 files, not mirrored.


# %%
def command(*options):
    """Runs ``mlrank-keras`` and prints what it printed."""
    argv = [sys.executable, "-m", "mlrank_keras.cli", *map(str, options)]
    done = subprocess.run(argv, capture_output=True, text=True, env=os.environ.copy())
    print(done.stdout)
    if done.returncode:
        raise SystemExit(done.stderr.strip().splitlines()[-1])
    return done.stdout


train_table = command("train", "--labels", tags_csv, "--out", out / "cli", "--image-size", 28,
                      "--no-flip", "--epochs", args.epochs, "--batch-size", args.batch_size,
                      "--seed", args.seed, "--verbose", 2, "--overwrite")
test_files = [photos / "images" / f"{i:05d}.jpg" for i in range(len(x), len(x) + 3)]
predicted = command("predict", out / "cli" / "model.keras", *test_files)

# %% [markdown]
# ## The Python API, with a keras-hub backbone from a local preset folder
#
# A pretrained keras-hub network is a preset name (`"resnet_50_imagenet"`, downloaded once)
# or a folder written by `save_to_preset`. Here the folder holds a small ResNet with random
# weights (this machine has no network), so the run shows the mechanics (the preset's image
# converter inside the model, one frozen epoch, then fine-tuning at a tenth of the rate), not
# what ImageNet weights would bring.

# %%
import keras_hub  # noqa: E402  (the [hub] extra)

from mlrank_keras.tag_predict import format_tagger_reports, predict_tags  # noqa: E402
from mlrank_keras.tagger import train_tagger  # noqa: E402

keras.utils.set_random_seed(args.seed)
preset = out / "tiny_resnet_preset"
keras_hub.models.ResNetBackbone(
    input_conv_filters=[64], input_conv_kernel_sizes=[3], stackwise_num_filters=[64, 64],
    stackwise_num_blocks=[1, 1], stackwise_num_strides=[1, 2], block_type="basic_block",
    use_pre_activation=False, image_shape=(28, 28, 3),
).save_to_preset(str(preset))
keras_hub.layers.ResNetImageConverter(image_size=(28, 28), scale=1 / 255.0).save_to_preset(
    str(preset))
hub = train_tagger(tags_csv, out / "hub", backbone=str(preset), epochs=args.epochs,
                   flip=False, batch_size=args.batch_size, seed=args.seed,
                   verbose=args.verbose, overwrite=True)
hub_table = format_tagger_reports(hub.reports)
print(f"best epoch {hub.best_epoch + 1}, threshold {hub.threshold:.4g}\n{hub_table}")
rows, skipped = predict_tags(out / "hub" / "model.keras", test_files)
for row in rows:
    print(os.path.basename(row["file_name"]), row["tags"], np.round(row["scores"], 3))

# %%
text = (f"Tag your own photos: {len(x)} training and {len(x_test)} validation JPEG files\n\n"
        f"Table 1: mlrank-keras train (cpu network):\n{train_table.strip()}\n\npredict:\n"
        f"{predicted.strip()}\n\nTable 2: train_tagger (keras-hub preset folder, random "
        f"weights), validation split:\n{hub_table}\n")
(out / "tables.txt").write_text(text)
print(text)
print(f"saved {out / 'tables.txt'}")
