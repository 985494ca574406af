#!/usr/bin/env python3
"""Generates every oracle the C++ tests compare against: `generate_all.py --out DIR`.

    DIR/node/<case>/   ONNX's own node tests, materialized from the installed onnx package
    DIR/ort/<case>/    tests/oracles/cases_*.py run through ONNX Runtime (CPU EP)
    DIR/qdq_models/    fixture encoders quantized by ORT's quantize_static + ORT's outputs (qdq_models.py)
    DIR/versions.json  python, onnx, onnxruntime, numpy versions that made them
    DIR/summary.json   what was written and what was skipped, with reasons
    DIR/stamp          hash of these scripts + versions; a matching stamp makes the run a no-op

CTest runs this as the setup fixture `oracles.generate` (tests/CMakeLists.txt). Test-only code:
samq itself never runs Python. Exit codes: 0 ok, 2 missing Python packages or bad arguments.
"""
from __future__ import annotations

import argparse
import contextlib
import fcntl
import glob
import hashlib
import json
import os
import platform
import shutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# Bump when the output layout changes, so old oracle folders are regenerated.
LAYOUT_VERSION = "2"


def fail(message: str) -> None:
    print(f"generate_all.py: error: {message}", file=sys.stderr)
    sys.exit(2)


def import_oracles():
    try:
        import numpy
        import onnx
        import onnxruntime
    except ImportError as e:
        fail(f"the oracle generator needs the Python packages numpy, onnx and onnxruntime "
             f"({e}); install them with `pip install numpy onnx onnxruntime`")
    onnxruntime.set_default_logger_severity(3)  # keep ORT's kernel warnings out of the log
    return numpy, onnx, onnxruntime


def versions(numpy, onnx, onnxruntime) -> dict:
    return {
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "onnx": onnx.__version__,
        "onnxruntime": onnxruntime.__version__,
        "layout": LAYOUT_VERSION,
    }


def stamp_for(vers: dict) -> str:
    h = hashlib.sha256(json.dumps(vers, sort_keys=True).encode())
    for path in sorted(glob.glob(os.path.join(HERE, "*.py"))):
        h.update(os.path.basename(path).encode())
        with open(path, "rb") as f:
            h.update(f.read())
    return h.hexdigest()


def read_text(path: str) -> str | None:
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


@contextlib.contextmanager
def locked(out_dir: str):
    """Serializes concurrent generators writing the same folder (ctest -j, two build dirs)."""
    with open(os.path.join(out_dir, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="oracle folder (build/oracles)")
    parser.add_argument("--force", action="store_true", help="regenerate even if up to date")
    parser.add_argument("--quiet", action="store_true", help="print only the final line")
    args = parser.parse_args()

    numpy, onnx, ort = import_oracles()
    sys.path.insert(0, HERE)
    import onnx_node_cases
    import ort_cases

    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    vers = versions(numpy, onnx, ort)
    stamp = stamp_for(vers)
    log = (lambda _m: None) if args.quiet else (lambda m: print(m, flush=True))

    with locked(out):
        if not args.force and read_text(os.path.join(out, "stamp")) == stamp:
            print(f"oracles up to date in {out}")
            return 0
        start = time.monotonic()
        for stale in ("stamp", "node", "ort"):
            p = os.path.join(out, stale)
            if os.path.isdir(p):
                shutil.rmtree(p)
            elif os.path.exists(p):
                os.remove(p)
        node_stats = onnx_node_cases.generate(os.path.join(out, "node"), ort, log)
        ort_stats = ort_cases.generate(os.path.join(out, "ort"), HERE, ort, log)
        shared = os.path.join(os.path.dirname(os.path.dirname(HERE)), "..", "shared")
        if os.environ.get("SAMQ_FIXTURES"):
            shared = os.path.dirname(os.path.abspath(os.environ["SAMQ_FIXTURES"]))
        import qdq_models
        qdq_stats = qdq_models.generate(os.path.join(out, "qdq_models"), os.path.join(shared, "fixtures"),
                                        os.path.join(shared, "data"), ort, log)
        import eval_oracles
        eval_stats = eval_oracles.generate(os.path.join(out, "eval"), os.path.join(shared, "data"), log)
        with open(os.path.join(out, "versions.json"), "w") as f:
            json.dump(vers, f, indent=1, sort_keys=True)
        with open(os.path.join(out, "summary.json"), "w") as f:
            json.dump({"node": node_stats, "ort": ort_stats, "qdq_models": qdq_stats,
                       "eval": eval_stats}, f, indent=1, sort_keys=True)
        # The stamp goes last: an interrupted run leaves none and the next run starts over.
        with open(os.path.join(out, "stamp"), "w") as f:
            f.write(stamp + "\n")
        print(f"oracles written to {out} in {time.monotonic() - start:.1f}s: "
              f"{node_stats['written']} onnx node cases, {ort_stats['written']} ort cases, "
              f"{len(ort_stats['errors'])} ort case error(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
