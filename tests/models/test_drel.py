"""DREL's online learning: new tags keep the old tags' scores."""

import keras
import numpy as np
import pytest

import mlrank_keras as mk
from tests.helpers import to_numpy
from tests.models import builders, toy


def test_adding_tags_keeps_old_scores_and_trains_the_new_ones():
    model, x, y = builders.tiny("drel")
    model.fit(x, y, batch_size=32, epochs=5, verbose=0)
    before = to_numpy(model.predict(x, verbose=0))
    grown = mk.add_tags(model, 3, seed=0, optimizer=keras.optimizers.Adam(1e-2))
    after = to_numpy(grown.predict(x, verbose=0))
    assert after.shape == (len(x), 9)
    np.testing.assert_allclose(after[:, :6], before, rtol=1e-6, atol=1e-6)
    # The grown model learns the new tags (online learning): its loss falls.
    _, y_new = toy.features(num_labels=9, seed=0)
    history = grown.fit(x, y_new, batch_size=32, epochs=20, verbose=0).history["loss"]
    assert history[-1] < 0.8 * history[0]
    with pytest.raises(ValueError, match="DREL model"):
        mk.add_tags(builders.tiny("wsabie")[0], 2)
    with pytest.raises(ValueError, match="same latent size"):
        mk.build_drel(16, 4, image_units=(8, 4), tag_units=(8, 5))


def test_wsabie_keeps_its_norm_constraint():
    model, x, y = builders.tiny("wsabie")
    model.optimizer.learning_rate.assign(1.0)
    model.fit(x, y, batch_size=32, epochs=3, verbose=0)
    tags = to_numpy(model.get_layer("tag_embeddings").kernel)
    assert (np.linalg.norm(tags, axis=0) <= 1.0 + 1e-5).all()


def test_wsabie_arguments_are_checked_when_built():
    """Issue 14, item 15: max_norm=-1 shrank every embedding to 0, "a" failed inside fit,
    and NumPy integers were refused."""
    import numpy as np
    import pytest

    with pytest.raises(ValueError, match="max_norm=-1.0"):
        mk.build_wsabie(16, 5, max_norm=-1.0)
    with pytest.raises(ValueError, match="max_norm='a'"):
        mk.build_wsabie(16, 5, max_norm="a")
    model = mk.build_wsabie(np.int64(16), np.int64(5), embedding_dim=np.int32(4))
    assert model.output_shape == (None, 5)
    with pytest.raises(ValueError, match="`num_tags` must be a positive int"):
        mk.build_wsabie(16, True)
