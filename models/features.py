"""Per-character features of a text, for finding units that track them (Karpathy et al. 2015).

Each feature is one number per character t, read left to right like the model reads:

    in_quotes[t]      1 if, after reading text[t], we are inside a string, else 0: an opening
                      quote is 1, the characters inside are 1, the closing quote is 0.
    bracket_depth[t]  open brackets after reading text[t]: "(" is 1, its ")" is 0 again.
    line_position[t]  the column of text[t]: 0 for the first character of a line; a newline
                      ends its line, so its column is the line's length.

The rules, chosen to work on prose, Python and the brackets corpus alike:

- A string starts at `"` or `'` and ends at the next unescaped copy of the same quote; a
  backslash inside a string escapes the next character. A quote right after a letter or a
  digit does not start a string (the apostrophe of "aren't").
- Brackets `( [ {` count one level up and `) ] }` one down, never below 0, whichever kind;
  inside a string they are plain text.
- `#` outside a string starts a comment up to the end of the line, in which quotes and
  brackets are plain text (Python's comments; a text without `#` is unaffected).
"""

from __future__ import annotations

import numpy as np

QUOTES = "\"'"
OPEN, CLOSE = "([{", ")]}"


def text_features(text: str) -> dict[str, np.ndarray]:
    """The features above, each a float64 array of len(text)."""
    steps = len(text)
    in_quotes, depth_out, column_out = np.zeros(steps), np.zeros(steps), np.zeros(steps)
    quote = ""  # the quote character of the open string, "" outside strings
    escaped = comment = False
    depth = column = 0
    previous = ""
    for t, ch in enumerate(text):
        column_out[t] = column
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote:
                quote = ""
        elif comment:
            comment = ch != "\n"
        elif ch in QUOTES and not previous.isalnum():
            quote = ch
        elif ch == "#":
            comment = True
        elif ch in OPEN:
            depth += 1
        elif ch in CLOSE:
            depth = max(depth - 1, 0)
        in_quotes[t] = 1.0 if quote else 0.0
        depth_out[t] = depth
        column = 0 if ch == "\n" else column + 1
        previous = ch
    return {"in_quotes": in_quotes, "bracket_depth": depth_out, "line_position": column_out}
