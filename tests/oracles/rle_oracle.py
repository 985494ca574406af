#!/usr/bin/env python3
"""Test oracle: COCO RLE of binary masks with pycocotools, the reference samq's RLE must equal.

Used by tests/unit/test_rle.cpp. Never part of samq itself.

  rle_oracle.py OUT.json MASK.npy ...
Each MASK.npy is an H x W array (C order; any non-zero value is inside). OUT.json receives a list,
one entry per mask in argument order:
  {"file", "size": [h, w], "counts": "<rleToString form>", "area": int, "bbox": [x, y, w, h],
   "roundtrip_ok": bool}   # pycocotools.mask.decode(encode(m)) == m
Exit codes: 0 ok, 3 numpy or pycocotools missing, 1 anything else.
"""
import json
import sys


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 1
    try:
        import numpy as np
        from pycocotools import mask as mask_utils
    except ImportError as e:
        print(f"rle_oracle.py: {e}", file=sys.stderr)
        return 3
    results = []
    for path in sys.argv[2:]:
        m = np.load(path)
        if m.ndim != 2:
            print(f"rle_oracle.py: {path}: expected a 2-D mask, got shape {m.shape}", file=sys.stderr)
            return 1
        binary = np.asfortranarray((m != 0).astype(np.uint8))
        rle = mask_utils.encode(binary)
        back = mask_utils.decode(rle)
        results.append({
            "file": path,
            "size": [int(v) for v in rle["size"]],
            "counts": rle["counts"].decode("ascii"),
            "area": int(mask_utils.area(rle)),
            "bbox": [int(v) for v in mask_utils.toBbox(rle)],
            "roundtrip_ok": bool(np.array_equal(back, binary)),
        })
    with open(sys.argv[1], "w") as f:
        json.dump(results, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
