"""Gong's crop geometry, decoding and augmentation: five crops of the image resized to
``image_size`` (the four corners and the centre), a random one of them and a random mirror
for training, the centre (or all five) for evaluation, then the normalisation."""

import hashlib

import tensorflow as tf

from mlrank_keras.data.jpeg_scan import jpeg_data_complete
from mlrank_keras.data.normalization import get_normalization

EVAL_CROPS = ("center", "five")


# A JPEG cut short decodes without an error when an end-of-image marker follows the cut
# (libjpeg only warns "premature end of data segment" on stderr, which TensorFlow does not
# report): its missing blocks have every coefficient 0 and come out flat mid-gray, 128 in
# each channel, from the cut to the image's last block. Two checks catch it:
# * the header must not promise more 8 x 8 blocks than the file has bits (no coding spends
#   less than one bit a block): a patched header can otherwise ask for gigabytes;
# * when the image's last block (the bottom-right one, on the 8 x 8 grid) decodes as flat
#   gray (exactly 128 inside it: chroma upsampling may blend its first row and column with
#   a neighbour), the file's entropy-coded data is read (`jpeg_data_complete`: Huffman
#   codes walked block by block, no pixel computed), and the file is refused if its data
#   ends before the last block. A valid image with a gray corner is read and kept; the
#   verdict is cached per file content, so each such file is read once per process.
# Limits: a cut inside the last block's own data (a few coefficients), a progressive JPEG
# cut in a refinement scan (blurred, not gray) and an arithmetic-coded JPEG are not detected.
MISSING_BLOCK_VALUE = 128
BLOCK = 8
# Chroma upsampling blends the block's first row and column with the blocks beside it by at
# most a quarter of the chroma difference (about 57 levels of RGB): where the last block is
# one pixel high or wide, that line is only required to be within this of gray.
BLENDED_TOLERANCE = 64
_VERDICTS = {}  # blake2b digest of a file's bytes -> whether its JPEG data is complete
_MAX_VERDICTS = 100_000


def _jpeg_shape_checked(contents):
    """The ``(height, width)`` of a JPEG, after checking that its header is not larger than
    its data could code."""
    shape = tf.io.extract_jpeg_shape(contents)
    blocks = tf.cast((shape[0] + BLOCK - 1) // BLOCK, tf.int64) * tf.cast(
        (shape[1] + BLOCK - 1) // BLOCK, tf.int64
    )
    bits = tf.cast(tf.strings.length(contents), tf.int64) * 8
    check = tf.debugging.assert_less_equal(
        blocks, bits, message="JPEG header promises more pixels than its data holds"
    )
    with tf.control_dependencies([check]):
        return tf.identity(shape[0]), tf.identity(shape[1])


def _data_complete(contents):
    """``tf.py_function`` body: whether the JPEG bytes hold all their blocks (cached)."""
    data = contents.numpy()
    key = hashlib.blake2b(data, digest_size=16).digest()
    verdict = _VERDICTS.get(key)
    if verdict is None:
        verdict = jpeg_data_complete(data) is not False  # None: cannot tell, kept
        if len(_VERDICTS) >= _MAX_VERDICTS:
            _VERDICTS.clear()
        _VERDICTS[key] = verdict
    return verdict


def last_block_is_gray(pixels, height, width):
    """Whether the image's last 8 x 8 grid block decodes as the flat gray of missing data.

    ``pixels`` ends at the image's last row and column; ``height`` and ``width`` are the
    whole image's. Exactly 128 inside the block, and within ``BLENDED_TOLERANCE`` on its
    first row and column (which chroma upsampling blends with the blocks above and left).
    """
    rows = (height - 1) % BLOCK + 1
    cols = (width - 1) % BLOCK + 1
    block = tf.cast(pixels[-rows:, -cols:], tf.int32) - MISSING_BLOCK_VALUE
    inside = block[1:, 1:]  # empty where the block is one pixel high or wide
    return tf.logical_and(
        tf.reduce_all(tf.abs(block) <= BLENDED_TOLERANCE), tf.reduce_all(tf.equal(inside, 0))
    )


def _checked_jpeg_pixels(pixels, contents, height, width):
    """``pixels`` (decoded down to the image's last row and column), after checking that a
    last block of flat gray is the image's own and not data cut short."""

    def read_the_data():
        return tf.py_function(_data_complete, [contents], tf.bool)

    complete = tf.cond(
        last_block_is_gray(pixels, height, width), read_the_data, lambda: tf.constant(True)
    )
    check = tf.debugging.assert_equal(
        complete,
        True,
        message="JPEG data cut short: its data ends before its last block",
    )
    with tf.control_dependencies([check]):
        return tf.identity(pixels)


def decode_image(contents):
    """Decode JPEG, PNG, GIF (first frame) or BMP bytes into a uint8 (height, width, 3) image.

    A JPEG cut short fails to decode, even with an end marker appended (see
    ``MISSING_BLOCK_VALUE``). EXIF orientation is not applied (as in Keras's own image
    loaders): the pixels come out as stored.
    """

    def jpeg():
        # The header is checked before decoding: a patched one can ask for gigabytes.
        height, width = _jpeg_shape_checked(contents)
        with tf.control_dependencies([height, width]):
            pixels = tf.io.decode_jpeg(contents, channels=3)
        return _checked_jpeg_pixels(pixels, contents, height, width)

    def other():
        return tf.io.decode_image(contents, channels=3, expand_animations=False)

    image = tf.cond(tf.io.is_jpeg(contents), jpeg, other)
    image.set_shape([None, None, 3])
    return image


def crop_offsets(image_size, crop_size):
    """Top-left corners of Gong's five crops: the four corners, then the centre.

    >>> crop_offsets(256, 220)
    ((0, 0), (0, 36), (36, 0), (36, 36), (18, 18))
    """
    return _corners(image_size - crop_size, image_size - crop_size)


def _corners(far_y, far_x):
    return ((0, 0), (0, far_x), (far_y, 0), (far_y, far_x), (far_y // 2, far_x // 2))


def _window(height, width, corner, image_size, crop_size):
    """The source pixels ``(top, left, height, width)`` of the crop at ``corner`` of the image
    resized to ``image_size`` (few, vectorised ops: each op costs time per image)."""
    if image_size is None:
        return corner[0], corner[1], crop_size, crop_size
    size = tf.stack([height, width])
    scale = tf.cast(size, tf.float32) / image_size
    corner = tf.cast(corner, tf.float32)
    start = tf.cast(tf.round(corner * scale), tf.int32)
    end = tf.cast(tf.round((corner + crop_size) * scale), tf.int32)
    extent = tf.minimum(tf.maximum(end, start + 1), size) - start
    return start[0], start[1], extent[0], extent[1]


def _slice_window(image, corner, image_size, crop_size):
    """The uint8 source pixels of the crop at ``corner`` of a decoded image."""
    shape = tf.shape(image)
    y0, x0, h, w = _window(shape[0], shape[1], corner, image_size, crop_size)
    return tf.slice(image, [y0, x0, 0], [h, w, 3])


def _mirror(image, flip):
    """``image`` mirrored left-right where ``flip`` (a scalar bool tensor) is true."""
    return tf.cond(flip, lambda: tf.reverse(image, [-2]), lambda: image)


def _finish_crop(window, flip, image_size, crop_size):
    """Resize a uint8 window to the float32 crop and mirror it (optionally).

    The crop is mirrored after resizing (resizing commutes with mirroring): reversing the
    float crop costs about a third of reversing the larger uint8 window it came from.
    """
    if image_size is None:
        crop = tf.cast(window, tf.float32)
    else:
        crop = tf.image.resize(window, [crop_size, crop_size])
    crop.set_shape([crop_size, crop_size, 3])
    return crop if flip is None else _mirror(crop, flip)


def _decode_window(contents, corner, image_size, crop_size):
    """The uint8 window of one crop from an encoded image, decoding no more than it needs.

    A JPEG that ends with its end-of-image marker is decoded only from the crop's window
    down to the image's last row and column (``tf.io.decode_and_crop_jpeg``: less work than
    the whole image; the last block is checked as in :func:`decode_image`); any other file
    is decoded whole and sliced, so a JPEG cut short always fails to decode (and is
    skipped), whichever crop was drawn.
    """

    def window_only():
        height, width = _jpeg_shape_checked(contents)
        y0, x0, h, w = _window(height, width, corner, image_size, crop_size)
        to_end = tf.stack([y0, x0, height - y0, width - x0])
        pixels = tf.io.decode_and_crop_jpeg(contents, to_end, channels=3)
        return _checked_jpeg_pixels(pixels, contents, height, width)[:h, :w]

    def whole():
        return _slice_window(decode_image(contents), corner, image_size, crop_size)

    complete_jpeg = tf.logical_and(
        tf.io.is_jpeg(contents), tf.strings.substr(contents, -2, 2) == b"\xff\xd9"
    )
    window = tf.cond(complete_jpeg, window_only, whole)
    window.set_shape([None, None, 3])
    return window


def without_autograph(fn):
    """``fn`` for ``Dataset.map``, ``filter`` or ``scan`` as it is (see ``Augment.graph``)."""
    return tf.autograph.experimental.do_not_convert(fn)


class Augment:
    """Gong's crops, flips and the normalisation, in two steps.

    ``pixels(image, seed)`` decodes (``encoded``: ``image`` is the file's bytes) and, when one
    crop is wanted (training, or the centre crop), cuts out its uint8 window; it returns the
    pixels and whether to mirror them. ``finish(pixels, flip)`` resizes to the crop (or cuts
    the five crops), mirrors and normalises into float32. The crop is taken from the source
    image and resized straight to ``crop_size``: the same pixels as resizing to ``image_size``
    and then cropping, up to rounding the window to whole source pixels, without resizing
    pixels that are cropped away.
    """

    def __init__(
        self, training, image_size, crop_size, eval_crops, normalization, encoded, flip=True
    ):
        self.training = training
        self.flip = bool(flip)
        self.image_size = image_size
        self.crop_size = crop_size
        self.eval_crops = eval_crops
        self.normalize = get_normalization(normalization)
        self.user_normalization = callable(normalization)
        self.encoded = encoded
        self.one_crop = crop_size is not None and (training or eval_crops == "center")

    def graph(self, fn):
        """``fn``, a ``Dataset.map`` function that calls this object, without AutoGraph.

        This package's pipeline branches in Python on Python values only (``tf.cond`` on
        tensors), so AutoGraph has nothing to convert in it, but converting it took 0.9 s of
        a process's first ``image_dataset`` (1.09 -> 0.23 s). A normalization function of
        the user's keeps AutoGraph (a Python ``if`` on a tensor in it still works).
        """
        return fn if self.user_normalization else without_autograph(fn)

    @property
    def output_shape(self):
        """The shape of one transformed image (None where it depends on the input)."""
        side = self.crop_size if self.crop_size is not None else self.image_size
        shape = [side, side, 3]
        return shape if self.one_crop or self.crop_size is None else [5, *shape]

    def _corners(self, image):
        if self.image_size is None:
            shape = tf.shape(image)
            return tf.stack(_corners(shape[0] - self.crop_size, shape[1] - self.crop_size))
        return tf.constant(crop_offsets(self.image_size, self.crop_size))

    def pixels(self, image, seed):
        flip, which = tf.constant(False), 4
        if self.training:
            # One draw picks both: the crop (draw % 5) and the flip (draw >= 5).
            draw = tf.random.stateless_uniform([], seed=seed, maxval=10, dtype=tf.int32)
            which, flip = draw % 5, (draw >= 5) & self.flip
        if self.encoded and self.one_crop and self.image_size is not None:
            corner = self._corners(None)[which]
            return _decode_window(image, corner, self.image_size, self.crop_size), flip
        if self.encoded:
            image = decode_image(image)
        if not self.one_crop:
            return image, flip
        corner = self._corners(image)[which]
        return _slice_window(image, corner, self.image_size, self.crop_size), flip

    def finish(self, pixels, flip):
        flip = flip if self.training else None
        if self.one_crop:
            return self.normalize(_finish_crop(pixels, flip, self.image_size, self.crop_size))
        if self.crop_size is not None:  # the five crops, for evaluation
            corners = self._corners(pixels)
            crops = [
                _finish_crop(
                    _slice_window(pixels, corners[i], self.image_size, self.crop_size),
                    None,
                    self.image_size,
                    self.crop_size,
                )
                for i in range(5)
            ]
            return self.normalize(tf.stack(crops))
        image = tf.cast(pixels, tf.float32)
        if self.image_size is not None:
            image = tf.image.resize(image, [self.image_size, self.image_size])
        if flip is not None:
            image = _mirror(image, flip)
        return self.normalize(image)

    def __call__(self, image, seed):
        return self.finish(*self.pixels(image, seed))
