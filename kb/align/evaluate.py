"""`make eval-align`: the aligner scored against the hand-made gold of
tests/align_samples/ (each pair: zh.txt, en.txt, gold.json; aliases.json shared).

gold.json lists, for each original sentence in order, the indices of the translation
sentences it aligns to ([] for a sentence the translation lacks). An original sentence
is correct when its link covers exactly those translation sentences."""

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from kb.align.core import align_texts
from kb.align.text import paragraph_spans, split_sentences_en, split_sentences_zh

SAMPLES = Path(__file__).resolve().parents[2] / "tests" / "align_samples"


@dataclass
class PairScore:
    name: str
    correct: int
    total: int
    failures: list[str]

    @property
    def share(self) -> float:
        return self.correct / self.total if self.total else 1.0


def score_pair(directory: Path, aliases: list[tuple[str, str]]) -> PairScore:
    zh_text = (directory / "zh.txt").read_text(encoding="utf-8")
    en_text = (directory / "en.txt").read_text(encoding="utf-8")
    gold = json.loads((directory / "gold.json").read_text(encoding="utf-8"))
    zh_sentences = split_sentences_zh(zh_text)
    en_sentences = split_sentences_en(en_text)
    if len(gold) != len(zh_sentences):
        raise ValueError(
            f"{directory.name}: gold has {len(gold)} sentences, the splitter finds {len(zh_sentences)}"
        )
    alignment = align_texts(
        zh_text, paragraph_spans(zh_text), en_text, paragraph_spans(en_text), aliases
    )
    predicted = {}
    for link in alignment.sentences:
        ens = [
            k
            for k, (a, b) in enumerate(en_sentences)
            if link.translation[0] <= a and b <= link.translation[1] and a < b
        ]
        if link.translation[0] == link.translation[1]:
            ens = []
        for k, (a, b) in enumerate(zh_sentences):
            if link.original[0] <= a and b <= link.original[1]:
                predicted[k] = (ens, link)
    correct, failures = 0, []
    for k, expected in enumerate(gold):
        got, link = predicted.get(k, ([], None))
        if sorted(got) == sorted(expected):
            correct += 1
        else:
            a, b = zh_sentences[k]
            failures.append(
                f"  {directory.name} #{k} {zh_text[a:b][:30]!r}: expected {expected}, got {got}"
                + (f" ({link.kind}, confidence {link.confidence})" if link else "")
            )
    return PairScore(directory.name, correct, len(gold), failures)


def evaluate(samples: Path = SAMPLES) -> list[PairScore]:
    aliases = [tuple(pair) for pair in json.loads((samples / "aliases.json").read_text("utf-8"))]
    return [score_pair(d, aliases) for d in sorted(samples.iterdir()) if (d / "gold.json").exists()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=Path, default=SAMPLES)
    args = parser.parse_args(argv)
    if not args.samples.is_dir():
        print(f"error: no samples directory at {args.samples}", file=sys.stderr)
        return 2
    try:
        scores = evaluate(args.samples)
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for score in scores:
        print(f"{score.name:20} {score.correct:3}/{score.total:<3} {score.share:6.1%}")
    correct = sum(s.correct for s in scores)
    total = sum(s.total for s in scores)
    print(f"{'overall':20} {correct:3}/{total:<3} {correct / max(total, 1):6.1%}")
    failures = [f for s in scores for f in s.failures]
    if failures:
        print("failures:")
        print("\n".join(failures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
