"""Input data: ``tf.data`` pipelines, TFDS datasets and GlyphTags (the only TensorFlow code).

>>> from mlrank_keras.data import load_glyphtags
>>> x, y = load_glyphtags("test", num_images=2, image_size=32, scale_range=(12, 20))
>>> x.shape, y.shape
((2, 32, 32, 3), (2, 20))
"""

from mlrank_keras.extras import require

require("tensorflow", "mlrank_keras.data (the tf.data input pipeline)")

from mlrank_keras.data.array_pipeline import array_dataset  # noqa: E402
from mlrank_keras.data.crops import crop_offsets, decode_image  # noqa: E402
from mlrank_keras.data.five_crops import predict_five_crops  # noqa: E402
from mlrank_keras.data.glyphtags import LABELS as GLYPHTAGS_LABELS  # noqa: E402
from mlrank_keras.data.glyphtags import glyphtags_dataset, load_glyphtags  # noqa: E402
from mlrank_keras.data.label_rows import multi_hot, select_labels  # noqa: E402
from mlrank_keras.data.loaders import DATASETS, Data, dataset_labels, load_data  # noqa: E402
from mlrank_keras.data.normalization import NORMALIZATIONS  # noqa: E402
from mlrank_keras.data.pipeline import image_dataset  # noqa: E402
from mlrank_keras.data.skipped import SkippedImages  # noqa: E402
from mlrank_keras.data.tag_files import (  # noqa: E402
    TaggedImages,
    load_label_names,
    read_tags,
    save_label_names,
    tagged_dataset,
)
from mlrank_keras.data.tagged_folder import write_tagged_folder  # noqa: E402

# TensorFlow Datasets is slow to import: its adapters load on first use.
_LAZY = {"tfds_dataset": "datasets", "label_names": "datasets", "NusWide": "nus_wide"}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        module = importlib.import_module(f"mlrank_keras.data.{_LAZY[name]}")
        return getattr(module, name)
    raise AttributeError(f"module 'mlrank_keras.data' has no attribute {name!r}")


__all__ = [
    "DATASETS",
    "Data",
    "NusWide",
    "GLYPHTAGS_LABELS",
    "NORMALIZATIONS",
    "SkippedImages",
    "TaggedImages",
    "array_dataset",
    "crop_offsets",
    "dataset_labels",
    "decode_image",
    "glyphtags_dataset",
    "image_dataset",
    "label_names",
    "load_data",
    "load_glyphtags",
    "load_label_names",
    "multi_hot",
    "predict_five_crops",
    "read_tags",
    "save_label_names",
    "select_labels",
    "tagged_dataset",
    "tfds_dataset",
    "write_tagged_folder",
]
