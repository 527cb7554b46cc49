from mlrank_keras import demo, metrics


def test_demo_trains_every_loss_and_prints_the_papers_table(capsys):
    demo.main(["--epochs", "1", "--rows", "256"])
    out = capsys.readouterr().out.splitlines()
    header = out.index(next(line for line in out if line.startswith("method")))
    assert out[header].split()[1:] == list(metrics.REPORT_KEYS)
    rows = out[header + 1 :]
    assert len(rows) == len(demo.LOSSES) + 1 and rows[0].startswith("upper bound")
    for line in rows:
        values = [float(v) for v in line.split()[-len(metrics.REPORT_KEYS) :]]
        assert all(0.0 <= v <= 100.0 for v in values[:7] + values[8:])
        assert 0 <= values[7] <= 20  # N+ of 20 labels
