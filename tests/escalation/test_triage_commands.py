"""manage.py triage and triage_report: JSON lines in, assessments and metrics out."""

import io
import json

import pytest
from django.core.management import call_command


def test_triage_writes_one_line_per_input_and_reports_bad_lines(tmp_path):
    path = tmp_path / "posts.jsonl"
    path.write_text(
        '{"id": 1, "text": "I am going to kill myself tonight"}\n'
        "not json\n"
        '{"id": 3}\n'
        '{"id": 4, "text": "this deadline is killing me"}\n',
        encoding="utf-8",
    )
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("triage", "--jsonl", str(path), stdout=out, stderr=err)
    assert exit_info.value.code == 1
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(row["id"], row["level"]) for row in rows] == [(1, "imminent"), (4, "none")]
    assert set(rows[0]) >= {"text", "level", "score", "categories", "rules"}
    assert rows[0]["rules"][0]["spans"]
    assert "line 2: not valid JSON" in err.getvalue()
    assert 'line 3: expected a JSON object with a string "text" field' in err.getvalue()


def test_triage_clean_input_exits_normally(tmp_path):
    path = tmp_path / "posts.jsonl"
    path.write_text('{"text": "hello all"}\n', encoding="utf-8")
    out = io.StringIO()
    call_command("triage", "--jsonl", str(path), stdout=out)
    assert json.loads(out.getvalue())["level"] == "none"


def test_triage_report_prints_the_metrics(tmp_path):
    path = tmp_path / "labelled.jsonl"
    rows = [
        {"text": "I want to kill myself", "level": "high", "split": "heldout", "tags": []},
        {"text": "my phone is dead", "level": "none", "split": "heldout", "tags": ["idiom"]},
        {"text": "ignored", "level": "none", "split": "dev", "tags": []},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = io.StringIO()
    call_command("triage_report", "--jsonl", str(path), "--split", "heldout", stdout=out)
    text = out.getvalue()
    assert "posts: 2" in text
    assert "macro-F1:" in text
    assert "recall of high+imminent:              1.000" in text
    assert "imminent rated moderate or lower:     0" in text
    assert "idioms rated moderate+:               0.000 of 1" in text
    assert "confusion" in text
