"""A generated corpus that looks like the real one: interviews, profiles and essays.

Texts are built from a fixed vocabulary with a seeded random generator, so a run is
repeatable. Each text has what the importer must handle: titles, page metadata, speaker
labels, unlabelled questions, quoted speech with attributions, long paragraphs, chrome.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

WORDS = (
    "phone market users price product company engineers factory quality design "
    "growth India China Europe software service retail online store partner supply "
    "chip camera battery screen system performance sincerity friend community fans "
    "efficiency model internet ecosystem hardware smart home television brand speed "
    "focus extreme reputation cost innovation strategy team investor valuation"
).split()
PEOPLE = ["Lei Jun", "Lin Bin", "Wang Chuan", "Hugo Barra", "Liu De", "Li Wanqiang"]
ANALYSTS = ["an analyst", "a person close to the company", "people familiar with the matter"]
VERBS = ["said", "added", "explained", "noted"]


def sentence(rng: random.Random, low: int = 8, high: int = 24) -> str:
    words = rng.choices(WORDS, k=rng.randint(low, high))
    words[0] = words[0].capitalize()
    return " ".join(words) + rng.choice([".", ".", ".", "!", "?"]).replace("?", ".")


def paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(sentence(rng) for _ in range(sentences))


def interview(rng: random.Random, n: int) -> str:
    guest = rng.choice(PEOPLE)
    parts = [f"{guest} on {rng.choice(WORDS)} and {rng.choice(WORDS)} ({n})", "", paragraph(rng, 4)]
    for turn in range(rng.randint(6, 14)):
        question = paragraph(rng, 1)[:-1] + " " + " ".join(rng.choices(WORDS, k=6)) + "?"
        label = f"{guest.lower()}: " if turn == 0 else ""
        parts += ["", question, "", label + paragraph(rng, rng.randint(2, 12))]
    return "\n".join(parts) + "\n"


def profile(rng: random.Random, n: int) -> str:
    parts = [f"The {rng.choice(WORDS)} of {rng.choice(WORDS)} ({n})", "", "Source: Internet"]
    for _ in range(rng.randint(5, 12)):
        who = rng.choice(PEOPLE + ANALYSTS)
        quoted = paragraph(rng, rng.randint(1, 2))[:-1]
        verb = rng.choice(VERBS)
        parts += ["", f'{paragraph(rng, 3)} "{quoted}," {verb} {who}. {paragraph(rng, 2)}']
    parts += ["", "Related Article", "", "Contact Us", ""]
    return "\n".join(parts)


def essay(rng: random.Random, n: int) -> str:
    # One long paragraph, as in the seed essay: the importer splits it at sentences.
    return f"On {rng.choice(WORDS)} ({n})\n\n" + paragraph(rng, rng.randint(40, 120)) + "\n"


def generate_texts(total_bytes: int, seed: int = 7) -> Iterator[tuple[str, str]]:
    """(file name, text) pairs until about ``total_bytes`` of UTF-8 have been produced."""
    rng = random.Random(seed)
    produced = n = 0
    builders = (interview, profile, essay)
    while produced < total_bytes:
        n += 1
        text = builders[n % len(builders)](rng, n)
        produced += len(text.encode("utf-8"))
        yield f"bench_{n:06d}.txt", text
