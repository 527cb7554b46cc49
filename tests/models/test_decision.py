"""Li's label decision: heads on frozen features and the composed, saveable model."""

import keras
import numpy as np

import mlrank_keras as mk
from tests.helpers import to_numpy
from tests.metrics import references
from tests.models import builders


def test_count_and_threshold_heads_compose_into_a_saveable_decision_model(tmp_path):
    # Any ranker composes (build_ranker's "features"); a tiny AlexNet compiles in a tenth
    # of VGG16's time, and LSEP + VGG16 trains in test_builders.
    ranker, x, y = builders.tiny("warp_alexnet")
    ranker.fit(x, y, batch_size=16, epochs=2, verbose=0)
    extractor = mk.models.ranker_features(ranker)
    features = to_numpy(extractor.predict(x, verbose=0))
    scores = to_numpy(ranker.predict(x, verbose=0))

    count_head = mk.build_label_count_head(features.shape[1], max_count=4)
    history = count_head.fit(features, y, epochs=30, verbose=0).history["loss"]
    assert history[-1] < history[0]
    threshold_head = mk.build_threshold_head(features.shape[1], 4)
    history = threshold_head.fit([features, scores], y, epochs=30, verbose=0).history["loss"]
    assert history[-1] < history[0]

    counted = mk.build_label_decision_model(ranker, count_head=count_head)
    labels = to_numpy(counted.predict(x[:10], verbose=0))
    counts = np.argmax(to_numpy(count_head.predict(features[:10], verbose=0)), axis=1) + 1
    for i in range(10):
        expected = np.zeros(4)
        expected[references.top_k_sets(scores[i : i + 1], counts[i])[0]] = 1
        np.testing.assert_array_equal(labels[i], expected)

    thresholded = mk.build_label_decision_model(ranker, threshold_head=threshold_head)
    margins = to_numpy(threshold_head.predict([features[:10], scores[:10]], verbose=0))
    np.testing.assert_array_equal(
        to_numpy(thresholded.predict(x[:10], verbose=0)), (margins > 0).astype("float32")
    )

    path = tmp_path / "decision.keras"
    thresholded.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_array_equal(
        to_numpy(loaded.predict(x[:10], verbose=0)),
        to_numpy(thresholded.predict(x[:10], verbose=0)),
    )
    top2 = mk.build_label_decision_model(ranker, k=2)
    assert (to_numpy(top2.predict(x[:10], verbose=0)).sum(axis=1) == 2).all()
