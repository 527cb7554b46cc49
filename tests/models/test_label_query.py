"""The label-query head (ML-Decoder style): an independent numpy forward pass, the
zero-shot scoring of new labels from their vectors, training and .keras round trips."""

import keras
import numpy as np
import pytest

import mlrank_keras as mk
from mlrank_keras.layers import LabelQueryHead
from mlrank_keras.models import with_label_vectors
from tests.helpers import to_numpy


def _layer_norm(x, gamma, beta, eps=1e-3):
    mean = x.mean(-1, keepdims=True)
    var = x.var(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def _numpy_head(head, maps):
    """The head's forward pass written out from its weights (inference: no dropout)."""
    w = {v.path.split("/", 1)[1]: to_numpy(v).astype("float64") for v in head.weights}
    b, h, wd, c = maps.shape
    tokens = np.maximum(maps.reshape(b, h * wd, c) @ w["tokens/kernel"] + w["tokens/bias"], 0)
    if head.vector_dim is None:
        queries = w["queries"]
    else:
        queries = np.maximum(w["label_vectors"] @ w["queries/kernel"] + w["queries/bias"], 0)
    x = _layer_norm(np.broadcast_to(queries, (b,) + queries.shape), w["query_norm/gamma"],
                    w["query_norm/beta"])
    q = np.einsum("bld,dhk->blhk", x, w["attention/query/kernel"]) + w["attention/query/bias"]
    k = np.einsum("btd,dhk->bthk", tokens, w["attention/key/kernel"]) + w["attention/key/bias"]
    v = np.einsum("btd,dhk->bthk", tokens, w["attention/value/kernel"]) + w[
        "attention/value/bias"]
    logits = np.einsum("blhk,bthk->bhlt", q, k) / np.sqrt(q.shape[-1])
    attn = np.exp(logits - logits.max(-1, keepdims=True))
    attn /= attn.sum(-1, keepdims=True)
    gathered = np.einsum("bhlt,bthk->blhk", attn, v)
    out = np.einsum("blhk,hkd->bld", gathered, w["attention/attention_output/kernel"]) + w[
        "attention/attention_output/bias"]
    x = _layer_norm(x + out, w["attention_norm/gamma"], w["attention_norm/beta"])
    y = np.maximum(x @ w["ff1/kernel"] + w["ff1/bias"], 0) @ w["ff2/kernel"] + w["ff2/bias"]
    x = _layer_norm(x + y, w["output_norm/gamma"], w["output_norm/beta"])
    if head.vector_dim is None:
        return (x * w["label_kernel"]).sum(-1) + w["label_bias"]
    return (x @ w["score/kernel"])[..., 0] + w["score/bias"]


@pytest.mark.parametrize("given", [False, True])
def test_forward_pass_matches_a_numpy_reference(given):
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(5, 6)).astype("float32")
    head = (LabelQueryHead(label_vectors=vectors, dim=8, num_heads=2) if given
            else LabelQueryHead(num_labels=5, dim=8, num_heads=2))
    maps = rng.normal(size=(3, 2, 4, 7)).astype("float32")
    got = to_numpy(head(maps))
    np.testing.assert_allclose(got, _numpy_head(head, maps.astype("float64")), rtol=1e-4,
                               atol=1e-5)


def _ranker(vectors=None, num_labels=None):
    keras.utils.set_random_seed(0)
    head = LabelQueryHead(num_labels=num_labels, label_vectors=vectors, dim=16, num_heads=2)
    backbone = mk.cpu_convnet(16, 0.25, filters=(8, 8), pooling=False)
    return mk.build_ranker(num_labels or len(vectors), mk.losses.LSEPLoss(), backbone=backbone,
                           head=head, optimizer=keras.optimizers.Adam(0.01))


def _images(labels=6):
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, (32, 16, 16, 3)).astype("float32")
    y = (x[:, :8, :8, :].mean(axis=(1, 2)) @ rng.normal(size=(3, labels)) > 0).astype("float32")
    return x, y


def test_trains_round_trips_and_scores_new_labels_from_their_vectors(tmp_path):
    rng = np.random.default_rng(2)
    vectors = rng.normal(size=(6, 10)).astype("float32")
    new = rng.normal(size=(3, 10)).astype("float32")
    x, y = _images()
    model = _ranker(vectors)
    history = model.fit(x, y, epochs=8, batch_size=8, verbose=0).history["loss"]
    assert history[-1] < history[0]
    path = tmp_path / "query.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    scores = to_numpy(model.predict(x, verbose=0))
    np.testing.assert_allclose(to_numpy(loaded.predict(x, verbose=0)), scores, rtol=1e-5,
                               atol=1e-6)
    # Labels are independent queries: the trained labels keep their scores among new ones,
    # and a new label scores the same whatever it is queried with.
    both = to_numpy(with_label_vectors(loaded, np.concatenate([vectors, new])).predict(
        x, verbose=0))
    np.testing.assert_allclose(both[:, :6], scores, rtol=1e-4, atol=1e-5)
    alone = to_numpy(with_label_vectors(model, new).predict(x, verbose=0))
    np.testing.assert_allclose(both[:, 6:], alone, rtol=1e-4, atol=1e-5)
    assert not np.allclose(alone[:, 0], alone[:, 1])  # each new label its own score


def test_learned_queries_train_and_round_trip(tmp_path):
    x, y = _images()
    model = _ranker(num_labels=6)
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    model.save(tmp_path / "learned.keras")
    loaded = keras.saving.load_model(tmp_path / "learned.keras")
    np.testing.assert_allclose(to_numpy(loaded.predict(x, verbose=0)),
                               to_numpy(model.predict(x, verbose=0)), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="learned one query per label"):
        with_label_vectors(model, np.zeros((2, 10)))


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="multiple of `num_heads`"):
        LabelQueryHead(num_labels=3, dim=10, num_heads=4)
    with pytest.raises(ValueError, match="must match the 2"):
        LabelQueryHead(num_labels=3, label_vectors=np.zeros((2, 4)))
    with pytest.raises(ValueError, match="finite"):
        LabelQueryHead(label_vectors=np.full((2, 4), np.nan))
    with pytest.raises(ValueError, match="num_labels"):
        LabelQueryHead()
    with pytest.raises(ValueError, match="maps"):
        LabelQueryHead(num_labels=3, dim=8, num_heads=2)(np.zeros((2, 3, 4), "float32"))
    with pytest.raises(ValueError, match=r"\(num_labels, 10\)"):
        with_label_vectors(_ranker(np.zeros((6, 10), "float32")), np.zeros((2, 9)))
