import re

import pytest

from mlrank_keras import demo


def test_demo_trains_every_loss_and_prints_precision(capsys):
    demo.main(["--epochs", "1", "--rows", "256"])
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if re.search(r"\d+\.\d{3}\s+\d+\.\d$", line)]
    assert len(rows) == len(demo.LOSSES)
    for line in rows:
        precision, recall = float(line.split()[-3]), float(line.split()[-2])
        assert 0.0 <= precision <= 1.0 and 0.0 <= recall <= 1.0


def test_precision_at_k_hand_worked():
    import numpy as np

    y = np.array([[1, 0, 1, 0], [0, 0, 0, 1]], dtype="float32")
    scores = np.array([[0.9, 0.8, 0.1, 0.0], [0.1, 0.2, 0.3, 0.4]])
    # Row 1 top-2 = labels 0, 1 -> one hit; row 2 top-2 = labels 3, 2 -> one hit.
    assert demo.precision_at_k(y, scores, k=2) == 0.5


def test_per_class_recall_at_k_hand_worked():
    import numpy as np

    y = np.array([[1, 0, 1], [1, 0, 0], [0, 0, 1]], dtype="float32")
    scores = np.array([[0.9, 0.8, 0.1], [0.5, 0.9, 0.1], [0.1, 0.2, 0.3]])
    # Top-1: label 0, label 1, label 2. Label 0: 1 of 2 true found; label 1 never true
    # (counts 0); label 2: 1 of 2 found. Mean over the 3 labels: (0.5 + 0 + 0.5) / 3.
    assert demo.per_class_recall_at_k(y, scores, k=1) == pytest.approx(1 / 3)
