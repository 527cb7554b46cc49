"""Image arrays written out as a folder of JPEG files and a tag file, the layout a person's
own photos come in (for the "tag your own photos" recipe, its tests and benchmarks).

>>> import tempfile
>>> import numpy as np
>>> folder = tempfile.mkdtemp()
>>> images = np.zeros((2, 8, 8, 3), np.uint8)
>>> labels = np.array([[1, 0], [1, 1]], np.float32)
>>> path = write_tagged_folder(folder, images, labels, ["cat", "dog"])
>>> open(path).read().splitlines()
['file_name,tags', 'images/00000.jpg,cat', 'images/00001.jpg,cat dog']
"""

import csv
import os

import numpy as np
import tensorflow as tf


def write_tagged_folder(folder, images, labels, label_names, *, is_valid=None, quality=95,
                        label_delim=" "):
    """Writes ``images`` (uint8 ``(n, h, w, 3)``) as ``folder/images/00000.jpg`` ... and
    their tags as ``folder/tags.csv`` (``file_name,tags[,is_valid]``, tags separated by
    ``label_delim``, in column order). A name that holds ``label_delim`` is an error (it
    would read back as two tags): GlyphTags' ``"ankle boot"`` wants
    ``[name.replace(" ", "_") for name in GLYPHTAGS_LABELS]``. Returns the tag file's path."""
    split = [name for name in label_names if label_delim in name or not name]
    if split:
        raise ValueError(
            f"`label_names` {split} hold the tag separator {label_delim!r} (or are empty): "
            "they would read back as other tags. Rename them (e.g. spaces to '_') or pass "
            "another `label_delim`."
        )
    images = np.asarray(images)
    labels = np.asarray(labels)
    if images.ndim != 4 or images.shape[-1] != 3 or images.dtype != np.uint8:
        raise ValueError(f"`images` must be uint8 (n, h, w, 3). Received: {images.dtype} "
                         f"{images.shape}")
    if labels.shape != (len(images), len(label_names)):
        raise ValueError(f"`labels` must be (images, labels) = {(len(images), len(label_names))}"
                         f". Received: {labels.shape}")
    os.makedirs(os.path.join(folder, "images"), exist_ok=True)
    path = os.path.join(folder, "tags.csv")
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["file_name", "tags"] + ([] if is_valid is None else ["is_valid"]))
        for i, (image, row) in enumerate(zip(images, labels, strict=True)):
            name = f"images/{i:05d}.jpg"
            tf.io.write_file(os.path.join(folder, name),
                             tf.io.encode_jpeg(image, quality=quality))
            tags = label_delim.join(label_names[j] for j in np.flatnonzero(row > 0))
            extra = [] if is_valid is None else [str(bool(is_valid[i]))]
            writer.writerow([name, tags] + extra)
    return path
