"""The ``annoformat`` console script: ``validate`` without click when its arguments are simple.

A pre-commit hook runs ``annoformat validate --skip-unknown FILE...`` once per commit, so its
start-up is what users wait for; click alone is about a tenth of it. :func:`main` therefore
runs ``validate PATH...`` with only the flags ``--skip-unknown``, ``--no-config``,
``--no-images`` and ``--output text|json|github|sarif`` itself, printing exactly what
``annoformat.cli``'s ``validate`` command prints, with its exit codes. Everything else (help,
other commands and options, usage errors, an unexpected error, a terminal that is not UTF-8)
goes to the click command line in ``annoformat.cli``, and so does a run whose stderr is a
terminal (it shows progress bars there; a hook's output is a pipe). When the fast path meets
an error it has printed nothing yet, so click runs the command again from the start and
reports it as always.
``tests/test_entry.py`` runs the validate transcripts and fixtures through both paths.

Example:
    >>> args = fast_validate_args(["validate", "--skip-unknown", "a.json", "b.xml"])
    >>> args.paths, args.skip_unknown, args.output
    (['a.json', 'b.xml'], True, 'text')
    >>> fast_validate_args(["validate", "--format", "coco", "a.json"]) is None
    True
"""

from __future__ import annotations

import os
import signal
import sys
from dataclasses import dataclass
from typing import Any

_FLAGS = {"--skip-unknown": "skip_unknown", "--no-config": "no_config",
          "--no-images": "no_images"}
_OUTPUTS = ("text", "json", "github", "sarif")
EXIT_OK, EXIT_FINDINGS = 0, 1
EXIT_BROKEN_PIPE, EXIT_INTERRUPTED, EXIT_TERMINATED = 128 + 13, 128 + 2, 128 + 15


@dataclass
class ValidateArgs:
    """What ``validate`` was given, when the fast path can take it."""

    paths: list[str]
    skip_unknown: bool = False
    no_config: bool = False
    no_images: bool = False
    output: str = "text"


def fast_validate_args(argv: list[str]) -> ValidateArgs | None:
    """The arguments of ``validate`` when they are simple enough for :func:`run_validate`, else
    None (click then parses them: help, usage errors and every other option)."""
    if len(argv) < 2 or argv[0] != "validate":
        return None
    found = ValidateArgs(paths=[])
    rest = iter(argv[1:])
    for arg in rest:
        if arg in _FLAGS:
            setattr(found, _FLAGS[arg], True)
        elif arg == "--output" or arg.startswith("--output="):
            value = arg.partition("=")[2] if "=" in arg else next(rest, None)
            if value not in _OUTPUTS:
                return None
            found.output = value
        elif not arg or arg.startswith("-") or not _utf8(arg):
            return None  # an option click knows (or not), "--", or a name click may treat apart
        else:
            found.paths.append(arg)
    return found if found.paths else None


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes of a file name (surrogate escapes)
        return False
    return True


def _plain_streams() -> bool:
    """stdout and stderr are UTF-8 text streams that click's ``echo`` writes to unchanged."""
    for stream in (sys.stdout, sys.stderr):
        encoding = getattr(stream, "encoding", None) or ""
        if stream is None or encoding.lower().replace("-", "").replace("_", "") != "utf8":
            return False
    return True


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the process was (as ``annoformat.cli`` does)."""


def _terminated(signum: int, frame: Any) -> None:
    raise _Terminated


def interrupt_handled() -> None:
    """Call once a Ctrl-C is handled, before exiting with 130: under ``python -m annoformat``
    CPython kills itself with SIGINT at exit (status -2, not ours) when the KeyboardInterrupt
    landed while a library was evaluating a string of code (``namedtuple`` and ``dataclass``
    do, during a lazy import), even though it was then caught; that flag is cleared at the
    start of every string evaluation, so one harmless evaluation clears it."""
    exec("None")


class _Fallback(Exception):
    """The fast path cannot print exactly what click would: click runs the command instead."""


def run_validate(args: ValidateArgs) -> int:
    """Validate ``args.paths`` and print as ``annoformat validate`` does; the exit status.

    Raises:
        _Fallback: before anything is printed, when the run needs click's error handling.
    """
    from pathlib import Path

    from annoformat import __version__
    from annoformat.convert import validate
    from annoformat.diagnostics import Report, render

    previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        try:
            total = Report()
            for path in args.paths:
                total.extend(validate(Path(path), None, max_errors=None,
                                      config=False if args.no_config else None,
                                      skip_unknown=args.skip_unknown,
                                      images=not args.no_images))
            shown = total.filter((), ())
            text = render(shown, args.output, version=__version__)
        except Exception as exc:  # a usage error, a refusal, a crash: click's handler reports it
            raise _Fallback from exc
        counts = shown.summary()
        summary = (f"{len(args.paths)} input(s): {counts['error']} error(s), "
                   f"{counts['warning']} warning(s), {counts['info']} info")
        if "\x1b" in text or not (_utf8(text) and _utf8(summary)):
            raise _Fallback  # click.echo strips ANSI sequences from a pipe: let it
        try:
            if text:
                _echo(sys.stdout, text)
            _echo(sys.stderr, summary)
        except BrokenPipeError:  # `annoformat validate x | head`: the reader left early
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return EXIT_BROKEN_PIPE
        return EXIT_FINDINGS if shown.has_errors else EXIT_OK
    except KeyboardInterrupt:
        terminated = isinstance(sys.exc_info()[1], _Terminated)
        interrupt_handled()
        _echo(sys.stderr, "terminated" if terminated else "interrupted")
        return EXIT_TERMINATED if terminated else EXIT_INTERRUPTED
    finally:
        signal.signal(signal.SIGTERM, previous)


def _echo(stream: Any, text: str) -> None:
    stream.write(text + "\n")
    stream.flush()


def main() -> None:
    """The console script: the fast ``validate``, else the click command line."""
    args = fast_validate_args(sys.argv[1:])
    # click completes the command line instead of running it when this variable is set; a
    # terminal gets progress bars (annoformat.cli), a hook's pipe does not
    if (args is not None and _plain_streams() and not sys.stderr.isatty()
            and "_ANNOFORMAT_COMPLETE" not in os.environ):
        try:
            status = run_validate(args)
        except _Fallback:
            pass
        else:
            sys.exit(status)
    from annoformat.cli import main as cli_main

    cli_main()
