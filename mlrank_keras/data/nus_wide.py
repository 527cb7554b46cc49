"""NUS-WIDE (81 concepts) as a TensorFlow Datasets builder that reads a manual download.

NUS-WIDE cannot be downloaded by a script: get it from the NUS LMS site and point the builder at
the folder (``manual_dir``). The builder looks (recursively) for:

- ``TrainImagelist.txt`` and ``TestImagelist.txt`` (in ``ImageList/``): one image per line,
  relative to the ``Flickr/`` image folder, e.g. ``actor\\0001_2124494179.jpg``;
- ``Concepts81.txt``: the 81 concept names, one per line;
- ``Labels_<concept>_Train.txt`` and ``Labels_<concept>_Test.txt`` (in ``TrainTestLabels/``):
  one 0/1 per line, aligned with the image lists;
- the images, under a folder named ``Flickr`` (or the manual folder itself).

Images that are missing from the folder or cannot be decoded are skipped and counted: the
counts and names are logged and kept in ``builder.info.metadata["skipped"]`` (``{"train":
[...], "test": [...]}``).

>>> NusWide.name
'nus_wide'
>>> len(CONCEPTS)
81
"""

import logging
import pathlib

import numpy as np

from mlrank_keras.extras import require

tfds = require("tensorflow_datasets", "the NUS-WIDE builder")

LOGGER = logging.getLogger("mlrank_keras.data")

CONCEPTS = (
    "airport", "animal", "beach", "bear", "birds", "boats", "book", "bridge", "buildings",
    "cars", "castle", "cat", "cityscape", "clouds", "computer", "coral", "cow", "dancing", "dog",
    "earthquake", "elk", "fire", "fish", "flags", "flowers", "food", "fox", "frost", "garden",
    "glacier", "grass", "harbor", "horses", "house", "lake", "leaf", "map", "military", "moon",
    "mountain", "nighttime", "ocean", "person", "plane", "plants", "police", "protest",
    "railroad", "rainbow", "reflection", "road", "rocks", "running", "sand", "sign", "sky",
    "snow", "soccer", "sports", "statue", "street", "sun", "sunset", "surf", "swimmers",
    "tattoo", "temple", "tiger", "tower", "town", "toy", "train", "tree", "valley", "vehicle",
    "water", "waterfall", "wedding", "whales", "window", "zebra",
)  # fmt: skip
SPLIT_FILES = {"train": ("TrainImagelist.txt", "Train"), "test": ("TestImagelist.txt", "Test")}


def _find(root, name):
    matches = sorted(root.rglob(name))
    if not matches:
        raise FileNotFoundError(
            f"NUS-WIDE: no {name} under {root}. {NusWide.MANUAL_DOWNLOAD_INSTRUCTIONS}"
        )
    return matches[0]


def _image_root(root):
    for candidate in sorted(root.rglob("Flickr")):
        if candidate.is_dir():
            return candidate
    return root


def _readable(path):
    """Whether ``path`` exists and decodes fully (Pillow, which TFDS uses to encode)."""
    Image = require("PIL.Image", "the NUS-WIDE builder")

    try:
        with Image.open(path) as image:
            image.load()
    except (OSError, SyntaxError, ValueError):
        return False
    return True


def read_split(manual_dir, split):
    """``(kept, skipped)`` for one split: kept is a list of (image path, relative name, label
    indices); skipped lists the relative names of missing or undecodable images."""
    root = pathlib.Path(manual_dir)
    list_name, suffix = SPLIT_FILES[split]
    names = [
        line.strip().replace("\\", "/")
        for line in _find(root, list_name).read_text().splitlines()
        if line.strip()
    ]
    concepts = [c.strip() for c in _find(root, "Concepts81.txt").read_text().split() if c]
    if tuple(concepts) != CONCEPTS:
        raise ValueError(
            "NUS-WIDE: Concepts81.txt does not list the 81 NUS-WIDE concepts in order; got "
            f"{len(concepts)} names starting {concepts[:3]}."
        )
    matrix = np.zeros((len(names), len(CONCEPTS)), bool)
    for c, concept in enumerate(CONCEPTS):
        values = _find(root, f"Labels_{concept}_{suffix}.txt").read_text().split()
        if len(values) != len(names):
            raise ValueError(
                f"NUS-WIDE: Labels_{concept}_{suffix}.txt has {len(values)} lines but "
                f"{list_name} lists {len(names)} images."
            )
        matrix[:, c] = np.asarray(values, dtype=int) > 0
    images = _image_root(root)
    kept, skipped = [], []
    for name, row in zip(names, matrix, strict=True):
        path = images / name
        if path.is_file() and _readable(path):
            kept.append((path, name, np.flatnonzero(row).tolist()))
        else:
            skipped.append(name)
    if skipped:
        LOGGER.warning(
            "NUS-WIDE %s: skipped %d of %d images (missing or undecodable), e.g. %s",
            split,
            len(skipped),
            len(names),
            skipped[:5],
        )
    return kept, skipped


class NusWide(tfds.core.GeneratorBasedBuilder):
    """NUS-WIDE: 269,648 Flickr images, 81 concepts, the official train/test split."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Images, 81-concept labels, official train/test lists."}
    MANUAL_DOWNLOAD_INSTRUCTIONS = (
        "Download NUS-WIDE from https://lms.comp.nus.edu.sg/wp-content/uploads/2019/research/"
        "nuswide/NUS-WIDE.html (the images, Groundtruth with TrainTestLabels, ImageList and "
        "Concepts81.txt), unpack them into one folder and pass it as manual_dir "
        "(tfds.download.DownloadConfig(manual_dir=...))."
    )

    def _info(self):
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict(
                {
                    "image": tfds.features.Image(shape=(None, None, 3)),
                    "image/filename": tfds.features.Text(),
                    "labels": tfds.features.Sequence(tfds.features.ClassLabel(names=CONCEPTS)),
                }
            ),
            homepage="https://lms.comp.nus.edu.sg/wp-content/uploads/2019/research/nuswide/NUS-WIDE.html",
            metadata=tfds.core.MetadataDict(),
        )

    def _split_generators(self, dl_manager):
        splits, skipped = {}, {}
        for split in SPLIT_FILES:
            kept, skipped[split] = read_split(dl_manager.manual_dir, split)
            splits[split] = self._generate_examples(kept)
        self.info.metadata["skipped"] = skipped
        return splits

    def _generate_examples(self, kept):
        for path, name, labels in kept:
            yield name, {"image": path, "image/filename": name, "labels": labels}
