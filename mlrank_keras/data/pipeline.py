"""``tf.data`` input pipelines for multilabel image annotation, from files or arrays.

Every pipeline yields ``(images, labels)`` batches that ``model.fit`` takes on any Keras backend:
float32 images ``(batch, crop, crop, 3)`` (``(batch, 5, crop, crop, 3)`` with
``eval_crops="five"``) and float32 multi-hot labels ``(batch, num_labels)`` built inside
``map()`` (:mod:`.label_rows`).

The image path follows Gong et al. (2014) (:mod:`.crops`): decode JPEG or PNG, resize to
``image_size`` x ``image_size`` (256), and take Gong's five ``crop_size`` (220) crops, the four
corners and the centre. Training takes a random one of the five and flips it left-right with
probability 1/2; evaluation takes the centre crop, or all five (``eval_crops="five"``) for
``predict_five_crops``, which averages the scores. Then the normalisation the backbone
expects (``NORMALIZATIONS``). With ``seed`` set, the shuffle order and every crop and flip
are deterministic, and each epoch draws new ones.

A file that cannot be read or decoded is skipped and recorded, never a crash: the returned
dataset's ``skipped`` attribute (a ``SkippedImages``) holds how many and which, and each is
logged once as a warning on the ``mlrank_keras.data`` logger.
"""

import tensorflow as tf

from mlrank_keras.data import shards
from mlrank_keras.data.batch_crops import augment_batch, resized_pixels
from mlrank_keras.data.crops import EVAL_CROPS, Augment, decode_image, without_autograph
from mlrank_keras.data.label_rows import label_encoder, label_matrix
from mlrank_keras.data.skipped import SkippedImages, recorder
from mlrank_keras.validation import positive_int

AUTOTUNE = tf.data.AUTOTUNE


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


def common_arguments(training, batch_size, image_size, crop_size, eval_crops, shuffle):
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
    flip=True,
    skipped=None,
    num_parallel_calls=AUTOTUNE,
    shard=None,
    cache=False,
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
        flip: whether training mirrors images left-right (half of them, at random). Turn it
            off where a mirror image is not the same label (digits, text, glyphs); the crops
            drawn are the same either way.
        skipped: a ``SkippedImages`` to record unreadable files in (a new one by default).
        num_parallel_calls: how many files are read, decoded and transformed at once.
        shard: ``(num_processes, process_id)`` in a job of several processes
            (``mlrank_keras.distribute.process_shard()``): read only this process's files
            (those whose index is ``process_id`` modulo ``num_processes``), batched at
            ``batch_size`` per process; needs ``drop_remainder=True``. The passes then repeat
            without end: train with ``steps_per_epoch=dataset.steps_per_epoch``
            (:mod:`.shards`).
        cache: keep every image decoded and resized to ``image_size`` (uint8) in memory
            after the first pass (``len(paths) * image_size**2 * 3`` bytes: 20,000 at 256 is
            3.9 GB): later epochs read no file, and crop (from the resized image, Gong's
            definition), flip and normalise once per batch instead of once per image.

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
    batch_size, image_size, crop_size, shuffle = common_arguments(
        training, batch_size, image_size, crop_size, eval_crops, shuffle
    )
    if image_size is None:
        raise ValueError("`image_size` is required for files: their sizes differ.")
    if not paths:
        raise ValueError("`paths` is empty.")
    shard = shards.shard_argument(shard, drop_remainder)
    skipped = SkippedImages() if skipped is None else skipped
    if not isinstance(skipped, SkippedImages):
        raise TypeError(f"`skipped` must be a SkippedImages, got {type(skipped).__name__}.")

    num_examples = len(paths)
    path_table = tf.constant(paths)
    label_table = tf.constant(label_rows)
    augment = Augment(training, image_size, crop_size, eval_crops, normalization, True, flip)
    to_labels = label_encoder(num_labels, dense)

    def load(index, noise):
        contents = tf.io.read_file(path_table[index])
        image = augment(contents, tf.stack([noise, index]))
        image.set_shape(augment.output_shape)  # static, for the end marker below
        return index, image, to_labels(label_table[index])

    def load_whole(index):
        image = resized_pixels(decode_image(tf.io.read_file(path_table[index])), image_size)
        image.set_shape([image_size, image_size, 3])
        return index, image, to_labels(label_table[index])

    def finish(batch, seed):
        images, labels = batch
        return augment_batch(images, seed, augment), labels

    def check(seen, batch):
        indices, images, labels = batch
        real = tf.boolean_mask(indices, indices < num_examples)
        seen = tf.tensor_scatter_nd_update(seen, real[:, None], tf.ones_like(real, tf.bool))
        at_end = indices[-1] >= num_examples

        def record():
            missing = tf.gather(path_table, tf.where(~seen)[:, 0])
            return tf.py_function(recorder(skipped), [missing], tf.bool)

        tf.cond(at_end & tf.reduce_any(~seen), record, lambda: tf.constant(False))
        # Only the last batch holds the end marker: drop it there, copy nothing elsewhere.
        images, labels = tf.cond(
            at_end, lambda: (images[:-1], labels[:-1]), lambda: (images, labels)
        )
        return seen, (images, labels)

    indices, seen = tf.data.Dataset.range(num_examples), tf.zeros([num_examples], tf.bool)
    if shard is not None:
        steps = shards.steps_per_epoch(num_examples, shard, batch_size)
        indices, seen = shards.shard_indices(num_examples, shard)
    noise = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
    count = int(indices.cardinality())
    if cache:
        # Decoded once (bad files dropped then, and named at the end of every pass), kept,
        # shuffled from memory; the augmentation runs per batch below.
        dataset = indices.map(without_autograph(load_whole), num_parallel_calls=num_parallel_calls)
        dataset = dataset.ignore_errors().cache()
        if shuffle:
            dataset = dataset.shuffle(count, seed=seed, reshuffle_each_iteration=True)
    else:
        if shuffle:
            indices = indices.shuffle(count, seed=seed, reshuffle_each_iteration=True)
        dataset = tf.data.Dataset.zip(indices, noise)
        dataset = dataset.map(
            augment.graph(load), num_parallel_calls=num_parallel_calls, deterministic=True
        )
        dataset = dataset.ignore_errors()
    # The end marker (index num_examples) closes each pass, when the skipped files are named.
    end = tf.nest.map_structure(
        lambda spec: tf.zeros([1 if d is None else d for d in spec.shape], spec.dtype),
        dataset.element_spec,
    )
    end = (tf.constant(num_examples, tf.int64), *end[1:])
    dataset = dataset.concatenate(tf.data.Dataset.from_tensors(end))
    dataset = dataset.batch(batch_size)
    dataset = dataset.scan(seen, without_autograph(check))
    if cache:
        seeds = noise.batch(2)
        dataset = tf.data.Dataset.zip(dataset, seeds).map(
            augment.graph(finish), num_parallel_calls=AUTOTUNE
        )
    if drop_remainder:
        dataset = dataset.filter(
            without_autograph(lambda images, labels: tf.shape(images)[0] == batch_size)
        )
        dataset = dataset.map(
            without_autograph(
                lambda images, labels: (
                    tf.ensure_shape(images, [batch_size, *images.shape[1:]]),
                    tf.ensure_shape(labels, [batch_size, *labels.shape[1:]]),
                )
            )
        )
    else:
        dataset = dataset.filter(without_autograph(lambda images, labels: tf.shape(images)[0] > 0))
    if shard is not None:
        dataset = dataset.repeat()  # the epochs end at steps_per_epoch
    dataset = dataset.prefetch(AUTOTUNE)
    dataset.skipped = skipped
    if shard is not None:
        dataset.process_shard, dataset.steps_per_epoch = shard, steps
    return dataset
