#!/usr/bin/env python3
"""Runs an image encoder in ONNX Runtime on the inputs `samq compare --save-inputs` wrote.

  ort_encode_dir.py MODEL.onnx INPUTS_DIR OUT_DIR [--no-optimize] [--threads N]

For every INPUTS_DIR/<stem>.npy (a preprocessed 1x3xSxS image) writes OUT_DIR/<stem>/<output>.npy
for each model output, ready for `samq compare --reference-outputs OUT_DIR` (or
--candidate-outputs). ORT runs with all graph optimizations (for a QDQ model: its integer
kernels, i.e. what a deployment gets) unless --no-optimize (Q/DQ executed as written).
Test/benchmark peer only; samq never runs Python. Exit codes: 0 ok, 3 onnxruntime/numpy
missing, 1 anything else.
"""
import argparse
import glob
import os
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("inputs_dir")
    ap.add_argument("out_dir")
    ap.add_argument("--no-optimize", action="store_true")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    try:
        import numpy as np
        import onnxruntime as ort
    except ImportError as e:
        print(f"ort_encode_dir.py: {e}", file=sys.stderr)
        return 3
    so = ort.SessionOptions()
    so.intra_op_num_threads = a.threads
    so.log_severity_level = 3
    if a.no_optimize:
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(a.model, so, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    outputs = [o.name for o in sess.get_outputs()]
    files = sorted(glob.glob(os.path.join(a.inputs_dir, "*.npy")))
    if not files:
        print(f"ort_encode_dir.py: no .npy inputs in {a.inputs_dir}", file=sys.stderr)
        return 1
    for f in files:
        stem = os.path.splitext(os.path.basename(f))[0]
        res = sess.run(None, {name: np.load(f)})
        d = os.path.join(a.out_dir, stem)
        os.makedirs(d, exist_ok=True)
        for n, v in zip(outputs, res):
            np.save(os.path.join(d, n + ".npy"), v)
    print(f"ort_encode_dir.py: {len(files)} input(s), outputs {outputs}, "
          f"optimizations {'off' if a.no_optimize else 'on'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
