"""``stochhw prove`` (``make prove``): every proof case of the requested designs, one line each."""

import json
import sys

from stochhw.sim.designs import REGISTRY
from stochhw.sim.flows.formal import case_label, require_formal_tools, run_proof
from stochhw.sim.proofs import proofs_for

__all__ = ["prove"]


def prove(designs=(), out=None, fresh=False, listing=False, as_json=False,
          cache_dir=None, build_root=None):
    """Run the proofs of ``designs`` (default: every registered design); ``stochhw prove``.

    Prints one line per proof case, ``PASS``/``FAIL``/``UNKNOWN``/``ERROR`` with its time and,
    on failure, the failed assertion's source line and the kept log; then the registered
    designs that have no properties yet. Returns the exit status: 0 when every case passed
    and every requested design has properties, 1 otherwise.

    Raises
    ------
    UnknownDesign
        For a name that is not a registered design.
    ToolMissing
        If the yowasp packages are not installed.
    """
    out = sys.stdout if out is None else out
    names = list(designs) or list(REGISTRY)
    selected = [p for name in dict.fromkeys(names) for p in proofs_for(name)]
    missing = [name for name in dict.fromkeys(names) if not proofs_for(name)]
    if listing:
        for p in selected:
            print(f"{p.design}/{p.name} ({p.mode}, depth {p.depth}): {p.claim}", file=out)
            for case in p.cases:
                print(f"    {case_label(case)}", file=out)
        return 0
    require_formal_tools()
    results = []
    for p in selected:
        for case in p.cases:
            r = run_proof(p, case, cache_dir=cache_dir, build_root=build_root, fresh=fresh)
            results.append(r)
            if not as_json:
                tail = "" if r.passed else f": {r.detail}; log: {r.log}"
                print(f"{r.status.upper():7s} {p.design}/{p.name} [{case_label(case)}] "
                      f"{r.seconds:.1f} s{' (cached)' if r.cached else ''}{tail}",
                      file=out, flush=True)
    failed = [r for r in results if not r.passed]
    if as_json:
        print(json.dumps({"results": [r.to_json() for r in results],
                          "without_properties": missing}, indent=2, sort_keys=True), file=out)
    else:
        print(f"{len(results) - len(failed)} of {len(results)} proofs passed", file=out)
        if missing:
            print(f"no formal properties yet (add them to sim/proofs/<topic>.py): {', '.join(missing)}",
                  file=out)
    return 1 if failed or missing else 0
