"""The Dockerfile builds an image that serves, checked without Docker (no daemon here).

The quick tests read its instructions. The slow one does what `docker build` and `docker run`
would do, in a fresh venv: copy what it COPYs, run its pip installs there (the CPU torch from
this machine's wheels rather than PyTorch's index, offline), then start its CMD on a free port
from a folder outside the sources and run its HEALTHCHECK against it.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.server_process import free_port

REPO_ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT = 120.0  # seconds for the installed server to answer its health check
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"


@dataclass
class Instruction:
    keyword: str
    arguments: str


def read_dockerfile() -> list[Instruction]:
    """The Dockerfile's instructions in order, continuation lines joined, comments left out."""
    text = (REPO_ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    instructions = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            keyword, _, arguments = line.strip().partition(" ")
            instructions.append(Instruction(keyword.upper(), arguments.strip()))
    return instructions


DOCKERFILE = read_dockerfile()


def positions(keyword: str) -> list[int]:
    return [index for index, step in enumerate(DOCKERFILE) if step.keyword == keyword]


def pip_installs() -> list[tuple[int, list[str]]]:
    """Each RUN that is a pip install: its position and its words."""
    runs = [(index, shlex.split(DOCKERFILE[index].arguments)) for index in positions("RUN")]
    assert all("&&" not in words for _, words in runs), "one command a RUN: the test runs each"
    return [(index, words) for index, words in runs if words[:2] == ["pip", "install"]]


def cmd() -> list[str]:
    [index] = positions("CMD")
    command: list[str] = json.loads(DOCKERFILE[index].arguments)  # exec form: no shell
    return command


def healthcheck() -> str:
    [index] = positions("HEALTHCHECK")
    return DOCKERFILE[index].arguments.split(" CMD ", 1)[1]


def served_port() -> str:
    command = cmd()
    return command[command.index("--port") + 1]


def test_every_copy_source_is_in_the_repo():
    copies = [shlex.split(DOCKERFILE[index].arguments) for index in positions("COPY")]
    sources = [source for words in copies for source in words[:-1]]
    assert "server" in sources and "models" in sources
    assert [source for source in sources if not (REPO_ROOT / source).exists()] == []


def test_the_cpu_torch_is_installed_before_the_project():
    (torch_at, torch_words), (project_at, project_words) = pip_installs()
    assert "torch==2.13.0" in torch_words and TORCH_CPU_INDEX in torch_words
    assert "." in project_words
    assert torch_at < min(positions("COPY")) < project_at  # code changes keep the torch layer


def test_the_project_is_installed_not_editable():
    for _, words in pip_installs():
        assert "-e" not in words and "--editable" not in words


def test_the_server_runs_as_a_user_that_is_not_root():
    users = positions("USER")
    assert users and users[-1] < positions("CMD")[0] and users[-1] < positions("HEALTHCHECK")[0]
    user = DOCKERFILE[users[-1]].arguments
    assert user not in ("root", "0") and not user.startswith(("root:", "0:"))
    runs = [DOCKERFILE[index].arguments.split() for index in positions("RUN")]
    assert any(words[0] == "useradd" and words[-1] == user for words in runs)


def test_the_healthcheck_asks_the_port_that_cmd_serves():
    [expose] = positions("EXPOSE")
    assert DOCKERFILE[expose].arguments == served_port()
    assert f"http://127.0.0.1:{served_port()}/healthz" in healthcheck()


def copy_as_docker_does(source: Path, root: Path, destination: str) -> None:
    """COPY: a folder's contents go into `destination`; a file into it if it ends in /."""
    target = root / destination
    if source.is_dir():
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
    elif destination.endswith("/"):
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, target / source.name)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, target)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh venv with what the Dockerfile installs, from a copy of what it COPYs."""
    folder = tmp_path_factory.mktemp("image")
    sources, venv = folder / "src", folder / "venv"
    for index in positions("COPY"):
        *copied, destination = shlex.split(DOCKERFILE[index].arguments)
        for source in copied:
            copy_as_docker_does(REPO_ROOT / source, sources, destination)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    environment = {
        key: value for key, value in os.environ.items() if key not in ("VIRTUAL_ENV", "PYTHONPATH")
    }
    environment["PATH"] = f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}"
    for _, words in pip_installs():
        if TORCH_CPU_INDEX in words:  # offline: the same CPU build from this machine's wheels
            at = words.index(TORCH_CPU_INDEX)
            del words[at - 1 : at + 1]
        subprocess.run(words, cwd=sources, env=environment, check=True)
    yield venv


@pytest.mark.slow
def test_cmd_and_healthcheck_work_from_the_installed_package(installed, tmp_path):
    port = str(free_port())
    command = cmd()
    command[command.index("--port") + 1] = port
    home = tmp_path / "home"  # the working folder: nothing of the sources is in it
    home.mkdir()
    environment = {
        "PATH": f"{installed / 'bin'}{os.pathsep}/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
    }
    check = ["sh", "-c", healthcheck().replace(f":{served_port()}/", f":{port}/")]
    log = tmp_path / "server.log"
    with log.open("wb") as sink:
        server = subprocess.Popen(
            command, cwd=home, env=environment, stdout=sink, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while subprocess.run(check, cwd=home, env=environment, capture_output=True).returncode != 0:
            assert server.poll() is None, f"the server exited:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"no healthy answer:\n{log.read_text()}"
            time.sleep(1)
        url = f"http://127.0.0.1:{port}"
        for path in (
            "/",
            "/hello",
            "/explore",
            "/static/css/unrolled.css",
            "/vendor/plotly.min.js",
        ):
            assert httpx.get(url + path).status_code == 200, path
        trace = httpx.get(f"{url}/api/trace", params={"model": "hello-lstm", "text": "hello"})
        assert trace.status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
    where = subprocess.run(
        ["python", "-c", "import server; print(server.__file__)"],
        cwd=home,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(where.stdout.strip()).is_relative_to(installed)  # site-packages, not the repo
