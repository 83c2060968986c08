"""What an analysis topic is: a ``stochhw analyze TOPIC`` subcommand and the function it runs.

Each topic declares its own options, so ``stochhw analyze TOPIC --help`` lists exactly what
applies and argparse refuses everything else. The entries live in :mod:`stochhw.sim.analyses`, which
gathers the ``TOPICS`` of the topic modules.
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
    run : Callable[[argparse.Namespace], int]
        Runs the analysis from the parsed arguments and returns the exit status. Every topic
        gets ``args.json`` and ``args.seed``; the rest are the options ``configure`` adds.
    configure : Callable[[argparse.ArgumentParser], None]
        Adds the topic's own options to its subparser.
    """
    name: str
    help: str
    run: Callable
    configure: Callable = lambda parser: None


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


def print_outcome(args, doc, render, paths):
    """What a report-writing topic prints once its files are written: ``doc`` as JSON with
    ``--json``, else the Markdown ``render()`` returns and the files written. Returns 0."""
    if args.json:
        print(json.dumps(doc, indent=2, sort_keys=True))
    else:
        print(render())
        print("wrote " + ", ".join(map(str, paths)))
    return 0


def report_folder(args, committed):
    """The folder a report-writing topic writes into.

    ``--out`` when given. Otherwise the committed folder (``committed``, under ``reports/``)
    for the documented run, the one with every option at its default; and for a partial run
    (``--quick``, fewer chips, another seed, ...) a new scratch folder, so that a smoke test
    never overwrites committed results. ``args.partial`` lists the options that differ from
    their defaults (the CLI sets it).
    """
    if getattr(args, "out", None) is not None:
        return Path(args.out)
    partial = getattr(args, "partial", ())
    if not partial:
        return Path(committed)
    scratch = Path(tempfile.mkdtemp(prefix=f"stochhw-{args.topic}-"))
    print(f"stochhw: not the documented run ({', '.join(partial)}), so not written to {committed}; "
          f"writing to the scratch folder {scratch} (give --out DIR to choose)", file=sys.stderr)
    return scratch
