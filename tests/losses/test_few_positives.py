"""The pairwise hinge, exact WARP and sampled WARP without a sort (rows with few
positives): the same values and gradients as the plain-loop references and as the sorted
path."""

import inspect

import keras
import numpy as np
import pytest
from keras import ops

from mlrank_keras.losses import first_draws, pairwise_hinge_loss, sorting, warp, warp_loss
from tests.helpers import to_numpy, value_and_gradient
from tests.losses import references, test_base


def value_and_grad(loss, y, f):
    """Per-row values and the gradient of their sum."""
    _, grad = value_and_gradient(lambda x: ops.sum(loss(y, x)), f)
    return to_numpy(loss(y, f)), grad


def sampled_warp(y, f):
    return warp_loss(y, f, rank_estimate="sampled", seed=11)


LOSSES = {
    "pairwise": (pairwise_hinge_loss, references.pairwise),
    "warp": (lambda y, f: warp_loss(y, f, rank_estimate="exact"), references.warp_exact),
    "warp_sampled": (sampled_warp, None),  # the sorted path with the same draws
}


def labels_with_few_positives(rows, width, most, seed):
    rng = np.random.default_rng(seed)
    y = np.zeros((rows, width), "float32")
    for row in range(rows):
        count = rng.integers(0, most + 1)
        y[row, rng.choice(width, count, replace=False)] = 1.0
    y[rng.random(y.shape) < 0.1] = -1.0  # unknown labels
    y[0, :] = 0.0  # a row with no positive
    y[1, :] = np.where(y[1] == 0.0, 1.0, y[1])  # a row with no negative (tiers: most <= 16)
    y[1, 16:] = -1.0
    return y


ON_TORCH = keras.backend.backend() == "torch"
FIRST_DRAWS_ONLY_ON_TORCH = pytest.mark.skipif(
    not ON_TORCH, reason="sampled WARP looks at the first draws first on PyTorch only")


@pytest.mark.parametrize("name, prefix", [
    *((name, first_draws.DRAW_PREFIX) for name in sorted(LOSSES)),
    # 1: nearly every first violator comes after the first draws
    pytest.param("warp_sampled", 1, marks=FIRST_DRAWS_ONLY_ON_TORCH),
])
def test_few_positives_match_the_references_and_the_sorted_path(name, prefix, monkeypatch):
    loss, reference = LOSSES[name]
    monkeypatch.setattr(first_draws, "DRAW_PREFIX", prefix)
    y = labels_with_few_positives(6, 160, most=8, seed=1)
    rng = np.random.default_rng(2)
    f = rng.normal(size=y.shape).astype("float32")
    f[:, :40] = np.round(f[:, :40])  # ties, some at exactly the margin
    y[2, 5], f[2, 5] = 0.0, -np.inf  # a known negative at -inf violates nothing
    found = {}
    for tiers in ((), (16,), (4, 8, 16)):  # (): always the sort
        monkeypatch.setattr(sorting, "FEW_POSITIVES", tiers)
        found[tiers] = value_and_grad(loss, y, f)
    for tiers, (value, grad) in found.items():
        if reference is not None:
            expected = reference(y, f.astype("float64"))
            np.testing.assert_allclose(value, expected, rtol=2e-5, atol=1e-4, err_msg=tiers)
        np.testing.assert_allclose(value, found[()][0], rtol=1e-5, atol=1e-5, err_msg=tiers)
        np.testing.assert_allclose(grad, found[()][1], rtol=1e-5, atol=1e-5, err_msg=tiers)


def test_sampled_warp_without_a_sort_is_the_papers_estimator():
    """One positive, ``V`` violators among ``N`` negatives: the draws before the first
    violator follow the negative hypergeometric law, so the mean of ``L(floor((c-1)/s))``
    over many seeds is its expectation, computed here from the law."""
    width, violators = 64, 5
    y = np.zeros((1, width), "float32")
    y[0, 0] = 1.0
    f = np.full((1, width), -5.0, "float32")
    f[0, 0] = 0.0
    f[0, 1 : 1 + violators] = 0.5  # hinge 1.5 each; the other negatives violate nothing
    negatives = width - 1
    harmonic = np.concatenate([[0.0], np.cumsum(1.0 / np.arange(1, width + 1))])
    expected, survive = 0.0, 1.0
    for draws in range(1, negatives - violators + 2):  # P(first violator at draw s)
        left = negatives - (draws - 1)
        p_hit = survive * violators / left
        expected += p_hit * harmonic[(width - 1) // draws] * 1.5
        survive *= (left - violators) / left
    # 2,000 copies of the row in one batch: each row draws its own order
    rows = 2000
    values = to_numpy(warp_loss(np.repeat(y, rows, 0), np.repeat(f, rows, 0),
                                rank_estimate="sampled", seed=5))
    assert len(set(values.tolist())) > 5  # different draws per row
    assert sorting.few_positive_tiers(ops.convert_to_tensor(f)) == (8, 16)
    standard_error = np.std(values) / np.sqrt(len(values))
    assert abs(np.mean(values) - expected) < 4 * standard_error


@pytest.mark.parametrize("prefix", [
    pytest.param(1, marks=FIRST_DRAWS_ONLY_ON_TORCH),
    pytest.param(3, marks=FIRST_DRAWS_ONLY_ON_TORCH),
    64,
])
def test_first_violators_at_equal_keys_follow_the_draw_rule(prefix, monkeypatch):
    """Keys from 0 to 3 (ties everywhere): each slot's first violator is its violator of the
    largest key, the smallest label among equal ones (``argmax``'s rule), and its misses the
    negatives of a strictly larger key; a slot without a violator (or with a threshold of
    +inf, an empty slot) has none. Plain loops against both forms (the int64 codes of the
    PyTorch form need int64, which JAX lacks without x64); the PyTorch form looks among the
    first ``prefix`` draws first (1: nearly every slot passes over the row, 64: none)."""
    monkeypatch.setattr(first_draws, "DRAW_PREFIX", prefix)
    rng = np.random.default_rng(11)
    rows, width, few = 4, 40, 5
    scores = rng.normal(size=(rows, width)).astype("float32")
    neg = (rng.random((rows, width)) < 0.7).astype("float32")
    threshold = rng.normal(size=(rows, few)).astype("float32")
    threshold[0, 4] = np.inf
    threshold[1, 0] = 5.0  # nothing passes
    keys = rng.integers(0, 4, size=(rows, width)).astype("int32")
    forms = [warp._first_violators]
    if keras.backend.backend() != "jax":
        forms.append(first_draws.first_violators_by_slot)
    for form in forms:
        label, found, misses = (to_numpy(t) for t in form(
            ops.convert_to_tensor(scores), ops.convert_to_tensor(neg),
            ops.convert_to_tensor(threshold), ops.convert_to_tensor(keys)))
        for r in range(rows):
            for j in range(few):
                passed = [v for v in range(width) if neg[r, v] and scores[r, v] > threshold[r, j]]
                assert bool(found[r, j]) == bool(passed), (form, r, j)
                if not passed:
                    continue
                best = max(keys[r, v] for v in passed)
                assert label[r, j] == min(v for v in passed if keys[r, v] == best)
                assert misses[r, j] == sum(1 for v in range(width) if neg[r, v]
                                           and keys[r, v] > best)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_few_positives_keep_the_nan_rule(name, monkeypatch):
    """NaN or +inf on a known label: the row's loss is NaN; on an unknown label: ignored."""
    loss, reference = LOSSES[name]
    y = labels_with_few_positives(4, 64, most=4, seed=3)
    y[1, :3] = [1.0, 0.0, -1.0]
    y[2, :3] = [1.0, 0.0, -1.0]
    f = np.random.default_rng(4).normal(size=y.shape).astype("float32")
    f[1, 1], f[2, 0], f[3, 2] = np.nan, np.inf, np.nan
    y[3, 2] = -1.0
    finite = [0, 3]
    monkeypatch.setattr(sorting, "FEW_POSITIVES", ())
    sorted_value = keras.ops.convert_to_numpy(loss(y, np.nan_to_num(f)))
    monkeypatch.setattr(sorting, "FEW_POSITIVES", (8,))
    value = keras.ops.convert_to_numpy(loss(y, f))
    assert np.isnan(value[1]) and np.isnan(value[2])
    np.testing.assert_allclose(value[finite], sorted_value[finite], rtol=1e-5, atol=1e-5)
    if reference is not None:
        np.testing.assert_allclose(
            value[finite], reference(y[finite], np.nan_to_num(f[finite]).astype("float64")),
            rtol=2e-5, atol=1e-4,
        )


def spy_on_paths(monkeypatch, module, paths):
    calls = []
    for path in paths:
        original = getattr(module, path)

        def spy(*args, _original=original, _path=path):
            calls.append((_path, args[-1] if "few" in _path or "counted" in _path else None))
            return _original(*args)

        monkeypatch.setattr(module, path, spy)
    return calls


@pytest.mark.parametrize("rank_estimate", ["exact", "sampled"])
def test_the_choice_follows_the_batch(rank_estimate, monkeypatch):
    """The smallest tier holding every row's positives; past the last tier, the sort."""
    if rank_estimate == "exact":
        calls = spy_on_paths(monkeypatch, sorting, ("few_violations", "sorted_path"))
        few, sort = "few_violations", "sorted_path"
    else:
        calls = spy_on_paths(monkeypatch, warp, ("_few_sampled_warp", "_sampled_warp"))
        few, sort = "_few_sampled_warp", "_sampled_warp"
    monkeypatch.setattr(sorting, "FEW_POSITIVES", (2, 4))
    f = ops.convert_to_tensor(np.random.default_rng(0).normal(size=(2, 64)).astype("float32"))
    for most in (2, 4, 5):  # at each tier's bound, then past the last
        y = np.zeros((2, 64), "float32")
        y[1, :most] = 1.0
        assert np.all(np.isfinite(to_numpy(warp_loss(y, f, rank_estimate=rank_estimate))))
    if keras.backend.backend() == "jax":  # lax.cond traces every branch
        assert set(calls) == {(few, 2), (few, 4), (sort, None)}
    else:  # eager: only the branch taken runs
        assert calls == [(few, 2), (few, 4), (sort, None)]
    # a row of fewer than four labels per slot never takes the tier
    assert sorting.few_positive_tiers(ops.zeros((1, 12))) == (2,)


# The edge cases of the base suite, run again with every sorted call taken by the path
# without a sort (few = the label count, exact for any row).
SORT_LOSSES = [
    "pairwise", "pairwise_m0.3", "warp_exact", "warp_exact_m2", "warp_sampled", "triplet",
]
EDGE_TESTS = [
    "test_values_match_reference",
    "test_values_on_more_label_axes",
    "test_gradient_matches_finite_differences",
    "test_rows_without_positive_or_negative_give_zero_and_zero_gradient",
    "test_unknown_labels_take_no_part",
    "test_scores_of_1e4_give_finite_values_and_gradients",
    "test_half_precision_inputs",
    "test_a_batch_of_no_rows_gives_an_empty_result",
    "test_float64_scores",
    "test_rank_1_and_rank_3_inputs_are_rows",
    "test_a_known_negative_at_minus_inf_takes_its_limit",
    "test_nan_or_plus_inf_on_a_known_label_makes_that_row_nan",
    "test_scores_spread_beyond_float32_are_exact_in_float64",
]


def route_every_label(monkeypatch, exact, sampled, sampled_name):
    """Every exact sorted call through ``exact(..., width)`` and every sampled-WARP call past
    the few-positives tiers (``warp.<sampled_name>``) through ``sampled(..., width)``: a
    slot for every label, exact for any row. An unknown width keeps the sort."""
    sorted_path, sampled_path = sorting.sorted_path, warp._sampled_warp

    def every_label(scores, *args):
        width = scores.shape[-1]
        if width is None:
            return sorted_path(scores, *args)
        return exact(scores, *args, width)

    def every_label_sampled(scores, *args):
        width = scores.shape[-1]
        if width is None:
            return sampled_path(scores, *args)
        return sampled(scores, *args, width)

    monkeypatch.setattr(sorting, "FEW_POSITIVES", ())  # every call goes to the sorted path
    monkeypatch.setattr(sorting, "sorted_path", every_label)
    monkeypatch.setattr(warp, sampled_name, every_label_sampled)


@pytest.fixture
def no_sort(monkeypatch):
    route_every_label(monkeypatch, sorting.few_violations, warp._few_sampled_warp,
                      "_sampled_warp")


@pytest.fixture
def searched(monkeypatch):
    """Every exact sorted call through `searched_violations` (JAX's), on any backend."""
    monkeypatch.setattr(sorting, "FEW_POSITIVES", ())
    monkeypatch.setattr(sorting, "sorted_path", sorting.searched_violations)


@pytest.fixture
def counted(monkeypatch):
    """Every exact sorted call through `counted_violations` (JAX's for rows of up to a few
    thousand positives), on any backend; sampled WARP's through `_counted_sampled_warp`."""
    route_every_label(monkeypatch, sorting.counted_violations, warp._counted_sampled_warp,
                      "_sampled_path")


# Sampled WARP's counted path takes exact integer maxima per segment; Keras's PyTorch
# `segment_max` computes them in float32 (keys of 28 bits lose their low bits), so that path
# runs on JAX only (where it is taken) and is checked on JAX and TensorFlow.
COUNTED_SAMPLED = keras.backend.backend() != "torch"


@pytest.mark.parametrize("test", EDGE_TESTS)
@pytest.mark.parametrize("name", SORT_LOSSES)
def test_the_edge_cases_hold_without_the_sort(name, test, no_sort):
    run_edge_test(name, test)


@pytest.mark.parametrize("test", EDGE_TESTS)
@pytest.mark.parametrize("name", [n for n in SORT_LOSSES if n != "warp_sampled"])
def test_the_edge_cases_hold_with_the_sort_searched_back(name, test, searched):
    run_edge_test(name, test)


@pytest.mark.parametrize("test", EDGE_TESTS)
@pytest.mark.parametrize(
    "name", [n for n in SORT_LOSSES if n != "warp_sampled" or COUNTED_SAMPLED]
)
def test_the_edge_cases_hold_with_only_the_positives_sorted(name, test, counted):
    run_edge_test(name, test)


@pytest.mark.parametrize("name", ["pairwise", "warp"])
def test_counted_rows_match_the_references_and_the_sorted_path(name):
    """Up to 30 positives a row, in slots of 32 (some empty), ties, a negative at -inf."""
    loss, reference = LOSSES[name]
    y = labels_with_few_positives(6, 256, most=30, seed=7)
    f = np.random.default_rng(8).normal(size=y.shape).astype("float32")
    f[:, :80] = np.round(f[:, :80] * 2) / 2  # ties, some at exactly the margin
    y[2, 5], f[2, 5] = 0.0, -np.inf
    scores, pos, neg = (ops.convert_to_tensor(x) for x in prepare_both(y, f))
    rank_weight = (lambda r: ops.ones_like(r)) if name == "pairwise" else warp_weight(256)
    values = {}
    for path in ("sorted", "counted"):
        def total(x, _path=path):
            if _path == "sorted":
                return sorting.sorted_violations(x, pos, neg, 1.0, rank_weight)
            return sorting.counted_violations(x, pos, neg, 1.0, rank_weight, 32)
        values[path] = (to_numpy(total(scores)),
                        value_and_gradient(lambda x, t=total: ops.sum(t(x)), f)[1])
    expected = reference(y, f.astype("float64"))
    np.testing.assert_allclose(values["counted"][0], expected, rtol=2e-5, atol=1e-4)
    np.testing.assert_allclose(values["counted"][0], values["sorted"][0], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(values["counted"][1], values["sorted"][1], rtol=1e-5, atol=1e-5)


@pytest.mark.skipif(not COUNTED_SAMPLED, reason="the counted sampled path is JAX's")
def test_counted_sampled_warp_takes_the_same_draws_as_the_sort(monkeypatch):
    """Up to 30 positives a row in 32 slots: the same values and gradients as the sort of
    the keys, with the same keys (ties, a negative at -inf, a row with no positive)."""
    y = labels_with_few_positives(8, 256, most=30, seed=9)
    f = np.random.default_rng(10).normal(size=y.shape).astype("float32")
    f[:, :80] = np.round(f[:, :80] * 2) / 2
    y[2, 5], f[2, 5] = 0.0, -np.inf
    monkeypatch.setattr(sorting, "FEW_POSITIVES", ())
    found = {}
    for size in (None, 32):
        if size is not None:
            monkeypatch.setattr(
                warp, "_sampled_path",
                lambda *args, _size=size: warp._counted_sampled_warp(*args, _size),
            )
        found[size] = value_and_grad(sampled_warp, y, f)
    assert np.count_nonzero(found[None][0]) >= 5
    np.testing.assert_allclose(found[32][0], found[None][0], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(found[32][1], found[None][1], rtol=1e-5, atol=1e-5)


def prepare_both(y, f):
    """The losses' float masks, from the label convention (1 positive, 0 negative)."""
    return f, (y > 0.5).astype("float32"), (y == 0.0).astype("float32")


def warp_weight(width):
    harmonic = np.concatenate([[0.0], np.cumsum(1.0 / np.arange(1, width + 1))])

    def rank_weight(rank):  # L(r) / r, 0 at r = 0
        return ops.take(ops.convert_to_tensor(harmonic.astype("float32")),
                        ops.cast(rank, "int32")) / ops.maximum(rank, ops.ones_like(rank))

    return rank_weight


def run_at_each_tier(loss):
    """``loss`` on batches whose fullest row has 2, 4 and 5 positives (a few tier of 2, a
    counted tier of 4, past both): finite values each time."""
    f = ops.convert_to_tensor(np.random.default_rng(0).normal(size=(2, 64)).astype("float32"))
    for most in (2, 4, 5):
        y = np.zeros((2, 64), "float32")
        y[1, :most] = 1.0
        assert np.all(np.isfinite(to_numpy(loss(y, f))))


def test_jax_counts_rows_of_up_to_a_few_thousand_positives(monkeypatch):
    """On JAX: few positives compared, up to a counted tier counted, past it sorted and
    searched back; elsewhere the sort (``top_k``) past the few-positives tiers."""
    calls = spy_on_paths(monkeypatch, sorting, ("few_violations", "counted_violations",
                                                "searched_violations", "sorted_violations"))
    monkeypatch.setattr(sorting, "FEW_POSITIVES", (2,))
    monkeypatch.setattr(sorting, "COUNTED_POSITIVES", (4,))
    run_at_each_tier(pairwise_hinge_loss)
    if keras.backend.backend() == "jax":  # lax.cond traces every branch
        assert set(calls) == {("few_violations", 2), ("counted_violations", 4),
                              ("searched_violations", None)}
    else:
        assert calls == [("few_violations", 2), ("sorted_violations", None),
                         ("sorted_violations", None)]
    # a tier needs eight labels a slot
    assert sorting.counted_tiers(ops.zeros((1, 31))) == ()
    assert sorting.counted_tiers(ops.zeros((1, 32))) == (4,)


def test_jax_counts_sampled_warp_rows_too(monkeypatch):
    """Sampled WARP takes the same tiers: the few path, then (on JAX) the counted one, then
    the sort of the keys."""
    calls = spy_on_paths(monkeypatch, warp, ("_few_sampled_warp", "_counted_sampled_warp",
                                             "_sampled_warp"))
    monkeypatch.setattr(sorting, "FEW_POSITIVES", (2,))
    monkeypatch.setattr(sorting, "COUNTED_POSITIVES", (4,))
    run_at_each_tier(sampled_warp)
    if keras.backend.backend() == "jax":
        assert set(calls) == {("_few_sampled_warp", 2), ("_counted_sampled_warp", 4),
                              ("_sampled_warp", None)}
    else:
        assert calls == [("_few_sampled_warp", 2), ("_sampled_warp", None),
                         ("_sampled_warp", None)]


def run_edge_test(name, test):
    fn = getattr(test_base, test)
    for mark in getattr(fn, "pytestmark", []):  # the base test's own cases and skips
        if mark.name == "parametrize" and mark.args[0] == "name" and name not in mark.args[1]:
            pytest.skip(f"{test} does not run {name}")
        if mark.name == "skipif" and mark.args[0]:
            pytest.skip(mark.kwargs.get("reason", "skipped in the base suite"))
    if "integer_scores" in inspect.signature(fn).parameters:
        for integer_scores in (False, True):
            fn(name, integer_scores)
    elif "dtype" in inspect.signature(fn).parameters:
        for dtype in ("float16", "bfloat16"):
            fn(name, dtype)
    else:
        fn(name)
