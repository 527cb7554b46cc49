"""Input data: ``tf.data`` pipelines, TFDS datasets and GlyphTags (the only TensorFlow code).

>>> from mlrank_keras.data import load_glyphtags
>>> x, y = load_glyphtags("test", num_images=2, image_size=32, scale_range=(12, 20))
>>> x.shape, y.shape
((2, 32, 32, 3), (2, 20))
"""

from mlrank_keras.data.glyphtags import LABELS as GLYPHTAGS_LABELS
from mlrank_keras.data.glyphtags import glyphtags_dataset, load_glyphtags
from mlrank_keras.data.pipeline import (
    NORMALIZATIONS,
    SkippedImages,
    array_dataset,
    crop_offsets,
    decode_image,
    image_dataset,
    multi_hot,
    predict_five_crops,
)

__all__ = [
    "GLYPHTAGS_LABELS",
    "NORMALIZATIONS",
    "SkippedImages",
    "array_dataset",
    "crop_offsets",
    "decode_image",
    "glyphtags_dataset",
    "image_dataset",
    "load_glyphtags",
    "multi_hot",
    "predict_five_crops",
]
