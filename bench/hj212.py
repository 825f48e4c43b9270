"""HJ 212 decode throughput on one core: frames/s for typical 2017, 2005 and SM4-encrypted 2025 frames,
one by one (parse_frame) and through the stream decoder fed in random chunks.

A typical frame (issue 6): CN=2051/2061, 6-10 factors with Cou/Min/Avg/Max/Flag suffixes, 300-450
bytes, CRC checked, every value converted to a number. Rates are frames per second of *CPU time*
of this process (time.process_time), best of ``--repeat`` runs: on a shared machine wall time
measures the neighbours as much as the decoder.

``--peer SRC`` runs the same frames through another checkout's library (a ``src`` folder holding
``ecowatch/hj212``, e.g. the commit before a change: ``git archive 4493c2f src | tar -x -C /tmp/peer``)
in a child process and prints both (2017 and 2005 frames, parse_frame one by one).

The gateway part plugs in here when bench/hj212_gateway.py exists: ``gateway_figures(args)`` is
called with ``--gateway``; unknown options are left in ``args.rest`` for it.

    .venv/bin/python bench/hj212.py [--frames N] [--repeat R] [--json] [--peer SRC] [--gateway ...]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from ecowatch.hj212 import (
    Frame,
    FrameDecoder,
    hj212_crc16,
    hj212_crc16_many,
    make_cp,
    make_frame,
    parse_frame,
)

KEY = bytes.fromhex("30303030303030303030303030303030")  # HJ 212-2025 Annex A.2 test key
AIR_2017 = (
    "a00000",
    "a34013",
    "a21026",
    "a21002",
    "a19001",
    "a01011",
    "a01012",
    "a01013",
    "a01014",
    "a21005",
)
WATER_2005 = ("B01", "011", "060", "001", "101", "065", "028", "029")


def _number(rng: random.Random) -> float:
    return round(rng.uniform(0, 120), rng.choice((1, 2, 3)))


def typical_frames(version: str, count: int, seed: int = 212) -> list[bytes]:
    """``count`` distinct typical minute/hour frames of one edition (deterministic for a seed)."""
    rng = random.Random(seed)
    frames = []
    for i in range(count):
        n = rng.randint(6, 10)
        cn = rng.choice((2051, 2061))
        hour = f"2026010{1 + i % 9}{i % 24:02d}0000"
        if version == "2005":
            codes = {
                code: {"Avg": _number(rng), "Flag": "N"} for code in WATER_2005[: min(n, len(WATER_2005))]
            }
            codes["B01"] = {"Cou": _number(rng), **codes["B01"]}
            frame = make_frame(
                st="32", cn=cn, pw="123456", mn=f"LD1301330{i % 100000:05d}", cp=make_cp(hour, {}, codes)
            )
        else:
            codes = {}
            for code in AIR_2017[:n]:
                values: dict[str, float | str] = {}
                if code == "a00000":
                    values["Cou"] = _number(rng)
                if rng.random() < 0.3:
                    values["Min"] = _number(rng)
                    values["Max"] = _number(rng)
                values["Avg"] = _number(rng)
                values["Flag"] = "N"
                codes[code] = values
            flag = 5 if version == "2017" else 9
            frame = make_frame(
                qn=f"{hour}{i % 1000:03d}",
                st="31",
                cn=cn,
                pw="123456",
                mn=f"010000A8900016F0{i % 100000000:08d}",
                flag=flag,
                cp=make_cp(hour, {}, codes),
                key=KEY if version == "2025" else None,
            )
        frames.append(frame.raw)
    return frames


def _best_rate(run: Callable[[], int], repeat: int) -> float:
    best = 0.0
    for _ in range(repeat):
        start = time.process_time()
        done = run()
        elapsed = time.process_time() - start
        best = max(best, done / elapsed)
    return best


_PEER_CHILD = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from ecowatch.hj212 import parse_frame
frames = json.load(sys.stdin)
rates = {}
for version, texts in frames.items():
    raws = [t.encode("latin-1") for t in texts]
    best = 0.0
    for _ in range(int(sys.argv[2])):
        start = time.process_time()
        for raw in raws:
            parse_frame(raw)
        best = max(best, len(raws) / (time.process_time() - start))
    rates[version] = round(best)
print(json.dumps({"rates": rates, "library": __import__("ecowatch.hj212").hj212.__file__}))
"""


def peer_figures(args: argparse.Namespace) -> dict:
    """frames/s of ``parse_frame`` from the library under ``args.peer``, on the same frames."""
    frames = {v: [raw.decode("latin-1") for raw in typical_frames(v, args.frames)] for v in ("2017", "2005")}
    child = subprocess.run(
        [sys.executable, "-c", _PEER_CHILD, str(Path(args.peer).resolve()), str(args.repeat)],
        input=json.dumps(frames),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(child.stdout)


def _one_by_one(frames: list[bytes], key_for) -> Callable[[], int]:
    def run() -> int:
        count = 0
        for raw in frames:
            frame = parse_frame(raw, key_for=key_for)
            if not frame.crc_ok:
                raise AssertionError("bench frame with a bad CRC")
            count += 1
        return count

    return run


def _stream(frames: list[bytes], key_for, seed: int) -> Callable[[], int]:
    data = b"".join(frames)
    rng = random.Random(seed)
    chunks, at = [], 0
    while at < len(data):
        size = rng.randint(1, 4096)
        chunks.append(data[at : at + size])
        at += size

    def run() -> int:
        decoder = FrameDecoder(key_for=key_for)
        count = 0
        for chunk in chunks:
            decoder.feed(chunk)
            for event in decoder.events():
                if not isinstance(event, Frame):
                    raise AssertionError(f"bench stream rejected: {event}")
                count += 1
        decoder.feed(b"")
        return count

    return run


def decode_figures(args: argparse.Namespace) -> list[dict]:
    rows = []
    key_for = {}.get
    for version in ("2017", "2005", "2025"):
        frames = typical_frames(version, args.frames)
        keys = (lambda mn: KEY) if version == "2025" else key_for
        sizes = sorted(len(f) for f in frames)
        for path, run in (("parse_frame", _one_by_one(frames, keys)), ("stream", _stream(frames, keys, 6))):
            rate = _best_rate(run, args.repeat)
            rows.append(
                {
                    "edition": version,
                    "path": path,
                    "frames": len(frames),
                    "median_bytes": sizes[len(sizes) // 2],
                    "frames_per_s": round(rate),
                    "us_per_frame": round(1e6 / rate, 2),
                }
            )
    return rows


def crc_figures(args: argparse.Namespace) -> list[dict]:
    """µs per data segment: the scalar lane-folded CRC against the NumPy batch at several batch sizes
    (the decoder batches only large buffers because small batches lose)."""
    segments = [raw[6:-6] for raw in typical_frames("2017", args.frames)]
    rows = []
    for batch in (1, 8, 64, 2000):

        def run(batch: int = batch) -> int:
            if batch == 1:
                for segment in segments:
                    hj212_crc16(segment)
            else:
                for at in range(0, len(segments), batch):
                    hj212_crc16_many(segments[at : at + batch])
            return len(segments)

        rate = _best_rate(run, args.repeat)
        rows.append(
            {
                "crc": "scalar" if batch == 1 else f"numpy batch of {batch}",
                "us_per_segment": round(1e6 / rate, 3),
            }
        )
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=20_000, help="distinct frames per edition")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; the best is kept")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--peer", help="a src folder of another ecowatch checkout to compare parse_frame with"
    )
    parser.add_argument("--gateway", action="store_true", help="also run bench/hj212_gateway.py's figures")
    parser.add_argument(
        "--gateway-only", action="store_true", help="run only bench/hj212_gateway.py's figures"
    )
    args, rest = parser.parse_known_args(argv)
    args.rest = rest
    args.gateway = args.gateway or args.gateway_only
    figures: dict = {"python": sys.version.split()[0]}
    if not args.gateway_only:
        figures.update(decode=decode_figures(args), crc=crc_figures(args))
    if args.peer:
        figures["peer"] = peer_figures(args)
    gateway_file = Path(__file__).with_name("hj212_gateway.py")
    if args.gateway:
        if not gateway_file.exists():
            parser.error("--gateway: bench/hj212_gateway.py does not exist yet")
        spec = importlib.util.spec_from_file_location("hj212_gateway", gateway_file)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        figures["gateway"] = module.gateway_figures(args)
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    if "decode" in figures:
        print(
            f"HJ 212 decode throughput, frames per CPU second on one core, Python {figures['python']} "
            f"(best of {args.repeat})"
        )
        print(f"{'edition':8} {'path':12} {'frames':>7} {'bytes':>6} {'frames/s':>10} {'µs/frame':>9}")
        for row in figures["decode"]:
            print(
                f"{row['edition']:8} {row['path']:12} {row['frames']:>7} {row['median_bytes']:>6} "
                f"{row['frames_per_s']:>10,} {row['us_per_frame']:>9}"
            )
        print(
            "CRC of a typical data segment: "
            + ", ".join(f"{r['crc']} {r['us_per_segment']} µs" for r in figures["crc"])
        )
    if "peer" in figures and "decode" in figures:
        ours = {
            row["edition"]: row["frames_per_s"] for row in figures["decode"] if row["path"] == "parse_frame"
        }
        print(f"peer {figures['peer']['library']}:")
        for version, rate in figures["peer"]["rates"].items():
            print(
                f"  {version} parse_frame: peer {rate:,} frames/s, this library {ours[version]:,} "
                f"({ours[version] / rate:.2f}x)"
            )
    if "gateway" in figures:
        print(json.dumps(figures["gateway"], indent=2))


if __name__ == "__main__":
    main()
