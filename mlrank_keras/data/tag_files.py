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
import csv
import dataclasses
import json
import logging
import os

import numpy as np

LOGGER = logging.getLogger("mlrank_keras.data")
FORMATS = ("csv", "wide", "jsonl")
TRUE_WORDS = ("1", "true", "yes", "y", "t")
FALSE_WORDS = ("0", "false", "no", "n", "f", "")


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


def _format_of(path, format):
    if format is None:
        extension = os.path.splitext(str(path))[1].lower()
        format = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".jsonl": "jsonl"}.get(extension)
        if format is None:
            raise ValueError(
                f"Cannot tell the format of {str(path)!r} from its extension: pass "
                f"`format=` one of {FORMATS}."
            )
    if format not in FORMATS:
        raise ValueError(f"`format` must be one of {FORMATS}. Received: format={format!r}")
    return format


def _column(header, column, what, path):
    """The index of ``column`` (an int or a header name) in ``header``."""
    if isinstance(column, int) and not isinstance(column, bool):
        if not 0 <= column < len(header):
            raise ValueError(
                f"`{what}`={column} is not a column of {path} (it has {len(header)}: {header})."
            )
        return column
    if column not in header:
        raise ValueError(f"`{what}`={column!r} is not a column of {path}; its header: {header}.")
    return header.index(column)


def _boolean(value, where):
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"{where}: the validation mark must be true or false, got {value!r}.")


def _read_rows(path, format, file_column, tags_column, label_delim, valid_column, delimiter):
    """``(names, tag lists or wide rows, validation marks or None, wide label names)``."""
    names, tags, valid = [], [], []
    wide_names = None
    if format == "jsonl":
        has_valid = None
        with open(path, encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                where = f"{path}, line {number}"
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as error:
                    raise ValueError(f"{where} is not JSON: {error}") from None
                if not isinstance(record, dict) or "file_name" not in record:
                    raise ValueError(f'{where}: each line needs a "file_name". Got: {line[:80]!r}')
                row_tags = record.get("tags", [])
                if isinstance(row_tags, str) or not isinstance(row_tags, list):
                    raise ValueError(
                        f'{where}: "tags" must be a list of strings, got {row_tags!r}.'
                    )
                names.append(str(record["file_name"]))
                tags.append([str(t) for t in row_tags])
                if has_valid is None:
                    has_valid = "is_valid" in record
                elif has_valid != ("is_valid" in record):
                    raise ValueError(f'{where}: "is_valid" is on some lines and not others.')
                if has_valid:
                    valid.append(_boolean(record["is_valid"], where))
        return names, tags, (np.array(valid, bool) if valid else None), None
    if delimiter is None:
        delimiter = "\t" if str(path).lower().endswith(".tsv") else ","
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter=delimiter))
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise ValueError(f"{path} is empty: it needs a header row and one row per image.")
    header, body = [cell.strip() for cell in rows[0]], rows[1:]
    file_index = _column(header, file_column, "file_column", path)
    valid_index = None
    if valid_column is not None and (valid_column in header or isinstance(valid_column, int)):
        valid_index = _column(header, valid_column, "valid_column", path)
    if format == "wide":
        label_indices = [i for i in range(len(header)) if i not in (file_index, valid_index)]
        wide_names = [header[i] for i in label_indices]
        if not wide_names:
            raise ValueError(f"{path} has no label columns besides the file name.")
    else:
        tags_index = _column(header, tags_column, "tags_column", path)
    for number, row in enumerate(body, 2):
        where = f"{path}, row {number}"
        if len(row) != len(header):
            raise ValueError(f"{where} has {len(row)} cells where the header has {len(header)}.")
        names.append(row[file_index].strip())
        if valid_index is not None:
            valid.append(_boolean(row[valid_index], where))
        if format == "wide":
            values = []
            for i in label_indices:
                cell = row[i].strip()
                if cell not in ("1", "0", "-1"):
                    raise ValueError(
                        f"{where}, column {header[i]!r}: a wide table holds 1, 0 or -1 "
                        f"(unknown), got {cell!r}."
                    )
                values.append(float(cell))
            tags.append(values)
        else:
            cell = row[tags_index]
            split = cell.split(label_delim) if label_delim else [cell]
            tags.append([t.strip() for t in split if t.strip()])
    return names, tags, (np.array(valid, bool) if valid_index is not None else None), wide_names


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
    format = _format_of(labels_file, format)
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
    names, tags, valid, wide_names = _read_rows(
        labels_file, format, file_column, tags_column, label_delim, valid_column, delimiter
    )
    if not names:
        raise ValueError(f"{labels_file} lists no images.")
    for number, name in enumerate(names):
        if not name:
            raise ValueError(f"{labels_file}: entry {number + 1} has an empty file name.")
    # Duplicates: the same tags are kept once; different tags for one file are an error.
    first, keep, duplicates = {}, [], []
    for i, name in enumerate(names):
        row = tuple(tags[i]) if wide_names else tuple(sorted(set(tags[i])))
        if name in first:
            j = first[name]
            earlier = tuple(tags[j]) if wide_names else tuple(sorted(set(tags[j])))
            if earlier != row:
                raise ValueError(
                    f"{labels_file} lists {name!r} twice with different tags: {list(earlier)} "
                    f"and {list(row)}. Merge them into one row."
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
    rare, unknown = {}, {}
    if wide_names is not None:
        if label_names is not None and list(label_names) != wide_names:
            raise ValueError(
                f"The wide table's label columns {wide_names} are not `label_names` "
                f"{list(label_names)}."
            )
        label_names = wide_names
        labels = np.array(tags, np.float32).reshape(len(names), len(wide_names))
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
            unknown = {t: c for t, c in sorted(counts.items()) if t not in set(label_names)}
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
        labels = np.zeros((len(names), len(label_names)), np.float32)
        for i, row in enumerate(tags):
            for t in row:
                if t in column:
                    labels[i, column[t]] = 1.0
    empty = int((labels.max(axis=1, initial=0) <= 0).sum())
    paths = [os.path.join(images_dir, name) for name in names]
    missing = []
    if check_files:
        found = np.array([os.path.isfile(p) for p in paths])
        if not found.any():
            raise ValueError(
                f"None of the {len(paths)} files of {labels_file} is in `images_dir` "
                f"{images_dir!r} (the first: {names[0]!r})."
            )
        missing = [p for p, ok in zip(paths, found, strict=True) if not ok]
        if missing:
            LOGGER.warning("%d file(s) of %s not found, left out: %s", len(missing),
                           labels_file, missing[:5])
            paths = [p for p, ok in zip(paths, found, strict=True) if ok]
            labels, valid = labels[found], (None if valid is None else valid[found])
            empty = int((labels.max(axis=1, initial=0) <= 0).sum())
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
