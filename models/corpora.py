"""Character corpora we can ship: the Zen of Python, some of Python's own source, and brackets.

    zen()           the Zen of Python, decoded from the standard library's `this` module
    stdlib_code()   a few stable standard-library modules, read from this Python's disk
    brackets(seed)  generated nested brackets and quoted strings, where quote state and
                    bracket depth decide what may come next

`zen` and `stdlib_code` depend on the Python installation (a patch release may change a
module), so the build script records each corpus's sha256 and length beside the checkpoint;
`brackets` depends only on its seed.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import io
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import numpy as np

STDLIB_MODULES = ("textwrap", "bisect", "colorsys", "queue", "sched")  # plain ASCII, no f-strings

# The brackets corpus: what may appear where.
OPENERS = {"(": ")", "[": "]", "{": "}"}
NAMES = ("x", "ab", "foo", "bar", "data", "f", "g", "key")  # what stands outside strings
STRING_LETTERS = "abcdefgh ()[]"  # inside a string brackets are plain text and do not nest
QUOTE = '"'


@dataclass(frozen=True)
class Corpus:
    name: str  # short name: "zen", "stdlib", "brackets"
    text: str
    source: str  # where the text comes from, for a reader

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()

    @property
    def vocab(self) -> list[str]:
        """Every character of the text, sorted."""
        return sorted(set(self.text))


def zen() -> Corpus:
    """The Zen of Python: `this.s` decoded with the ROT13 table `this.d`.

    Importing `this` prints the poem the first time; that print is swallowed.
    """
    with contextlib.redirect_stdout(io.StringIO()):
        this = importlib.import_module("this")
    text = "".join(this.d.get(ch, ch) for ch in this.s) + "\n"
    return Corpus("zen", text, "the Zen of Python (stdlib module `this`)")


def stdlib_code(modules: tuple[str, ...] = STDLIB_MODULES) -> Corpus:
    """The source of a few standard-library modules, concatenated in the given order."""
    folder = Path(sysconfig.get_paths()["stdlib"])
    text = "".join((folder / f"{name}.py").read_text(encoding="utf-8") for name in modules)
    names = ", ".join(f"{name}.py" for name in modules)
    return Corpus("stdlib", text, f"Python standard library source: {names}")


def brackets(seed: int = 0, lines: int = 3000) -> Corpus:
    """Random nested expressions, one per line, such as

        f(ab, "c (dh ]a", [x, {data}])

    Names come from a short list; `(`, `[`, `{` open groups of 1-3 items closed by the
    matching bracket; a string is `"` ... `"` around 4-15 random letters, spaces and brackets, all
    plain text (a bracket inside a string neither opens nor closes anything). A line ends only at
    depth 0. Predicting the next character needs the quote state (may a space or a `"` come?
    does `)` close a group?) and the stack of open brackets (which closer, and may the line
    end?), so units that track them are worth a model's while.
    """
    rng = np.random.default_rng(seed)
    out: list[str] = []

    def word() -> str:
        return str(rng.choice(NAMES))

    def string() -> str:
        body = rng.choice(list(STRING_LETTERS), size=int(rng.integers(4, 16)))
        return QUOTE + "".join(body) + QUOTE

    def item(depth: int) -> str:
        roll = rng.random()
        if depth < 4 and roll < 0.45 - 0.08 * depth:
            return group(depth)
        return string() if roll < 0.7 else word()

    def group(depth: int) -> str:
        opener = str(rng.choice(list(OPENERS)))
        prefix = word() if opener == "(" and rng.random() < 0.5 else ""  # a call: f(...)
        items = [item(depth + 1) for _ in range(int(rng.integers(1, 4)))]
        return prefix + opener + ", ".join(items) + OPENERS[opener]

    for _ in range(lines):
        out.append(group(0) + "\n")
    return Corpus("brackets", "".join(out), f"generated nested brackets and strings (seed {seed})")
