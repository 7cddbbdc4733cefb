"""The ``annoformat`` command: a thin layer over the Python API.

Exit codes: 0 clean; 1 findings at error level, or a refused conversion; 2 usage error;
3 internal error (one line on screen, the traceback in a log file).
"""

from __future__ import annotations

import functools
import os
import signal
import sys
import tempfile
import traceback
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
import orjson

from annoformat import __version__
from annoformat._entry import interrupt_handled
from annoformat._io import parse_size
from annoformat.codes import OWNERS, Severity, catalogue, lookup
from annoformat.codes import markdown as codes_markdown
from annoformat.diagnostics import (
    AnnoformatError,
    Report,
    UsageError,
    advice,
    escape_text,
    render,
)
from annoformat.media import MODES, Mode

if TYPE_CHECKING:  # each command imports what it needs (start-up: a hook runs `validate`)
    from annoformat.convert import ConversionResult
    from annoformat.progress import ProgressEvent

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
EXIT_BROKEN_PIPE, EXIT_INTERRUPTED, EXIT_TERMINATED = 128 + 13, 128 + 2, 128 + 15
_F = TypeVar("_F", bound=Callable[..., Any])

_EPILOG = ("Exit codes: 0 clean; 1 errors found or conversion refused; 2 usage error; "
           "3 internal error (traceback in a log file); 130 Ctrl-C, 143 SIGTERM (nothing "
           "left behind); 141 output pipe closed early.")


def _terminated(signum: int, frame: Any) -> None:
    raise _Terminated


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the process was, so that ``finally`` blocks clean up."""


def _guarded(func: _F) -> _F:
    """One error handler at the boundary: coded messages, never a traceback on screen."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        # SIGTERM unwinds like Ctrl-C, so every staging folder and lock is removed on the way
        previous = signal.signal(signal.SIGTERM, _terminated)
        try:
            return func(*args, **kwargs)
        except KeyboardInterrupt:
            terminated = isinstance(sys.exc_info()[1], _Terminated)
            interrupt_handled()
            click.echo("terminated" if terminated else "interrupted", err=True)
            sys.exit(EXIT_TERMINATED if terminated else EXIT_INTERRUPTED)
        except UsageError as exc:
            click.echo(render(exc.report, "text"), err=True)
            sys.exit(EXIT_USAGE)
        except AnnoformatError as exc:  # a refusal: what was found, then what would proceed
            click.echo(render(exc.report, "text"), err=True)
            for line in advice(exc.report):
                click.echo(f"to proceed: {line}", err=True)
            sys.exit(EXIT_FINDINGS)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except BrokenPipeError:  # `annoformat validate x | head`: the reader left early
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            # not 0: what was not printed may have been an error (128 + SIGPIPE, as shells)
            sys.exit(EXIT_BROKEN_PIPE)
        except Exception as exc:
            try:
                fd, log = tempfile.mkstemp(prefix="annoformat-crash-", suffix=".log")
                with os.fdopen(fd, "w") as fh:
                    fh.write(traceback.format_exc())
            except OSError:  # no temporary folder to write it in: the screen, then
                click.echo(traceback.format_exc(), err=True)
                log = "(not written: no usable temporary folder; printed above)"
            report = Report()
            report.add("AF099", reason=f"{type(exc).__name__}: {exc}", log=log)
            click.echo(render(report, "text"), err=True)
            sys.exit(EXIT_INTERNAL)
        finally:
            signal.signal(signal.SIGTERM, previous)

    return wrapper  # type: ignore[return-value]


def _parse_opts(pairs: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint="--opt")
        try:
            out[key.strip()] = orjson.loads(value)
        except orjson.JSONDecodeError:
            out[key.strip()] = value
    return out


def _max_bytes(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is None:
        return
    size = parse_size(value)
    if size is None:
        raise click.BadParameter(f"expected a size such as 500M or 20G, got {value!r}")
    os.environ["ANNOFORMAT_MAX_BYTES"] = str(size)  # read by every file read, and subprocesses


@click.group(epilog=_EPILOG)
@click.version_option(package_name="annoformat")
@click.option("--max-bytes", callback=_max_bytes, expose_value=False, is_eager=True,
              metavar="SIZE", help="Largest input file read (default 8G; also the "
              "ANNOFORMAT_MAX_BYTES environment variable, in bytes).")
def main() -> None:
    """Convert and validate annotation files (COCO, VOC, YOLO, CVAT, JSONL) without silent loss."""


_OUTPUT = click.option("--output", "output",
                       type=click.Choice(["text", "json", "github", "sarif"]),
                       default="text", show_default=True, help="How to print diagnostics.")


_PROGRESS = click.option("--progress/--no-progress", "progress", default=None,
                         help="Show items read and written (counts, rate, time left) on "
                         "stderr. Default: only when stderr is a terminal.")


_JOBS = click.option("--jobs", "-j", "jobs", type=click.IntRange(min=1), default=None,
                     help="Processes for the files of per-file formats (Pascal VOC): default "
                     "every usable core (CPU affinity and cgroup quota); 1 works in this "
                     "process. The output is the same for any number.")


class _FormatOption(click.Option):
    """An option naming a format: its help lists the formats, found when help is shown (not
    at import: discovering the formats is what a hook's start-up should not pay for)."""

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        record = super().get_help_record(ctx)
        if record is None:
            return None
        from annoformat.registry import list_formats

        names = ", ".join(list_formats())
        return record[0], f"{record[1]} One of: {names} (aliases: `annoformat formats`)."


def _scheduler(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and value.startswith("local:") and not (
            value[6:].isdigit() and int(value[6:]) >= 1):
        raise click.BadParameter(f"{value!r}: local:N takes a number of workers of 1 or more")
    return value


#: sharded runs on Dask; paths stay strings so that URLs keep their ``//``
_SCHEDULER = click.option(
    "--scheduler", default=None, metavar="WHERE", callback=_scheduler,
    help="Run on Dask, one task per shard (needs annoformat[dask]): the source is a URL or "
    "glob of shard files (s3://..., gs://..., a path), each written to DST/<shard>. WHERE: "
    "sync (this process), local:N (N worker processes) or a scheduler address "
    "(tcp://host:8786).")


@main.command("convert", epilog=_EPILOG)
@click.argument("src", type=click.Path())
@click.argument("dst", type=click.Path())
@click.option("--to", "to", required=True, cls=_FormatOption, help="Target format.")
@click.option("--from", "from_", default=None, cls=_FormatOption,
              help="Source format (detected if omitted).")
@click.option("--allow-loss", is_flag=True, help="Convert even if annotations, geometry or "
              "attributes are dropped (each is still reported).")
@click.option("--strict", is_flag=True, help="Refuse any loss, metadata included.")
@click.option("--allow-empty", is_flag=True, help="Convert even if no item was read from a "
              "source that holds files (AF009).")
@click.option("--overwrite", is_flag=True, help="Replace an existing destination.")
@click.option("--report", "report_file", type=click.Path(path_type=Path), default=None,
              help="Write the summary and all diagnostics as JSON to this file.")
@click.option("--opt", "opts", multiple=True, metavar="KEY=VALUE",
              help="Option of the target format (repeatable).")
@click.option("--read-opt", "read_opts", multiple=True, metavar="KEY=VALUE",
              help="Option of the source format (repeatable).")
@click.option("--label-map", type=click.Path(path_type=Path), default=None,
              help="YAML/JSON file that renames, merges, drops and orders labels.")
@click.option("--media", type=click.Choice(MODES), default="hardlink", show_default=True,
              help="How images reach a target that keeps them beside its labels (YOLO, VOC, "
              "a COCO folder): a hard link (a copy across file systems), a copy, a symbolic "
              "link, or none (labels only).")
@click.option("--images", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="The folder holding the source's images (default: the source's own).")
@click.option("-v", "--verbose", is_flag=True, help="List every finding (metadata ones are "
              "otherwise folded into one line).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors, and the summary.")
@_JOBS
@_SCHEDULER
@click.option("--stream/--no-stream", default=None, help="Write as it reads, in memory that "
              "does not grow with the dataset (--no-stream: read the whole dataset first, "
              "faster). Default: stream when the whole would not fit in 3/4 of the free "
              "memory.")
@click.option("--merge", is_flag=True, help="With --scheduler and --to coco: one COCO file "
              "DST, the shards' outputs merged (ids unique across shards), instead of a "
              "folder of them.")
@_PROGRESS
@_OUTPUT
@_guarded
def convert_cmd(src: str, dst: str, to: str, from_: str | None, allow_loss: bool,
                strict: bool, allow_empty: bool, overwrite: bool, report_file: Path | None,
                opts: tuple[str, ...], read_opts: tuple[str, ...], label_map: Path | None,
                media: Mode, images: Path | None, verbose: bool, quiet: bool,
                jobs: int | None, scheduler: str | None, stream: bool | None, merge: bool,
                progress: bool | None, output: str) -> None:
    """Convert SRC to format --to at DST (a file, folder or .zip, written atomically)."""
    if merge and scheduler is None:
        raise click.UsageError("--merge: only with --scheduler (it merges shard outputs)")
    from annoformat.registry import get_format

    if merge and get_format(to).name != "coco":
        raise click.UsageError(f"--merge: shard outputs are merged into one COCO file; not "
                               f"for --to {to}")
    if scheduler is not None:
        local_only = [name for name, given in (
            ("--label-map", label_map), ("--images", images), ("--allow-empty", allow_empty),
            ("--media", media != "hardlink"), ("--stream/--no-stream", stream is not None))
            if given]
        if local_only:
            raise click.UsageError(f"{', '.join(local_only)}: not with --scheduler (a sharded "
                                   "run converts labels only)")
        from annoformat.dask import convert as sharded

        result = sharded(src, dst, to, from_, allow_loss=allow_loss, strict=strict,
                         overwrite=overwrite, options=_parse_opts(opts),
                         read_options=_parse_opts(read_opts), scheduler=scheduler,
                         merge=merge)
    else:
        from annoformat.convert import convert

        bars = _Progress(progress)
        try:
            result = convert(src, dst, to, from_, allow_loss=allow_loss, strict=strict,
                             overwrite=overwrite, options=_parse_opts(opts),
                             read_options=_parse_opts(read_opts), label_map=label_map,
                             progress=bars.callback, allow_empty=allow_empty, media=media,
                             images=images, jobs=jobs, stream=stream)
        finally:
            bars.close()
    if report_file is not None:
        report_file.write_bytes(orjson.dumps(result.to_dict(), option=orjson.OPT_INDENT_2))
    if output != "text":  # machine outputs: everything, as is
        if len(result.report):
            click.echo(render(result.report, output, version=__version__))
        click.echo(_summary_text(result), err=True)
    else:  # a person reads it: the outcome first, then what to look at
        click.echo(_summary_text(result), err=True)
        findings = _findings_text(result.report, verbose=verbose, quiet=quiet)
        if findings:
            click.echo(findings, err=True)
    sys.exit(EXIT_OK if result.written else EXIT_FINDINGS)


#: findings about metadata only (info, ids, extras...): folded into one line unless -v
_FOLDED = {"AF507"}


def _findings_text(report: Report, *, verbose: bool, quiet: bool) -> str:
    """Errors, then warnings, then information, one per line; with ``quiet`` only errors;
    without ``verbose`` the metadata-only warnings as one line with their count."""
    groups: dict[Severity, Report] = {sev: Report() for sev in Severity}  # errors first
    folded = []
    for d in report:
        if quiet and d.severity is not Severity.ERROR:
            continue
        if not verbose and d.code in _FOLDED and d.severity is Severity.WARNING:
            folded.append(d)
            continue
        groups[d.severity].extend([d])
    lines = []
    for severity, group in groups.items():
        lines += [line for line in render(group, "text").split("\n") if line]
        if severity is Severity.WARNING and folded:  # with the warnings, before information
            what = ", ".join(dict.fromkeys(str(d.ctx.get("what", d.code)) for d in folded))
            lines.append(f"{folded[0].code} metadata-dropped: (warning) {len(folded)} "
                         f"kind(s) of metadata the target cannot hold: {what} (-v lists them)")
    return "\n".join(lines)



class _Progress:
    """Bars on stderr for the items read and written and the images placed, each with its
    count, rate and time left (tqdm, fed by :class:`~annoformat.progress.ProgressEvent`).
    Shown when stderr is a terminal, or when asked for (``--progress``); otherwise this is
    not a callback at all (:attr:`callback` is None: readers then count nothing)."""

    def __init__(self, wanted: bool | None) -> None:
        self.shown = sys.stderr.isatty() if wanted is None else wanted
        self.bars: dict[str, Any] = {}

    @property
    def callback(self) -> Callable[[ProgressEvent], None] | None:
        return self.event if self.shown else None

    def event(self, event: ProgressEvent) -> None:
        bar = self.bars.get(event.task)
        if bar is None:
            from tqdm import tqdm

            noun = "bytes" if event.unit == "B" else f"{event.unit}s"
            desc = event.task if event.task == noun else f"{event.task} {noun}"
            counts = "{n_fmt}/{total_fmt}" if event.total is not None else "{n_fmt}"
            shape = "|{bar}| {percentage:3.0f}% " if event.total is not None else ""
            bar = self.bars[event.task] = tqdm(
                total=event.total, desc=desc, unit=event.unit,
                unit_scale=event.unit == "B", leave=False, mininterval=0.2, file=sys.stderr,
                # a terminal that reports no size (0x0) would hide every bar
                **({} if _columns() else {"ncols": 100, "nrows": 30}),
                bar_format="{desc} " + counts + " " + shape + "[{elapsed}<{remaining}, "
                "{rate_fmt}]")
        if event.done > bar.n:
            bar.update(event.done - bar.n)
        if event.finished:  # the exact final count, shown once before the bar goes
            bar.total = event.total
            bar.refresh()
            bar.close()
            del self.bars[event.task]

    def close(self) -> None:
        for bar in self.bars.values():  # a read that stopped on an error
            bar.close()
        self.bars.clear()


def _columns() -> int:
    try:
        return os.get_terminal_size(sys.stderr.fileno()).columns
    except (OSError, ValueError):
        return 0


def _summary_text(result: ConversionResult) -> str:
    s = result.summary
    head = f"{result.source_format or '?'} -> {result.target_format}"
    if not s:
        return "\n".join([f"{head}: nothing written ({len(result.report.errors)} error(s))"]
                         + [f"to proceed: {a}" for a in advice(result.report)])
    types = ", ".join(f"{k} {v}" for k, v in s["annotations_by_type"].items()) or "none"
    verdict = f"written to {escape_text(result.destination)}" if result.written else "NOT written"
    loss = result.loss
    lines = [
        f"{head}: {s['items']} item(s) ({s['items_without_annotations']} without annotations), "
        f"{s['annotations']} annotation(s) [{types}], {s['labels']} label(s); {verdict}",
    ]
    if s.get("media") and result.written:
        lines.append("images: " + ", ".join(f"{n} {how}" for how, n in s["media"].items()))
    lines += [f"to proceed: {a}" for a in (advice(result.report) if not result.written else [])]
    if loss:
        counts = Counter(d.code for d in loss)
        lines.append("loss: " + ", ".join(
            f"{code} x{n}" if n > 1 else code for code, n in sorted(counts.items()))
            )
    else:
        lines.append("loss: none")
    return "\n".join(lines)


@main.command("validate", epilog=_EPILOG)
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--format", "format_name", default=None, cls=_FormatOption,
              help="Format of the inputs (detected if omitted).")
@click.option("--max-errors", type=click.IntRange(min=1), default=None,
              help="Stop recording after N diagnostics per input.")
@click.option("--select", multiple=True, help="Only these codes, names or prefixes (AF2).")
@click.option("--ignore", multiple=True, help="Leave out these codes, names or prefixes.")
@click.option("--config", type=click.Path(path_type=Path), default=None,
              help="Project rules file (default: nearest annoformat.toml or pyproject.toml "
                   "with [tool.annoformat]).")
@click.option("--no-config", is_flag=True, help="Do not apply project rules.")
@click.option("--skip-unknown", is_flag=True,
              help="Files no format recognises are noted, not errors (for hooks).")
@click.option("--no-images", is_flag=True,
              help="Do not ask for the images of datasets that train on them (YOLO, AF040): "
              "for repositories that keep images elsewhere (DVC, object storage).")
@_JOBS
@_SCHEDULER
@_PROGRESS
@_OUTPUT
@_guarded
def validate_cmd(paths: tuple[str, ...], format_name: str | None, max_errors: int | None,
                 select: tuple[str, ...], ignore: tuple[str, ...], config: Path | None,
                 no_config: bool, skip_unknown: bool, no_images: bool, jobs: int | None,
                 scheduler: str | None, progress: bool | None, output: str) -> None:
    """Validate files or dataset folders: syntax, schema, semantics, project rules."""
    total = Report()
    if scheduler is not None:  # every path's shards in one run (project rules do not apply)
        from annoformat.dask import validate as sharded

        total.extend(sharded(list(paths), format_name, scheduler=scheduler))
    else:
        from annoformat.convert import validate

        bars = _Progress(progress)
        try:
            for path in paths:
                total.extend(validate(path, format_name, max_errors=max_errors,
                                      config=False if no_config else config,
                                      skip_unknown=skip_unknown, images=not no_images,
                                      progress=bars.callback, jobs=jobs))
        finally:
            bars.close()
    try:
        shown = total.filter(select, ignore)
    except KeyError as exc:
        raise click.BadParameter(f"unknown code or name {exc}") from None
    text = render(shown, output, version=__version__)
    if text:
        click.echo(text)
    counts = shown.summary()
    click.echo(f"{len(paths)} input(s): {counts['error']} error(s), {counts['warning']} "
               f"warning(s), {counts['info']} info", err=True)
    sys.exit(EXIT_FINDINGS if shown.has_errors else EXIT_OK)


@main.command(epilog=_EPILOG)
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--format", "format_name", default=None, help="Format (detected if omitted).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@_guarded
def info(path: Path, format_name: str | None, as_json: bool) -> None:
    """Items, subsets, labels and annotations by type and label."""
    from annoformat.convert import load, summarize

    ds = load(path, format_name)
    s = summarize(ds)
    if as_json:
        click.echo(orjson.dumps(s, option=orjson.OPT_INDENT_2).decode())
        return
    click.echo(f"items: {s['items']} ({s['items_without_annotations']} without annotations)")
    # names come from the input: escaped, so an ESC or a newline in a label cannot reach the
    # terminal raw
    click.echo("subsets: " + ", ".join(f"{escape_text(k)} {v}" for k, v in s["subsets"].items()))
    click.echo(f"labels: {s['labels']}")
    click.echo(f"annotations: {s['annotations']}")
    for key in ("annotations_by_type", "annotations_by_label"):
        click.echo(key.replace("_", " ") + ":")
        for name, count in s[key].items():
            click.echo(f"  {escape_text(name)}: {count}")


@main.command("stats", epilog=_EPILOG)
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--from", "from_", default=None, cls=_FormatOption,
              help="Format of PATH (detected if omitted).")
@click.option("--by", type=click.Choice(["subset", "annotator", "label"]), default=None,
              help="Also per group; by annotator names the one who labels unlike the others "
              "(AF727).")
@click.option("--against", type=click.Path(path_type=Path), default=None,
              help="A reference dataset (an earlier batch): label share changes with a "
              "chi-square test, Jensen-Shannon distances, labels and attribute values that "
              "appear or vanish (AF720-AF726).")
@click.option("--against-from", default=None, cls=_FormatOption,
              help="Format of --against (detected if omitted).")
@click.option("--drift-threshold", type=click.FloatRange(0, 1), default=0.1,
              show_default=True, help="Jensen-Shannon distance above which label or size "
              "distributions count as drifted (also for the annotator outlier).")
@click.option("--significance", type=click.FloatRange(0, 1, min_open=True), default=0.001,
              show_default=True, help="p-value below which a label's share change is "
              "flagged (AF722).")
@click.option("--images", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Where the images are, for the HTML report (default: beside PATH).")
@click.option("--fail-on-drift", is_flag=True,
              help="Exit 1 when drift or an outlier annotator is flagged (a CI gate).")
@click.option("-o", "--out", "out", type=click.Path(path_type=Path, dir_okay=False),
              default=None, help="Write the output to this file instead of stdout.")
@click.option("--output", type=click.Choice(["text", "json", "html"]), default="text",
              show_default=True, help="Text tables, one JSON document, or a self-contained "
              "HTML page with plots.")
@_guarded
def stats_cmd(path: Path, from_: str | None, by: str | None, against: Path | None,
              against_from: str | None, drift_threshold: float, significance: float,
              images: Path | None, fail_on_drift: bool, out: Path | None, output: str) -> None:
    """Statistics of a dataset: items, objects per item, labels, box sizes, attributes;
    per subset, annotator or label; drift against another dataset."""
    from annoformat.quality.stats import stats
    from annoformat.quality.stats_text import render_text

    result = stats(path, format=from_, by=by, against=against,  # type: ignore[arg-type]
                   against_format=against_from, drift_threshold=drift_threshold,
                   significance=significance, images=images)
    text = {"json": result.to_json, "html": result.to_html}.get(output, lambda: render_text(
        result))()
    _emit(text, out, [path] if against is None else [path, against])
    if len(result.report):
        click.echo(render(result.report, "text"), err=True)
    flagged = any(d.severity is not Severity.INFO for d in result.report)
    sys.exit(EXIT_FINDINGS if fail_on_drift and flagged else EXIT_OK)


def _emit(text: str, out: Path | None, inputs: list[Path]) -> None:
    """A report to stdout, or to ``out`` atomically and never over one of the ``inputs``
    (AF014), replacing an earlier report there."""
    if out is None:
        click.echo(text)
        return
    from annoformat._output import staged_output

    written = Report()
    with staged_output(out, written, overwrite=True, sources=inputs) as staging:
        if staging is not None:
            staging.path.write_text(text.rstrip("\n") + "\n", encoding="utf-8")
    if staging is None or not staging.committed:
        raise AnnoformatError(written)


@main.command("detect", epilog=_EPILOG)
@click.argument("path", type=click.Path(path_type=Path))
@_guarded
def detect_cmd(path: Path) -> None:
    """Say which format PATH (a file, folder or .zip) is, and why each other format is not."""
    from annoformat.registry import detect
    from annoformat.sources import opened

    report = Report()
    with opened(path, report) as root:
        if root is not None:
            found = detect(root)
            shown = f"{path}!" if root != path else str(path)
            for name, verdict in sorted(found.verdicts.items(), key=lambda kv: -kv[1].confidence):
                mark = "*" if found.format is not None and name == found.format.name else " "
                reason = verdict.reason.replace(str(root), shown)
                click.echo(f"{mark} {name:<12} {verdict.confidence:.2f}  {reason}")
            report.extend(found.report)
    if root is None or found.format is None:
        click.echo(render(report, "text"), err=True)
        sys.exit(EXIT_FINDINGS)


@main.command("formats", epilog=_EPILOG)
@click.argument("name", required=False)
@click.option("--markdown", is_flag=True, help="Print the capability table (formats x "
              "annotation types, read and write) as Markdown, as the docs use it.")
@_guarded
def formats_cmd(name: str | None, markdown: bool) -> None:
    """List formats with their aliases, capabilities and options (NAME: one format)."""
    from annoformat.registry import LOAD_REPORT, get_format, list_formats

    chosen = [get_format(name)] if name else list(list_formats().values())
    if markdown:
        click.echo(_capability_table(chosen))
        return
    for fmt in chosen:
        caps = fmt.capabilities.describe()
        aliases = f" (also: {', '.join(fmt.aliases)})" if fmt.aliases else ""
        click.echo(f"{fmt.name}{aliases}: {fmt.description}")
        for key, value in caps.items():
            shown = ", ".join(value) if isinstance(value, list) else value
            if key == "annotation_types":  # what the loss plan does with each, not a set
                fates = fmt.fidelity()
                shown = ", ".join(k for k, fate in fates.items() if fate == "kept")
                shown += "".join(f"; {k} {fate}" for k, fate in fates.items()
                                 if fate.startswith("as "))
            click.echo(f"  {key}: {shown}")
        table = fmt.option_table()
        if table and name:  # one format: each option in full
            click.echo("  options (--opt KEY=VALUE to write, --read-opt to read):")
            for opt in table:
                click.echo(f"    {opt.name}: {opt.type} (default {opt.default})")
                if opt.description:
                    click.echo(f"      {opt.description}")
        elif table:
            click.echo("  options: " + ", ".join(o.name for o in table)
                       + f" (annoformat formats {fmt.name})")
    if len(LOAD_REPORT):
        click.echo(render(LOAD_REPORT, "text"), err=True)


_COLUMNS = {"bbox": "box", "rotated_bbox": "rotated box", "polygon": "polygon",
            "polyline": "polyline", "points": "points", "keypoints": "keypoints", "mask": "mask",
            "ellipse": "ellipse", "tag": "tag", "span": "span", "relation": "relation"}
_MEDIA = {"image": "image", "video_frame": "video frame", "text": "text"}


def _capability_table(formats: list[Any]) -> str:
    """Formats x annotation types, from each format's own loss plan (``FormatSpec.fidelity``):
    ✓ read and written; ≈ written as another shape; — left out; blank: no such items."""
    def cell(fate: str) -> str:
        if fate.startswith("as "):
            return "≈ " + _COLUMNS.get(fate[3:], fate[3:])
        return {"kept": "✓", "dropped": "—"}.get(fate, "")

    head = "| format | items | " + " | ".join(_COLUMNS.values()) + " |"
    rule = "| --- | --- |" + " :-: |" * len(_COLUMNS)
    rows = []
    for fmt in formats:
        fidelity = fmt.fidelity()
        media = ", ".join(_MEDIA.get(m, m) for m in _MEDIA if m in fmt.capabilities.media)
        parts = [f"`{fmt.name}`", media, *(cell(fidelity.get(k, "")) for k in _COLUMNS)]
        rows.append("|" + "|".join(f" {p} " if p else " " for p in parts) + "|")
    return "\n".join([head, rule, *rows])


@main.command("compare", epilog=_EPILOG)
@click.argument("reference", type=click.Path(path_type=Path))
@click.argument("candidate", type=click.Path(path_type=Path))
@click.option("--from-ref", default=None, cls=_FormatOption,
              help="Format of REFERENCE (detected if omitted).")
@click.option("--from-cand", default=None, cls=_FormatOption,
              help="Format of CANDIDATE (detected if omitted).")
@click.option("--iou", type=float, default=0.5, show_default=True,
              help="Least similarity (IoU, OKS, line IoU, span IoU) of a pair that may match.")
@click.option("--low-overlap", type=float, default=0.8, show_default=True,
              help="Matched pairs below this similarity are low_overlap warnings.")
@click.option("--oks-sigma", type=float, default=0.09, show_default=True,
              help="OKS sigma of every point (points, keypoints), relative to the object size.")
@click.option("--line-thickness", type=float, default=0.01, show_default=True,
              help="Polyline buffer half-width, relative to the square root of the image area.")
@click.option("--span-match", type=click.Choice(["exact", "overlap"]), default="exact",
              show_default=True, help="Spans match on equal offsets, or by character IoU.")
@click.option("--ignore-attribute", "ignore_attributes", multiple=True, metavar="NAME",
              help="Leave this attribute out of the comparison (repeatable).")
@click.option("--ignore-crowd", is_flag=True, help="Leave crowd objects (iscrowd) out.")
@click.option("--fail-under", "fail_under", multiple=True, metavar="METRIC=VALUE",
              help="Exit 1 when the overall metric (precision, recall, f1, accuracy, "
              "mean_iou) is below VALUE (repeatable): a CI gate.")
@click.option("--worst", type=click.IntRange(min=0), default=10, show_default=True,
              help="How many of the worst items the text output lists (and the HTML page draws).")
@click.option("--images", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Where the images are, for the HTML report (default: the reference's "
              "image folder).")
@click.option("-o", "--out", "out", type=click.Path(path_type=Path, dir_okay=False),
              default=None, help="Write the output to this file instead of stdout.")
@click.option("--output", "output", type=click.Choice(["text", "json", "html"]),
              default="text", show_default=True, help="A report to read, the JSON document "
              "for scripts, or a self-contained HTML page (worst items drawn, plots).")
@click.option("--jobs", "-j", "jobs", type=click.IntRange(min=1), default=None,
              help="Processes comparing items: default every usable core; 1 works in this "
              "process. The result is the same for any number.")
@_guarded
def compare_cmd(reference: Path, candidate: Path, from_ref: str | None, from_cand: str | None,
                iou: float, low_overlap: float, oks_sigma: float, line_thickness: float,
                span_match: str, ignore_attributes: tuple[str, ...], ignore_crowd: bool,
                fail_under: tuple[str, ...], worst: int, images: Path | None, out: Path | None,
                output: str, jobs: int | None) -> None:
    """Compare CANDIDATE against REFERENCE (ground truth), in any two formats: matched
    objects, conflicts (CVAT's names) and precision, recall, f1, accuracy, mean IoU. Exits 0
    whatever the metrics, unless a --fail-under gate fails (1)."""
    from annoformat.quality.compare import compare, parse_fail_under
    from annoformat.quality.text import render_text

    gates = parse_fail_under(fail_under)
    result = compare(reference, candidate, from_ref=from_ref, from_cand=from_cand, iou=iou,
                     low_overlap=low_overlap, oks_sigma=oks_sigma,
                     line_thickness=line_thickness, span_match=span_match,
                     ignore_attributes=ignore_attributes, ignore_crowd=ignore_crowd,
                     jobs=jobs)
    if output == "html":
        text = result.to_html(images=images, worst=worst)
    else:
        text = result.to_json() if output == "json" else render_text(result, worst=worst)
    _emit(text, out, [reference, candidate])
    findings = Report()
    findings.extend(result.report)
    gate = result.gate(gates)
    findings.extend(gate)
    if len(findings):
        click.echo(render(findings, "text"), err=True)
    sys.exit(EXIT_FINDINGS if gate.has_errors else EXIT_OK)


_GEOMETRY = [
    click.option("--iou", type=float, default=0.5, show_default=True,
                 help="Least similarity (IoU, OKS, line IoU, span IoU) of two objects that "
                 "may match."),
    click.option("--oks-sigma", type=float, default=0.09, show_default=True,
                 help="OKS sigma of every point (points, keypoints)."),
    click.option("--span-match", type=click.Choice(["exact", "overlap"]), default="exact",
                 show_default=True, help="Spans match on equal offsets, or by character IoU."),
    click.option("--annotator", "annotators", multiple=True, metavar="NAME",
                 help="Several files: their annotators' names, in order (default: the file "
                 "stems). One file: take only these annotators (repeatable)."),
    click.option("--from", "from_", default=None, cls=_FormatOption,
                 help="Format of the inputs (detected if omitted)."),
    click.option("--with-models", is_flag=True,
                 help="One file: let model output (origin model, e.g. Label Studio "
                 "predictions) take part as annotators (AF746)."),
]


def _geometry(func: _F) -> _F:
    for option in reversed(_GEOMETRY):
        func = option(func)
    return func


@main.command("agree", epilog=_EPILOG)
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@_geometry
@click.option("--review", type=click.IntRange(min=0), default=20, show_default=True,
              help="How many of the least-agreed items the review queue holds.")
@click.option("--images", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Where the images are, for the HTML page (default: beside the first path).")
@click.option("-o", "--out", "out", type=click.Path(path_type=Path, dir_okay=False),
              default=None, help="Write the output to this file instead of stdout.")
@click.option("--output", type=click.Choice(["text", "json", "html"]), default="text",
              show_default=True, help="A report to read, the JSON document for scripts, or a "
              "self-contained HTML page.")
@_guarded
def agree_cmd(paths: tuple[Path, ...], iou: float, oks_sigma: float, span_match: str,
              annotators: tuple[str, ...], from_: str | None, with_models: bool, review: int,
              images: Path | None, out: Path | None, output: str) -> None:
    """Agreement among annotators: one file per annotator, or one file whose annotations name
    their annotator. Pairwise f1/precision/recall/accuracy, Krippendorff's alpha (overall, by
    label, without each annotator) and the least-agreed items. Exits 0 whatever the
    agreement."""
    from annoformat.quality.agree import agreement
    from annoformat.quality.agree_text import render_html, render_text

    result = agreement(list(paths), annotators=annotators, format=from_, iou=iou,
                       oks_sigma=oks_sigma, span_match=span_match, review=review,
                       with_models=with_models)
    if output == "json":
        text = result.to_json()
    elif output == "html":
        root = images if images is not None else (paths[0] if paths[0].is_dir()
                                                  else paths[0].parent)
        text = render_html(result, images=root, review=review)
    else:
        text = render_text(result, review=review)
    _emit(text, out, list(paths))
    if len(result.report):
        click.echo(render(result.report, "text"), err=True)
    sys.exit(EXIT_OK)


@main.command("merge", epilog=_EPILOG)
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--quorum", type=int, required=True,
              help="Keep an object when at least this many annotators drew it.")
@click.option("--to", "to", required=True, cls=_FormatOption, help="Format of the output.")
@click.option("-o", "--out", "out", required=True, type=click.Path(path_type=Path),
              help="Where the merged dataset is written (atomically).")
@_geometry
@click.option("--allow-loss", is_flag=True, help="Write even if the target drops "
              "annotations, geometry or attributes (such as the consensus_* votes); each loss "
              "is still reported.")
@click.option("--strict", is_flag=True, help="Refuse any loss, metadata included.")
@click.option("--overwrite", is_flag=True, help="Replace an existing destination.")
@click.option("--opt", "opts", multiple=True, metavar="KEY=VALUE",
              help="Option of the target format (repeatable).")
@_guarded
def merge_cmd(paths: tuple[Path, ...], quorum: int, to: str, out: Path, iou: float,
              oks_sigma: float, span_match: str, annotators: tuple[str, ...],
              from_: str | None, with_models: bool, allow_loss: bool, strict: bool, overwrite: bool,
              opts: tuple[str, ...]) -> None:
    """Consensus of several annotators (one file each, or one file naming them): objects that
    at least --quorum annotators drew, label by majority vote, mean box or medoid shape, votes
    and agreement kept as attributes and score; written in format --to at OUT."""
    from annoformat.convert import save
    from annoformat.quality.merge import merge

    report = Report()
    ds = merge(list(paths), quorum=quorum, annotators=annotators, format=from_, iou=iou,
               oks_sigma=oks_sigma, span_match=span_match, with_models=with_models,
               report=report)
    kept = sum(len(it.annotations) for it in ds.items)
    save(ds, out, to, allow_loss=allow_loss, strict=strict, overwrite=overwrite,
         report=report, **_parse_opts(opts))
    click.echo(f"merged: {len(ds.items)} item(s), {kept} object(s) kept at quorum {quorum}; "
               f"written to {escape_text(str(out))}", err=True)
    if len(report):
        click.echo(render(report, "text"), err=True)
    sys.exit(EXIT_OK)


@main.command("codes", epilog=_EPILOG)
@click.argument("code", required=False)
@click.option("--markdown", is_flag=True, help="Print the whole catalogue as Markdown.")
@_guarded
def codes_cmd(code: str | None, markdown: bool) -> None:
    """List the diagnostic codes, or explain one (by code or name)."""
    from annoformat.registry import list_formats

    list_formats()  # the formats' own codes join the catalogue when they are discovered
    if markdown:
        click.echo(codes_markdown(), nl=False)
        return
    if code is None:
        for owner, entries in catalogue().items():
            click.echo(f"# {owner}")
            for entry in entries:
                click.echo(f"{entry.code}  {entry.name:<28} {entry.severity.value:<8} "
                           f"{entry.explanation.split('. ')[0].rstrip('.')}")
        return
    try:
        entry = lookup(code)
    except KeyError:
        raise click.BadParameter(f"no code or name {code!r}", param_hint="CODE") from None
    click.echo(f"{entry.code} {entry.name} ({entry.severity.value}; from {OWNERS[entry.code]})\n")
    click.echo(entry.explanation + "\n")
    click.echo(f"Example:  {entry.example}\n")
    click.echo(f"Fix:      {entry.fix}")


if __name__ == "__main__":  # pragma: no cover
    main()
