"""The papers' datasets through TensorFlow Datasets, as ``(images, multi-hot labels)`` batches.

``tfds_dataset("voc2007" | "coco2014" | "nuswide", split, ...)`` loads the TFDS dataset
(``voc/2007``: the image-level ``labels``, 20; ``coco/2014``: the ``objects`` labels, 80;
``nus_wide``: our manual-download builder, 81), turns its label list into a multi-hot vector
inside ``map()`` and runs the same crop, flip and normalisation as ``image_dataset``.

Nothing is downloaded unless ``download=True`` (offline, TFDS would block for minutes before
failing): by default the dataset must already be prepared in ``data_dir``.
"""

import tensorflow as tf

from mlrank_keras.data import nus_wide, shards
from mlrank_keras.data.crops import Augment
from mlrank_keras.data.label_rows import label_encoder
from mlrank_keras.data.pipeline import AUTOTUNE, common_arguments
from mlrank_keras.extras import require
from mlrank_keras.validation import positive_int

tfds = require("tensorflow_datasets", "tfds_dataset")

VOC_LABELS = (
    "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
    "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa",
    "train", "tvmonitor",
)  # fmt: skip
# TFDS names COCO's labels only when the data is prepared (from the annotation files, by
# category id); these are those 80 names in that order.
COCO_LABELS = (
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat",
    "traffic light", "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog",
    "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella",
    "handbag", "tie", "suitcase", "frisbee", "skis", "snowboard", "sports ball", "kite",
    "baseball bat", "baseball glove", "skateboard", "surfboard", "tennis racket", "bottle",
    "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich",
    "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch",
    "potted plant", "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote",
    "keyboard", "cell phone", "microwave", "oven", "toaster", "sink", "refrigerator", "book",
    "clock", "vase", "scissors", "teddy bear", "hair drier", "toothbrush",
)  # fmt: skip
# Our name -> (TFDS name, path of the label-index feature, label names).
DATASETS = {
    "voc2007": ("voc/2007", ("labels",), VOC_LABELS),
    "coco2014": ("coco/2014", ("objects", "label"), COCO_LABELS),
    "nuswide": ("nus_wide", ("labels",), nus_wide.CONCEPTS),
}


def _check_name(name):
    if name not in DATASETS:
        raise ValueError(f"`name` must be one of {sorted(DATASETS)}, got {name!r}.")
    return DATASETS[name]


def label_names(name):
    """The dataset's label names, in the order of the multi-hot columns.

    >>> label_names("voc2007")[:3]
    ['aeroplane', 'bicycle', 'bird']
    >>> len(label_names("coco2014")), len(label_names("nuswide"))
    (80, 81)
    """
    return list(_check_name(name)[2])


def tfds_dataset(
    name,
    split,
    *,
    data_dir=None,
    download=False,
    manual_dir=None,
    training=None,
    batch_size=32,
    image_size=256,
    crop_size=220,
    eval_crops="center",
    normalization="imagenet",
    shuffle=None,
    shuffle_buffer=256,
    seed=None,
    drop_remainder=False,
    shard=None,
):
    """A batched ``(images, multi-hot labels)`` dataset from VOC 2007, COCO 2014 or NUS-WIDE.

    Args:
        name: ``"voc2007"``, ``"coco2014"`` or ``"nuswide"``.
        split: a TFDS split (``"train"``, ``"validation"``, ``"test"``, slices as
            ``"train[:10%]"``).
        data_dir: the TFDS data folder (TFDS's default when None).
        download: let TFDS download and prepare the data (needs the network; NUS-WIDE needs
            ``manual_dir`` instead).
        manual_dir: the folder holding the NUS-WIDE download (see ``nus_wide``); the dataset
            is prepared from it on first use.
        training: random crops and flips, and shuffling (default: ``split`` starts with
            ``"train"``).
        shuffle_buffer: decoded images held for shuffling (on top of TFDS's file shuffling).
        shard: ``(num_processes, process_id)`` in a job of several processes
            (``mlrank_keras.distribute.process_shard()``): this process reads its own equal
            part of the split (``tfds.even_splits(split, num_processes, drop_remainder=True)``,
            at most ``num_processes - 1`` examples left out), batched at ``batch_size`` per
            process; needs ``drop_remainder=True``.
        The other arguments are those of ``image_dataset``.
    """
    tfds_name, path, names = _check_name(name)
    num_labels = len(names)
    if training is None:
        training = str(split).startswith("train")
    batch_size, image_size, crop_size, shuffle = common_arguments(
        training, batch_size, image_size, crop_size, eval_crops, shuffle
    )
    shuffle_buffer = positive_int(shuffle_buffer, "shuffle_buffer")
    shard = shards.shard_argument(shard, drop_remainder)
    if shard is not None:
        split = tfds.even_splits(split, n=shard[0], drop_remainder=True)[shard[1]]
    if image_size is None:
        raise ValueError("`image_size` is required: the dataset's images differ in size.")
    prepare = {}
    if manual_dir is not None:
        prepare["download_config"] = tfds.download.DownloadConfig(manual_dir=str(manual_dir))
    dataset = tfds.load(
        tfds_name,
        split=split,
        data_dir=data_dir,
        download=bool(download) or manual_dir is not None,
        download_and_prepare_kwargs=prepare,
        shuffle_files=shuffle,
        read_config=tfds.ReadConfig(shuffle_seed=seed) if shuffle else None,
    )
    if shuffle:
        dataset = dataset.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    augment = Augment(training, image_size, crop_size, eval_crops, normalization, False)
    to_labels = label_encoder(num_labels, False)
    noise = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)

    def convert(example, random):
        labels = example
        for key in path:
            labels = labels[key]
        return augment(example["image"], tf.stack([random, 0])), to_labels(labels)

    dataset = tf.data.Dataset.zip(dataset, noise).map(
        augment.graph(convert), num_parallel_calls=AUTOTUNE
    )
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder).prefetch(AUTOTUNE)
    if shard is not None:
        dataset.process_shard, dataset.steps_per_epoch = shard, None
    return dataset
