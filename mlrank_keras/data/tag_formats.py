"""The tag-file formats of :func:`mlrank_keras.data.read_tags`: CSV/TSV with a tags column,
wide 0/1/-1 tables and JSON lines, read into file names, tag lists (or wide rows) and the
validation marks, with errors that name the file, the row and the cell."""

import csv
import json
import os

import numpy as np

FORMATS = ("csv", "wide", "jsonl")
TRUE_WORDS = ("1", "true", "yes", "y", "t")
FALSE_WORDS = ("0", "false", "no", "n", "f", "")


def format_of(path, format):
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


def read_rows(path, format, file_column, tags_column, label_delim, valid_column, delimiter):
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
