"""Writes one oracle case in the ONNX backend-test layout, plus samq's meta.json.

Layout (the one ONNX's own `backend-test-tools generate-data` writes, so the C++ runner can read
either):

    <case>/model.onnx
    <case>/test_data_set_<k>/input_<i>.pb    serialized TensorProto, `name` = the graph input it feeds
    <case>/test_data_set_<k>/output_<j>.pb   serialized TensorProto, `name` = the graph output
    <case>/meta.json                          samq additions (see tests/oracles/README.md)
    <case>/error.txt                          only when the oracle could not be produced

Test-only code: never imported by samq itself.
"""
from __future__ import annotations

import json
import os
import re
import shutil

import numpy as np
from onnx import ModelProto, TensorProto, numpy_helper

# Case names become directory names and GoogleTest parameter names.
CASE_NAME_RE = re.compile(r"^[A-Za-z0-9_]+$")


def to_tensor_proto(value, name: str) -> TensorProto:
    """A numpy array, numpy scalar or TensorProto as a TensorProto carrying `name`."""
    if isinstance(value, TensorProto):
        t = TensorProto()
        t.CopyFrom(value)
    else:
        t = numpy_helper.from_array(np.asarray(value))
    t.name = name
    return t


def tensor_nbytes(value) -> int:
    if isinstance(value, TensorProto):
        return value.ByteSize()
    return int(np.asarray(value).nbytes)


def model_op_types(model: ModelProto) -> list[str]:
    """Sorted op types of the top-level graph, "domain.Op" outside the default domain."""
    ops = set()
    for node in model.graph.node:
        ops.add(node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}.{node.op_type}")
    return sorted(ops)


def default_opset(model: ModelProto) -> int:
    for o in model.opset_import:
        if o.domain in ("", "ai.onnx"):
            return int(o.version)
    return 0


def write_case(case_dir: str, model: ModelProto, data_sets, meta: dict) -> None:
    """data_sets: list of (inputs, outputs), each a list of (name, value) pairs in file order."""
    if os.path.exists(case_dir):
        shutil.rmtree(case_dir)
    os.makedirs(case_dir)
    with open(os.path.join(case_dir, "model.onnx"), "wb") as f:
        f.write(model.SerializeToString())
    input_names = []
    for k, (inputs, outputs) in enumerate(data_sets):
        set_dir = os.path.join(case_dir, f"test_data_set_{k}")
        os.makedirs(set_dir)
        for i, (name, value) in enumerate(inputs):
            with open(os.path.join(set_dir, f"input_{i}.pb"), "wb") as f:
                f.write(to_tensor_proto(value, name).SerializeToString())
        for j, (name, value) in enumerate(outputs):
            with open(os.path.join(set_dir, f"output_{j}.pb"), "wb") as f:
                f.write(to_tensor_proto(value, name).SerializeToString())
        input_names.append([name for name, _ in inputs])
    full_meta = {
        "op_types": model_op_types(model),
        "opset": default_opset(model),
        "ir_version": int(model.ir_version),
        # Per data set, the graph input each input_<i>.pb feeds (sets may feed different inputs,
        # e.g. one leaves an overridable initializer alone and the next overrides it).
        "inputs": input_names,
        "outputs": [name for name, _ in data_sets[0][1]] if data_sets else [],
    }
    full_meta.update(meta)
    with open(os.path.join(case_dir, "meta.json"), "w") as f:
        json.dump(full_meta, f, indent=1, sort_keys=True)


def write_error_case(case_dir: str, message: str, meta: dict) -> None:
    """A case whose oracle failed: the C++ runner turns error.txt into a failing test."""
    if os.path.exists(case_dir):
        shutil.rmtree(case_dir)
    os.makedirs(case_dir)
    with open(os.path.join(case_dir, "error.txt"), "w") as f:
        f.write(message.rstrip() + "\n")
    with open(os.path.join(case_dir, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1, sort_keys=True)
