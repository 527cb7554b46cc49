"""``tf.data`` input pipelines for multilabel image annotation.

Every pipeline yields ``(images, labels)`` batches that ``model.fit`` takes on any Keras backend:
float32 images ``(batch, crop, crop, 3)`` (``(batch, 5, crop, crop, 3)`` with
``eval_crops="five"``) and float32 multi-hot labels ``(batch, num_labels)`` built inside
``map()`` (never ragged: JAX would pad ragged label lists with 0, a real class).

The image path follows Gong et al. (2014): decode JPEG or PNG, resize to ``image_size`` x
``image_size`` (256), and take Gong's five ``crop_size`` (220) crops, the four corners and the
centre. Training takes a random one of the five and flips it left-right with probability 1/2;
evaluation takes the centre crop, or all five (``eval_crops="five"``) for
``predict_five_crops``, which averages the scores. Then the normalisation the backbone expects
(``NORMALIZATIONS``). With ``seed`` set, the shuffle order and every crop and flip are
deterministic, and each epoch draws new ones.

A file that cannot be read or decoded is skipped and recorded, never a crash: the returned
dataset's ``skipped`` attribute (a ``SkippedImages``) holds how many and which, and each is
logged once as a warning on the ``mlrank_keras.data`` logger.
"""

import logging
import threading

import numpy as np
import tensorflow as tf

from mlrank_keras.validation import positive_int

LOGGER = logging.getLogger("mlrank_keras.data")
AUTOTUNE = tf.data.AUTOTUNE
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
CAFFE_BGR_MEAN = (103.939, 116.779, 123.68)


def _affine(images, scale, shift):
    """``images * scale + shift`` per channel, with the constants spelt out to the full image
    shape when it is static: TensorFlow's broadcasting of a (3,) vector is several times slower
    on CPU than a plain elementwise product."""
    scale = np.asarray(scale, np.float32)
    shift = np.asarray(shift, np.float32)
    if images.shape.is_fully_defined():
        scale = np.broadcast_to(scale, images.shape)
        shift = np.broadcast_to(shift, images.shape)
    return images * tf.constant(scale) + tf.constant(shift)


def _imagenet(images):
    std = np.asarray(IMAGENET_STD)
    return _affine(images, 1.0 / (255.0 * std), -np.asarray(IMAGENET_MEAN) / std)


def _caffe(images):
    return _affine(images[..., ::-1], (1.0, 1.0, 1.0), -np.asarray(CAFFE_BGR_MEAN))


# Name -> function of float32 RGB images in [0, 255].
NORMALIZATIONS = {
    # (x / 255 - ImageNet mean) / ImageNet std per channel: the AlexNet-style backbones here.
    "imagenet": _imagenet,
    # RGB -> BGR minus the ImageNet BGR mean, as keras.applications.vgg16.preprocess_input.
    "caffe": _caffe,
    "unit": lambda images: images * (1.0 / 255.0),
    "symmetric": lambda images: images * (1.0 / 127.5) - 1.0,
    "none": lambda images: images,
}
EVAL_CROPS = ("center", "five")


class SkippedImages:
    """The image files a pipeline skipped because they could not be read or decoded.

    ``count`` is the number of distinct files, ``paths`` lists them in the order first met and
    ``events`` counts every skip (a file is met again each epoch). Thread-safe: ``tf.data``
    records from its worker threads.

    >>> skipped = SkippedImages()
    >>> skipped.count, skipped.paths
    (0, [])
    """

    def __init__(self):
        self._paths = {}
        self._lock = threading.Lock()
        self.events = 0

    @property
    def count(self):
        return len(self._paths)

    @property
    def paths(self):
        with self._lock:
            return list(self._paths)

    def __len__(self):
        return self.count

    def __repr__(self):
        return f"SkippedImages(count={self.count}, paths={self.paths!r})"

    def record(self, path):
        """Record one skip of ``path`` (bytes or str); logs the first skip of each file."""
        if isinstance(path, bytes):
            path = path.decode("utf-8", "replace")
        with self._lock:
            self.events += 1
            new = path not in self._paths
            self._paths.setdefault(path, None)
        if new:
            LOGGER.warning("Skipped an image that could not be read or decoded: %s", path)


def _normalization(normalization):
    if callable(normalization):
        return normalization
    if normalization is None:
        return NORMALIZATIONS["none"]
    if normalization not in NORMALIZATIONS:
        raise ValueError(
            f"`normalization` must be one of {sorted(NORMALIZATIONS)}, None or a function, "
            f"got {normalization!r}."
        )
    return NORMALIZATIONS[normalization]


def _sizes(image_size, crop_size, eval_crops):
    if image_size is not None:
        image_size = positive_int(image_size, "image_size")
    if crop_size is not None:
        crop_size = positive_int(crop_size, "crop_size")
        if image_size is not None and crop_size > image_size:
            raise ValueError(
                f"`crop_size` must be at most `image_size`={image_size}, got {crop_size}."
            )
    if eval_crops not in EVAL_CROPS:
        raise ValueError(f"`eval_crops` must be one of {EVAL_CROPS}, got {eval_crops!r}.")
    if eval_crops == "five" and crop_size is None:
        raise ValueError('`eval_crops="five"` needs a `crop_size`.')
    return image_size, crop_size


def label_matrix(labels, num_labels=None, num_examples=None):
    """Labels as a 2-D array ready for ``from_tensor_slices``, the label count, and whether dense.

    ``labels`` is either a 2-D NumPy multi-hot matrix ``(examples, num_labels)`` (1 positive, 0
    negative, -1 unknown), or a list with one sequence of label indices per example, which is
    padded here with -1 into an int32 matrix that ``multi_hot`` turns into a multi-hot row
    inside ``map()``.

    >>> ids, n, dense = label_matrix([[2], [0, 3], []], num_labels=4)
    >>> ids.tolist(), n, dense
    ([[2, -1], [0, 3], [-1, -1]], 4, False)
    """
    if num_labels is not None:
        num_labels = positive_int(num_labels, "num_labels")
    if isinstance(labels, np.ndarray) and labels.dtype != object:
        if labels.ndim != 2:
            raise ValueError(
                "`labels` must be a 2-D (examples, num_labels) multi-hot array or a list of "
                f"label-index sequences, got an array of shape {labels.shape}."
            )
        if num_labels is not None and labels.shape[1] != num_labels:
            raise ValueError(
                f"`labels` has {labels.shape[1]} columns but `num_labels` is {num_labels}."
            )
        values = np.unique(labels)
        wrong = values[~np.isin(values, (-1, 0, 1))]
        if wrong.size:
            raise ValueError(
                "A multi-hot `labels` array may hold only 1 (positive), 0 (negative) and -1 "
                f"(unknown), got {wrong[:5].tolist()}."
            )
        matrix, num_labels, dense = labels.astype(np.float32), labels.shape[1], True
    else:
        if num_labels is None:
            raise ValueError("`num_labels` is required when `labels` are lists of indices.")
        rows = [np.asarray(row).ravel() for row in labels]
        width = max([len(row) for row in rows] + [1])
        matrix = np.full((len(rows), width), -1, np.int32)
        for i, row in enumerate(rows):
            if row.size and (
                row.dtype.kind not in "iu" or row.min() < 0 or row.max() >= num_labels
            ):
                raise ValueError(
                    f"`labels[{i}]` is {row.tolist()}: label indices must be integers in "
                    f"[0, {num_labels})."
                )
            matrix[i, : len(row)] = row
        dense = False
    if num_examples is not None and len(matrix) != num_examples:
        raise ValueError(f"Got {num_examples} images but {len(matrix)} label rows.")
    return matrix, num_labels, dense


def multi_hot(label_ids, num_labels):
    """A float32 multi-hot vector from a vector of label indices (-1 entries are padding).

    >>> multi_hot(tf.constant([3, 0, -1, 3]), 5).numpy().tolist()
    [1.0, 0.0, 0.0, 1.0, 0.0]
    """
    one_hot = tf.one_hot(tf.cast(label_ids, tf.int32), num_labels, dtype=tf.float32)
    return tf.minimum(tf.reduce_sum(one_hot, axis=0), 1.0)


def decode_image(contents):
    """Decode JPEG, PNG, GIF (first frame) or BMP bytes into a uint8 (height, width, 3) image."""
    image = tf.io.decode_image(contents, channels=3, expand_animations=False)
    image.set_shape([None, None, 3])
    return image


def crop_offsets(image_size, crop_size):
    """Top-left corners of Gong's five crops: the four corners, then the centre.

    >>> crop_offsets(256, 220)
    ((0, 0), (0, 36), (36, 0), (36, 36), (18, 18))
    """
    far = image_size - crop_size
    return ((0, 0), (0, far), (far, 0), (far, far), (far // 2, far // 2))


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


def _crop(image, corner, flip, image_size, crop_size):
    """One crop of a decoded image, resized to ``crop_size``, optionally mirrored."""
    shape = tf.shape(image)
    y0, x0, h, w = _window(shape[0], shape[1], corner, image_size, crop_size)
    window = tf.slice(image, [y0, x0, 0], [h, w, 3])
    return _finish_crop(window, flip, image_size, crop_size)


def _decode_window(contents, corner, image_size, crop_size):
    """The uint8 window of one crop from an encoded image, decoding no more than it needs.

    A JPEG that ends with its end-of-image marker is decoded only over the crop's window
    (``tf.io.decode_and_crop_jpeg``: about a quarter less work than the whole image); any
    other file is decoded whole and sliced, so a JPEG cut short always fails to decode (and
    is skipped), whichever crop was drawn.
    """

    def window_only():
        shape = tf.io.extract_jpeg_shape(contents)
        y0, x0, h, w = _window(shape[0], shape[1], corner, image_size, crop_size)
        return tf.io.decode_and_crop_jpeg(contents, tf.stack([y0, x0, h, w]), channels=3)

    def whole():
        image = decode_image(contents)
        shape = tf.shape(image)
        y0, x0, h, w = _window(shape[0], shape[1], corner, image_size, crop_size)
        return tf.slice(image, [y0, x0, 0], [h, w, 3])

    complete_jpeg = tf.logical_and(
        tf.io.is_jpeg(contents), tf.strings.substr(contents, -2, 2) == b"\xff\xd9"
    )
    window = tf.cond(complete_jpeg, window_only, whole)
    window.set_shape([None, None, 3])
    return window


class _Augment:
    """Gong's crops, flips and the normalisation, in two steps.

    ``pixels(image, seed)`` decodes (``encoded``: ``image`` is the file's bytes) and, when one
    crop is wanted (training, or the centre crop), cuts out its uint8 window; it returns the
    pixels and whether to mirror them. ``finish(pixels, flip)`` resizes to the crop (or cuts
    the five crops), mirrors and normalises into float32. The crop is taken from the source
    image and resized straight to ``crop_size``: the same pixels as resizing to ``image_size``
    and then cropping, up to rounding the window to whole source pixels, without resizing
    pixels that are cropped away.
    """

    def __init__(self, training, image_size, crop_size, eval_crops, normalization, encoded):
        self.training = training
        self.image_size = image_size
        self.crop_size = crop_size
        self.eval_crops = eval_crops
        self.normalize = _normalization(normalization)
        self.encoded = encoded
        self.one_crop = crop_size is not None and (training or eval_crops == "center")

    @property
    def output_shape(self):
        """The shape of one transformed image (None where it depends on the input)."""
        side = self.crop_size if self.crop_size is not None else self.image_size
        shape = [side, side, 3]
        return shape if self.one_crop or self.crop_size is None else [5, *shape]

    def _corners(self, image):
        crop = self.crop_size
        if self.image_size is None:
            shape = tf.shape(image)
            far_y, far_x = shape[0] - crop, shape[1] - crop
        else:
            far_y = far_x = self.image_size - crop
        return tf.stack([[0, 0], [0, far_x], [far_y, 0], [far_y, far_x], [far_y // 2, far_x // 2]])

    def pixels(self, image, seed):
        flip, which = tf.constant(False), 4
        if self.training:
            # One draw picks both: the crop (draw % 5) and the flip (draw >= 5).
            draw = tf.random.stateless_uniform([], seed=seed, maxval=10, dtype=tf.int32)
            which, flip = draw % 5, draw >= 5
        if self.encoded and self.one_crop and self.image_size is not None:
            corner = self._corners(None)[which]
            return _decode_window(image, corner, self.image_size, self.crop_size), flip
        if self.encoded:
            image = decode_image(image)
        if not self.one_crop:
            return image, flip
        shape = tf.shape(image)
        corner = self._corners(image)[which]
        y0, x0, h, w = _window(shape[0], shape[1], corner, self.image_size, self.crop_size)
        return tf.slice(image, [y0, x0, 0], [h, w, 3]), flip

    def finish(self, pixels, flip):
        flip = flip if self.training else None
        if self.one_crop:
            return self.normalize(_finish_crop(pixels, flip, self.image_size, self.crop_size))
        if self.crop_size is not None:  # the five crops, for evaluation
            corners = self._corners(pixels)
            crops = [
                _crop(pixels, corners[i], None, self.image_size, self.crop_size) for i in range(5)
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


def _labels(num_labels, dense):
    """A label row -> the multi-hot vector (a dense row is one already)."""

    def from_indices(row):
        return multi_hot(row, num_labels)

    def as_is(row):
        return row

    return as_is if dense else from_indices


def _common(training, batch_size, image_size, crop_size, eval_crops, shuffle):
    batch_size = positive_int(batch_size, "batch_size")
    image_size, crop_size = _sizes(image_size, crop_size, eval_crops)
    shuffle = bool(training) if shuffle is None else bool(shuffle)
    return batch_size, image_size, crop_size, shuffle


def image_dataset(
    paths,
    labels,
    num_labels=None,
    *,
    training=False,
    batch_size=32,
    image_size=256,
    crop_size=220,
    eval_crops="center",
    normalization="imagenet",
    shuffle=None,
    seed=None,
    drop_remainder=False,
    skipped=None,
    num_parallel_calls=AUTOTUNE,
):
    """A batched ``(images, multi-hot labels)`` dataset from image files.

    Args:
        paths: image file paths (JPEG, PNG, GIF, BMP); any mix of sizes.
        labels: a 2-D NumPy multi-hot array ``(len(paths), num_labels)`` (-1 marks unknown)
            or a list with one sequence of label indices per path.
        num_labels: the number of labels; required with index lists.
        training: a random one of the five crops and a random flip (and shuffling unless
            ``shuffle`` is given); otherwise the centre crop or, with ``eval_crops="five"``,
            all five (for ``predict_five_crops``).
        batch_size, drop_remainder: as ``tf.data.Dataset.batch``.
        image_size: the square size images are resized to; ``crop_size``: the crop side
            (None: no crop).
        normalization: a name in ``NORMALIZATIONS``, None, or a function of float32 images in
            [0, 255].
        shuffle: shuffle the files each epoch (default: ``training``).
        seed: makes the shuffle, crops and flips deterministic (each epoch still differs).
        skipped: a ``SkippedImages`` to record unreadable files in (a new one by default).
        num_parallel_calls: how many files are read, decoded and transformed at once.

    Returns:
        A ``tf.data.Dataset`` whose ``skipped`` attribute is the ``SkippedImages``: a file
        that is missing or cannot be decoded is left out of the batches and recorded there
        (and logged) at the end of the pass that met it.

    The number of batches is unknown until a pass ends (files may be skipped), so Keras's
    ``fit`` says "Your input ran out of data" once, at the end of the first epoch; that is
    expected.

    How bad files are caught cheaply: reading, decoding (only the crop's window), resizing,
    flipping and normalising run in one parallel ``map`` guarded by ``ignore_errors``, which
    drops a failing file. Each element carries its file's index; a ``scan`` over the batches
    marks the indices seen, and an end marker after the last file names the files never
    seen, once per pass (so they are reported when a pass ends).
    """
    paths = [str(p) for p in paths]
    label_rows, num_labels, dense = label_matrix(labels, num_labels, len(paths))
    batch_size, image_size, crop_size, shuffle = _common(
        training, batch_size, image_size, crop_size, eval_crops, shuffle
    )
    if image_size is None:
        raise ValueError("`image_size` is required for files: their sizes differ.")
    if not paths:
        raise ValueError("`paths` is empty.")
    skipped = SkippedImages() if skipped is None else skipped
    if not isinstance(skipped, SkippedImages):
        raise TypeError(f"`skipped` must be a SkippedImages, got {type(skipped).__name__}.")

    num_examples = len(paths)
    path_table = tf.constant(paths)
    label_table = tf.constant(label_rows)
    augment = _Augment(training, image_size, crop_size, eval_crops, normalization, True)
    to_labels = _labels(num_labels, dense)

    def load(index, noise):
        contents = tf.io.read_file(path_table[index])
        image = augment(contents, tf.stack([noise, index]))
        image.set_shape(augment.output_shape)  # static, for the end marker below
        return index, image, to_labels(label_table[index])

    def check(seen, batch):
        indices, images, labels = batch
        real = tf.boolean_mask(indices, indices < num_examples)
        seen = tf.tensor_scatter_nd_update(seen, real[:, None], tf.ones_like(real, tf.bool))
        at_end = indices[-1] >= num_examples

        def record():
            missing = tf.gather(path_table, tf.where(~seen)[:, 0])
            return tf.py_function(_recorder(skipped), [missing], tf.bool)

        tf.cond(at_end & tf.reduce_any(~seen), record, lambda: tf.constant(False))
        # Only the last batch holds the end marker: drop it there, copy nothing elsewhere.
        images, labels = tf.cond(
            at_end, lambda: (images[:-1], labels[:-1]), lambda: (images, labels)
        )
        return seen, (images, labels)

    indices = tf.data.Dataset.range(num_examples)
    if shuffle:
        indices = indices.shuffle(num_examples, seed=seed, reshuffle_each_iteration=True)
    noise = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
    dataset = tf.data.Dataset.zip(indices, noise)
    dataset = dataset.map(load, num_parallel_calls=num_parallel_calls, deterministic=True)
    dataset = dataset.ignore_errors()
    # The end marker (index num_examples) closes each pass, when the skipped files are named.
    end = tf.nest.map_structure(
        lambda spec: tf.zeros([1 if d is None else d for d in spec.shape], spec.dtype),
        dataset.element_spec,
    )
    end = (tf.constant(num_examples, tf.int64), *end[1:])
    dataset = dataset.concatenate(tf.data.Dataset.from_tensors(end))
    dataset = dataset.batch(batch_size)
    dataset = dataset.scan(tf.zeros([num_examples], tf.bool), check)
    if drop_remainder:
        dataset = dataset.filter(lambda images, labels: tf.shape(images)[0] == batch_size)
        dataset = dataset.map(
            lambda images, labels: (
                tf.ensure_shape(images, [batch_size, *images.shape[1:]]),
                tf.ensure_shape(labels, [batch_size, *labels.shape[1:]]),
            )
        )
    else:
        dataset = dataset.filter(lambda images, labels: tf.shape(images)[0] > 0)
    dataset = dataset.prefetch(AUTOTUNE)
    dataset.skipped = skipped
    return dataset


def _recorder(skipped):
    def record(names):
        for name in names.numpy():
            skipped.record(name)
        return True

    return record


def array_dataset(
    images,
    labels,
    num_labels=None,
    *,
    training=False,
    batch_size=32,
    image_size=None,
    crop_size=None,
    eval_crops="center",
    normalization="imagenet",
    shuffle=None,
    seed=None,
    drop_remainder=False,
):
    """A batched ``(images, multi-hot labels)`` dataset from in-memory images.

    Args:
        images: uint8 array ``(examples, height, width, 3)`` (or ``(..., 1)`` / no channel
            axis for grey images, repeated to RGB).
        labels, num_labels: as in ``image_dataset``.
        image_size: resize to this square size first (None: keep the size).
        crop_size: the side of the five crops (None: no crop; training still flips).
        The other arguments are those of ``image_dataset``.

    >>> x = np.zeros((10, 8, 8, 3), np.uint8)
    >>> ds = array_dataset(x, [[1]] * 10, num_labels=3, batch_size=4, crop_size=6)
    >>> [tuple(t.shape) for t in next(iter(ds))]
    [(4, 6, 6, 3), (4, 3)]
    """
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or images.shape[-1] not in (1, 3) or images.dtype != np.uint8:
        raise ValueError(
            "`images` must be a uint8 array (examples, height, width, 3 or 1), got "
            f"{images.dtype} of shape {images.shape}."
        )
    if not len(images):
        raise ValueError("`images` is empty.")
    label_rows, num_labels, dense = label_matrix(labels, num_labels, len(images))
    batch_size, image_size, crop_size, shuffle = _common(
        training, batch_size, image_size, crop_size, eval_crops, shuffle
    )
    height, width = images.shape[1:3]
    if crop_size is not None and image_size is None and crop_size > min(height, width):
        raise ValueError(
            f"`crop_size` must be at most the image side {min(height, width)}, got {crop_size}."
        )
    grey = images.shape[-1] == 1
    image_table = tf.constant(images)
    label_table = tf.constant(label_rows)
    augment = _Augment(training, image_size, crop_size, eval_crops, normalization, False)
    to_labels = _labels(num_labels, dense)

    def load(index, noise):
        image = image_table[index]
        if grey:
            image = tf.repeat(image, 3, axis=-1)
        return augment(image, tf.stack([noise, index])), to_labels(label_table[index])

    indices = tf.data.Dataset.range(len(images))
    if shuffle:
        indices = indices.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    noise = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
    dataset = tf.data.Dataset.zip(indices, noise).map(load, num_parallel_calls=AUTOTUNE)
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    return dataset.prefetch(AUTOTUNE)


def predict_five_crops(model, dataset, return_labels=False, verbose=0):
    """Scores averaged over Gong's five crops, for a dataset made with ``eval_crops="five"``.

    Args:
        model: a Keras model taking one crop.
        dataset: batches of ``(images (batch, 5, crop, crop, 3), labels)``.
        return_labels: also return the labels, gathered in the same pass.

    Returns:
        NumPy scores ``(examples, num_labels)``, the mean of the five crops' scores; with
        ``return_labels``, ``(scores, labels)``.
    """
    scores, labels = [], []
    for images, batch_labels in dataset.as_numpy_iterator():
        if images.ndim != 5 or images.shape[1] != 5:
            raise ValueError(
                'predict_five_crops needs batches of five crops (eval_crops="five"), got '
                f"images of shape {images.shape}."
            )
        flat = images.reshape((-1,) + images.shape[2:])
        batch_scores = np.asarray(model.predict(flat, verbose=verbose))
        scores.append(batch_scores.reshape((len(images), 5, -1)).mean(axis=1))
        labels.append(batch_labels)
    scores = np.concatenate(scores)
    return (scores, np.concatenate(labels)) if return_labels else scores


def select_labels(dataset, indices):
    """A ``(images, labels)`` dataset keeping only the label columns ``indices``, in order.

    For training on a subset of the labels, e.g. the seen labels of a zero-shot split or the
    old tags before new ones arrive.

    >>> ds = tf.data.Dataset.from_tensor_slices((np.zeros((2, 1)), [[1.0, 0.0, 1.0]] * 2))
    >>> [y.tolist() for _, y in select_labels(ds, [2, 0]).as_numpy_iterator()]
    [[1.0, 1.0], [1.0, 1.0]]
    """
    indices = np.asarray(indices)
    if indices.ndim != 1 or indices.size == 0 or not np.issubdtype(indices.dtype, np.integer):
        raise ValueError(
            f"`indices` must be a non-empty 1-D sequence of ints; received indices={indices!r}"
        )
    num_labels = dataset.element_spec[1].shape[-1]
    if indices.min() < 0 or (num_labels is not None and indices.max() >= num_labels):
        raise ValueError(
            f"`indices` must be label columns from 0 to {num_labels - 1}; "
            f"received indices={indices.tolist()}"
        )
    columns = tf.constant(indices, dtype=tf.int32)
    return dataset.map(
        lambda images, labels: (images, tf.gather(labels, columns, axis=-1)),
        num_parallel_calls=tf.data.AUTOTUNE,
        deterministic=True,
    )
