"""The labelled sets for many-to-one classifiers: surnames by language, sentence sentiment."""

from __future__ import annotations

import json
import string
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from models import labelled
from models.labelled import LabelledSet


@pytest.fixture(scope="module")
def regenerated() -> dict[str, Any]:
    return labelled.build_surnames_document()


@pytest.fixture(scope="module")
def names() -> LabelledSet:
    return labelled.surnames()


@pytest.fixture(scope="module")
def reviews() -> LabelledSet:
    return labelled.sentiment()


def class_counts(data: LabelledSet) -> list[int]:
    return np.bincount([label for _, label in data.examples], minlength=len(data.classes)).tolist()


# --- Surnames -------------------------------------------------------------------------------


def test_committed_surnames_are_what_the_installed_faker_gives(regenerated):
    committed = labelled.SURNAME_FILE.read_text(encoding="utf-8")
    made_with = json.loads(committed)["source"]["faker_version"]
    same_version = {**regenerated, "source": {**regenerated["source"], "faker_version": made_with}}
    assert labelled.format_document(same_version) == committed
    assert labelled.surnames_differences(json.loads(committed), regenerated) == []


def test_the_check_command_fails_on_an_edited_file(tmp_path: Path, capsys):
    edited = labelled.read_document()
    edited["examples"][0] = ["Smith", edited["examples"][0][1]]
    path = tmp_path / "surnames.json"
    path.write_text(labelled.format_document(edited), encoding="utf-8")
    assert labelled.main(["--file", str(path)]) == 1
    assert "examples" in capsys.readouterr().err
    assert labelled.main(["--file", str(tmp_path / "missing.json")]) == 1


def test_surnames_are_balanced_and_unambiguous(names):
    assert class_counts(names) == [labelled.SURNAMES_PER_CLASS] * len(names.classes)
    assert len(names.classes) >= 7
    document = labelled.read_document()
    for counts in document["counts"].values():
        assert counts["usable"] >= max(labelled.MIN_SURNAMES_PER_CLASS, counts["kept"])
    languages_of: dict[str, set[int]] = {}
    for name, label in names.examples:
        languages_of.setdefault(labelled.name_key(name), set()).add(label)
    assert all(len(labels) == 1 for labels in languages_of.values())
    assert len({name for name, _ in names.examples}) == len(names.examples)


def test_surnames_are_single_cleaned_words(names):
    for name, label in names.examples:
        assert 0 <= label < len(names.classes)
        assert labelled.clean_name(name) == name, name
    assert " " not in names.vocab
    assert not any(ch.isdigit() for ch in names.vocab)


def test_surname_file_records_licence_and_source():
    document = labelled.read_document()
    assert document["licence"].startswith("MIT")
    assert "Permission is hereby granted" in document["licence_text"]
    assert "Faker" in document["attribution"]
    assert set(document["source"]["providers"]) == set(document["classes"])
    assert labelled.surnames().licence == document["licence"]


def test_cleaning_drops_phrases_and_names_two_languages_share():
    lists = {
        "A": ["Müller", "Martin", "van der Berg", "Koch II", " Garcia ", "O'Neill", "Müller"],
        "B": ["Martin", "García", "Rossi", "D'Amico", "Smith-Jones", "Bianchi"],
    }
    kept, usable = labelled.cut_surnames(lists, per_class=2)
    assert usable == {"A": 2, "B": 4}  # A: Müller, O'Neill; B: Bianchi, D'Amico, Rossi, Smith-Jones
    assert kept["A"] == ["Müller", "O'Neill"]
    assert len(kept["B"]) == 2
    assert set(kept["B"]) < {"Bianchi", "D'Amico", "Rossi", "Smith-Jones"}
    assert kept["B"] == sorted(kept["B"])
    assert labelled.cut_surnames(lists, per_class=2) == (kept, usable)


# --- Splits ---------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["names", "reviews"])
def test_split_is_stratified_disjoint_covering_and_deterministic(which, request):
    data: LabelledSet = request.getfixturevalue(which)
    training, held = data.split(held_out=0.2, seed=3)
    assert Counter(training.examples + held.examples) == Counter(data.examples)
    assert not set(training.examples) & set(held.examples)
    expected_held = [round(0.2 * n) for n in class_counts(data)]
    assert class_counts(held) == expected_held
    assert data.split(held_out=0.2, seed=3) == (training, held)
    assert data.split(held_out=0.2, seed=4)[1].examples != held.examples
    assert training.classes == held.classes == data.classes


def test_split_rejects_a_share_outside_zero_to_one(reviews):
    for share in (0.0, 1.0, -0.1, 1.5):
        with pytest.raises(ValueError):
            reviews.split(held_out=share)


def test_sha256_follows_the_examples(reviews):
    assert reviews.sha256 == labelled.sentiment().sha256
    first, second = reviews.split()
    assert len({reviews.sha256, first.sha256, second.sha256}) == 3


# --- Sentiment ------------------------------------------------------------------------------


def test_sentiment_is_balanced_short_distinct_and_plain(reviews):
    assert reviews.classes == ("negative", "positive")
    assert class_counts(reviews) == [1000, 1000]
    texts = [text for text, _ in reviews.examples]
    assert len(set(texts)) == len(texts)
    assert max(map(len, texts)) <= labelled.MAX_SENTENCE
    assert set(reviews.vocab) <= set(string.ascii_lowercase + " ")
    assert reviews.licence == ""


def test_sentiment_depends_on_the_seed_only():
    assert labelled.sentiment(seed=5, count=200) == labelled.sentiment(seed=5, count=200)
    assert labelled.sentiment(seed=5, count=200).examples != labelled.sentiment(6, 200).examples
    with pytest.raises(ValueError):
        labelled.sentiment(count=7)


def test_sentiment_uses_every_template(reviews):
    texts = [text for text, _ in reviews.examples]
    contrasts = [t for t in texts if " but " in t]
    negated = [t for t in texts if " but " not in t and {"not", "never"} & set(t.split())]
    assert len(contrasts) > 500 and len(negated) > 300
    for group in (contrasts, negated):  # neither template gives away the class by itself
        labels = [labelled.sentiment_rule(t) for t in group]
        assert 0.4 < np.mean(labels) < 0.6


def test_every_generated_label_is_what_the_words_decide(reviews):
    assert all(labelled.sentiment_rule(text) == label for text, label in reviews.examples)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("the film was great", 1),
        ("the film was not great", 0),
        ("the soup was not bad", 1),
        ("the hotel is never boring", 1),
        ("i loved this phone", 1),
        ("we did not enjoy the meal", 0),
        ("they never hated the game", 1),
        ("the start was slow but the ending was great", 1),
        ("the start was great but the ending was slow", 0),
        ("the plot was dull but the acting was not bad", 1),
        ("the plot was not dull but the acting was awful", 0),
    ],
)
def test_the_rule_on_hand_written_sentences(text, label):
    assert labelled.sentiment_rule(text) == label


def test_the_rule_wants_one_sentiment_word_per_clause():
    for text in (
        "the film was long",
        "the film was good and great",
        "the film was bad but the end",
    ):
        with pytest.raises(ValueError):
            labelled.sentiment_rule(text)


def test_each_template_means_what_it_was_asked_to(reviews):
    rng = np.random.default_rng(1)
    for meaning in (0, 1):
        for _ in range(200):
            assert labelled.sentiment_rule(labelled.describe(rng, "the film", meaning)) == meaning
            assert labelled.sentiment_rule(labelled.act(rng, meaning)) == meaning
            text = labelled.contrast(rng, meaning)
            first, second = text.split(" but ")
            assert labelled.sentiment_rule(first) == 1 - meaning  # "but" turns the class around
            assert labelled.sentiment_rule(second) == meaning


def test_labelled_sets_are_listed():
    assert set(labelled.LABELLED_SETS) == {"surnames", "sentiment"}
    for name, make in labelled.LABELLED_SETS.items():
        assert make().name == name
