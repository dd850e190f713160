"""The benchmark's contract: report files and ONE JSON object on the last stdout line."""
import json

import pytest

from nlg import bench

KEYS = {"ser_before_guard", "guard_pass_rate", "distinct2", "template_distinct2", "bleu", "template_bleu",
        "p50_ms", "p95_ms", "n"}


@pytest.mark.slow  # a whole benchmark run (about 30 s): `make test` runs it, `make unit` does not
def test_bench_writes_reports_and_ends_with_one_json_line(tiny_phraser_dir, tmp_path, capsys):
    rc = bench.main(["--model-dir", str(tiny_phraser_dir), "--draws", "1", "--out", str(tmp_path), "--budget-ms", "5000"])
    assert rc == 0
    out = capsys.readouterr().out.strip().splitlines()
    summary = json.loads(out[-1])
    assert KEYS <= set(summary)
    assert summary["n"] >= 20 and summary["ungrounded"] == 0
    assert 0 <= summary["guard_pass_rate"] <= 1 and summary["p95_ms"] >= summary["p50_ms"] > 0
    md = (tmp_path / "nlg.md").read_text()
    assert "| metric | phraser | templates |" in md
    assert (tmp_path / "nlg.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((tmp_path / "nlg.json").read_text())["summary"] == summary


def test_bench_without_a_model_says_what_to_do(tmp_path, capsys):
    assert bench.main(["--model-dir", str(tmp_path / "none"), "--out", str(tmp_path)]) == 2
    assert "make train-phraser" in capsys.readouterr().err
