"""Summarise a `rasa test core --e2e` run: conversations and actions predicted right.

    python scripts/e2e_summary.py .run/e2e
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml


def main(out_dir: str) -> int:
    out = Path(out_dir)
    failed = yaml.safe_load((out / "failed_test_stories.yml").read_text() or "") if (out / "failed_test_stories.yml").exists() else None
    n_failed = len((failed or {}).get("stories", []) or []) if isinstance(failed, dict) else 0
    report = json.loads((out / "story_report.json").read_text())
    conv = report.get("conversation_accuracy", {})
    total = conv.get("total", 0)
    correct = conv.get("correct", total - n_failed)
    print(f">> e2e test stories: {correct} of {total} conversations right; action accuracy "
          f"{report.get('accuracy', report.get('micro avg', {}).get('f1-score', 'n/a'))}")
    return 0 if correct == total and total > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else ".run/e2e"))
