"""Every shell block of README.md and docs/**/*.md, run as a reader would run it.

A fenced block tagged ``sh``, ``bash`` or ``shell`` is a script; a ``console`` block is a
transcript whose ``$ `` lines are the commands. Each runs with ``bash -c`` under
``set -euo pipefail`` in a fresh temporary folder, the project venv's ``bin`` first on
PATH, no ``AWS_*`` variable and no AWS configuration file of the machine, and must exit
0. HTML comments on the lines directly above the fence adjust that (docs/development.md,
"Docs that run", is the reader's version of this list)::

    <!-- docs-test: emulator (a note for readers) -->   run beside `ahi-contract emulator`,
                                                      with the `export` lines it prints
    <!-- docs-test: checkout -->                      run in the repository root, with
                                                      `make` as `make -n` (a dry run)
    <!-- docs-test: install -->                       run in an empty virtualenv: git URLs
                                                      of this repository resolve to the
                                                      checkout, dependencies are borrowed,
                                                      pipx is a stand-in
    <!-- docs-test: serves -->                        a server: wait for its output, send
                                                      SIGINT, expect exit 0
    <!-- docs-test: expect "TEXT" -->                 the output (stdout and stderr) holds
                                                      TEXT; repeatable
    <!-- docs-test: exit N -->                        the block exits N, not 0
    <!-- docs-test: timeout SECONDS -->               instead of 180

Directives may share one comment, separated by ``;``. A block that is not a command
(an example of output) takes another fence, ``text``. A second test checks that every
relative link of those files names a file, and heading, that exists.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import sysconfig
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pytest

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
DOC_FILES = [REPO / "README.md", *sorted((REPO / "docs").glob("**/*.md"))]
SHELL_LANGUAGES = frozenset({"sh", "bash", "shell", "console"})
DEFAULT_TIMEOUT = 180.0
EMULATOR_EXPORTS = (
    "AWS_ENDPOINT_URL_MEDICAL_IMAGING",
    "AWS_ENDPOINT_URL_S3",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_REGION",
    "AWS_DISABLE_HOST_PREFIX_INJECTION",
)
REPOSITORY_URL = re.compile(r"git\+(https://github\.com/[\w.-]+/ahi-contract)(?:\.git)?\b")
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`\s]*)")
COMMENT = re.compile(r"^\s*<!--(?P<body>.*?)-->\s*$")
DIRECTIVE = re.compile(r"\s*docs-test:(?P<rest>.*)", re.DOTALL)
PARTS = re.compile(r'(?:[^;"(]|"[^"]*"|\([^)]*\))+')  # split on `;` outside quotes and notes
NOTE = re.compile(r"\([^)]*\)")  # (a note for readers)
FLAGS = frozenset({"emulator", "checkout", "install", "serves"})


@dataclass(frozen=True)
class Directives:
    emulator: bool = False
    checkout: bool = False
    install: bool = False
    serves: bool = False
    expect: tuple[str, ...] = ()
    exit_status: int = 0
    timeout: float = DEFAULT_TIMEOUT


@dataclass(frozen=True)
class Block:
    path: str  # relative to the repository
    line: int  # of the opening fence, 1-based
    language: str
    code: str
    directives: Directives = field(default_factory=Directives)
    problem: str = ""  # a directive the test does not know

    @property
    def id(self) -> str:
        return f"{self.path}:{self.line}"

    def script(self) -> str:
        if self.language != "console":
            return self.code
        commands: list[str] = []
        continued = False
        for line in self.code.splitlines():
            if continued or line.startswith("$ "):
                commands.append(line if continued else line[2:])
                continued = line.rstrip().endswith("\\")
        return "\n".join(commands) + "\n"


def parse_directives(comments: list[str]) -> tuple[Directives, str]:
    """The `docs-test:` comments above a block; the second value names what is wrong."""
    flags: set[str] = set()
    expect: list[str] = []
    exit_status, timeout = 0, DEFAULT_TIMEOUT
    for comment in comments:
        matched = DIRECTIVE.match(comment)
        if not matched:
            continue
        for part in PARTS.findall(matched["rest"]):
            keyword, _, argument = part.strip().partition(" ")
            if keyword == "expect":
                quoted = re.fullmatch(r'\s*"([^"]+)"\s*', argument)
                if not quoted:
                    return Directives(), f"expect takes one quoted text: {part.strip()!r}"
                expect.append(quoted[1])
                continue
            argument = NOTE.sub(" ", argument).strip()
            if keyword in FLAGS and not argument:
                flags.add(keyword)
            elif keyword == "exit" and argument.isdigit():
                exit_status = int(argument)
            elif keyword == "timeout" and re.fullmatch(r"\d+(\.\d+)?", argument):
                timeout = float(argument)
            elif keyword:
                return Directives(), f"unknown docs-test directive {part.strip()!r}"
    if len(flags & {"emulator", "checkout", "install"}) > 1:
        return Directives(), "emulator, checkout and install exclude each other"
    directives = Directives(
        emulator="emulator" in flags,
        checkout="checkout" in flags,
        install="install" in flags,
        serves="serves" in flags,
        expect=tuple(expect),
        exit_status=exit_status,
        timeout=timeout,
    )
    return directives, ""


@dataclass(frozen=True)
class Fenced:
    line: int
    language: str
    code: str
    comments: list[str]


def fenced_blocks(text: str) -> Iterator[Fenced]:
    """Every fenced block (CommonMark fences, also indented in list items), with the
    HTML comments on the lines directly above it."""
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        start, fence, indent = index, opening["fence"], len(opening["indent"])
        comments: list[str] = []
        above = start - 1
        while above >= 0 and (comment := COMMENT.match(lines[above])):
            comments.insert(0, comment["body"])
            above -= 1
        body: list[str] = []
        index += 1
        while index < len(lines) and not closes(lines[index], fence):
            line = lines[index]
            body.append(line[indent:] if not line[:indent].strip() else line.lstrip())
            index += 1
        yield Fenced(
            line=start + 1,
            language=opening["info"].lower(),
            code="\n".join(body) + "\n",
            comments=comments,
        )
        index += 1


def closes(line: str, fence: str) -> bool:
    """Whether `line` closes a block opened by `fence`: the same character, at least
    as many, nothing else."""
    stripped = line.strip()
    return stripped.startswith(fence) and not stripped.strip(fence[0])


def doc_path(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


def shell_blocks() -> list[Block]:
    blocks: list[Block] = []
    for path in DOC_FILES:
        for fenced in fenced_blocks(path.read_text(encoding="utf-8")):
            if fenced.language not in SHELL_LANGUAGES:
                continue
            directives, problem = parse_directives(fenced.comments)
            blocks.append(
                Block(
                    doc_path(path), fenced.line, fenced.language, fenced.code, directives, problem
                )
            )
    return blocks


BLOCKS = shell_blocks()


# --- the environment a block runs in -------------------------------------------------


def base_environment(folder: Path, path: list[Path]) -> dict[str, str]:
    """The test's environment without AWS settings, pytest's or make's own variables,
    with `path` in front of PATH and loopback exempt from any proxy."""
    dropped = ("AWS_", "AHI_CONTRACT_", "PYTEST_", "MAKE", "MFLAGS", "VIRTUAL_ENV")
    environment = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    environment.pop("PYTHONPATH", None)
    inherited = [p for p in environment.get("PATH", "").split(os.pathsep) if p]
    inherited = [p for p in inherited if Path(p) != VENV_BIN]
    environment["PATH"] = os.pathsep.join([*map(str, path), *inherited])
    no_proxy = ",".join(filter(None, [environment.get("NO_PROXY", ""), "127.0.0.1,localhost"]))
    environment.update(
        NO_PROXY=no_proxy,
        no_proxy=no_proxy,
        AWS_CONFIG_FILE=str(folder / ".no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(folder / ".no-aws-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    return environment


def collect(stream: IO[str], into: list[str]) -> None:
    """Append each line of `stream` to `into` as it arrives (run in a thread)."""
    for line in stream:
        into.append(line)


def parse_exports(lines: list[str]) -> dict[str, str]:
    exported: dict[str, str] = {}
    for line in lines:
        if line.startswith("export "):
            name, _, value = line[len("export ") :].partition("=")
            words = shlex.split(value)
            exported[name.strip()] = words[0] if words else ""
    return exported


@contextmanager
def running_emulator(folder: Path) -> Iterator[dict[str, str]]:
    """`ahi-contract emulator` on a free port, as a reader starts it in another terminal;
    yields the variables its `export` lines set."""
    environment = base_environment(folder, [VENV_BIN])
    log = (folder / ".emulator-stderr").open("w")
    process = subprocess.Popen(
        [str(VENV_BIN / "ahi-contract"), "emulator"],
        cwd=folder,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        start_new_session=True,
    )
    output = process.stdout
    assert output is not None
    lines: list[str] = []
    reader = threading.Thread(target=collect, args=(output, lines))
    reader.start()
    try:
        deadline, complete_since = time.monotonic() + 60, None
        while time.monotonic() < deadline and process.poll() is None:
            if "ready\n" in lines:
                break
            if all(name in parse_exports(list(lines)) for name in EMULATOR_EXPORTS):
                complete_since = complete_since or time.monotonic()
                if time.monotonic() - complete_since > 1.0:
                    break
            time.sleep(0.1)
        printed = [line.rstrip("\n") for line in list(lines)]
        exported = parse_exports(printed)
        missing = [name for name in EMULATOR_EXPORTS if name not in exported]
        shown = "\n".join(printed) or "(nothing)"
        assert printed and printed[0].startswith("service: "), f"emulator printed:\n{shown}"
        assert not missing, f"the emulator printed no export line for {missing}:\n{shown}"
        assert exported["AWS_ENDPOINT_URL_MEDICAL_IMAGING"] == printed[0].split(" ", 1)[1]
        yield exported
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        reader.join(timeout=10)
        log.close()


@pytest.fixture(scope="session")
def borrowed_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The venv's installed distributions but ahi-contract, for installs from git: an
    empty virtualenv reads them through a path file, so pip finds every dependency
    installed and fetches only the build backend."""
    folder = tmp_path_factory.mktemp("borrowed-site")
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        name = entry.name.lower()
        if name.endswith(".pth") or name.startswith(("ahi_contract", "__editable__", "harness")):
            continue
        (folder / entry.name).symlink_to(entry)
    return folder


PIPX_STAND_IN = """#!/bin/sh
# The docs test's pipx: `pipx install SPEC` as pipx does it (a virtualenv of its own,
# pip install SPEC, its commands linked into PIPX_BIN_DIR), with borrowed dependencies.
set -eu
if [ "$#" -ne 2 ] || [ "$1" != install ]; then
    echo "pipx stand-in: only 'pipx install SPEC' is known" >&2
    exit 2
fi
name="$(basename "${2%.git}")"
home="$PIPX_HOME/venvs/$name"
"$DOCS_TEST_PYTHON" -m venv --without-pip "$home"
echo "$DOCS_TEST_BORROWED" > "$home/lib/$DOCS_TEST_PYTHON_DIR/site-packages/zz-borrowed.pth"
"$home/bin/python" -m pip install --quiet --disable-pip-version-check "$2"
mkdir -p "$PIPX_BIN_DIR"
for command in "$home"/bin/*; do
    case "$(basename "$command")" in
        python*|pip*|activate*|Activate*) ;;
        *) ln -sf "$command" "$PIPX_BIN_DIR/" ;;
    esac
done
echo "installed package $name; its commands are in $PIPX_BIN_DIR"
"""


def install_environment(folder: Path, block: Block, borrowed: Path) -> dict[str, str]:
    """An empty virtualenv first on PATH (the project's is not), a pipx stand-in, and git
    configured so that the block's github URLs of this repository clone the checkout."""
    python_dir = f"python{sys.version_info.major}.{sys.version_info.minor}"
    made = subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(folder / ".env")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    site = folder / ".env" / "lib" / python_dir / "site-packages"
    (site / "zz-borrowed.pth").write_text(f"{borrowed}\n")
    stand_ins = folder / ".stand-ins"
    stand_ins.mkdir()
    (stand_ins / "pipx").write_text(PIPX_STAND_IN)
    (stand_ins / "pipx").chmod(0o755)
    urls = sorted(set(REPOSITORY_URL.findall(block.code)))
    assert urls, "an install block installs from this repository's git URL"
    git_config = folder / ".gitconfig"
    git_config.write_text(
        "[safe]\n\tdirectory = *\n"
        + "".join(f'[url "file://{REPO}"]\n\tinsteadOf = {url}\n' for url in urls)
    )
    environment = base_environment(
        folder, [folder / ".pipx-bin", stand_ins, folder / ".env" / "bin"]
    )
    environment.update(
        PIPX_HOME=str(folder / ".pipx"),
        PIPX_BIN_DIR=str(folder / ".pipx-bin"),
        GIT_CONFIG_GLOBAL=str(git_config),
        GIT_CONFIG_NOSYSTEM="1",
        DOCS_TEST_PYTHON=sys.executable,
        DOCS_TEST_PYTHON_DIR=python_dir,
        DOCS_TEST_BORROWED=str(borrowed),
    )
    return environment


# --- running a block ----------------------------------------------------------------


@dataclass
class Outcome:
    status: int
    output: str


def _stop(process: subprocess.Popen[str], sig: int) -> None:
    with suppress(ProcessLookupError):
        os.killpg(process.pid, sig)


def run_script(block: Block, cwd: Path, environment: dict[str, str]) -> Outcome:
    prelude = "set -euo pipefail\n"
    if block.directives.checkout:
        prelude += 'make() { command make -n "$@"; }\n'
    process = subprocess.Popen(
        ["bash", "--noprofile", "--norc", "-c", prelude + block.script()],
        cwd=cwd,
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output = process.stdout
    assert output is not None
    chunks: list[str] = []
    reader = threading.Thread(target=collect, args=(output, chunks))
    reader.start()
    deadline = time.monotonic() + block.directives.timeout
    try:
        if block.directives.serves:
            wanted = block.directives.expect

            def ready() -> bool:
                text = "".join(chunks)
                return all(w in text for w in wanted) if wanted else bool(text)

            while not ready() and process.poll() is None and time.monotonic() < deadline:
                time.sleep(0.1)
            assert process.poll() is None, "the server ended by itself:\n" + "".join(chunks)
            assert ready(), "the server printed no expected output:\n" + "".join(chunks)
            _stop(process, signal.SIGINT)
        process.wait(timeout=max(1.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        _stop(process, signal.SIGKILL)
        process.wait()
        reader.join(timeout=5)
        pytest.fail(
            f"{block.id} ran longer than {block.directives.timeout:.0f} s:\n"
            + "".join(chunks)[-4000:]
        )
    finally:
        _stop(process, signal.SIGTERM)  # anything the block left running
        reader.join(timeout=10)
    return Outcome(process.returncode, "".join(chunks))


@pytest.mark.slow
@pytest.mark.parametrize("block", BLOCKS, ids=[block.id for block in BLOCKS])
def test_shell_block(block: Block, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    assert not block.problem, f"{block.id}: {block.problem}"
    directives = block.directives
    cwd = REPO if directives.checkout else tmp_path
    if directives.emulator:
        with running_emulator(tmp_path) as exported:
            environment = base_environment(tmp_path, [VENV_BIN]) | exported
            outcome = run_script(block, cwd, environment)
    elif directives.install:
        borrowed: Path = request.getfixturevalue("borrowed_site")
        outcome = run_script(block, cwd, install_environment(tmp_path, block, borrowed))
        installed = [tmp_path / ".pipx-bin", tmp_path / ".env" / "bin"]
        assert any((folder / "ahi-contract").exists() for folder in installed), (
            f"{block.id} installed no ahi-contract command:\n{outcome.output[-4000:]}"
        )
    else:
        outcome = run_script(block, cwd, base_environment(tmp_path, [VENV_BIN]))
    assert outcome.status == directives.exit_status, (
        f"{block.id} exited {outcome.status}, not {directives.exit_status}:\n"
        + outcome.output[-6000:]
    )
    for text in directives.expect:
        assert text in outcome.output, f"{block.id}: no {text!r} in:\n{outcome.output[-6000:]}"


# --- the conventions themselves -----------------------------------------------------


def test_the_readme_and_the_guides_have_blocks_that_run() -> None:
    files = {block.path for block in BLOCKS}
    assert {"README.md", "docs/server.md", "docs/sdk.md", "docs/ci.md"} <= files
    readme = [block for block in BLOCKS if block.path == "README.md"]
    assert any(b.directives.checkout and "make conformance" in b.code for b in readme)
    assert any(b.directives.install and "pipx install" in b.code for b in readme)


def misplaced_directives(name: str, text: str) -> list[str]:
    """Where `text` (the file `name`) holds a `docs-test` comment that no block that runs
    follows directly (through further comment lines only)."""
    lines = text.splitlines()
    run = {fenced.line for fenced in fenced_blocks(text) if fenced.language in SHELL_LANGUAGES}
    misplaced: list[str] = []
    for number, line in enumerate(lines, start=1):
        comment = COMMENT.match(line)
        if not (comment and DIRECTIVE.match(comment["body"])):
            if line.lstrip().startswith("<!--") and "docs-test:" in line:
                misplaced.append(f"{name}:{number} (a comment of one line, please)")
            continue
        following = number  # the index of the line after this one
        while following < len(lines) and COMMENT.match(lines[following]):
            following += 1
        if following + 1 not in run:
            misplaced.append(f"{name}:{number}")
    return misplaced


def test_every_docs_test_comment_sits_on_a_block_that_runs() -> None:
    misplaced = [
        entry
        for path in DOC_FILES
        for entry in misplaced_directives(doc_path(path), path.read_text(encoding="utf-8"))
    ]
    assert not misplaced, f"docs-test comments not directly above a block that runs: {misplaced}"


def test_a_directive_away_from_a_block_that_runs_is_found() -> None:
    text = "\n".join(
        [
            "<!-- docs-test: exit 1 -->",  # 1: a blank line before the block
            "",
            "```sh",
            "false",
            "```",
            "<!-- docs-test: exit 1 -->",  # 6: above a block that does not run
            "```text",
            "x",
            "```",
            '<!-- docs-test: expect "x" -->',  # 10: fine, through another comment
            "<!-- recipe: first-import -->",
            "```sh",
            "echo x",
            "```",
            "<!-- docs-test: exit 1",  # 15: over two lines
            "-->",
            "```sh",
            "false",
            "```",
        ]
    )
    assert misplaced_directives("probe.md", text) == [
        "probe.md:1",
        "probe.md:6",
        "probe.md:15 (a comment of one line, please)",
    ]


def test_fences_comments_and_directives_are_read_as_documented() -> None:
    text = "\n".join(
        [
            '<!-- docs-test: emulator (stands in for AWS; any note); expect "a; (b)" -->',
            "<!-- docs-test: exit 1; timeout 30 -->",
            "```sh",
            "echo one",
            "```",
            "- a list item:",
            "",
            "  ```console",
            "  $ echo two \\",
            "    three",
            "  two three",
            "  ```",
            "````text",
            "```sh",
            "not a block",
            "```",
            "````",
        ]
    )
    first, second, third = fenced_blocks(text)
    assert (first.line, first.language, first.code) == (3, "sh", "echo one\n")
    directives, problem = parse_directives(first.comments)
    assert problem == ""
    assert directives == Directives(emulator=True, expect=("a; (b)",), exit_status=1, timeout=30.0)
    assert (second.line, second.language) == (8, "console")
    console = Block("x.md", second.line, second.language, second.code)
    assert console.script() == "echo two \\\n  three\n"
    assert (third.language, third.code) == ("text", "```sh\nnot a block\n```\n")
    assert parse_directives([" docs-test: emulatr "])[1]
    assert parse_directives([" docs-test: emulator; checkout "])[1]
    assert parse_directives([" docs-test: expect unquoted "])[1]
    assert parse_directives([" recipe: first-import "]) == (Directives(), "")


# --- links --------------------------------------------------------------------------

LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^\s*\[[^\]]+\]:\s*(\S+)", re.MULTILINE)
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")


def outside_fences(text: str) -> list[str]:
    """The lines of `text` that are not inside a fenced block."""
    kept: list[str] = []
    fence: str | None = None
    for line in text.splitlines():
        if fence is None and (opening := FENCE.match(line)):
            fence = opening["fence"]
        elif fence is not None:
            fence = None if closes(line, fence) else fence
        else:
            kept.append(line)
    return kept


def anchors(text: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation but `-` and `_` dropped, spaces
    to `-`; a repeated heading gets `-1`, `-2`."""
    counts: dict[str, int] = {}
    found: set[str] = set()
    for line in outside_fences(text):
        if heading := HEADING.match(line):
            slug = re.sub(r"[^\w\- ]", "", heading[1].lower()).replace(" ", "-")
            count = counts.get(slug, 0)
            found.add(slug if count == 0 else f"{slug}-{count}")
            counts[slug] = count + 1
    return found


def broken_links(path: Path) -> list[str]:
    """The relative links of a Markdown file whose file or heading does not exist."""
    prose = "\n".join(
        re.sub(r"(`+).+?\1", "", line) for line in outside_fences(path.read_text("utf-8"))
    )
    broken: list[str] = []
    for target in LINK.findall(prose) + REFERENCE.findall(prose):
        if re.match(r"[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):
            continue  # https:, mailto:
        file_part, _, fragment = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif (
            fragment
            and linked.suffix == ".md"
            and fragment not in anchors(linked.read_text("utf-8"))
        ):
            broken.append(f"{target}: no such heading")
    return broken


@pytest.mark.parametrize("path", DOC_FILES, ids=[doc_path(path) for path in DOC_FILES])
def test_relative_links_name_existing_files_and_headings(path: Path) -> None:
    assert broken_links(path) == []


def test_the_link_check_finds_what_is_broken(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text("# Other\n## Other\n```sh\n# not a heading\n```\n")
    page = tmp_path / "page.md"
    page.write_text(
        "# The `runtime-` host prefix\n"
        "[a](#the-runtime--host-prefix) [b](other.md#other-1) [c](https://example.com/x)\n"
        "[d](missing.md) [e](#nowhere) [f](other.md#not-a-heading)\n"
        "`[g](in-code.md)`\n"
        "```text\n[h](in-a-block.md)\n```\n"
        "[i]: also-missing.md\n"
    )
    assert broken_links(page) == [
        "missing.md: no such file",
        "#nowhere: no such heading",
        "other.md#not-a-heading: no such heading",
        "also-missing.md: no such file",
    ]
