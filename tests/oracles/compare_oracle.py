#!/usr/bin/env python3
"""Test oracle for `samq compare`: the same comparison computed independently with ONNX Runtime and numpy.

  compare_oracle.py REPORT.json INPUTS_DIR REFERENCE.onnx CANDIDATE.onnx DECODER.onnx OUT.json

REPORT.json is samq's report (it names the images and the exact prompts); INPUTS_DIR/<image file>.npy
holds the 1x3x1024x1024 encoder input of each image (samq's preprocessing, which other tests check
against PIL). Both encoders run in ORT; their embeddings give cosine and SQNR (float64 numpy); every
prompt goes through the official SamOnnxModel decoder in ORT with each embedding (the official ONNX
example's feed: coordinates scaled by ResizeLongestSide, a padding point (0,0) labelled -1 without a
box, box corners labelled 2 and 3; token 0 = the single-mask output), masks = logits > 0, IoU numpy.
OUT.json: {"images": [{"file", "cosine", "sqnr_db", "ious": [...]}]}. SAM-1 decoders only.
Exit codes: 0 ok, 3 numpy/onnxruntime missing, 1 anything else.
"""
import json
import math
import os
import sys


def main():
    if len(sys.argv) != 7:
        print(__doc__, file=sys.stderr)
        return 1
    try:
        import numpy as np
        import onnxruntime as ort
    except ImportError as e:
        print(f"compare_oracle.py: {e}", file=sys.stderr)
        return 3
    report_path, inputs, ref_path, cand_path, dec_path, out_path = sys.argv[1:]
    with open(report_path) as f:
        report = json.load(f)
    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    so.log_severity_level = 3
    sess = {k: ort.InferenceSession(p, so, providers=["CPUExecutionProvider"])
            for k, p in (("ref", ref_path), ("cand", cand_path), ("dec", dec_path))}

    def scale_shape(h, w, target=1024):
        s = target / max(h, w)
        return int(h * s + 0.5), int(w * s + 0.5)

    def decode(emb, prompt, h, w):
        nh, nw = scale_shape(h, w)
        sx, sy = nw / w, nh / h
        coords = [[p["x"] * sx, p["y"] * sy] for p in prompt["points"]]
        labels = [float(p["label"]) for p in prompt["points"]]
        assert len(prompt["boxes"]) <= 1, "one box per prompt in this oracle"
        if prompt["boxes"]:
            x0, y0, x1, y1 = prompt["boxes"][0]
            coords += [[x0 * sx, y0 * sy], [x1 * sx, y1 * sy]]
            labels += [2.0, 3.0]
        else:
            coords.append([0.0, 0.0])
            labels.append(-1.0)
        feed = {"image_embeddings": emb,
                "point_coords": np.array([coords], np.float32),
                "point_labels": np.array([labels], np.float32),
                "mask_input": np.zeros((1, 1, 256, 256), np.float32),
                "has_mask_input": np.zeros((1,), np.float32),
                "orig_im_size": np.array([h, w], np.float32)}
        names = [i.name for i in sess["dec"].get_inputs()]
        masks = sess["dec"].run(None, {k: v for k, v in feed.items() if k in names})[0]
        return masks[0, 0] > 0

    out = {"images": []}
    for im in report["images"]:
        x = np.load(os.path.join(inputs, im["file"] + ".npy"))
        ref = sess["ref"].run(None, {sess["ref"].get_inputs()[0].name: x})[0]
        cand = sess["cand"].run(None, {sess["cand"].get_inputs()[0].name: x})[0]
        r64, c64 = ref.astype(np.float64).ravel(), cand.astype(np.float64).ravel()
        noise = float(np.sum((r64 - c64) ** 2))
        entry = {"file": im["file"],
                 "cosine": float(r64 @ c64 / (np.linalg.norm(r64) * np.linalg.norm(c64))),
                 "sqnr_db": "inf" if noise == 0 else float(10 * math.log10(np.sum(r64 ** 2) / noise)),
                 "ious": []}
        for p in im["prompts"]:
            a = decode(ref, p, im["height"], im["width"])
            b = decode(cand, p, im["height"], im["width"])
            union = np.logical_or(a, b).sum()
            entry["ious"].append(1.0 if union == 0 else float(np.logical_and(a, b).sum() / union))
        out["images"].append(entry)
    with open(out_path, "w") as f:
        json.dump(out, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
