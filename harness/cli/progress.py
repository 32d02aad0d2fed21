"""Progress for long runs: a rich status line on a terminal, nothing otherwise."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console


@contextmanager
def progress(quiet: bool) -> Iterator[Callable[[str], None]]:
    """Yield a function that reports a step; silent with --quiet or off a terminal."""
    console = Console(stderr=True)
    if quiet or not console.is_terminal:
        yield lambda message: None
        return
    with console.status("starting") as status:

        def report(message: str) -> None:
            console.log(message)
            status.update(message)

        yield report
