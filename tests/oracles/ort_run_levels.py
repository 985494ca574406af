#!/usr/bin/env python3
"""Test oracle: run an ONNX model with ONNX Runtime (CPU) twice — all graph optimizations on
(ORT fuses QDQ groups into integer kernels) and all off (QuantizeLinear/DequantizeLinear run as
written, in float) — and write each run's outputs as .npy under OUT_DIR/opt and OUT_DIR/noopt.

How far ORT's two runs of a QDQ model differ is the scale of "same model, different integer
rounding" that the quantization tests compare samq against. Never part of samq itself.

  ort_run_levels.py MODEL.onnx --input NAME=FILE.npy ... --out-dir DIR [--threads N]
Exit codes: 0 ok, 3 ONNX Runtime missing, 1 ORT failed.
"""
import argparse
import os
import re
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--input", action="append", default=[])
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    try:
        import numpy as np
        import onnxruntime as ort
    except ImportError as e:
        print(f"ort_run_levels.py: {e}", file=sys.stderr)
        return 3
    feeds = {}
    for spec in args.input:
        name, path = spec.split("=", 1)
        feeds[name] = np.load(path)
    for sub, level in (("opt", ort.GraphOptimizationLevel.ORT_ENABLE_ALL),
                       ("noopt", ort.GraphOptimizationLevel.ORT_DISABLE_ALL)):
        so = ort.SessionOptions()
        so.intra_op_num_threads = args.threads
        so.inter_op_num_threads = 1
        so.graph_optimization_level = level
        try:
            sess = ort.InferenceSession(args.model, so, providers=["CPUExecutionProvider"])
            outs = sess.run(None, feeds)
        except Exception as e:
            print(f"ort_run_levels.py: onnxruntime failed ({sub}): {e}", file=sys.stderr)
            return 1
        d = os.path.join(args.out_dir, sub)
        os.makedirs(d, exist_ok=True)
        for meta, value in zip(sess.get_outputs(), outs):
            safe = re.sub(r"[^A-Za-z0-9._-]", "_", meta.name)
            np.save(os.path.join(d, safe + ".npy"), np.ascontiguousarray(value))
    return 0


if __name__ == "__main__":
    sys.exit(main())
