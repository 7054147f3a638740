"""The importer against its gold standards (kb.ingest.evaluate, ``make eval-import``).

The targets of issue #18 on the hand-made samples (tests/ingest_eval) and on the texts
written after the importer (tests/ingest_eval/unseen): speaker turns >= 95 %, chrome
recall >= 80 % at precision >= 95 %, quote precision >= 90 % and recall >= 85 %, the
right person for >= 90 % of the quotes found, and no person made from a title, a company
or a heading.  No database: the scorer runs the pipeline only.
"""

import shutil
from pathlib import Path

import pytest

from kb.ingest.evaluate import DEFAULT_DIR, evaluate, main

SETS = {"samples": DEFAULT_DIR, "unseen": DEFAULT_DIR / "unseen"}


@pytest.mark.parametrize("name", SETS)
def test_the_importer_meets_the_targets(name):
    total, each = evaluate(SETS[name])
    assert len(each) >= 6
    assert total.problems == []  # every gold item is found in its text
    assert total.turns >= 0.95, total.figures()
    assert total.chrome_precision >= 0.95 and total.chrome_recall >= 0.80, total.figures()
    assert total.quote_precision >= 0.90 and total.quote_recall >= 0.85, total.figures()
    assert total.attribution >= 0.90, total.figures()
    assert total.wrong_people == []


def test_the_sample_set_is_varied():
    names = [path.name for path in DEFAULT_DIR.glob("*.gold.yaml")]
    assert len(names) >= 12
    for kind in ("news_", "zh_", "chrome_", "speech_", "essay_"):
        assert any(name.startswith(kind) for name in names), kind


def test_a_wrong_importer_scores_low(tmp_path):
    # The scorer can fail: the same text with a gold standard naming other speakers and
    # other chrome scores badly on each figure.
    shutil.copy(DEFAULT_DIR / "news_analysts.txt", tmp_path / "wrong.txt")
    (tmp_path / "wrong.gold.yaml").write_text(
        "meta: {kind: article}\n"
        "new_people: []\n"
        'chrome: ["The company will report full results later this month."]\n'
        'turns: [{at: "Xiaomi shipped", speaker: Lei Jun}]\n'
        "quotes:\n"
        '  - {words: "Shipments are not sell-through", speaker: Neil Shah}\n'
        '  - {words: "Xiaomi shipped more smartphones", speaker: Lei Jun}\n',
        encoding="utf-8",
    )
    total, _ = evaluate(tmp_path)
    assert total.turns < 0.5
    assert total.chrome_recall == 0 and total.chrome_precision < 0.5
    assert total.quote_precision < 0.2 and total.quote_recall == 0.5
    assert total.attribution == 0
    assert len(total.wrong_people) == 3  # Will Wong, Toby Zhu, Neil Shah are not listed


def test_the_command_prints_the_figures(capsys, tmp_path):
    assert main([str(DEFAULT_DIR), "--verbose"]) == 0
    out = capsys.readouterr().out
    for words in ("turns", "chrome P", "quotes P", "right person", "wrong people"):
        assert words in out
    assert "news_analysts.txt" in out
    assert main([str(tmp_path)]) == 2  # no samples: said, not a crash


def test_a_gold_item_missing_from_its_text_is_reported(tmp_path):
    (tmp_path / "one.txt").write_text("Title\n\nSome text.\n", encoding="utf-8")
    (tmp_path / "one.gold.yaml").write_text(
        'quotes: [{words: "not in the text", speaker: null}]\n', encoding="utf-8"
    )
    total, _ = evaluate(Path(tmp_path))
    assert total.problems and "not in the text" in total.problems[0]
