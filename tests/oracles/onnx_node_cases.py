"""Materializes ONNX's own node tests (from the installed `onnx` package) as oracle cases.

The onnx wheel ships the test *generators* (onnx.backend.test.case.node) but not the data files,
so we build them here: every case of kind 'node' goes to <out>/<case name>/ in the standard
backend-test layout.

Opset retargeting: ONNX writes each node test at its op's newest `since_version` (often 22..28,
IR 11+), and a few at opsets below 10. samq's contract is opsets 11..21 (IR <= 10). When a case
lies outside that range we try the same graph at opset 21 (or 11 from below) and keep that version
only if (a) onnx.checker with strict shape inference accepts it and (b) ONNX Runtime, running the
retargeted model, reproduces ONNX's expected outputs (rtol 1e-3, atol 1e-7: ONNX's own tolerance;
onnx.reference's versioned ops stand in only where ORT cannot run the model at all). meta.json
records `opset_retargeted_from` and `retarget_verified_by`. Cases that cannot be retargeted keep their original opset; the
runner skips them as "outside samq's opset range".
"""
from __future__ import annotations

import contextlib
import io
import os
import warnings

import numpy as np
import onnx
from onnx import TensorProto, numpy_helper

import case_layout

# DType codes samq holds (src/core/dtype.h), without string.
SAMQ_ELEM_TYPES = {1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 16, 17, 19, 21, 22}
MIN_OPSET, MAX_OPSET = 11, 21
MAX_INPUT_BYTES = 10 * 1024 * 1024
ONNX_RTOL, ONNX_ATOL = 1e-3, 1e-7


def collect_quietly():
    """collect_testcases() imports ~200 generator modules that print and warn; keep them quiet."""
    from onnx.backend.test.case import node as node_cases

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            return [c for c in node_cases.collect_testcases() if c.kind == "node"]


def io_problem(case) -> str | None:
    """Why samq cannot take this case's graph inputs/outputs at all, or None."""
    g = case.model.graph
    for vi in list(g.input) + list(g.output):
        if not vi.type.HasField("tensor_type"):
            return f"'{vi.name}' is not a tensor (sequence/optional/map)"
        et = vi.type.tensor_type.elem_type
        if et not in SAMQ_ELEM_TYPES:
            return f"'{vi.name}' has element type {TensorProto.DataType.Name(et)}"
    inputs, outputs = case.data_sets[0]
    if len(inputs) != len(g.input) or len(outputs) != len(g.output):
        return "data set does not match the graph's inputs/outputs"
    if sum(case_layout.tensor_nbytes(v) for v in inputs) > MAX_INPUT_BYTES:
        return "inputs larger than 10 MB"
    return None


def _as_numpy(value):
    return numpy_helper.to_array(value) if isinstance(value, TensorProto) else np.asarray(value)


def outputs_match(expected, actual) -> bool:
    # ORT hands narrow types (bfloat16, float8) back as raw unsigned bits; view them as the
    # ml_dtypes type onnx.numpy_helper uses so both sides compare as numbers.
    if actual.dtype != expected.dtype and actual.dtype.kind == "u" and \
            actual.dtype.itemsize == expected.dtype.itemsize and expected.dtype.kind == "V":
        actual = actual.view(expected.dtype)
    if expected.shape != actual.shape:
        return False
    try:
        e64, a64 = expected.astype(np.float64), actual.astype(np.float64)
    except (TypeError, ValueError):
        return bool(np.array_equal(expected, actual))
    if np.issubdtype(expected.dtype, np.integer) or expected.dtype == np.bool_:
        return bool(np.array_equal(e64, a64))
    return bool(np.allclose(a64, e64, rtol=ONNX_RTOL, atol=ONNX_ATOL, equal_nan=True))


def _run_ort(model, feeds, ort):
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    so.intra_op_num_threads = 1
    so.log_severity_level = 4
    sess = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)


def _run_onnx_reference(model, feeds):
    from onnx.reference import ReferenceEvaluator

    return ReferenceEvaluator(model).run(None, feeds)


def retarget(case, ort):
    """The case's model at an opset in [MIN_OPSET, MAX_OPSET] and the implementation that proved
    it reproduces ONNX's expected outputs there; or (None, None)."""
    model = case.model
    opset = case_layout.default_opset(model)
    if opset == 0 or MIN_OPSET <= opset <= MAX_OPSET:
        return None, None
    target = MAX_OPSET if opset > MAX_OPSET else MIN_OPSET
    m = onnx.ModelProto()
    m.CopyFrom(model)
    for o in m.opset_import:
        if o.domain in ("", "ai.onnx"):
            o.version = target
    min_ir = onnx.helper.find_min_ir_version_for(list(m.opset_import), ignore_unknown=True)
    m.ir_version = min_ir if opset > MAX_OPSET else max(m.ir_version, min_ir)
    try:
        onnx.checker.check_model(m, full_check=True)  # types and attributes valid at `target`
    except Exception:  # noqa: BLE001
        return None, None
    inputs, outputs = case.data_sets[0]
    feeds = {vi.name: _as_numpy(v) for vi, v in zip(m.graph.input, inputs)}
    # ONNX Runtime first (independent of onnx's numpy). Only when it cannot run the model at all
    # (e.g. ORT's Python API takes no bfloat16/float8/int4 arrays) fall back to onnx.reference,
    # whose ops are versioned, so it still checks the semantics at the target opset.
    for verifier, run in (("onnxruntime", lambda: _run_ort(m, feeds, ort)),
                          ("onnx.reference", lambda: _run_onnx_reference(m, feeds))):
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                got = run()
        except Exception:  # noqa: BLE001 - cannot run: try the next verifier
            continue
        ok = len(got) == len(outputs) and all(
            outputs_match(_as_numpy(e), np.asarray(a)) for e, a in zip(outputs, got))
        return (m, verifier) if ok else (None, None)
    return None, None


def generate(out_dir: str, ort, log) -> dict:
    """Writes every usable node case under out_dir; returns counts for summary.json."""
    os.makedirs(out_dir, exist_ok=True)
    stats = {"written": 0, "retargeted": 0, "skipped": {}}
    for case in collect_quietly():
        problem = io_problem(case)
        if problem:
            stats["skipped"][case.name] = problem
            continue
        model, meta = case.model, {"source": "onnx-node", "onnx_rtol": case.rtol,
                                   "onnx_atol": case.atol}
        better, verifier = retarget(case, ort)
        if better is not None:
            meta["opset_retargeted_from"] = case_layout.default_opset(model)
            meta["retarget_verified_by"] = verifier
            model = better
            stats["retargeted"] += 1
        inputs, outputs = case.data_sets[0]
        data_set = ([(vi.name, v) for vi, v in zip(model.graph.input, inputs)],
                    [(vi.name, v) for vi, v in zip(model.graph.output, outputs)])
        case_layout.write_case(os.path.join(out_dir, case.name), model, [data_set], meta)
        stats["written"] += 1
    log(f"onnx node cases: {stats['written']} written ({stats['retargeted']} retargeted to "
        f"opset {MIN_OPSET}..{MAX_OPSET}), {len(stats['skipped'])} skipped")
    return stats
