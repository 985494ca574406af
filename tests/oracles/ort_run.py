#!/usr/bin/env python3
"""Test oracle: run an ONNX model with ONNX Runtime (CPU) on .npy inputs, write outputs as .npy.

Used by the C++ tests to compare samq against ONNX Runtime on the same file (and to prove that
files samq writes load in ONNX Runtime). Never part of samq itself.

  ort_run.py MODEL.onnx --input NAME=FILE.npy ... --out-dir DIR [--threads N]
Exit codes: 0 ok, 3 ONNX Runtime missing, 1 ORT failed to load/run the model.
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
        print(f"ort_run.py: {e}", file=sys.stderr)
        return 3
    so = ort.SessionOptions()
    so.intra_op_num_threads = args.threads
    so.inter_op_num_threads = 1
    try:
        sess = ort.InferenceSession(args.model, so, providers=["CPUExecutionProvider"])
        feeds = {}
        for spec in args.input:
            name, path = spec.split("=", 1)
            feeds[name] = np.load(path)
        outs = sess.run(None, feeds)
    except Exception as e:  # the caller reports ORT's own message
        print(f"ort_run.py: onnxruntime failed: {e}", file=sys.stderr)
        return 1
    os.makedirs(args.out_dir, exist_ok=True)
    for meta, value in zip(sess.get_outputs(), outs):
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", meta.name)
        np.save(os.path.join(args.out_dir, safe + ".npy"), np.ascontiguousarray(value))
    return 0


if __name__ == "__main__":
    sys.exit(main())
