#!/usr/bin/env python3
"""Oracles for samq's accuracy metrics (src/eval), from numpy and pycocotools.

Writes DIR/eval/ (called by generate_all.py; runnable alone: `eval_oracles.py --out DIR --data DATA`):
  metrics/        a.npy, b.npy (float32 vectors), mask_a_<i>.npy / mask_b_<i>.npy (uint8 masks) and
                  expected.json: numpy's cosine, SQNR (dB), max/mean abs error, and mask IoUs
  coco_masks.json for every annotation of coco-tiny val2017 and train2017: pycocotools
                  COCO.annToRLE (the compressed counts string) and its area — what annToMask gives
  ap/<set>.json   synthetic COCO results (RLE masks) on val2017 and ap/expected.json: COCOeval
                  (iouType segm) stats[0:3] = AP, AP50, AP75 for each set
Test-only code; samq never runs Python. Missing pycocotools or data: the folder gets a
SKIPPED.txt with the reason and the C++ tests report it.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil


def _metrics(out: str, np) -> None:
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(20261123)
    a = rng.standard_normal(4096).astype(np.float32)
    b = (a + 0.05 * rng.standard_normal(4096)).astype(np.float32)
    np.save(os.path.join(out, "a.npy"), a)
    np.save(os.path.join(out, "b.npy"), b)
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    exp = {
        "cosine": float(a64 @ b64 / (np.linalg.norm(a64) * np.linalg.norm(b64))),
        "sqnr_db": float(10 * np.log10(np.sum(a64 ** 2) / np.sum((a64 - b64) ** 2))),
        "max_abs_error": float(np.max(np.abs(a64 - b64))),
        "mean_abs_error": float(np.mean(np.abs(a64 - b64))),
        "mask_iou": [],
    }
    masks = [
        (rng.random((48, 64)) < 0.3, rng.random((48, 64)) < 0.3),
        (np.zeros((48, 64), bool), np.zeros((48, 64), bool)),  # both empty: samq's convention says 1
        (np.zeros((48, 64), bool), rng.random((48, 64)) < 0.1),
        (np.pad(np.ones((20, 30), bool), ((5, 23), (7, 27))), np.pad(np.ones((20, 30), bool), ((9, 19), (3, 31)))),
    ]
    for i, (ma, mb) in enumerate(masks):
        np.save(os.path.join(out, f"mask_a_{i}.npy"), (ma * 255).astype(np.uint8))
        np.save(os.path.join(out, f"mask_b_{i}.npy"), (mb * 7).astype(np.uint8))  # any non-zero is inside
        union = np.logical_or(ma, mb).sum()
        exp["mask_iou"].append(1.0 if union == 0 else float(np.logical_and(ma, mb).sum() / union))
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(exp, f, indent=1)


def _coco_masks(out_file: str, data: str) -> None:
    from pycocotools.coco import COCO
    entries = []
    for split in ("val2017", "train2017"):
        with contextlib.redirect_stdout(io.StringIO()):
            coco = COCO(os.path.join(data, "coco-tiny", "annotations", f"instances_{split}.json"))
        for ann_id in sorted(coco.anns):
            rle = coco.annToRLE(coco.anns[ann_id])
            counts = rle["counts"]
            if not isinstance(counts, (bytes, str)):  # uncompressed crowd RLE: compress it
                from pycocotools import mask as mask_utils
                rle = mask_utils.frPyObjects(rle, rle["size"][0], rle["size"][1])
                counts = rle["counts"]
            from pycocotools import mask as mask_utils
            entries.append({"split": split, "id": ann_id, "size": [int(v) for v in rle["size"]],
                            "counts": counts.decode("ascii") if isinstance(counts, bytes) else counts,
                            "area": int(mask_utils.area(rle))})
    with open(out_file, "w") as f:
        json.dump(entries, f)


def _synthetic_results(coco, np, rng, prompted: bool) -> list:
    """Predictions made from GT masks by shifting, growing, shrinking, swapping and inventing."""
    from pycocotools import mask as mask_utils
    results = []
    for img_id in sorted(coco.imgs):
        anns = coco.loadAnns(coco.getAnnIds(imgIds=[img_id]))
        h, w = coco.imgs[img_id]["height"], coco.imgs[img_id]["width"]
        for ann in anns:
            if prompted and ann["iscrowd"]:
                continue  # samq prompts only real instances
            m = coco.annToMask(ann).astype(bool)
            kind = rng.integers(0, 6)
            if kind == 1:  # shifted
                m = np.roll(m, (int(rng.integers(-6, 7)), int(rng.integers(-6, 7))), axis=(0, 1))
            elif kind == 2:  # grown by a few pixels
                for _ in range(int(rng.integers(1, 4))):
                    m = m | np.roll(m, 1, 0) | np.roll(m, -1, 0) | np.roll(m, 1, 1) | np.roll(m, -1, 1)
            elif kind == 3:  # shrunk
                for _ in range(int(rng.integers(1, 3))):
                    m = m & np.roll(m, 1, 0) & np.roll(m, -1, 0) & np.roll(m, 1, 1) & np.roll(m, -1, 1)
            elif kind == 4 and len(anns) > 1:  # another instance's mask
                m = coco.annToMask(anns[int(rng.integers(0, len(anns)))]).astype(bool)
            elif kind == 5:  # a random box
                y0, x0 = int(rng.integers(0, h - 1)), int(rng.integers(0, w - 1))
                m = np.zeros((h, w), bool)
                m[y0:y0 + int(rng.integers(1, 80)), x0:x0 + int(rng.integers(1, 80))] = True
            # Scores on a coarse grid so that ties occur (COCOeval breaks them by order, stably).
            score = float(np.round(rng.random(), 1))
            cat = ann["category_id"]
            if not prompted and rng.random() < 0.1:
                cat = int(rng.choice(sorted(coco.cats)))
            rle = mask_utils.encode(np.asfortranarray(m.astype(np.uint8)))
            results.append({"image_id": img_id, "category_id": cat, "score": score,
                            "segmentation": {"size": [h, w], "counts": rle["counts"].decode("ascii")}})
        if not prompted:  # some pure false positives
            for _ in range(int(rng.integers(0, 3))):
                m = np.zeros((h, w), np.uint8)
                y0, x0 = int(rng.integers(0, h - 40)), int(rng.integers(0, w - 40))
                m[y0:y0 + 40, x0:x0 + 40] = 1
                rle = mask_utils.encode(np.asfortranarray(m))
                results.append({"image_id": img_id, "category_id": int(rng.choice(sorted(coco.cats))),
                                "score": float(np.round(rng.random(), 1)),
                                "segmentation": {"size": [h, w], "counts": rle["counts"].decode("ascii")}})
    return results


def _ap(out: str, data: str, np) -> None:
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval
    os.makedirs(out, exist_ok=True)
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(os.path.join(data, "coco-tiny", "annotations", "instances_val2017.json"))
    expected = {}
    rng = np.random.default_rng(5)
    for name, prompted in (("prompted", True), ("open", False), ("prompted_b", True)):
        results = _synthetic_results(gt, np, rng, prompted)
        path = os.path.join(out, f"{name}.json")
        with open(path, "w") as f:
            json.dump(results, f)
        with contextlib.redirect_stdout(io.StringIO()):
            dt = gt.loadRes(path)
            ev = COCOeval(gt, dt, "segm")
            ev.evaluate()
            ev.accumulate()
            ev.summarize()
        expected[name] = {"ap": float(ev.stats[0]), "ap50": float(ev.stats[1]), "ap75": float(ev.stats[2]),
                          "detections": len(results)}
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)


def generate(out_dir: str, data_dir: str, log) -> dict:
    if os.path.isdir(out_dir):
        shutil.rmtree(out_dir)
    os.makedirs(out_dir)
    try:
        import numpy as np
        import pycocotools  # noqa: F401
    except ImportError as e:
        with open(os.path.join(out_dir, "SKIPPED.txt"), "w") as f:
            f.write(f"numpy/pycocotools missing: {e}\n")
        return {"written": 0, "skipped": str(e)}
    _metrics(os.path.join(out_dir, "metrics"), np)
    if not os.path.isdir(os.path.join(data_dir, "coco-tiny")):
        with open(os.path.join(out_dir, "SKIPPED.txt"), "w") as f:
            f.write(f"coco-tiny not found under {data_dir}\n")
        return {"written": 1, "skipped": "no data"}
    _coco_masks(os.path.join(out_dir, "coco_masks.json"), data_dir)
    _ap(os.path.join(out_dir, "ap"), data_dir, np)
    log(f"eval oracles written to {out_dir}")
    return {"written": 3}


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="oracle folder (build/oracles); writes OUT/eval")
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--data", default=os.path.join(here, "..", "..", "..", "shared", "data"))
    args = ap.parse_args()
    print(generate(os.path.join(args.out, "eval"), args.data, print))
