"""What an analysis topic is: a ``stochhw analyze TOPIC`` subcommand and the function it runs.

A :class:`Topic` is the command-line face of an analysis: its name, its one-line help, its
own options and the function that runs it. :mod:`stochhw.sim.analyses` declares every topic;
the modules that compute and render them supply :func:`report_folder` and
:func:`print_outcome`, the first and last of the three steps every ``run`` takes.
"""

import argparse
import dataclasses
import json
import sys
import tempfile
from pathlib import Path
from typing import Callable

__all__ = ["Topic", "positive_int", "nonnegative_int", "print_outcome", "report_folder"]


@dataclasses.dataclass(frozen=True)
class Topic:
    """One analysis topic.

    Attributes
    ----------
    name : str
        The subcommand, ``stochhw analyze NAME``.
    help : str
        One line for ``stochhw analyze --help``.
    configure : Callable[[argparse.ArgumentParser], None]
        Adds the topic's own options to its subparser. Every topic also gets ``--json``,
        ``--seed`` and ``--out`` (see :func:`report_folder`).
    run : str
        ``"module:function"``: the function that runs the topic from the parsed arguments and
        returns the exit status. It is named rather than imported so that building the
        command line does not import every analysis (Matplotlib, scikit-learn, SciPy): the
        command line imports the one module that runs.
    folder : str or None
        The committed report folder of the documented run (under ``reports/``), or ``None``
        for a topic that writes files only into the ``--out`` it is given.
    """
    name: str
    help: str
    configure: Callable
    run: str
    folder: str | None = None

    def __post_init__(self):
        module, sep, function = self.run.partition(":")
        if not (module and sep and function.isidentifier()):
            raise ValueError(f"run must be 'module:function', not {self.run!r}")


def _int_at_least(lo):
    """argparse type: an integer (decimal or 0x...) that is at least ``lo``."""
    def parse(text):
        try:
            value = int(text, 0)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, not {text!r}") from None
        if value < lo:
            raise argparse.ArgumentTypeError(f"must be >= {lo}, not {value}")
        return value
    return parse


#: argparse types for the options of commands and topics.
positive_int = _int_at_least(1)
nonnegative_int = _int_at_least(0)


def report_folder(args):
    """The folder a topic writes its report into, or ``None`` for no files.

    ``--out`` when given. Otherwise the topic's committed folder (``args.folder``, from
    :attr:`Topic.folder`) for the documented run, the one with every option at its default;
    for a partial run (``--quick``, fewer chips, another seed, ...) a new scratch folder, so
    that a smoke test never overwrites committed results. ``args.partial`` lists the options
    that differ from their defaults (the CLI sets it). A topic without a committed folder
    writes nothing unless ``--out`` is given.
    """
    if getattr(args, "out", None) is not None:
        return Path(args.out)
    committed = getattr(args, "folder", None)
    if committed is None:
        return None
    partial = getattr(args, "partial", ())
    if not partial:
        return Path(committed)
    scratch = Path(tempfile.mkdtemp(prefix=f"stochhw-{args.topic}-"))
    print(f"stochhw: not the documented run ({', '.join(partial)}), so not written to {committed}; "
          f"writing to the scratch folder {scratch} (give --out DIR to choose)", file=sys.stderr)
    return scratch


def print_outcome(args, doc, text, paths):
    """What a topic prints once its files are written: ``doc`` as JSON with ``--json``, else
    ``text`` (its Markdown, or a summary) and the files written, if any. Returns 0."""
    if args.json:
        print(json.dumps(doc, indent=2, sort_keys=True))
    else:
        print(text)
        if paths:
            print("wrote " + ", ".join(map(str, paths)))
    return 0
