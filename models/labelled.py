"""Labelled texts for many-to-one classifiers: surnames by language, and sentence sentiment.

    surnames()        2,400 surnames, 300 in each of 8 languages, read from
                      `models/data/surnames.json` (cut from the name lists of the Faker package)
    sentiment(seed)   generated review sentences, positive or negative, whose class a
                      "not"/"never" near the start or a "but" clause near the end decides

A many-to-one model reads a whole text one character at a time and is scored only on its last
step's class readout, so whatever decides the class has to be carried to the end.

Surnames. Faker (MIT License) ships surname lists in its locale person providers,
`faker.providers.person.<locale>.Provider`: a tuple, or a dict of name -> weight. Cleaning:

  - NFC-normalise and strip; keep single words of letters (accented letters too), joined at
    most by an apostrophe or a hyphen ("O'Connor", "Coret-Coredo"). This drops "Da Silva",
    "van der Dussen", "Koch II" and Dutch lists' medieval "Gepa van Bourgondië";
  - drop a name found in two languages, compared without case and accents ("Martin" is listed
    as English and French; French "Martinez" is Spanish "Martínez"), dedupe, sort;
  - keep 300 of each language: the sorted names shuffled by one seeded numpy generator, in
    the order of `SURNAME_SOURCES`, then sorted again.

Usable names per language after cleaning (of `listed` entries; see the file's `counts`):
English 469 of 500, French 326 of 400, German 361 of 406, Italian 1,151 of 1,164, Spanish
1,011 of 1,085, Polish 3,837 of 3,890, Dutch 649 of 1,130 (many are several words), Finnish 397
of 400.
Japanese was dropped: ja_JP has only 50 romanized surnames. Finnish (fi_FI) took its place.
Polish reads both pl_PL lists: `male_last_names` (the -ski forms) and `unisex_last_names`.

`python -m models.labelled --write` rewrites the committed file from the installed Faker, so the
app never needs Faker; `python -m models.labelled` checks that the file is what the installed
Faker gives (a Faker release that only bumps the version, with the same names, passes).

Sentiment. `sentiment(seed)` builds sentences from the word lists below, all lowercase ASCII
letters and spaces, at most 60 characters, half of each class, no sentence twice:

    the soup was really superb                      positive
    the film was not bad                            positive (a negation flips the word)
    we never enjoyed this phone                     negative
    the start was slow but the ending was great     positive (the clause after "but" decides)

`sentiment_rule` states the rule a model must learn, from the text alone; the generator builds
each label from its own choices, and the tests check the two agree.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import importlib.metadata
import json
import re
import sys
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

DATA_DIR = Path(__file__).resolve().parent / "data"
SURNAME_FILE = DATA_DIR / "surnames.json"

# Surnames: class label -> (Faker locale, the provider's attributes listing surnames).
SURNAME_SOURCES: dict[str, tuple[str, tuple[str, ...]]] = {
    "English": ("en_GB", ("last_names",)),
    "French": ("fr_FR", ("last_names",)),
    "German": ("de_DE", ("last_names",)),
    "Italian": ("it_IT", ("last_names",)),
    "Spanish": ("es_ES", ("last_names",)),
    "Polish": ("pl_PL", ("male_last_names", "unisex_last_names")),
    "Dutch": ("nl_NL", ("last_names",)),
    "Finnish": ("fi_FI", ("last_names",)),
}
SURNAMES_PER_CLASS = 300  # every language has more usable names than this
MIN_SURNAMES_PER_CLASS = 100  # a language with fewer usable names does not belong here
SURNAME_SEED = 0
NAME_PATTERN = re.compile(r"[^\W\d_]+(?:['-][^\W\d_]+)*")  # letters, inner ' or - allowed

# Sentiment: the word lists. Word polarity: 0 negative, 1 positive (the class indices).
SENTIMENT_CLASSES = ("negative", "positive")
SUBJECTS = (
    "the film",
    "this phone",
    "the soup",
    "the hotel",
    "the book",
    "the concert",
    "this laptop",
    "the service",
    "the meal",
    "the game",
)
ASPECTS = (  # parts of one thing, contrasted in "... but ..." sentences
    ("the start", "the ending", "the plot", "the acting", "the music"),
    ("the food", "the service", "the soup", "the staff", "the price"),
    ("the screen", "the battery", "the camera", "the price", "the case"),
    ("the room", "the view", "the staff", "the breakfast", "the bed"),
)
ADJECTIVES = (
    ("bad", "awful", "terrible", "poor", "dreadful", "horrible", "dull", "boring", "slow"),
    ("good", "great", "lovely", "superb", "excellent", "wonderful", "brilliant", "nice", "perfect"),
)
VERBS = (  # (present, past)
    (("hate", "hated"), ("dislike", "disliked"), ("loathe", "loathed"), ("detest", "detested")),
    (("love", "loved"), ("like", "liked"), ("enjoy", "enjoyed"), ("adore", "adored")),
)
PEOPLE = ("i", "we", "my friend", "they")
COPULAS = ("was", "is")
INTENSIFIERS = ("very", "really", "truly", "so")
NEGATIONS = ("not", "never")
MAX_SENTENCE = 60  # characters
NEGATION_RATE = 0.4  # share of clauses whose sentiment word a negation flips
SENTIMENT_WORDS: dict[str, int] = {
    **{word: polarity for polarity, words in enumerate(ADJECTIVES) for word in words},
    **{form: polarity for polarity, verbs in enumerate(VERBS) for forms in verbs for form in forms},
}


@dataclass(frozen=True)
class LabelledSet:
    name: str  # "surnames" | "sentiment"
    classes: tuple[str, ...]  # class labels in readout order
    examples: tuple[tuple[str, int], ...]  # (text, class index)
    source: str  # where the examples come from, for a reader
    licence: str  # "" for text written in this repo

    @property
    def sha256(self) -> str:
        """Hash of a canonical JSON of the classes and examples."""
        canonical = {"classes": list(self.classes), "examples": [list(e) for e in self.examples]}
        text = json.dumps(canonical, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    @property
    def vocab(self) -> list[str]:
        """Every character of every example, sorted."""
        return sorted({ch for text, _ in self.examples for ch in text})

    def split(self, held_out: float = 0.2, seed: int = 0) -> tuple[LabelledSet, LabelledSet]:
        """(training, held-out): `round(held_out * n)` of each class's n examples, drawn with a
        seeded numpy generator, are held out. Both keep this set's order of examples."""
        if not 0 < held_out < 1:
            raise ValueError(f"held_out must lie strictly between 0 and 1, not {held_out}")
        rng = np.random.default_rng(seed)
        labels = np.array([label for _, label in self.examples], dtype=np.int64)
        held = np.zeros(len(self.examples), dtype=bool)
        for label in range(len(self.classes)):
            members = np.flatnonzero(labels == label)
            held[rng.permutation(members)[: round(held_out * len(members))]] = True
        note = f"split(held_out={held_out}, seed={seed})"
        training = [e for e, out in zip(self.examples, held, strict=True) if not out]
        testing = [e for e, out in zip(self.examples, held, strict=True) if out]
        return (
            replace(
                self, examples=tuple(training), source=f"{self.source}; training part of {note}"
            ),
            replace(
                self, examples=tuple(testing), source=f"{self.source}; held-out part of {note}"
            ),
        )


# --- Surnames -------------------------------------------------------------------------------


def clean_name(raw: str) -> str | None:
    """The name NFC-normalised and stripped, or None unless it is one word (see NAME_PATTERN)."""
    name = unicodedata.normalize("NFC", raw).strip()
    return name if NAME_PATTERN.fullmatch(name) else None


def name_key(name: str) -> str:
    """What two languages' spellings must share to count as one name: no case, no accents."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def cut_surnames(
    lists: Mapping[str, Sequence[str]],
    per_class: int = SURNAMES_PER_CLASS,
    seed: int = SURNAME_SEED,
) -> tuple[dict[str, list[str]], dict[str, int]]:
    """Clean each language's names, drop those two languages share, keep `per_class` of each.

    Returns (kept names, sorted, per language; how many usable names each language had).
    """
    cleaned = {lang: {n for n in map(clean_name, names) if n} for lang, names in lists.items()}
    languages_of: dict[str, set[str]] = defaultdict(set)
    for lang, names in cleaned.items():
        for name in names:
            languages_of[name_key(name)].add(lang)
    rng = np.random.default_rng(seed)
    kept: dict[str, list[str]] = {}
    usable: dict[str, int] = {}
    for lang, names in cleaned.items():
        unique = sorted(n for n in names if len(languages_of[name_key(n)]) == 1)
        chosen = rng.permutation(len(unique))[:per_class]
        kept[lang] = sorted(unique[i] for i in chosen)
        usable[lang] = len(unique)
    return kept, usable


def faker_names(locale: str, attributes: tuple[str, ...]) -> list[str]:
    """The surnames a Faker person provider lists (a dict's keys; a tuple's items)."""
    provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
    return [str(name) for attribute in attributes for name in getattr(provider, attribute)]


def faker_licence() -> tuple[str, str, str]:
    """(licence name and copyright line, full licence text, home page) from Faker's metadata."""
    meta = importlib.metadata.metadata("Faker")
    name = (meta.get_all("License-Expression") or meta.get_all("License") or ["unknown"])[0]
    home = (meta.get_all("Home-page") or [""])[0]
    files = importlib.metadata.files("Faker") or []
    text = next((f.read_text() for f in files if f.name.upper().startswith("LICEN")), "")
    notice = next((line for line in text.splitlines() if line.startswith("Copyright")), "")
    return f"{name}, {notice}".strip(", "), text, home


def build_surnames_document() -> dict[str, Any]:
    """The content of `surnames.json`, cut from the installed Faker."""
    lists = {lang: faker_names(*where) for lang, where in SURNAME_SOURCES.items()}
    kept, usable = cut_surnames(lists)
    licence, licence_text, home = faker_licence()
    providers = {
        lang: f"{loc} {' + '.join(attrs)}" for lang, (loc, attrs) in SURNAME_SOURCES.items()
    }
    return {
        "classes": list(SURNAME_SOURCES),
        "source": {
            "package": "Faker",
            "faker_version": importlib.metadata.version("Faker"),
            "providers": providers,
            "cleaning": "single words (letters, inner ' or -), NFC; names two languages share "
            f"(no case, no accents) dropped; {SURNAMES_PER_CLASS} per language, seed "
            f"{SURNAME_SEED}",
        },
        "licence": licence,
        "attribution": f"Surnames from the name lists of the Faker package ({home}), {licence}.",
        "licence_text": licence_text,
        "counts": {
            lang: {"listed": len(lists[lang]), "usable": usable[lang], "kept": len(kept[lang])}
            for lang in SURNAME_SOURCES
        },
        "examples": [[name, lang] for lang in SURNAME_SOURCES for name in kept[lang]],
    }


def format_document(document: dict[str, Any]) -> str:
    """Indented JSON with one example per line (readable diffs), UTF-8 characters as they are."""
    parts = []
    for key, value in document.items():
        if key == "examples":
            rows = ",\n".join(f"    {json.dumps(row, ensure_ascii=False)}" for row in value)
            text = f"[\n{rows}\n  ]"
        else:
            text = json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n  ")
        parts.append(f"  {json.dumps(key)}: {text}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def surnames_differences(committed: dict[str, Any], regenerated: dict[str, Any]) -> list[str]:
    """The top-level keys whose values differ, ignoring which Faker version made each."""

    def without_version(document: dict[str, Any]) -> dict[str, Any]:
        source = {k: v for k, v in document.get("source", {}).items() if k != "faker_version"}
        return {**document, "source": source}

    a, b = without_version(committed), without_version(regenerated)
    return sorted(key for key in a.keys() | b.keys() if a.get(key) != b.get(key))


def read_document(path: Path = SURNAME_FILE) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def surnames(path: Path = SURNAME_FILE) -> LabelledSet:
    """Surname -> language, read from the committed file (Faker is not needed)."""
    document = read_document(path)
    classes = tuple(document["classes"])
    index = {label: i for i, label in enumerate(classes)}
    source = document["source"]
    providers = ", ".join(f"{lang} {where}" for lang, where in source["providers"].items())
    return LabelledSet(
        name="surnames",
        classes=classes,
        examples=tuple((name, index[lang]) for name, lang in document["examples"]),
        source=f"surnames from Faker {source['faker_version']} person providers: {providers}",
        licence=document["licence"],
    )


# --- Sentiment ------------------------------------------------------------------------------


def _pick(rng: np.random.Generator, options: Sequence[Any]) -> Any:
    return options[int(rng.integers(len(options)))]


def _negated(rng: np.random.Generator) -> bool:
    return bool(rng.random() < NEGATION_RATE)


def describe(rng: np.random.Generator, subject: str, meaning: int, copula: str = "") -> str:
    """'<subject> was [not|never] [very] <adjective>', meaning `meaning` (0 or 1).

    An intensifier goes with a plain adjective, and after "not" only with a positive one:
    "not very good" is English, "never so bad" means very bad.
    """
    negated = _negated(rng)
    negation = _pick(rng, NEGATIONS) if negated else ""
    adjective = _pick(rng, ADJECTIVES[meaning ^ negated])
    words = [subject, copula or _pick(rng, COPULAS), negation]
    not_positive = negation == "not" and meaning == 0  # "not" flips a positive word
    if (not negation or not_positive) and rng.random() < 0.3:
        words.append(_pick(rng, INTENSIFIERS))
    return " ".join(w for w in [*words, adjective] if w)


def act(rng: np.random.Generator, meaning: int) -> str:
    """'<person> [did not|never|really] <verb> <subject>', meaning `meaning` (0 or 1)."""
    negated = _negated(rng)
    present, past = _pick(rng, VERBS[meaning ^ negated])
    if not negated:
        adverb = [_pick(rng, INTENSIFIERS[:3])] if rng.random() < 0.3 else []
        verb = [*adverb, past]
    elif rng.random() < 0.5:
        verb = ["did not", present]
    else:
        verb = ["never", past]
    return " ".join([_pick(rng, PEOPLE), *verb, _pick(rng, SUBJECTS)])


def contrast(rng: np.random.Generator, meaning: int) -> str:
    """'<aspect> was <...> but <other aspect> was <...>': the second clause means `meaning`."""
    aspects = _pick(rng, ASPECTS)
    first, second = rng.choice(len(aspects), size=2, replace=False)
    copula = _pick(rng, COPULAS)  # one tense for both clauses
    before = describe(rng, aspects[int(first)], 1 - meaning, copula)
    return f"{before} but {describe(rng, aspects[int(second)], meaning, copula)}"


def sentence(rng: np.random.Generator, meaning: int) -> str:
    """One sentence meaning `meaning`, from one of the three templates."""
    roll = rng.random()
    if roll < 0.35:
        return describe(rng, _pick(rng, SUBJECTS), meaning)
    return act(rng, meaning) if roll < 0.65 else contrast(rng, meaning)


def sentiment_rule(text: str) -> int:
    """The class a sentence's words decide: the clause after the last "but" counts; its one
    sentiment word gives the class, flipped by a "not" or "never" in that clause."""
    words = text.split(" but ")[-1].split()
    polarities = [SENTIMENT_WORDS[w] for w in words if w in SENTIMENT_WORDS]
    if len(polarities) != 1:
        raise ValueError(f"expected one sentiment word in the last clause of {text!r}")
    return polarities[0] ^ any(w in NEGATIONS for w in words)


def sentiment(seed: int = 0, count: int = 2000) -> LabelledSet:
    """`count` distinct generated sentences (half negative, half positive) in a seeded order."""
    if count < 2 or count % 2:
        raise ValueError(f"count must be even and positive, not {count}")
    rng = np.random.default_rng(seed)
    found: list[dict[str, None]] = [{}, {}]  # insertion-ordered sets, one per class
    for attempt in range(50 * count):
        meaning = attempt % 2
        if len(found[meaning]) < count // 2:
            text = sentence(rng, meaning)
            if len(text) <= MAX_SENTENCE:
                found[meaning][text] = None
        if all(len(texts) == count // 2 for texts in found):
            break
    else:
        raise ValueError(f"could not generate {count} distinct sentences")
    examples = [(text, meaning) for meaning, texts in enumerate(found) for text in texts]
    order = rng.permutation(len(examples))
    return LabelledSet(
        name="sentiment",
        classes=SENTIMENT_CLASSES,
        examples=tuple(examples[int(i)] for i in order),
        source=f"review sentences generated from word lists in models/labelled.py (seed {seed})",
        licence="",
    )


LABELLED_SETS: dict[str, Callable[[], LabelledSet]] = {
    "surnames": surnames,
    "sentiment": sentiment,
}


# --- Command line ---------------------------------------------------------------------------


def summary(labelled: LabelledSet) -> str:
    counts = np.bincount([label for _, label in labelled.examples], minlength=len(labelled.classes))
    per_class = ", ".join(f"{c} {n}" for c, n in zip(labelled.classes, counts, strict=True))
    size = len(labelled.examples)
    return f"{labelled.name}: {size} examples ({per_class}), sha256 {labelled.sha256}"


def main(argv: list[str] | None = None) -> int:
    """Check (default) or rewrite (`--write`) the surnames file against the installed Faker."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite the file from Faker")
    parser.add_argument("--file", type=Path, default=SURNAME_FILE, help="the surnames file")
    args = parser.parse_args(argv)
    regenerated = build_surnames_document()
    if args.write:
        args.file.parent.mkdir(parents=True, exist_ok=True)
        args.file.write_text(format_document(regenerated), encoding="utf-8")
    elif not args.file.exists():
        print(f"{args.file} is missing; write it with --write", file=sys.stderr)  # noqa: T201
        return 1
    else:
        differences = surnames_differences(read_document(args.file), regenerated)
        if differences:
            keys = ", ".join(differences)
            print(f"{args.file} differs from Faker's lists in: {keys}", file=sys.stderr)  # noqa: T201
            return 1
    print(summary(surnames(args.file)))  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
