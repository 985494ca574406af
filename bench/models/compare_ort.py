#!/usr/bin/env python3
"""samq vs ONNX Runtime on one model file: same file, same inputs, same thread count, one run.

    compare_ort.py MODEL.onnx [--input NAME=SHAPE|FILE.npy ...] [--threads 2] [--runs 10]
                   [--warmup 1] [--rounds 1] [--seed 0] [--samq PATH] [--name LABEL]
                   [--markdown TABLE.md] [--json-out RESULT.json] [--check] [--profile]

Inputs: every input left out, or given as a SHAPE, is written once as a seeded .npy file (float
~ N(0,1), integers in [0,10), uint8 in [0,255], bool 0/1) and both engines read that same file.

Each round runs ONNX Runtime (in a child process of this script, so its memory high-water mark is
its own) and `samq bench --json` back to back; the order alternates between rounds so slow drift
(thermal, a neighbour's load) falls on both sides. Latency samples of all rounds are pooled.

Prints median, p10-p90 and min of both, the ratio samq/ORT (medians; < 1 means samq is faster),
load and first-run times, peak RSS, the CPU model, the commit and the thread count. --markdown
appends one table row (with a header if the file is new), for BENCHMARKS.md.
Exit codes: 0 ok, 2 bad input, 1 anything else (a failing engine included).
"""
import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def fail(msg, code=2):
    print(f"compare_ort: error: {msg}", file=sys.stderr)
    sys.exit(code)


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: kB


# --- ONNX Runtime side (runs in a child process: `compare_ort.py --ort-worker SPEC.json`) -------

def ort_worker(spec_path):
    import onnxruntime as ort
    with open(spec_path) as f:
        spec = json.load(f)
    feeds = {name: np.load(path) for name, path in spec["inputs"].items()}
    rss_before = peak_rss_mb()
    so = ort.SessionOptions()
    so.intra_op_num_threads = spec["threads"]
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    t0 = time.perf_counter()
    sess = ort.InferenceSession(spec["model"], so, providers=["CPUExecutionProvider"])
    load_ms = (time.perf_counter() - t0) * 1e3
    t0 = time.perf_counter()
    outs = sess.run(None, feeds)
    first_ms = (time.perf_counter() - t0) * 1e3
    if spec.get("save_outputs"):
        for meta, value in zip(sess.get_outputs(), outs):
            np.save(os.path.join(spec["save_outputs"], safe_name(meta.name) + ".npy"), value)
    del outs
    for _ in range(spec["warmup"]):
        sess.run(None, feeds)
    samples = []
    for _ in range(spec["runs"]):
        t0 = time.perf_counter()
        sess.run(None, feeds)
        samples.append((time.perf_counter() - t0) * 1e3)
    json.dump({"load_ms": load_ms, "first_run_ms": first_ms, "runs_ms": samples,
               "peak_rss_mb": peak_rss_mb(), "rss_before_load_mb": rss_before,
               "ort_version": ort.__version__}, sys.stdout)


def safe_name(name):
    out = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)
    return out if out not in ("", ".", "..") else "_" + out


# --- inputs -----------------------------------------------------------------------------------

NP_OF_ONNX = {1: np.float32, 2: np.uint8, 3: np.int8, 4: np.uint16, 5: np.int16, 6: np.int32,
              7: np.int64, 9: np.bool_, 10: np.float16, 11: np.float64, 12: np.uint32, 13: np.uint64}


def model_inputs(model_path):
    """[(name, numpy dtype, dims with None for unknown)] of the inputs a caller must feed."""
    import onnx
    m = onnx.load(model_path, load_external_data=False)
    inits = {i.name for i in m.graph.initializer}
    out = []
    for i in m.graph.input:
        if i.name in inits:
            continue
        tt = i.type.tensor_type
        dims = [d.dim_value if d.HasField("dim_value") else None for d in tt.shape.dim]
        out.append((i.name, NP_OF_ONNX.get(tt.elem_type, np.float32), dims))
    return out


def random_array(dtype, shape, seed):
    rng = np.random.default_rng(seed)
    if np.issubdtype(dtype, np.floating):
        return rng.standard_normal(shape, dtype=np.float32).astype(dtype)
    if dtype == np.bool_:
        return rng.integers(0, 2, shape).astype(np.bool_)
    if dtype == np.uint8:
        return rng.integers(0, 256, shape).astype(np.uint8)
    return rng.integers(0, 10, shape).astype(dtype)


def parse_shape(text):
    parts = text.split("x")
    if not all(p.isdigit() for p in parts):
        return None
    return [int(p) for p in parts]


def prepare_inputs(model_path, specs, seed, work_dir):
    """NAME -> .npy path for every input, writing seeded files for shapes and left-out inputs."""
    declared = model_inputs(model_path)
    by_name = {name: (i, dtype, dims) for i, (name, dtype, dims) in enumerate(declared)}
    given = {}
    for spec in specs:
        name, eq, value = spec.partition("=")
        if not eq or not name or not value:
            fail(f"--input '{spec}': expected NAME=SHAPE (like image=1x3x1024x1024) or NAME=FILE.npy")
        if name not in by_name:
            fail(f"--input '{name}': the model has no such input; its inputs are: "
                 + ", ".join(n for n, _, _ in declared))
        given[name] = value
    paths = {}
    for name, (index, dtype, dims) in by_name.items():
        value = given.get(name)
        if value is not None and not set(value) <= set("0123456789x"):
            if not os.path.isfile(value):
                fail(f"--input '{name}': file '{value}' does not exist")
            paths[name] = os.path.abspath(value)
            continue
        if value is not None:
            shape = parse_shape(value)
            if shape is None:
                fail(f"--input '{name}={value}': malformed SHAPE (expected dims like 1x3x1024x1024)")
        elif all(d is not None for d in dims):
            shape = dims
        else:
            fail(f"input '{name}' has unknown dims {dims}: give --input {name}=SHAPE or {name}=FILE.npy")
        path = os.path.join(work_dir, safe_name(name) + ".npy")
        # Seed + input position, the rule `samq bench` uses too (its generator differs; both
        # engines read this one file, so they get identical data).
        np.save(path, random_array(dtype, shape, seed + index))
        paths[name] = path
    return paths


# --- the two engines --------------------------------------------------------------------------

def run_ort(args, inputs, work_dir, save_outputs=None):
    spec_path = os.path.join(work_dir, "ort_spec.json")
    with open(spec_path, "w") as f:
        json.dump({"model": os.path.abspath(args.model), "inputs": inputs, "threads": args.threads,
                   "runs": args.runs, "warmup": args.warmup, "save_outputs": save_outputs}, f)
    r = subprocess.run([sys.executable, os.path.abspath(__file__), "--ort-worker", spec_path],
                       capture_output=True, text=True)
    if r.returncode != 0:
        fail(f"ONNX Runtime failed on {args.model}:\n{r.stderr.strip()}", 1)
    return json.loads(r.stdout)


def run_samq(args, inputs, profile=False):
    cmd = [args.samq, "bench", args.model, "--json", "--runs", str(args.runs), "--warmup",
           str(args.warmup), "--threads", str(args.threads)]
    for name, path in inputs.items():
        cmd += ["--input", f"{name}={path}"]
    if profile:
        cmd += ["--profile"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        fail(f"samq bench failed on {args.model} (exit {r.returncode}): {r.stderr.strip()}", 1)
    return json.loads(r.stdout)


def check_outputs(args, inputs, work_dir):
    """One `samq run` against ORT's outputs: max abs difference per output (sanity, not timing)."""
    ort_dir, samq_dir = os.path.join(work_dir, "ort_out"), os.path.join(work_dir, "samq_out")
    os.makedirs(ort_dir, exist_ok=True)
    one = argparse.Namespace(**{**vars(args), "runs": 1, "warmup": 0})
    run_ort(one, inputs, work_dir, save_outputs=ort_dir)
    cmd = [args.samq, "run", args.model, "--out-dir", samq_dir, "--threads", str(args.threads)]
    for name, path in inputs.items():
        cmd += ["--input", f"{name}={path}"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        fail(f"samq run failed on {args.model}: {r.stderr.strip()}", 1)
    report = {}
    for f in sorted(os.listdir(ort_dir)):
        ref, got = np.load(os.path.join(ort_dir, f)), np.load(os.path.join(samq_dir, f))
        if ref.shape != got.shape:
            report[f[:-4]] = f"shape {got.shape} != ORT {ref.shape}"
            continue
        diff = float(np.max(np.abs(ref.astype(np.float64) - got.astype(np.float64)))) if ref.size else 0.0
        scale = float(np.max(np.abs(ref.astype(np.float64)))) if ref.size else 0.0
        report[f[:-4]] = {"max_abs_diff": diff, "max_abs_ref": scale}
    return report


# --- report -----------------------------------------------------------------------------------

def stats(samples):
    q = np.percentile(samples, [10, 50, 90])
    return {"median": float(q[1]), "p10": float(q[0]), "p90": float(q[2]),
            "min": float(min(samples)), "max": float(max(samples)), "n": len(samples)}


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def commit():
    try:
        head = subprocess.run(["git", "-C", REPO, "rev-parse", "--short=12", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
        return head + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


MD_HEADER = ("| model | threads | samq median ms (p10–p90) | ORT median ms (p10–p90) | samq/ORT "
             "| samq peak RSS MB | ORT peak RSS MB | samq load ms | ORT load ms | samples | commit | CPU |\n"
             "|---|---|---|---|---|---|---|---|---|---|---|---|\n")


def markdown_row(r):
    s, o = r["samq"], r["ort"]
    return (f"| {r['name']} | {r['threads']} | {s['median']:.1f} ({s['p10']:.1f}–{s['p90']:.1f}) "
            f"| {o['median']:.1f} ({o['p10']:.1f}–{o['p90']:.1f}) | {r['ratio']:.2f} "
            f"| {r['samq_peak_rss_mb']:.0f} | {r['ort_peak_rss_mb']:.0f} | {r['samq_load_ms']:.0f} "
            f"| {r['ort_load_ms']:.0f} | {s['n']} | {r['commit']} | {r['cpu']} |\n")


def find_samq(explicit):
    for cand in [explicit, os.environ.get("SAMQ_BIN"), os.path.join(REPO, "build", "samq"),
                 shutil.which("samq")]:
        if cand and os.path.isfile(cand) and os.access(cand, os.X_OK):
            return os.path.abspath(cand)
    fail("no samq binary: pass --samq PATH or set SAMQ_BIN")


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--ort-worker":
        return ort_worker(sys.argv[2])
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model")
    p.add_argument("--input", action="append", default=[], help="NAME=SHAPE or NAME=FILE.npy")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--runs", type=int, default=10, help="timed runs per engine per round")
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--rounds", type=int, default=1, help="alternating ORT/samq rounds, samples pooled")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--samq", help="samq binary (default: $SAMQ_BIN, REPO/build/samq, PATH)")
    p.add_argument("--name", help="label for the table (default: the model file name)")
    p.add_argument("--markdown", help="append a row to this Markdown table")
    p.add_argument("--json-out", help="write the full result here")
    p.add_argument("--check", action="store_true", help="also compare outputs (one samq run vs ORT)")
    p.add_argument("--profile", action="store_true", help="samq's per-op profile (top ops) as well")
    args = p.parse_args()
    if args.runs < 1:
        fail(f"--runs must be at least 1 (got {args.runs})")
    if args.rounds < 1 or args.threads < 1 or args.warmup < 0:
        fail("--rounds and --threads must be at least 1, --warmup 0 or more")
    if not os.path.isfile(args.model):
        fail(f"model '{args.model}' does not exist")
    args.samq = find_samq(args.samq)

    with tempfile.TemporaryDirectory(prefix="samq_compare_") as work_dir:
        inputs = prepare_inputs(args.model, args.input, args.seed, work_dir)
        ort_runs, samq_runs = [], []
        for rnd in range(args.rounds):
            order = ("ort", "samq") if rnd % 2 == 0 else ("samq", "ort")
            for engine in order:
                if engine == "ort":
                    ort_runs.append(run_ort(args, inputs, work_dir))
                else:
                    samq_runs.append(run_samq(args, inputs))
        profile = run_samq(args, inputs, profile=True).get("profile") if args.profile else None
        check = check_outputs(args, inputs, work_dir) if args.check else None

    s = stats([x for r in samq_runs for x in r["runs_ms"]])
    o = stats([x for r in ort_runs for x in r["runs_ms"]])
    result = {
        "name": args.name or os.path.basename(args.model), "model": args.model, "threads": args.threads,
        "runs": args.runs, "warmup": args.warmup, "rounds": args.rounds, "seed": args.seed,
        "samq": s, "ort": o, "ratio": s["median"] / o["median"],
        "samq_load_ms": statistics.median(r["load_ms"] for r in samq_runs),
        "ort_load_ms": statistics.median(r["load_ms"] for r in ort_runs),
        "samq_first_run_ms": statistics.median(r["first_run_ms"] for r in samq_runs),
        "ort_first_run_ms": statistics.median(r["first_run_ms"] for r in ort_runs),
        "samq_peak_rss_mb": max(r["peak_rss_mb"] for r in samq_runs),
        "ort_peak_rss_mb": max(r["peak_rss_mb"] for r in ort_runs),
        "ort_rss_before_load_mb": max(r["rss_before_load_mb"] for r in ort_runs),
        "samq_version": samq_runs[0].get("samq_version"), "ort_version": ort_runs[0]["ort_version"],
        "inputs": samq_runs[0].get("inputs"), "cpu": cpu_model(), "commit": commit(),
        "host": platform.node(),
    }
    if profile:
        result["samq_profile"] = profile
    if check is not None:
        result["check"] = check

    print(f"model:    {result['name']}  ({args.model})")
    print(f"cpu:      {result['cpu']}   threads: {args.threads}   commit: {result['commit']}   "
          f"ORT {result['ort_version']}   samq {result['samq_version']}")
    print(f"samples:  {s['n']} per engine ({args.rounds} round(s) x {args.runs} runs, {args.warmup} warmup)")
    for label, st, load, first, rss in (
            ("samq", s, result["samq_load_ms"], result["samq_first_run_ms"], result["samq_peak_rss_mb"]),
            ("ORT", o, result["ort_load_ms"], result["ort_first_run_ms"], result["ort_peak_rss_mb"])):
        print(f"{label:5s}     median {st['median']:9.2f} ms   p10–p90 {st['p10']:.2f}–{st['p90']:.2f}   "
              f"min {st['min']:.2f}   load {load:.0f} ms   first run {first:.0f} ms   peak RSS {rss:.0f} MB")
    print(f"ratio:    samq/ORT = {result['ratio']:.3f}  (median; < 1: samq faster)")
    if profile:
        print(f"samq profile (mean run {profile['run_ms']:.1f} ms):")
        for row in profile["by_op"][:10]:
            print(f"  {row['ms']:9.2f} ms {row['percent']:5.1f}%  x{row['count']:<4} {row['op']}")
    if check is not None:
        for name, c in check.items():
            print(f"check:    {name}: " + (c if isinstance(c, str) else
                  f"max |samq-ORT| = {c['max_abs_diff']:.3g} (max |ORT| = {c['max_abs_ref']:.3g})"))
    if args.markdown:
        new = not os.path.exists(args.markdown) or os.path.getsize(args.markdown) == 0
        with open(args.markdown, "a") as f:
            f.write((MD_HEADER if new else "") + markdown_row(result))
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
