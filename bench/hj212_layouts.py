"""The CP fast path's layout cache and its hand-made parts, measured: µs per data area (CPU time, best
of ``--repeat``) of real sample frames

* through the general path (``_parse_cp_general``),
* through ``parse_cp`` with the device's layout remembered (a device's usual case),
* through ``parse_cp`` once the layout cache is full (a layout not remembered: a new device after
  ``_LAYOUTS_CAP`` others, or a peer sending ever new keys),

and the two hand-made parts the fast path keeps: the code-generated dict builder against the same
dicts built by a comprehension, and ``_new_frame`` against the ``Frame`` dataclass constructor.

``--peer SRC`` runs the first three on another checkout's library (a ``src`` folder holding
``ecowatch/hj212``, e.g. ``git archive <commit> src | tar -x -C /tmp/peer``) in a child process on
the same machine, for a before/after table.

    .venv/bin/python bench/hj212_layouts.py [--repeat R] [--peer SRC]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

SAMPLES_AT = Path(__file__).resolve().parent.parent / "tests" / "hj212"
# Samples of issue 13's finding: S33 (13 factors with ZsRtd), S03 (7 air factors), S08 (11 water factors).
SAMPLE_NAMES = ("S33", "S03", "S08")


def per_call_us(fn: Callable[[], object], calls: int, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        for _ in range(calls):
            fn()
        best = min(best, (time.process_time() - start) / calls)
    return best * 1e6


def data_areas() -> dict[str, str]:
    sys.path.insert(0, str(SAMPLES_AT))
    from hj212_samples import SAMPLES

    return {
        name: SAMPLES[name][SAMPLES[name].index("CP=&&") + 5 : SAMPLES[name].rindex("&&")]
        for name in SAMPLE_NAMES
    }


def path_figures(areas: dict[str, str], repeat: int) -> dict[str, dict[str, float]]:
    """µs per data area through each path, in whichever library ``ecowatch`` imports from."""
    from ecowatch.hj212 import frame, parse_cp

    figures = {}
    for name, text in areas.items():
        frame._LAYOUTS.clear()
        general = per_call_us(lambda text=text: frame._parse_cp_general(text), 2000, repeat)
        parse_cp(text)
        remembered = per_call_us(lambda text=text: parse_cp(text), 2000, repeat)
        frame._LAYOUTS.clear()
        cap = frame._LAYOUTS_CAP
        frame._LAYOUTS_CAP = 0
        try:
            past_cap = per_call_us(lambda text=text: parse_cp(text), 2000, repeat)
        finally:
            frame._LAYOUTS_CAP = cap
        figures[name] = {"general": general, "remembered": remembered, "past_cap": past_cap}
    return figures


def builder_figures(areas: dict[str, str], repeat: int) -> dict[str, dict[str, float]]:
    """The generated builder of each sample's layout against a comprehension building the same dicts."""
    from ecowatch.hj212 import frame

    figures = {}
    for name, text in areas.items():
        parts = text.replace(",", "=").replace(";", "=").split("=")
        keys, values = parts[2::2], parts[3::2]  # after DataTime
        layout = frame._new_layout("=".join(keys), len(keys))
        numbers = [float(v) for v in layout.numeric_values(values)]
        texts = layout.text_values(values)
        codes = [key.split("-") for key in keys]
        numeric_names = [i for i, (_, suffix) in enumerate(codes) if suffix != "Flag"]
        slot = {i: n for n, i in enumerate(numeric_names)}
        text_slot = {i: n for n, i in enumerate(i for i in range(len(codes)) if i not in slot)}

        def comprehension(numbers=numbers, texts=texts, codes=codes, slot=slot, text_slot=text_slot):
            out: dict[str, dict[str, object]] = {}
            for i, (code, suffix) in enumerate(codes):
                out.setdefault(code, {})[suffix] = numbers[slot[i]] if i in slot else texts[text_slot[i]]
            return out

        assert comprehension() == layout.build(numbers, texts)
        figures[name] = {
            "generated": per_call_us(
                lambda layout=layout, numbers=numbers, texts=texts: layout.build(numbers, texts),
                20000,
                repeat,
            ),
            "comprehension": per_call_us(comprehension, 20000, repeat),
        }
    return figures


def constructor_figures(repeat: int) -> dict[str, float]:
    from ecowatch.hj212 import Frame, frame, parse_frame

    sys.path.insert(0, str(SAMPLES_AT))
    from hj212_samples import SAMPLES

    parsed = parse_frame((SAMPLES["S01"] + "\r\n").encode())
    args = [getattr(parsed, field.name) for field in dataclasses.fields(parsed)]
    return {
        "dataclass": per_call_us(lambda: Frame(*args), 50000, repeat),
        "_new_frame": per_call_us(lambda: frame._new_frame(*args), 50000, repeat),
    }


_PEER_CHILD = """
import json, sys
sys.path.insert(0, sys.argv[1])
sys.path.insert(0, sys.argv[2])
import hj212_layouts
print(json.dumps(hj212_layouts.path_figures(json.loads(sys.argv[3]), int(sys.argv[4]))))
"""


def peer_path_figures(peer: str, areas: dict[str, str], repeat: int) -> dict[str, dict[str, float]]:
    output = subprocess.run(
        [
            sys.executable,
            "-c",
            _PEER_CHILD,
            str(Path(peer).resolve()),
            str(Path(__file__).parent),
            json.dumps(areas),
            str(repeat),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--peer", help="src folder of another checkout, for a before/after table")
    args = parser.parse_args()
    areas = data_areas()
    ours = path_figures(areas, args.repeat)
    peer = peer_path_figures(args.peer, areas, args.repeat) if args.peer else None
    print(f"µs per data area (CPU time, best of {args.repeat})")
    print(
        f"{'sample':8} {'general':>9} {'remembered':>11} {'past cap':>9}"
        + ("   peer: remembered, past cap" if peer else "")
    )
    for name, row in ours.items():
        line = f"{name:8} {row['general']:9.1f} {row['remembered']:11.1f} {row['past_cap']:9.1f}"
        if peer:
            line += f"   {peer[name]['remembered']:10.1f} {peer[name]['past_cap']:9.1f}"
        print(line)
    print("\nbuilding the codes dict, µs: generated builder against a comprehension")
    for name, row in builder_figures(areas, args.repeat).items():
        print(f"{name:8} {row['generated']:9.2f} {row['comprehension']:9.2f}")
    constructors = constructor_figures(args.repeat)
    print(
        f"\nFrame construction, µs: _new_frame {constructors['_new_frame']:.2f}, "
        f"dataclass __init__ {constructors['dataclass']:.2f}"
    )


if __name__ == "__main__":
    main()
