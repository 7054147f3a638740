"""Write kb/search/fold_table.json: traditional Chinese characters to simplified (OpenCC's
character table, ``t2s``), one character for one, for ``kb.search.documents.fold``.

The table is data shipped with the code, so the site needs no OpenCC at run time (the
pure-Python ``opencc`` takes seconds to convert the table, too slow for a first search).
Run it again after upgrading ``opencc-python-reimplemented`` (requirements.txt; the
official ``OpenCC`` package installs the same ``opencc`` module, so only one is pinned), then bump
``documents.SCHEMA_VERSION`` if the table changed: ``python scripts/make_fold_table.py``.
"""

import json
from pathlib import Path

import opencc

RANGES = [(0x3400, 0x4DC0), (0x4E00, 0xA000), (0xF900, 0xFB00)]
OUT = Path(__file__).resolve().parent.parent / "kb" / "search" / "fold_table.json"


def main() -> None:
    chars = [chr(code) for lo, hi in RANGES for code in range(lo, hi)]
    # One character a line: OpenCC converts each alone (its phrase table needs neighbours).
    converted = opencc.OpenCC("t2s").convert("\n".join(chars)).split("\n")
    assert len(converted) == len(chars)
    table = {
        before: after
        for before, after in zip(chars, converted, strict=True)
        if len(after) == 1 and after != before
    }
    OUT.write_text(json.dumps(table, ensure_ascii=False, sort_keys=True, indent=0) + "\n")
    print(f"{len(table)} characters folded: {OUT}")


if __name__ == "__main__":
    main()
