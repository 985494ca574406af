#!/usr/bin/env python3
"""Pillow goldens for samq's image decoding and resize: `make_image_cases.py --out DIR --images DIR`.

Test-only (samq never runs Python). tests/unit/test_image_io.cpp and test_preprocess.cpp run it once
per build into build/oracles/image/ and compare samq's pixels with these, exactly:

    DIR/decode/<name>.{jpg,png}     inputs written by Pillow (CMYK JPEG, EXIF-rotated JPEG, PNG modes)
    DIR/decode/<name>.npy           `ImageOps.exif_transpose(Image.open(f)).convert("RGB")`, uint8 HxWx3
    DIR/resize/<image>_<h>x<w>.npy  `img.convert("RGB").resize((w, h), Image.BILINEAR)`, uint8 HxWx3
    DIR/versions.json               the Pillow / numpy versions that made them
    DIR/stamp                       written last: its presence means the folder is complete

The folder is built under a temporary name and renamed into place, so concurrent test processes
never read a half-written folder. Exit codes: 0 ok, 2 bad arguments, 3 Pillow or numpy missing.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="folder to create (e.g. build/oracles/image)")
    ap.add_argument("--images", required=True, help="the fixtures' images/ folder (truck.jpg, ...)")
    args = ap.parse_args()
    try:
        import numpy as np
        import PIL
        from PIL import Image, ImageOps
    except ImportError as e:
        print(f"make_image_cases.py: needs Pillow and numpy ({e})", file=sys.stderr)
        return 3
    if os.path.exists(os.path.join(args.out, "stamp")):
        return 0
    for name in ("truck.jpg", "dog.jpg", "groceries.jpg"):
        if not os.path.exists(os.path.join(args.images, name)):
            print(f"make_image_cases.py: missing {name} in {args.images}", file=sys.stderr)
            return 2

    parent = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".image_cases.", dir=parent)
    dec = os.path.join(tmp, "decode")
    res = os.path.join(tmp, "resize")
    os.makedirs(dec)
    os.makedirs(res)

    def golden(path: str) -> None:
        with Image.open(path) as im:
            rgb = ImageOps.exif_transpose(im).convert("RGB")
        np.save(os.path.splitext(path)[0] + ".npy", np.asarray(rgb, dtype=np.uint8))

    # Decoding: the fixture JPEGs as they are (4:2:0 and 4:4:4 chroma), and files in other modes.
    for name in ("truck.jpg", "dog.jpg", "groceries.jpg"):
        shutil.copy(os.path.join(args.images, name), os.path.join(dec, name))
        golden(os.path.join(dec, name))

    rng = np.random.default_rng(1234)
    base = np.asarray(Image.open(os.path.join(args.images, "dog.jpg")).convert("RGB"))[:61, :47]
    noise = rng.integers(0, 256, size=(61, 47, 4), dtype=np.uint8)
    rgb = Image.fromarray(base)
    variants = {
        "png_rgb": rgb,
        "png_gray": rgb.convert("L"),
        "png_gray_alpha": Image.fromarray(noise[:, :, :2].copy(), "LA"),
        "png_rgba": Image.fromarray(noise, "RGBA"),
        "png_palette": rgb.convert("P", palette=Image.Palette.ADAPTIVE, colors=37),
        "png_bilevel": rgb.convert("1"),
    }
    for name, im in variants.items():
        path = os.path.join(dec, name + ".png")
        im.save(path)
        golden(path)
    rgb.save(os.path.join(dec, "png_interlaced.png"), interlace=1)  # Adam7
    golden(os.path.join(dec, "png_interlaced.png"))
    # Palette with transparency: convert("RGB") ignores tRNS.
    pal = rgb.convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    pal.save(os.path.join(dec, "png_palette_trns.png"), transparency=3)
    golden(os.path.join(dec, "png_palette_trns.png"))

    # JPEG in CMYK (Pillow writes Adobe-style inverted CMYK) and grayscale.
    Image.fromarray(noise, "CMYK").save(os.path.join(dec, "jpeg_cmyk.jpg"), quality=95)
    golden(os.path.join(dec, "jpeg_cmyk.jpg"))
    rgb.convert("L").save(os.path.join(dec, "jpeg_gray.jpg"), quality=90)
    golden(os.path.join(dec, "jpeg_gray.jpg"))
    # EXIF orientation in a JPEG and in a PNG eXIf chunk: decoded upright.
    for orientation in (3, 6, 8):
        exif = Image.Exif()
        exif[0x0112] = orientation
        rgb.save(os.path.join(dec, f"jpeg_exif{orientation}.jpg"), quality=90, exif=exif)
        golden(os.path.join(dec, f"jpeg_exif{orientation}.jpg"))
    exif = Image.Exif()
    exif[0x0112] = 5
    rgb.save(os.path.join(dec, "png_exif5.png"), exif=exif)
    golden(os.path.join(dec, "png_exif5.png"))

    # Resizes: SAM sizes, odd sizes, upscales, one-axis changes.
    sizes = {
        "truck.jpg": [(683, 1024), (341, 512), (1024, 1024), (1200, 1000), (7, 5)],
        "dog.jpg": [(683, 1024), (534, 300), (100, 800), (1100, 1700), (1, 1)],
        "groceries.jpg": [(683, 1024), (333, 500), (534, 801)],
    }
    for name, shapes in sizes.items():
        im = Image.open(os.path.join(args.images, name)).convert("RGB")
        for h, w in shapes:
            out = np.asarray(im.resize((w, h), Image.BILINEAR), dtype=np.uint8)
            np.save(os.path.join(res, f"{os.path.splitext(name)[0]}_{h}x{w}.npy"), out)

    with open(os.path.join(tmp, "versions.json"), "w") as f:
        json.dump({"python": sys.version.split()[0], "pillow": PIL.__version__,
                   "numpy": np.__version__}, f)
    with open(os.path.join(tmp, "stamp"), "w") as f:
        f.write("ok\n")
    try:
        os.rename(tmp, args.out)  # atomic; fails if another process got there first
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        if not os.path.exists(os.path.join(args.out, "stamp")):
            raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
