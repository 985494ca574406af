"""Runs the hand-written oracle cases (tests/oracles/cases_*.py) through ONNX Runtime.

Each module exposes `cases()` returning a list of entries

    (name, model, inputs)              or    (name, model, inputs, options)

where `inputs` is one input set or a list of input sets. An input set is either a list of numpy
arrays (fed to the model's runtime inputs -- graph inputs that are not initializers -- in order)
or a dict {graph input name: array} (which may also override an initializer that is a graph
input). `options` is a dict with optional "atol"/"rtol" (looser tolerances the C++ runner must use
for this case; state why in a comment beside the case). See README.md.

ONNX Runtime runs on the CPU execution provider with graph optimizations disabled, so the oracle
is ORT's plain kernels, not its fusions. Every model must pass onnx.checker (full check) first.
A case that fails to build, check or run becomes <out>/<name>/error.txt, which the C++ runner
reports as a failing test: one broken case never blocks the others.
"""
from __future__ import annotations

import glob
import importlib
import os
import traceback

import numpy as np
import onnx

import case_layout

ALLOWED_OPTIONS = {"atol", "rtol"}


def discover_modules(oracle_src_dir: str) -> list[str]:
    paths = sorted(glob.glob(os.path.join(oracle_src_dir, "cases_*.py")))
    return [os.path.splitext(os.path.basename(p))[0] for p in paths]


def _is_input_set(x) -> bool:
    return isinstance(x, dict) or (isinstance(x, (list, tuple)) and
                                   all(isinstance(a, (np.ndarray, np.generic)) for a in x))


def normalize_input_sets(inputs) -> list:
    """One set or a list of sets -> a list of sets (each a list of arrays or a name->array dict)."""
    if isinstance(inputs, dict):
        return [inputs]
    if isinstance(inputs, (list, tuple)):
        if len(inputs) == 0:
            return [[]]
        if all(isinstance(a, (np.ndarray, np.generic)) for a in inputs):
            return [list(inputs)]
        if all(_is_input_set(s) for s in inputs):
            return [s if isinstance(s, dict) else list(s) for s in inputs]
    raise ValueError("inputs must be a list of numpy arrays, a dict name->array, "
                     "or a list of such input sets")


def feeds_for(model: onnx.ModelProto, input_set) -> dict:
    init_names = {t.name for t in model.graph.initializer}
    graph_inputs = [vi.name for vi in model.graph.input]
    if isinstance(input_set, dict):
        unknown = [k for k in input_set if k not in graph_inputs]
        if unknown:
            raise ValueError(f"input set names {unknown}, which are not graph inputs")
        # Keep graph-input order so input_<i>.pb numbering is stable.
        return {n: np.asarray(input_set[n]) for n in graph_inputs if n in input_set}
    runtime = [n for n in graph_inputs if n not in init_names]
    if len(input_set) != len(runtime):
        raise ValueError(f"{len(input_set)} arrays given for runtime inputs {runtime}")
    return {n: np.asarray(a) for n, a in zip(runtime, input_set)}


def make_session(model: onnx.ModelProto, ort):
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    so.intra_op_num_threads = 1
    so.log_severity_level = 3
    return ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])


def run_entry(entry, module: str, out_dir: str, ort) -> str:
    """Writes one case; returns its name. Raises with a message on a bad case."""
    if not isinstance(entry, (list, tuple)) or len(entry) not in (3, 4):
        raise ValueError("a case must be (name, model, inputs) or (name, model, inputs, options)")
    name, model, inputs = entry[0], entry[1], entry[2]
    options = dict(entry[3]) if len(entry) == 4 else {}
    bad = set(options) - ALLOWED_OPTIONS
    if bad:
        raise ValueError(f"unknown options {sorted(bad)}; allowed: {sorted(ALLOWED_OPTIONS)}")
    if not isinstance(model, onnx.ModelProto):
        raise ValueError("the model must be an onnx.ModelProto")
    onnx.checker.check_model(model, full_check=True)
    sess = make_session(model, ort)
    out_names = [o.name for o in sess.get_outputs()]
    data_sets = []
    for input_set in normalize_input_sets(inputs):
        feeds = feeds_for(model, input_set)
        with np.errstate(all="ignore"):
            got = sess.run(None, feeds)
        data_sets.append((list(feeds.items()), list(zip(out_names, got))))
    meta = {"source": "ort", "module": module, "onnxruntime": ort.__version__}
    meta.update({k: float(v) for k, v in options.items()})
    case_layout.write_case(os.path.join(out_dir, name), model, data_sets, meta)
    return name


def generate(out_dir: str, oracle_src_dir: str, ort, log) -> dict:
    os.makedirs(out_dir, exist_ok=True)
    stats = {"written": 0, "errors": {}, "modules": []}
    seen: dict[str, str] = {}
    for module in discover_modules(oracle_src_dir):
        stats["modules"].append(module)
        try:
            entries = importlib.import_module(module).cases()
        except Exception:  # noqa: BLE001 - reported as a failing case, not a crash
            name = f"{module}__import_error"
            msg = f"{module}.cases() failed:\n{traceback.format_exc()}"
            case_layout.write_error_case(os.path.join(out_dir, name), msg, {"module": module})
            stats["errors"][name] = msg
            continue
        for index, entry in enumerate(entries):
            name = entry[0] if isinstance(entry, (list, tuple)) and entry else f"#{index}"
            if not isinstance(name, str) or not case_layout.CASE_NAME_RE.match(name):
                name = f"{module}__bad_name_{index}"
                msg = f"case #{index} of {module}: name {entry[0]!r} must match [A-Za-z0-9_]+"
            elif name in seen:
                msg = f"case name '{name}' of {module} is already used by {seen[name]}"
                name = f"{name}__duplicate_in_{module}"
            else:
                seen[name] = module
                try:
                    run_entry(entry, module, out_dir, ort)
                    stats["written"] += 1
                    continue
                except Exception as e:  # noqa: BLE001
                    msg = f"case '{name}' of {module}: {type(e).__name__}: {e}"
            case_layout.write_error_case(os.path.join(out_dir, name), msg, {"module": module})
            stats["errors"][name] = msg
            log(f"  ERROR {msg.splitlines()[0]}")
    log(f"ort cases: {stats['written']} written from {len(stats['modules'])} module(s), "
        f"{len(stats['errors'])} error(s)")
    return stats
