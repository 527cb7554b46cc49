"""Your own images and tags: a folder of images and a tag file, read into multi-hot rows.

Three formats, the ones people already have:

* ``"csv"`` (``.csv``; ``.tsv`` is tab-separated): a header row, a file-name column (the
  first by default) and a tags column (the second by default) whose tags are separated by
  ``label_delim`` (a space by default), as fastai's ``ImageDataLoaders.from_csv`` reads
  them; an optional boolean column (``is_valid`` by default, as in PASCAL's
  ``fname,labels,is_valid``) marks the validation rows.
* ``"wide"``: a header row, the file-name column, then one column per label holding 1
  (positive), 0 (negative) or -1 (unknown), and the optional validation column.
* ``"jsonl"`` (``.jsonl``): one JSON object a line, ``{"file_name": ..., "tags": [...]}``
  (Hugging Face's ``metadata.jsonl``), with an optional boolean ``"is_valid"``.

:func:`read_tags` builds the label vocabulary (sorted, tags seen fewer than ``min_count``
times left out and reported), the multi-hot rows and the validation mark;
:func:`tagged_dataset` turns them into the ``tf.data`` pipeline of :func:`image_dataset`. No
row is dropped silently: a missing file, a duplicate row, a tag outside a given vocabulary
or a tag below the minimum count is either an error that names it or counted in the result
and logged.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "tags.csv").write_text("fname,labels\\na.jpg,dog cat\\nb.jpg,cat\\n")
>>> tags = read_tags(folder / "tags.csv", check_files=False)
>>> tags.label_names, tags.labels.tolist()
(['cat', 'dog'], [[1.0, 1.0], [1.0, 0.0]])
"""

import collections
import dataclasses
import json
import logging
import os

import numpy as np

from mlrank_keras.data.tag_formats import format_of, read_rows

LOGGER = logging.getLogger("mlrank_keras.data")


@dataclasses.dataclass
class TaggedImages:
    """What :func:`read_tags` read: one entry per image, in the file's order.

    Attributes:
        paths: the image files (joined to ``images_dir``).
        labels: float32 multi-hot rows ``(images, labels)``: 1, 0 or -1 (unknown).
        label_names: the vocabulary, in column order.
        is_valid: bool per image from the file's validation column, or None if it has none.
        rare_tags: ``{tag: count}`` of the tags left out for appearing fewer than
            ``min_count`` times.
        unknown_tags: ``{tag: count}`` of the tags outside a given ``label_names`` (with
            ``unknown_tags="ignore"``).
        missing: the files named in the tag file but not found (left out).
        duplicates: the file names listed more than once with the same tags (kept once).
        empty: how many images have no tag (kept: every label is a negative).
    """

    paths: list
    labels: np.ndarray
    label_names: list
    is_valid: np.ndarray | None = None
    rare_tags: dict = dataclasses.field(default_factory=dict)
    unknown_tags: dict = dataclasses.field(default_factory=dict)
    missing: list = dataclasses.field(default_factory=list)
    duplicates: list = dataclasses.field(default_factory=list)
    empty: int = 0

    def __len__(self):
        return len(self.paths)

    def subset(self, rows):
        """The images at ``rows`` (indices or a boolean mask), same vocabulary."""
        rows = np.flatnonzero(rows) if np.asarray(rows).dtype == bool else np.asarray(rows)
        return dataclasses.replace(
            self,
            paths=[self.paths[i] for i in rows],
            labels=self.labels[rows],
            is_valid=None if self.is_valid is None else self.is_valid[rows],
        )

    def split(self, validation_split=0.2, seed=0):
        """``(train, validation)``: the file's validation column where it has one, else a
        seeded random ``validation_split`` of the images (at least one each way)."""
        if self.is_valid is not None:
            if self.is_valid.all() or not self.is_valid.any():
                raise ValueError(
                    "The validation column marks "
                    f"{'every' if self.is_valid.all() else 'no'} image as validation: "
                    "it must leave images on both sides."
                )
            return self.subset(~self.is_valid), self.subset(self.is_valid)
        if not 0 < validation_split < 1:
            raise ValueError(
                "`validation_split` must be a number in (0, 1). Received: "
                f"validation_split={validation_split!r}"
            )
        if len(self) < 2:
            raise ValueError(f"Cannot split {len(self)} image(s) into training and validation.")
        order = np.random.default_rng(seed).permutation(len(self))
        count = min(max(1, int(round(validation_split * len(self)))), len(self) - 1)
        return self.subset(np.sort(order[count:])), self.subset(np.sort(order[:count]))


def read_tags(
    labels_file,
    images_dir=None,
    *,
    format=None,
    file_column=0,
    tags_column=1,
    label_delim=" ",
    valid_column="is_valid",
    delimiter=None,
    min_count=1,
    label_names=None,
    unknown_tags="error",
    check_files=True,
):
    """Reads a tag file into a :class:`TaggedImages`.

    Args:
        labels_file: the tag file (see the module docstring for the formats).
        images_dir: the folder the file names are relative to (default: the tag file's own).
        format: ``"csv"``, ``"wide"`` or ``"jsonl"``; by default from the extension
            (``.csv``, ``.tsv`` and ``.txt``: csv; ``.jsonl``: jsonl). A wide table must be
            asked for.
        file_column, tags_column: the file-name and tags columns, by position or by header
            name (csv; ``file_column`` for wide tables too).
        label_delim: what separates the tags in the tags column (None: one tag a row).
        valid_column: the header name (or position) of the boolean validation column, used
            where the file has it.
        delimiter: the CSV cell separator (default: a tab for ``.tsv``, else a comma).
        min_count: tags seen fewer times are left out of the vocabulary (and reported in
            ``rare_tags``, and logged). Not for wide tables, whose columns are the labels.
        label_names: a fixed vocabulary (e.g. a trained model's), in column order; by
            default the sorted tags of the file.
        unknown_tags: with ``label_names``, a tag outside them is an error (``"error"``)
            or left out and counted (``"ignore"``).
        check_files: leave out (count and log) the files that do not exist; if none
            exists, it is an error (the wrong ``images_dir``, most likely).

    Returns:
        A :class:`TaggedImages`.
    """
    labels_file = os.fspath(labels_file)
    if not os.path.isfile(labels_file):
        raise ValueError(f"`labels_file` {labels_file!r} is not a file.")
    format = format_of(labels_file, format)
    if unknown_tags not in ("error", "ignore"):
        raise ValueError(
            f"`unknown_tags` must be 'error' or 'ignore'. Received: unknown_tags={unknown_tags!r}"
        )
    if isinstance(min_count, bool) or not isinstance(min_count, (int, np.integer)) or min_count < 1:
        raise ValueError(f"`min_count` must be an int >= 1. Received: min_count={min_count!r}")
    images_dir = os.path.dirname(os.path.abspath(labels_file)) if images_dir is None else images_dir
    images_dir = os.fspath(images_dir)
    if check_files and not os.path.isdir(images_dir):
        raise ValueError(f"`images_dir` {images_dir!r} is not a folder.")
    names, tags, valid, wide_names = read_rows(
        labels_file, format, file_column, tags_column, label_delim, valid_column, delimiter
    )
    if not names:
        raise ValueError(f"{labels_file} lists no images.")
    for number, name in enumerate(names):
        if not name:
            raise ValueError(f"{labels_file}: entry {number + 1} has an empty file name.")
    # Duplicates: the same tags are kept once; different tags for one file are an error.
    rows = [tuple(row) if wide_names else tuple(sorted(set(row))) for row in tags]
    first, keep, duplicates = {}, [], []
    for i, name in enumerate(names):
        if name in first:
            earlier = rows[first[name]]
            if earlier != rows[i]:
                raise ValueError(
                    f"{labels_file} lists {name!r} twice with different tags: {list(earlier)} "
                    f"and {list(rows[i])}. Merge them into one row."
                )
            duplicates.append(name)
            continue
        first[name] = i
        keep.append(i)
    if duplicates:
        LOGGER.warning("%d file(s) listed twice with the same tags, kept once: %s",
                       len(duplicates), duplicates[:5])
    names = [names[i] for i in keep]
    tags = [tags[i] for i in keep]
    valid = None if valid is None else valid[keep]
    # Missing files go first: the vocabulary and its counts are of the images kept.
    paths = [os.path.join(images_dir, name) for name in names]
    missing = []
    if check_files:
        found = [os.path.isfile(p) for p in paths]
        if not any(found):
            raise ValueError(
                f"None of the {len(paths)} files of {labels_file} is in `images_dir` "
                f"{images_dir!r} (the first: {names[0]!r})."
            )
        missing = [p for p, ok in zip(paths, found, strict=True) if not ok]
        if missing:
            LOGGER.warning("%d file(s) of %s not found, left out: %s", len(missing),
                           labels_file, missing[:5])
            keep = [i for i, ok in enumerate(found) if ok]
            paths, tags = [paths[i] for i in keep], [tags[i] for i in keep]
            valid = None if valid is None else valid[keep]
    rare, unknown = {}, {}
    if wide_names is not None:
        if label_names is not None and list(label_names) != wide_names:
            raise ValueError(
                f"The wide table's label columns {wide_names} are not `label_names` "
                f"{list(label_names)}."
            )
        label_names = wide_names
        labels = np.array(tags, np.float32).reshape(len(paths), len(wide_names))
    else:
        counts = collections.Counter(t for row in tags for t in set(row))
        if label_names is None:
            label_names = sorted(t for t, c in counts.items() if c >= min_count)
            rare = {t: c for t, c in sorted(counts.items()) if c < min_count}
            if rare:
                LOGGER.warning("%d tag(s) seen fewer than min_count=%d times, left out: %s",
                               len(rare), min_count, list(rare)[:10])
        else:
            label_names = [str(t) for t in label_names]
            if len(set(label_names)) != len(label_names):
                raise ValueError(f"`label_names` repeats a name: {label_names}.")
            known = set(label_names)
            unknown = {t: c for t, c in sorted(counts.items()) if t not in known}
            if unknown and unknown_tags == "error":
                raise ValueError(
                    f"{labels_file} has {len(unknown)} tag(s) outside `label_names`: "
                    f"{list(unknown)[:10]}. Pass unknown_tags='ignore' to leave them out."
                )
            if unknown:
                LOGGER.warning("%d tag(s) outside label_names, left out: %s",
                               len(unknown), list(unknown)[:10])
        if not label_names:
            raise ValueError(f"{labels_file}: no tag is left in the vocabulary.")
        column = {t: j for j, t in enumerate(label_names)}
        labels = np.zeros((len(paths), len(label_names)), np.float32)
        for i, row in enumerate(tags):
            for t in row:
                if t in column:
                    labels[i, column[t]] = 1.0
    empty = int((labels.max(axis=1, initial=0) <= 0).sum())  # of the images kept
    return TaggedImages(paths, labels, list(label_names), valid, rare, unknown, missing,
                        duplicates, empty)


def tagged_dataset(tagged, **kwargs):
    """:func:`mlrank_keras.data.image_dataset` of a :class:`TaggedImages` (same arguments:
    ``training``, ``batch_size``, ``image_size``, ``crop_size``, ``normalization``, ...).
    Unreadable images are skipped, counted and named in the dataset's ``skipped``."""
    from mlrank_keras.data.pipeline import image_dataset

    if not isinstance(tagged, TaggedImages):
        raise ValueError(f"`tagged` must be a TaggedImages (from read_tags), got {tagged!r}.")
    return image_dataset(tagged.paths, tagged.labels, **kwargs)


def save_label_names(label_names, path):
    """Writes the vocabulary, in column order, as a JSON list (the order a model's scores
    follow)."""
    with open(path, "w", encoding="utf-8") as f:
        json.dump(list(label_names), f, ensure_ascii=False, indent=0)


def load_label_names(path):
    """The vocabulary :func:`save_label_names` wrote."""
    with open(path, encoding="utf-8") as f:
        names = json.load(f)
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ValueError(f"{path} does not hold a JSON list of label names.")
    return names
