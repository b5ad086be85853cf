"""Static files under content-addressed URLs, so a repeat visit asks for none of them.

The pages name every script, style sheet and bundle as `/static/v/<release>/<path>`, where
`<release>` is a digest of the whole static folder (every path and its bytes) taken when the
app starts. Such an answer never changes, so it is sent with `immutable` caching; a new
release is a new URL, and the pages themselves are revalidated on every visit (no-cache),
so they name the new one at once. One digest for the whole folder, not one per file: an ES
module's relative imports (`../dom.js`) resolve under the same release prefix, so a module
graph is always one release. (Editing a static file while the server runs needs a restart
to change the release; the unversioned `/static/<path>` is still served, revalidated.)

Each page also declares its module graph (`modulepreload`), so the browser fetches every
module at once instead of discovering them import by import.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path

# `import ... from "./x.js"`, `export ... from "../y.js"` (over several lines) and
# `import "./z.js"`; JSDoc's `import("./t.js")` type references are not module imports.
IMPORT = re.compile(r'^\s*(?:import|export)\b[^;"]*?(?:\bfrom\s*)?"(\.{1,2}/[^"]+)"', re.MULTILINE)
PREFIX = "/static/v"


class Assets:
    """The static folder's release digest, its versioned URLs and its modules' graphs."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @cached_property
    def release(self) -> str:
        digest = hashlib.sha256()
        for path in sorted(self.directory.rglob("*")):
            if path.is_file():
                digest.update(path.relative_to(self.directory).as_posix().encode() + b"\0")
                digest.update(hashlib.sha256(path.read_bytes()).digest())
        return digest.hexdigest()[:16]

    @property
    def prefix(self) -> str:
        """Where this release's files are served."""
        return f"{PREFIX}/{self.release}"

    def url(self, path: str) -> str:
        """The versioned URL of a static file, e.g. `js/hello/main.js`."""
        if not (self.directory / path).is_file():
            raise FileNotFoundError(f"no static file {path!r}")
        return f"{self.prefix}/{path}"

    def module_graph(self, entry: str) -> list[str]:
        """Every module `entry` imports, directly or not, `entry` first (static paths)."""
        seen: dict[str, None] = {}
        pending = [entry]
        while pending:
            path = pending.pop()
            if path in seen:
                continue
            seen[path] = None
            pending.extend(self.imports(path))
        return list(seen)

    def imports(self, path: str) -> Iterator[str]:
        source = (self.directory / path).read_text()
        folder = Path(path).parent
        for target in IMPORT.findall(source):
            resolved = (self.directory / folder / target).resolve()
            yield resolved.relative_to(self.directory.resolve()).as_posix()

    def preloads(self, entry: str) -> list[str]:
        """The versioned URLs of `entry`'s module graph, for `<link rel="modulepreload">`."""
        return [self.url(path) for path in self.module_graph(entry)]
