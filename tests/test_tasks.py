"""The lab's data generators: every target recomputed independently, delays exact, markers exactly
two, seeds reproduce, metrics and thresholds as documented."""

from __future__ import annotations

import math

import numpy as np
import pytest

from models.corpora import stdlib_code, zen
from models.labelled import LABELLED_SETS
from models.tasks import (
    BRACKETS_VOCAB,
    RECALL_CUE,
    RECALL_DISTRACTORS,
    RECALL_SYMBOLS,
    Batch,
    TaskError,
    make_task,
)

SYNTHETIC = [("recall", 7), ("adding", 12), ("parity", 9), ("brackets", 10), ("series", 9)]


def rows(batch: Batch) -> list[np.ndarray]:
    """Each sequence of a batch: (T,) indices or (T, 2) pairs."""
    return [batch.inputs[:, b] for b in range(batch.size)]


def test_hello_reads_hell_and_predicts_ello():
    task = make_task("hello")
    assert task.vocab == ("h", "e", "l", "o")
    batch = task.batch(np.random.default_rng(0), 3)
    for b in range(3):
        assert "".join(task.vocab[i] for i in batch.inputs[:, b]) == "hell"
        assert "".join(task.vocab[i] for i in batch.targets[:, b]) == "ello"
    assert task.chance == 0.5  # always 'l': right at 2 of 4 steps


@pytest.mark.parametrize("name", ["zen", "stdlib"])
def test_corpus_windows_are_the_text_and_its_next_characters(name):
    text = {"zen": zen, "stdlib": stdlib_code}[name]().text
    task = make_task("corpus", length=16, corpus=name)
    assert task.vocab is not None
    split = len(text) - len(text) // 10
    batch = task.batch(np.random.default_rng(3), 20)
    for b in range(20):
        window = task.text_of(batch.inputs[:, b])
        following = "".join(task.vocab[i] for i in batch.targets[:, b])
        assert len(window) == 16 and following == window[1:] + following[-1]
        start = text.find(window + following[-1])
        assert start >= 0 and start + 17 <= split  # inside the training part
    held_out = task.held_out(0)
    tail = text[split - 1 :]
    for b in range(held_out.size):
        window = task.text_of(held_out.inputs[:, b], int(held_out.targets[-1, b]))
        assert tail[16 * b : 16 * b + 17] == window  # consecutive windows of the held-out tenth


def test_corpus_threshold_is_the_best_bigram_recomputed():
    task = make_task("corpus", length=32, corpus="zen")
    assert task.vocab is not None
    text = zen().text
    split = len(text) - len(text) // 10
    train = text[:split]
    held_out = task.held_out(0)
    pairs = [
        (task.vocab[held_out.inputs[t, b]], task.vocab[held_out.targets[t, b]])
        for b in range(held_out.size)
        for t in range(task.length)
    ]
    size = len(task.vocab)

    def bits(alpha: float) -> float:
        total = 0.0
        for a, b in pairs:
            after_a = [train[i + 1] for i in range(len(train) - 1) if train[i] == a]
            total -= math.log2((after_a.count(b) + alpha) / (len(after_a) + alpha * size))
        return total / len(pairs)

    assert task.threshold == pytest.approx(min(bits(a) for a in (1, 0.3, 0.1, 0.03, 0.01)), 1e-12)
    assert task.chance == pytest.approx(math.log2(size))


@pytest.mark.parametrize("delay", [0, 1, 5, 33])
def test_recall_has_the_symbol_exactly_delay_distractors_then_the_cue(delay):
    task = make_task("recall", delay=delay)
    assert task.vocab is not None and task.length == delay + 2
    batch = task.batch(np.random.default_rng(delay), 64)
    assert batch.inputs.shape == (delay + 2, 64)
    for b, row in enumerate(rows(batch)):
        text = task.text_of(row)
        assert text[0] in RECALL_SYMBOLS
        assert all(ch in RECALL_DISTRACTORS for ch in text[1:-1]) and len(text[1:-1]) == delay
        assert text[-1] == RECALL_CUE
        assert task.vocab[batch.targets[b]] == text[0]  # the answer is the first symbol
    assert {int(t) for t in batch.targets} == set(range(len(RECALL_SYMBOLS)))


def test_adding_has_exactly_two_markers_one_per_half_and_their_sum():
    task = make_task("adding", length=12)
    batch = task.batch(np.random.default_rng(1), 500)
    assert batch.inputs.shape == (12, 500, 2) and batch.inputs.dtype == np.float32
    for b, pairs in enumerate(rows(batch)):
        values, markers = pairs[:, 0], pairs[:, 1]
        marked = [t for t in range(12) if markers[t] == 1.0]
        assert len(marked) == 2 and sum(markers) == 2.0
        assert marked[0] < 6 <= marked[1]
        assert all(0.0 <= v < 1.0 for v in values)
        expected = float(values[marked[0]]) + float(values[marked[1]])
        assert float(batch.targets[b]) == pytest.approx(expected, abs=1e-6)


def test_adding_chance_is_what_predicting_one_scores():
    task = make_task("adding", length=20)
    batch = task.batch(np.random.default_rng(2), 200_000)
    predict_one = np.ones((20, batch.size, 1))
    assert task.metric_of(predict_one, batch) == pytest.approx(task.chance, abs=0.003)
    assert task.chance == pytest.approx(1 / 6)


def test_parity_answers_the_parity_so_far_at_every_step():
    task = make_task("parity", length=9)
    batch = task.batch(np.random.default_rng(4), 50)
    for b, bits in enumerate(rows(batch)):
        ones = 0
        for t, ch in enumerate(task.text_of(bits)):
            ones += ch == "1"
            assert batch.targets[t, b] == ones % 2
        assert task.vocab is not None
        assert task.vocab[batch.targets[-1, b]] == str(task.text_of(bits).count("1") % 2)


def balanced(text: str) -> bool:
    """A stack check, written apart from the generator's."""
    stack = []
    for ch in text:
        if ch == "(":
            stack.append(ch)
        elif not stack:
            return False
        else:
            stack.pop()
    return not stack


def test_brackets_answer_y_exactly_when_balanced():
    task = make_task("brackets", length=10)
    batch = task.batch(np.random.default_rng(5), 400)
    answers = []
    equal_count_negatives = 0
    for b, row in enumerate(rows(batch)):
        text = task.text_of(row)
        assert len(text) == 10 and set(text) <= {"(", ")"}
        answer = BRACKETS_VOCAB[batch.targets[b]]
        assert answer == ("y" if balanced(text) else "n")
        answers.append(answer)
        equal_count_negatives += answer == "n" and text.count("(") == 5
    assert 150 < answers.count("y") < 250  # half are balanced
    assert equal_count_negatives > 40  # counting alone cannot tell these from balanced ones
    assert task.probe().targets[0] == BRACKETS_VOCAB.index("y")
    assert balanced(task.text_of(task.probe().inputs[:, 0]))


@pytest.mark.parametrize(("name", "parameter"), SYNTHETIC)
def test_seeds_reproduce_and_held_out_data_is_another_stream(name, parameter):
    task = make_task(name, delay=parameter, length=parameter)
    first = task.batch(np.random.default_rng((7, 0)), 16)
    again = task.batch(np.random.default_rng((7, 0)), 16)
    other = task.batch(np.random.default_rng((8, 0)), 16)
    np.testing.assert_array_equal(first.inputs, again.inputs)
    np.testing.assert_array_equal(first.targets, again.targets)
    assert not np.array_equal(first.inputs, other.inputs)
    np.testing.assert_array_equal(task.held_out(7).inputs, task.held_out(7).inputs)
    assert not np.array_equal(task.held_out(7).inputs[:, :16], first.inputs)
    assert not np.array_equal(task.held_out(7).inputs, task.held_out(8).inputs)
    np.testing.assert_array_equal(
        task.probe().inputs, make_task(name, parameter, parameter).probe().inputs
    )


def test_metrics_on_outputs_built_by_hand():
    recall = make_task("recall", delay=1)
    batch = Batch(np.zeros((3, 4), dtype=np.int64), np.array([0, 1, 2, 3]))
    outputs = np.zeros((3, 4, len(recall.vocab or ())))
    outputs[-1, [0, 1, 2, 3], [0, 1, 5, 5]] = 1.0  # right, right, wrong, wrong at the last step
    outputs[0, :, 7] = 9.0  # earlier steps do not count
    assert recall.metric_of(outputs, batch) == 0.5
    assert recall.solved(0.95) and not recall.solved(0.9)

    corpus = make_task("corpus", length=4, corpus="zen")
    uniform = np.zeros((4, 2, corpus.output_size))
    targets = np.zeros((4, 2), dtype=np.int64)
    assert corpus.metric_of(uniform, Batch(targets, targets)) == pytest.approx(corpus.chance)
    assert corpus.solved(corpus.threshold - 1e-9) and not corpus.solved(corpus.threshold)

    adding = make_task("adding", length=4)
    values = np.array([[0.5], [1.0]])[None].repeat(4, axis=0)  # (T, B, 1)
    pairs = Batch(np.zeros((4, 2, 2), dtype=np.float32), np.array([0.0, 2.0], dtype=np.float32))
    assert adding.metric_of(values, pairs) == pytest.approx((0.25 + 1.0) / 2)
    assert not adding.solved(math.nan)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": "chess"}, "task"),
        ({"name": "recall", "delay": -1}, "delay"),
        ({"name": "adding", "length": 1}, "length"),
        ({"name": "brackets", "length": 7}, "length"),
        ({"name": "corpus", "corpus": "shakespeare"}, "corpus"),
        ({"name": "corpus", "corpus": "zen", "length": 5000}, "length"),
        ({"name": "series", "series": "foo"}, "series"),
        ({"name": "series", "length": 3}, "length"),
    ],
)
def test_bad_parameters_name_their_field(kwargs, field):
    with pytest.raises(TaskError) as error:
        make_task(**kwargs)
    assert error.value.field == field
    assert str(kwargs.get(field, kwargs["name"])) in error.value.message


def test_defaults_and_ignored_parameters():
    assert make_task("recall").length == 12  # D = 10
    assert make_task("adding", delay=99).length == 30  # a delay means nothing to adding
    assert make_task("hello", delay=3, length=3).length == 4


@pytest.mark.parametrize("name", ["surnames", "sentiment"])
def test_labelled_tasks_pad_on_the_left_and_hold_texts_out(name):
    """Each text is its set's, padded with spaces on the left to the longest; its target is
    its class. Held-out texts are never drawn for training; the probe is one of them."""
    task = make_task(name)
    examples = LABELLED_SETS[name]()
    training, held_out = examples.split(0.2, 0)
    assert task.classes == examples.classes and task.output_size == len(examples.classes)
    assert task.length == max(len(text) for text, _ in examples.examples)
    batch = task.batch(np.random.default_rng(5), 64)
    assert batch.inputs.shape == (task.length, 64) and batch.targets.shape == (64,)
    trained = set(training.examples)
    for b in range(64):
        padded = task.text_of(batch.inputs[:, b], int(batch.targets[b]))  # no class appended
        text = padded.lstrip(" ")
        assert padded == text.rjust(task.length) and (text, int(batch.targets[b])) in trained
    held = task.held_out(0)
    assert held.size == len(held_out.examples)
    texts = {task.text_of(held.inputs[:, b]).lstrip(" ") for b in range(held.size)}
    assert texts == {text for text, _ in held_out.examples}
    probe = task.probe()
    probe_text = task.text_of(probe.inputs[:, 0]).lstrip(" ")
    assert (probe_text, int(probe.targets[0])) in set(held_out.examples)
    again = task.batch(np.random.default_rng(5), 64)
    np.testing.assert_array_equal(again.inputs, batch.inputs)
