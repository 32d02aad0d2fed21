"""The `ahi-contract` command line: one subcommand module per front end.

Every refusal is one line on stderr with exit status 2; no traceback reaches
a user unless `AHI_CONTRACT_TRACEBACK=1` asks for it. SIGINT and SIGTERM stop
a run through its clean-up (`finally:` blocks) and exit 130 and 143.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import os
import re
import signal
import sys
import textwrap
import traceback
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

from harness import __version__
from harness.arguments.selection import Selectable, Selection, pattern_choices
from harness.imaging.known_set import silence_pydicom_warnings

SUBCOMMANDS: dict[str, str] = {
    "spec": "build, check or diff the OpenAPI document generated from the service model",
    "emulator": "run the reference emulator and its S3",
    "server": "certify an endpoint (default: the embedded emulator)",
    "sdk": "certify an SDK through an adapter (default: the reference client)",
    "diff": "compare two results.json files; exit 1 on any regression",
    "merge": "join the results.json of a run's shards into one set of reports",
    "selftest": "prove the harness's power: every emulator fault and SDK bug caught",
    "proxy": "judge an application's live traffic to an endpoint",
}
TRACEBACK_VARIABLE = "AHI_CONTRACT_TRACEBACK"
INTERRUPTED = 130
TERMINATED = 143
GIVEN = "given"
"""The attribute of the parsed arguments holding the options typed on the command line."""
COMMAND = "command_words"
"""The attribute of the parsed arguments naming the (sub)command run: `spec build`."""


def epilog(
    failure: str | None = None,
    environment: Sequence[str] = (),
    *,
    success: str = "done",
) -> str:
    """The help's closing text: what each exit status means, then the environment honoured.

    `success` is what 0 means, `failure` what 1 means (None: the command never exits 1).
    """
    rows = [("0", success)]
    if failure is not None:
        rows.append(("1", failure))
    rows += [
        ("2", "bad input, or the command could not start (one line on stderr says why)"),
        (str(INTERRUPTED), "stopped by SIGINT (Ctrl-C)"),
        (str(TERMINATED), "stopped by SIGTERM"),
    ]
    text = "exit status:\n" + "".join(f"  {code:<4} {meaning}\n" for code, meaning in rows)
    lines = [
        *environment,
        f"{TRACEBACK_VARIABLE}=1          show the traceback of an internal error",
    ]
    return text + "\nenvironment:\n" + "".join(f"  {line}\n" for line in lines)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`; did you mean X?` (or `X or Y?`) naming the choices closest to `word`, compared
    case-insensitively; an empty string when none is close."""
    spelled: dict[str, str] = {}
    for choice in choices:
        spelled.setdefault(choice.lower(), choice)
    lowered = word.lower()
    found = difflib.get_close_matches(lowered, list(spelled), n=3, cutoff=0.6)
    if not found:
        return ""
    best = difflib.SequenceMatcher(None, lowered, found[0]).ratio()
    close = [
        spelled[name]
        for name in found
        if difflib.SequenceMatcher(None, lowered, name).ratio() >= best - 0.05
    ]
    named = close[0] if len(close) == 1 else f"{', '.join(close[:-1])} or {close[-1]}"
    return f"; did you mean {named}?"


def suggestions(words: Sequence[str], choices: Iterable[str]) -> str:
    """`did_you_mean` for several unknown words: one hint, or one per word that has one."""
    listed = list(choices)
    if len(words) == 1:
        return did_you_mean(words[0], listed)
    return "".join(
        f"; for {word}{hint[1:]}" for word in words if (hint := did_you_mean(word, listed))
    )


def unmatched_patterns(
    selection: Selection, items: Iterable[Selectable], noun: str, options: str
) -> str | None:
    """Why `selection` cannot run over `items` (patterns matching nothing, with what they may
    have meant, or nothing left to run), or None. `noun` names an item (check, scenario),
    `options` the options that gave the patterns (`--check and --exclude-check`)."""
    listed = list(items)
    unknown = selection.unmatched(listed)
    if unknown:
        found = [
            (p, hint) for p in unknown if (hint := did_you_mean(p, pattern_choices(p, listed)))
        ]
        hints = "".join(
            hint if len(unknown) == 1 else f"; for {pattern}{hint[1:]}" for pattern, hint in found
        )
        return f"no {noun} ID or family matches {', '.join(unknown)}{hints}"
    if not selection.chosen(listed):
        return f"{options} leave no {noun} to run"
    return None


class HelpFormatter(argparse.HelpFormatter):
    """Wraps one-paragraph descriptions, keeps laid-out text (the epilog) as it is, never
    breaks a line at a hyphen, and appends a default that the help does not already state."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if "\n" in text:
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return textwrap.fill(
            " ".join(text.split()),
            width,
            initial_indent=indent,
            subsequent_indent=indent,
            break_on_hyphens=False,
        )

    def _split_lines(self, text: str, width: int) -> list[str]:
        # Never break `--exclude-scenario` or `sdk-retries` at its hyphen.
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        shown = default not in (None, False, [], argparse.SUPPRESS)
        if shown and "default" not in text and action.option_strings:
            text += " (default: %(default)s)"
        return text


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    found: dict[str, argparse.ArgumentParser] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found.update(action.choices)
    return found


def _options(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [action for action in parser._actions if action.option_strings]


def _all_parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    yield parser
    for child in _subparsers(parser).values():
        yield from _all_parsers(child)


def _option_name(action: argparse.Action) -> str:
    return max(action.option_strings, key=len)


class Parser(argparse.ArgumentParser):
    """An argparse parser whose usage errors are one line on stderr and exit 2, with a
    `did you mean` for a mistyped option or choice."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)
        self.words: list[str] = []

    def chosen(self) -> argparse.ArgumentParser:
        """The (sub)command parser the words being parsed name: `ahi-contract spec build`'s."""
        parser: argparse.ArgumentParser = self
        for word in self.words:
            children = _subparsers(parser)
            if word in children:
                parser = children[word]
        return parser

    def error(self, message: str) -> NoReturn:
        prog, hint = self.prog, ""
        unrecognized = re.match(r"unrecognized arguments: (.*)", message)
        choice = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if unrecognized:
            parser = self.chosen()
            prog = parser.prog
            flags = [
                word.split("=", 1)[0]
                for word in unrecognized.group(1).split()
                if word.startswith("-")
            ]
            names = [name for action in _options(parser) for name in action.option_strings]
            hint = suggestions(flags, names) if flags else ""
        elif choice:
            hint = did_you_mean(choice.group(1), re.findall(r"'([^']*)'", choice.group(2)))
        text = f"{' '.join(message.split())}{hint}"
        _refused_run_report(self.chosen(), self.words, text)
        self.exit(2, f"{prog}: {text} (see --help)\n")

    def given(self, words: Sequence[str]) -> frozenset[str]:
        """The options `words` name (`--format`, whatever spelling was typed), found by
        parsing them again with every option's default suppressed."""
        saved = [(parser, dict(parser._defaults)) for parser in _all_parsers(self)]
        actions = [(action, action.default) for parser, _ in saved for action in _options(parser)]
        try:
            for parser, _ in saved:
                parser._defaults.clear()
            for action, _ in actions:
                action.default = argparse.SUPPRESS
            bare = vars(self.parse_args(words))
        finally:
            for parser, defaults in saved:
                parser._defaults.update(defaults)
            for action, default in actions:
                action.default = default
        return frozenset(_option_name(action) for action, _ in actions if action.dest in bare)


def build_parser(argv: Sequence[str] = ()) -> Parser:
    """The root parser; only the subcommand named in `argv` is imported and registered in full.

    Subcommands import their suites when used, so `--version`, `--help` and `diff` start
    without loading schemathesis, hypothesis, moto or pydicom.
    """
    parser = Parser(
        prog="ahi-contract",
        description=(
            "Contract test harness for the AWS HealthImaging API: certify endpoints and SDKs "
            "against the service model and documented behaviour. `ahi-contract COMMAND --help` "
            "describes each command."
        ),
        epilog=epilog(
            "the command's verdict is negative: a check failed (server, sdk), a fault or bug "
            "missed\n"
            "       (selftest), a regression (diff), a breaking change or a stale spec (spec)",
            ("AWS_PROFILE, AWS_ENDPOINT_URL_MEDICAL_IMAGING and more: see `server --help`",),
            success="the command did what it was asked and its verdict is positive",
        ),
    )
    parser.words = list(argv)
    parser.add_argument("--version", action="version", version=f"ahi-contract {__version__}")
    subcommands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    chosen = next((word for word in argv if word in SUBCOMMANDS), None)
    for name, summary in SUBCOMMANDS.items():
        if name == chosen:
            importlib.import_module(f"harness.cli.{name}").register(subcommands)
        else:
            subcommands.add_parser(name, help=summary)
    for each in _all_parsers(parser):
        if isinstance(each, Parser):
            each.words = list(argv)  # a subcommand's own usage error reads them too
    return parser


def parse(words: Sequence[str]) -> argparse.Namespace:
    """The parsed command line, with the options it names under `given` (see `given`) and
    the command it runs under `command_words`."""
    parser = build_parser(words)
    arguments = parser.parse_args(words)
    setattr(arguments, GIVEN, parser.given(words))
    setattr(arguments, COMMAND, parser.chosen().prog.removeprefix(f"{parser.prog} "))
    return arguments


def given(arguments: argparse.Namespace) -> frozenset[str]:
    """The options typed on the command line, as `--long-name`s (empty when not parsed by
    `parse`): an option given its default value is still given."""
    found: frozenset[str] = getattr(arguments, GIVEN, frozenset())
    return found


def misplaced(
    arguments: argparse.Namespace,
    needs: Mapping[str, str] | None = None,
    alone: Mapping[str, Collection[str]] | None = None,
    excludes: Mapping[str, Collection[str]] | None = None,
) -> str | None:
    """Why options given together make no sense, or None.

    `needs` maps an option to the one it only means something with; `alone` maps an
    option that answers and exits (`--list-checks`) to the only options it takes;
    `excludes` maps an option to those it does not combine with.
    """
    typed = given(arguments)
    for option, anchor in (needs or {}).items():
        if option in typed and anchor not in typed:
            return f"{option} applies only with {anchor}"
    for option, companions in (alone or {}).items():
        extra = sorted(typed - {option, *companions})
        if option in typed and extra:
            takes = f"only {', '.join(companions)}" if companions else "no other option"
            return f"{option} does not combine with {', '.join(extra)} (it takes {takes})"
    for option, others in (excludes or {}).items():
        clashing = sorted(typed & set(others))
        if option in typed and clashing:
            return f"{option} does not combine with {', '.join(clashing)}"
    return None


REPORTING = ("server", "sdk", "selftest", "proxy")
"""The commands whose runs write reports."""
NOT_RUNS = frozenset({"--list-checks", "--list-scenarios", "--plan", "--protocol-doc"})
"""Options that make those commands print something instead of running."""


def _refused_run_report(parser: argparse.ArgumentParser, words: Sequence[str], reason: str) -> None:
    """A run refused for its command line replaces the reports its folder holds with a set
    that says so, as a run refused later does, so that CI never shows an earlier run's."""
    command = parser.prog.split()[-1]
    if command not in REPORTING or NOT_RUNS & set(words):
        return
    folder = Path(parser.get_default("report_dir") or "reports")
    options = [option for action in parser._actions for option in action.option_strings]
    for index, word in enumerate(words):
        name, equals, value = word.partition("=")
        meant = [option for option in options if name[:2] == "--" and option.startswith(name)]
        if meant != ["--report-dir"]:
            continue  # argparse takes a unique prefix (an abbreviation) for the option
        if equals:
            folder = Path(value)
        elif index + 1 < len(words):
            folder = Path(words[index + 1])
    refuse_run(command, reason, folder, quiet=True)


def refuse_run(
    command: str,
    reason: str,
    report_dir: Path,
    target: dict[str, Any] | None = None,
    seed: int | None = None,
    profile: str | None = None,
    *,
    quiet: bool = False,
) -> int:
    """Refuse a run (`refuse`); when `report_dir` can be written, a report set saying it was
    refused and why replaces the reports there. `quiet`: write the reports only."""
    from harness.arguments.types import unwritable_reason
    from harness.report.writers import write_refusal

    if unwritable_reason(report_dir) is None:
        write_refusal(report_dir, command, reason, target, seed, profile)
    return 2 if quiet else refuse(command, reason)


def refuse(command: str, reason: str) -> int:
    """Print a one-line refusal for `command` and return exit status 2."""
    print(f"ahi-contract {command}: {' '.join(reason.split())}", file=sys.stderr)
    return 2


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived: raised like Ctrl-C's KeyboardInterrupt so that clean-up runs."""


def _terminate(signum: int, frame: FrameType | None) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    raise Terminated()


@contextmanager
def _sigterm_raises() -> Iterator[None]:
    """SIGTERM raises `Terminated` in the main thread while the block runs (a second
    SIGTERM ends the process at once)."""
    try:
        previous = signal.signal(signal.SIGTERM, _terminate)
    except ValueError:  # not the main thread: signals cannot be handled here
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _silence_stdout() -> None:
    """The reader of stdout went away (`| head`): send what is left to the null device, so
    that the interpreter's final flush stays quiet, as a pipeline expects."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError):
        return


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit status."""
    words = list(sys.argv[1:] if argv is None else argv)
    silence_pydicom_warnings()
    arguments = parse(words)
    command: str = getattr(arguments, COMMAND)
    try:
        with _sigterm_raises():
            status: int = arguments.run(arguments)
    except Terminated:
        print(f"ahi-contract {command}: stopped by SIGTERM", file=sys.stderr)
        return TERMINATED
    except KeyboardInterrupt:
        print(f"ahi-contract {command}: stopped by SIGINT", file=sys.stderr)
        return INTERRUPTED
    except BrokenPipeError:
        _silence_stdout()
        return 0
    except (OSError, ValueError) as error:
        return refuse(command, str(error))
    except Exception as error:
        if os.environ.get(TRACEBACK_VARIABLE) == "1":
            traceback.print_exc()
        return refuse(
            command,
            f"internal error: {type(error).__name__}: {error} "
            f"(set {TRACEBACK_VARIABLE}=1 to see where)",
        )
    return status
