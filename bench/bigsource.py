"""The ``bigsource`` part: one generated source of ``--size-mb`` (20 MB by default) everywhere.

(The measuring code follows the generator; see ``bench_bigsource``.)
"""

from __future__ import annotations

import random

from bench.corpus import WORDS, paragraph, sentence

INTERVIEWEE = "Lei Jun"


def big_interview_text(size_bytes: int, seed: int = 22) -> str:
    """A book-length interview of about ``size_bytes`` (ASCII, so bytes = characters): a
    title, then questions by Fortune and labelled answers by Lei Jun, each answer cut into
    quotes by the importer (about 5,000 quotes and 3,000 passages a MB)."""
    rng = random.Random(seed)
    parts = [f"{INTERVIEWEE} on the long road (a generated interview)", "", "Interviewer: Fortune"]
    size = sum(len(part) + 1 for part in parts)
    while size < size_bytes:
        question = f"Fortune: {sentence(rng)[:-1]} {' '.join(rng.choices(WORDS, k=5))}?"
        answer = f"{INTERVIEWEE}: {paragraph(rng, rng.randint(2, 8))}"
        for part in ("", question, "", answer):
            parts.append(part)
            size += len(part) + 1
    return "\n".join(parts) + "\n"
