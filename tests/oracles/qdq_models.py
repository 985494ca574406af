"""Quantized fixture encoders made by ONNX Runtime's quantize_static, and ORT's outputs on them.

Called by generate_all.py (`DIR/qdq_models/`); also runnable alone: `qdq_models.py --out DIR`.
For each fixture encoder (mobilesam, sam-vit-mini) and each weight granularity (per-channel `pc`,
per-tensor `pt`), QDQ format, QUInt8 activations, QInt8 weights, MinMax calibration on two images
(the fixture's truck.jpg, preprocessed by the fixture itself: cases/resized_rgb_u8.npy, and one
COCO train2017 photo preprocessed the way the fixture's manifest says: longest side 1024 with
Pillow bilinear, round to uint8, normalize with SAM's mean/std, zero pad to 1024x1024):

    DIR/qdq_models/<fixture>_<pc|pt>/model.onnx          the QDQ model
    DIR/qdq_models/<fixture>_<pc|pt>/image.npy           encoder input (the truck), float32
    DIR/qdq_models/<fixture>_<pc|pt>/ort_embedding.npy   ORT, default graph optimizations (its
                                                         integer QDQ execution), 2 threads
    DIR/qdq_models/<fixture>_<pc|pt>/ort_plain_embedding.npy   ORT with optimizations off: the
                                                         literal Q/DQ + float graph
    DIR/qdq_models/<fixture>_<pc|pt>/info.json           versions and settings

Test-only code; samq never runs Python. A fixture folder that is missing is skipped and reported.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import sys

import numpy as np

FIXTURES = ("mobilesam", "sam-vit-mini")
MEAN = np.array([123.675, 116.28, 103.53], np.float32)
STD = np.array([58.395, 57.12, 57.375], np.float32)


def _normalize_pad(rgb_u8: np.ndarray, size: int = 1024) -> np.ndarray:
    x = (rgb_u8.astype(np.float32) - MEAN) / STD
    out = np.zeros((size, size, 3), np.float32)
    out[: x.shape[0], : x.shape[1]] = x
    return np.ascontiguousarray(out.transpose(2, 0, 1)[None])


def _coco_image(path: str) -> np.ndarray:
    from PIL import Image
    img = Image.open(path).convert("RGB")
    w, h = img.size
    s = 1024.0 / max(w, h)
    nw, nh = int(w * s + 0.5), int(h * s + 0.5)
    return _normalize_pad(np.asarray(img.resize((nw, nh), Image.BILINEAR)))


def _run(ort, model_path: str, image: np.ndarray, optimize: bool) -> np.ndarray:
    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    so.log_severity_level = 3
    if not optimize:
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(model_path, so, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    return sess.run(None, {name: image})[0]


def generate(out_dir: str, fixtures_dir: str, data_dir: str, ort, log) -> dict:
    from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType,
                                          quantize_static)
    stats = {"written": [], "skipped": {}}
    coco = sorted(glob.glob(os.path.join(data_dir, "coco-tiny", "train2017", "*.jpg")))
    for fixture in FIXTURES:
        src = os.path.join(fixtures_dir, fixture, "encoder.onnx")
        rgb = os.path.join(fixtures_dir, fixture, "cases", "resized_rgb_u8.npy")
        if not (os.path.exists(src) and os.path.exists(rgb)):
            stats["skipped"][fixture] = f"{src} or {rgb} missing"
            continue
        truck = _normalize_pad(np.load(rgb))
        calib = [truck] + ([_coco_image(coco[0])] if coco else [])

        class Reader(CalibrationDataReader):
            def __init__(self):
                self.items = iter([{"image": c} for c in calib])

            def get_next(self):
                return next(self.items, None)

        for tag, per_channel in (("pc", True), ("pt", False)):
            case = os.path.join(out_dir, f"{fixture}_{tag}")
            # Quantizing takes minutes: a finished case (info.json is written last) made by the
            # same ORT is kept across oracle regenerations.
            try:
                with open(os.path.join(case, "info.json")) as f:
                    if json.load(f).get("onnxruntime") == ort.__version__:
                        stats["written"].append(f"{fixture}_{tag} (kept)")
                        continue
            except (OSError, ValueError):
                pass
            os.makedirs(case, exist_ok=True)
            path = os.path.join(case, "model.onnx")
            quantize_static(src, path, Reader(), quant_format=QuantFormat.QDQ, per_channel=per_channel,
                            activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
            np.save(os.path.join(case, "image.npy"), truck)
            np.save(os.path.join(case, "ort_embedding.npy"), _run(ort, path, truck, True))
            np.save(os.path.join(case, "ort_plain_embedding.npy"), _run(ort, path, truck, False))
            with open(os.path.join(case, "info.json"), "w") as f:
                json.dump({"fixture": fixture, "per_channel": per_channel, "activations": "QUInt8",
                           "weights": "QInt8", "format": "QDQ", "calibration": "MinMax",
                           "calibration_images": ["truck.jpg (fixture)"] + [os.path.basename(c) for c in coco[:1]],
                           "onnxruntime": ort.__version__}, f, indent=1)
            stats["written"].append(f"{fixture}_{tag}")
            log(f"  qdq model {fixture}_{tag} written")
    return stats


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    here = os.path.dirname(os.path.abspath(__file__))
    shared = os.environ.get("SAMQ_SHARED", os.path.join(here, "..", "..", "..", "shared"))
    ap.add_argument("--fixtures", default=os.path.join(shared, "fixtures"))
    ap.add_argument("--data", default=os.path.join(shared, "data"))
    args = ap.parse_args()
    import onnxruntime as ort
    ort.set_default_logger_severity(3)
    print(json.dumps(generate(args.out, args.fixtures, args.data, ort, print), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
