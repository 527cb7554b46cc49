import re

from mlrank_keras import demo


def test_demo_trains_every_loss_and_prints_precision(capsys):
    demo.main(["--epochs", "1", "--rows", "256"])
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if re.search(r"\d+\.\d{3}\s+\d+\.\d$", line)]
    assert len(rows) == len(demo.LOSSES)
    for line in rows:
        precision = float(line.split()[-2])
        assert 0.0 <= precision <= 1.0


def test_precision_at_k_hand_worked():
    import numpy as np

    y = np.array([[1, 0, 1, 0], [0, 0, 0, 1]], dtype="float32")
    scores = np.array([[0.9, 0.8, 0.1, 0.0], [0.1, 0.2, 0.3, 0.4]])
    # Row 1 top-2 = labels 0, 1 -> one hit; row 2 top-2 = labels 3, 2 -> one hit.
    assert demo.precision_at_k(y, scores, k=2) == 0.5
