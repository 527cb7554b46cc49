"""Gong's crops, flips and normalisation applied to a whole batch of same-size images (the
path of ``image_dataset(cache=True)``): the ops run once per batch, not once per image."""

import tensorflow as tf

from mlrank_keras.data.crops import crop_offsets


def resized_pixels(image, image_size):
    """A decoded image resized to ``image_size`` x ``image_size`` and rounded back to uint8:
    what ``image_dataset(cache=True)`` keeps in memory (a quarter of the float32 size)."""
    image = tf.image.resize(image, [image_size, image_size])
    return tf.cast(tf.clip_by_value(tf.round(image), 0, 255), tf.uint8)


def augment_batch(images, seed, augment):
    """``augment``'s crops, flips and normalisation (an :class:`Augment`) of a batch of
    same-size uint8 images, already at its ``image_size``.

    ``images`` is ``(batch, side, side, 3)`` uint8; ``seed`` a stateless seed (2 integers)
    drawing every row's crop and flip. Per row the law is :class:`Augment`'s (one of the five
    crops and, when ``flip``, a mirror, each uniform and independent); the ops run once per
    batch instead of once per image. The crop is cut by two batched gathers (its rows, then
    its columns, read right to left where mirrored), so it is exact: no resampling.
    """
    training, crop_size, flip = augment.training, augment.crop_size, augment.flip
    normalize = augment.normalize
    images.shape.assert_has_rank(4)
    side = images.shape[1]
    if crop_size is None:
        crops = images
        if training and flip:
            mirror = tf.random.stateless_uniform([tf.shape(images)[0]], seed, maxval=2,
                                                 dtype=tf.int32) > 0
            crops = tf.where(mirror[:, None, None, None], tf.reverse(images, [2]), images)
        return normalize(tf.cast(crops, tf.float32))
    offsets = crop_offsets(side, crop_size)
    if not training and augment.eval_crops == "five":
        crops = [images[:, y:y + crop_size, x:x + crop_size] for y, x in offsets]
        return normalize(tf.cast(tf.stack(crops, axis=1), tf.float32))
    batch = tf.shape(images)[0]
    if training:
        draw = tf.random.stateless_uniform([batch], seed, maxval=10, dtype=tf.int32)
        which, mirror = draw % 5, (draw >= 5) & flip
    else:
        which, mirror = tf.fill([batch], 4), tf.zeros([batch], tf.bool)
    corner = tf.gather(tf.constant(offsets, tf.int32), which)  # (batch, 2)
    step = tf.range(crop_size)
    rows = corner[:, :1] + step
    cols = corner[:, 1:] + tf.where(mirror[:, None], crop_size - 1 - step, step)
    crops = tf.gather(images, rows, axis=1, batch_dims=1)
    crops = tf.gather(crops, cols, axis=2, batch_dims=1)
    return normalize(tf.cast(crops, tf.float32))
