"""ORT oracle cases for samq's shape / data-movement ops and Resize.

Every Resize configuration found in the fixture graphs, with the exact attributes the exporters
wrote and realistic shapes:
  * SAM 1 decoder mask upsampling: linear, half_pixel, cubic_coeff_a -0.75, nearest_mode floor,
    `sizes` (256 -> 1024, and to an original image size 1200x1800);
  * EfficientViT-SAM neck: cubic, a -0.75, half_pixel, nearest_mode floor, `sizes` computed at
    run time (16/32/64 -> 64);
  * SAM 2 trunk pos-embed: cubic on an initializer with constant sizes (7x7 -> 256x256), and the
    FPN top-down path: nearest, asymmetric, floor, `scales` [1,1,2,2] computed at run time;
plus the other ONNX Resize variants (align_corners, asymmetric, pytorch_half_pixel to length 1,
antialias, exclude_outside, tf_crop_and_resize, keep_aspect_ratio_policy, half_pixel_symmetric).
Pad in every mode (and the torch F.pad export chain with the reversed-pads Slice), Slice with
negative steps and INT64_MAX ends, Gather with negative indices, Split variants, 5-D/6-D
window-partition Transposes, and a Shape->Gather->Concat->Reshape window-partition graph.
Interface: see ort_cases.py (`cases()` -> list of (name, model, inputs[, options])).
"""
from __future__ import annotations

import numpy as np
from onnx import TensorProto, helper, numpy_helper

F32, F16, F64 = TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.DOUBLE
I64, I32, U8, BOOL = TensorProto.INT64, TensorProto.INT32, TensorProto.UINT8, TensorProto.BOOL
INT64_MAX = np.iinfo(np.int64).max

# The attributes every torch-exported Resize in the fixtures carries (mode and
# coordinate_transformation_mode vary; cubic_coeff_a and nearest_mode are always written).
TORCH_RESIZE = {"cubic_coeff_a": -0.75, "nearest_mode": "floor"}


def _model(nodes, inputs, outputs, opset=17, initializers=()):
    graph = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(initializers))
    ir = 10 if opset >= 21 else (9 if opset >= 19 else 8)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=ir,
                             producer_name="samq-oracles")


def _vi(name, elem, shape):
    return helper.make_tensor_value_info(name, elem, shape)


def _init(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def _one(op, inputs, outputs, attrs=None, opset=17, initializers=()):
    """One node. inputs/outputs: (name, elem, shape); an input named "" is omitted; inputs that
    are also initializers are not graph inputs."""
    node = helper.make_node(op, [n for n, _, _ in inputs], [n for n, _, _ in outputs], **(attrs or {}))
    init_names = {t.name for t in initializers}
    graph_inputs = [_vi(n, e, s) for n, e, s in inputs if n and n not in init_names]
    return _model([node], graph_inputs, [_vi(n, e, s) for n, e, s in outputs], opset, initializers)


def _rand(rng, shape, lo=-2.0, hi=2.0, dtype=np.float32):
    return rng.uniform(lo, hi, size=shape).astype(dtype)


def _i64(v):
    return np.array(v, np.int64)


# ---- Resize ------------------------------------------------------------------------------

def _resize(x_shape, out_shape, attrs, *, scales=None, sizes=None, roi=None, runtime=(), opset=17,
            dtype=F32):
    """Resize model. scales/sizes/roi values become initializers unless named in `runtime` (then
    they are graph inputs, as when the exporter computes them)."""
    inits, ins = [], [("x", dtype, list(x_shape))]
    if opset < 13 and roi is None:
        roi = []  # roi is a required input before opset 13: an empty tensor stands for none
    for name, value, elem in (("roi", roi, F32), ("scales", scales, F32), ("sizes", sizes, I64)):
        if value is None:
            ins.append(("", None, None))
            continue
        ins.append((name, elem, [len(value)]))
        if name not in runtime:
            inits.append(_init(name, np.asarray(value, np.float32 if elem == F32 else np.int64)))
    while ins and ins[-1][0] == "":
        ins.pop()
    return _one("Resize", ins, [("y", dtype, list(out_shape))], attrs, opset, inits)


def resize_cases(rng):
    out = []
    lin_hp = dict(TORCH_RESIZE, mode="linear", coordinate_transformation_mode="half_pixel")
    # SAM 1 decoder: low-res masks 256x256 -> 1024x1024 (sizes from a Concat: run-time input).
    m = _resize((1, 3, 256, 256), (1, 3, 1024, 1024), lin_hp, sizes=[1, 3, 1024, 1024], runtime=("sizes",))
    out.append(("resize_sam1_masks_to_1024", m, [_rand(rng, (1, 3, 256, 256), -20, 20), _i64([1, 3, 1024, 1024])]))
    # ... and to an original image size (the second Resize of the decoder, here from 256).
    m = _resize((1, 4, 256, 256), (1, 4, 1200, 1800), lin_hp, sizes=[1, 4, 1200, 1800], runtime=("sizes",))
    out.append(("resize_sam1_masks_to_1200x1800", m, [_rand(rng, (1, 4, 256, 256), -20, 20),
                                                      _i64([1, 4, 1200, 1800])]))
    lin_pt = dict(TORCH_RESIZE, mode="linear", coordinate_transformation_mode="pytorch_half_pixel")
    m = _resize((1, 3, 64, 64), (1, 3, 300, 450), lin_pt, sizes=[1, 3, 300, 450])
    out.append(("resize_linear_pytorch_half_pixel", m, [_rand(rng, (1, 3, 64, 64))]))
    m = _resize((1, 2, 5, 4), (1, 2, 1, 3), lin_pt, sizes=[1, 2, 1, 3])
    out.append(("resize_linear_pytorch_half_pixel_len1", m, [_rand(rng, (1, 2, 5, 4))]))

    # EfficientViT-SAM neck: bicubic to 64x64, sizes computed at run time.
    cub_hp = dict(TORCH_RESIZE, mode="cubic", coordinate_transformation_mode="half_pixel")
    for hw in (16, 32, 64):
        m = _resize((1, 256, hw, hw), (1, 256, 64, 64), cub_hp, sizes=[1, 256, 64, 64], runtime=("sizes",))
        out.append((f"resize_effvit_cubic_{hw}_to_64", m, [_rand(rng, (1, 256, hw, hw)), _i64([1, 256, 64, 64])]))
    # SAM 2 trunk: bicubic pos-embed, an initializer with constant sizes (a whole-constant graph).
    pos = _init("x", _rand(rng, (1, 48, 7, 7), -0.1, 0.1))
    node = helper.make_node("Resize", ["x", "", "", "sizes"], ["y"], **cub_hp)
    m = _model([node], [], [_vi("y", F32, [1, 48, 256, 256])], 17, [pos, _init("sizes", _i64([1, 48, 256, 256]))])
    out.append(("resize_sam2_pos_embed_cubic", m, []))
    # SAM 2 FPN: nearest x2, asymmetric, floor; scales computed at run time, roi omitted.
    nn_asym = dict(TORCH_RESIZE, mode="nearest", coordinate_transformation_mode="asymmetric")
    m = _resize((1, 256, 32, 32), (1, 256, 64, 64), nn_asym, scales=[1, 1, 2, 2], runtime=("scales",))
    out.append(("resize_sam2_fpn_nearest_x2", m, [_rand(rng, (1, 256, 32, 32)), np.array([1, 1, 2, 2], np.float32)]))

    # Other coordinate modes and options.
    m = _resize((1, 2, 9, 13), (1, 2, 20, 7), dict(mode="linear", coordinate_transformation_mode="align_corners"),
                sizes=[1, 2, 20, 7])
    out.append(("resize_linear_align_corners", m, [_rand(rng, (1, 2, 9, 13))]))
    m = _resize((1, 2, 9, 13), (1, 2, 15, 22), dict(mode="linear", coordinate_transformation_mode="asymmetric"),
                scales=[1, 1, 1.7, 1.7])
    out.append(("resize_linear_asymmetric_scale_1_7", m, [_rand(rng, (1, 2, 9, 13))]))
    m = _resize((1, 3, 20, 30), (1, 3, 7, 11), dict(mode="linear"), sizes=[1, 3, 7, 11])
    out.append(("resize_linear_downsample", m, [_rand(rng, (1, 3, 20, 30))]))
    m = _resize((2, 5, 7), (2, 10, 14), dict(mode="linear"), scales=[1, 2, 2])
    out.append(("resize_linear_3d", m, [_rand(rng, (2, 5, 7))]))
    for nm in ("round_prefer_floor", "round_prefer_ceil", "floor", "ceil"):
        m = _resize((1, 2, 6, 9), (1, 2, 15, 4), dict(mode="nearest", nearest_mode=nm), sizes=[1, 2, 15, 4])
        out.append((f"resize_nearest_half_pixel_{nm}", m, [_rand(rng, (1, 2, 6, 9))]))
    m = _resize((1, 2, 5, 6), (1, 2, 10, 12),
                dict(mode="nearest", coordinate_transformation_mode="tf_half_pixel_for_nn"), scales=[1, 1, 2, 2],
                opset=11)  # deprecated from opset 13 on
    out.append(("resize_nearest_tf_half_pixel_for_nn", m, [_rand(rng, (1, 2, 5, 6))]))
    m = _resize((2, 3, 4, 5, 6), (2, 3, 8, 5, 3), dict(mode="nearest"), sizes=[2, 3, 8, 5, 3])
    out.append(("resize_nearest_5d", m, [_rand(rng, (2, 3, 4, 5, 6))]))
    m = _resize((1, 2, 8, 8), (1, 2, 13, 5), dict(mode="cubic", exclude_outside=1, cubic_coeff_a=-0.5),
                sizes=[1, 2, 13, 5])
    out.append(("resize_cubic_exclude_outside", m, [_rand(rng, (1, 2, 8, 8))]))
    m = _resize((1, 2, 8, 8), (1, 2, 19, 19), dict(mode="cubic", coordinate_transformation_mode="align_corners"),
                sizes=[1, 2, 19, 19])
    out.append(("resize_cubic_align_corners", m, [_rand(rng, (1, 2, 8, 8))]))
    for mode in ("linear", "cubic"):
        m = _resize((1, 3, 32, 40), (1, 3, 9, 13), dict(mode=mode, antialias=1), sizes=[1, 3, 9, 13], opset=18)
        out.append((f"resize_{mode}_antialias_down", m, [_rand(rng, (1, 3, 32, 40))]))
    m = _resize((1, 1, 6, 8), (1, 1, 5, 4),
                dict(mode="linear", coordinate_transformation_mode="tf_crop_and_resize", extrapolation_value=-3.0),
                sizes=[1, 1, 5, 4], roi=[0, 0, 0.2, -0.1, 1, 1, 1.3, 0.7])
    out.append(("resize_linear_tf_crop_and_resize", m, [_rand(rng, (1, 1, 6, 8))]))
    m = _resize((1, 1, 6, 8), (1, 1, 5, 4),
                dict(mode="nearest", coordinate_transformation_mode="tf_crop_and_resize", extrapolation_value=9.0),
                sizes=[1, 1, 5, 4], roi=[0, 0, 0.2, -0.1, 1, 1, 1.3, 0.7])
    out.append(("resize_nearest_tf_crop_and_resize", m, [_rand(rng, (1, 1, 6, 8))]))
    for policy, osz in (("not_larger", (1, 2, 6, 10)), ("not_smaller", (1, 2, 12, 20))):
        m = _resize((1, 2, 3, 5), osz, dict(mode="linear", axes=[2, 3], keep_aspect_ratio_policy=policy),
                    sizes=[12, 10], opset=18)
        out.append((f"resize_keep_aspect_{policy}", m, [_rand(rng, (1, 2, 3, 5))]))
    m = _resize((1, 2, 5, 7), (1, 2, 5, 17), dict(mode="linear", axes=[-1]), scales=[2.5], opset=18)
    out.append(("resize_axes_negative_scales", m, [_rand(rng, (1, 2, 5, 7))]))
    m = _resize((1, 2, 5, 7), (1, 2, 12, 17),
                dict(mode="linear", coordinate_transformation_mode="half_pixel_symmetric"), scales=[1, 1, 2.5, 2.5],
                opset=19)
    out.append(("resize_linear_half_pixel_symmetric", m, [_rand(rng, (1, 2, 5, 7))]))
    m = _resize((1, 2, 4, 4), (1, 2, 8, 8), dict(mode="nearest"), scales=[1, 1, 2, 2], opset=17, dtype=U8)
    out.append(("resize_nearest_uint8", m, [rng.integers(0, 255, (1, 2, 4, 4)).astype(np.uint8)]))
    return out


# ---- Pad ---------------------------------------------------------------------------------

def _pad(x_shape, out_shape, pads, mode, *, value=None, axes=None, opset=17, dtype=F32, runtime_pads=True):
    inits = []
    ins = [("x", dtype, list(x_shape)), ("pads", I64, [len(pads)])]
    if not runtime_pads:
        inits.append(_init("pads", _i64(pads)))
    ins.append(("value", dtype, []) if value is not None else ("", None, None))
    if axes is not None:
        ins.append(("axes", I64, [len(axes)]))
        inits.append(_init("axes", _i64(axes)))
    while ins and ins[-1][0] == "":
        ins.pop()
    return _one("Pad", ins, [("y", dtype, list(out_shape))], {"mode": mode}, opset, inits)


def pad_cases(rng):
    out = []
    # SAM ViT window padding: NHWC, bottom/right, pads computed at run time, no constant_value.
    m = _pad((1, 27, 27, 32), (1, 28, 28, 32), [0, 0, 0, 0, 0, 1, 1, 0], "constant")
    out.append(("pad_sam_window_nhwc", m, [_rand(rng, (1, 27, 27, 32)), _i64([0, 0, 0, 0, 0, 1, 1, 0])]))
    # EfficientViT: constant_value given as a scalar input.
    m = _pad((1, 32, 32, 16), (1, 33, 34, 16), [0, 1, 0, 0, 0, 0, 2, 0], "constant", value=0.0)
    out.append(("pad_constant_value_input", m, [_rand(rng, (1, 32, 32, 16)), _i64([0, 1, 0, 0, 0, 0, 2, 0]),
                                                np.array(1.5, np.float32)]))
    for mode in ("reflect", "edge"):
        m = _pad((1, 3, 8, 8), (1, 3, 13, 11), [0, 0, 2, 1, 0, 0, 3, 2], mode)
        out.append((f"pad_{mode}_4d", m, [_rand(rng, (1, 3, 8, 8)), _i64([0, 0, 2, 1, 0, 0, 3, 2])]))
    m = _pad((2, 5, 6), (2, 8, 13), [0, 2, 3, 0, 1, 4], "wrap", opset=19)
    out.append(("pad_wrap_opset19", m, [_rand(rng, (2, 5, 6)), _i64([0, 2, 3, 0, 1, 4])]))
    m = _pad((1, 3, 8, 8), (1, 3, 8, 7), [0, 0, -1, 2, 0, 0, 1, -2], "constant")
    out.append(("pad_negative_crops", m, [_rand(rng, (1, 3, 8, 8)), _i64([0, 0, -1, 2, 0, 0, 1, -2])]))
    # axes [-1, 1]: begins (2 on axis 3, 1 on axis 1), ends (0 on axis 3, 2 on axis 1).
    m = _pad((1, 3, 8, 8), (1, 6, 8, 10), [2, 1, 0, 2], "constant", axes=[-1, 1], opset=18, runtime_pads=False)
    out.append(("pad_axes_opset18", m, [_rand(rng, (1, 3, 8, 8))]))
    m = _pad((3, 4), (5, 9), [1, 2, 1, 3], "constant", value=0, dtype=I64)
    out.append(("pad_int64_constant", m, [rng.integers(-50, 50, (3, 4)).astype(np.int64), _i64([1, 2, 1, 3]),
                                          np.array(-7, np.int64)]))
    m = _one("Pad", [("x", F32, [2, 3])], [("y", F32, [4, 6])], {"mode": "constant", "pads": [1, 2, 1, 1], "value": 2.5},
             opset=10)
    out.append(("pad_opset10_attributes", m, [_rand(rng, (2, 3))]))
    return out


# ---- Slice / Gather / Split / Concat -------------------------------------------------------

def _slice(x_shape, out_shape, starts, ends, axes=None, steps=None, dtype=F32, runtime=()):
    inits, ins = [], [("x", dtype, list(x_shape))]
    for name, v in (("starts", starts), ("ends", ends), ("axes", axes), ("steps", steps)):
        if v is None:
            ins.append(("", None, None))
            continue
        ins.append((name, I64, [len(v)]))
        if name not in runtime:
            inits.append(_init(name, _i64(v)))
    while ins and ins[-1][0] == "":
        ins.pop()
    return _one("Slice", ins, [("y", dtype, list(out_shape))], {}, 17, inits)


def slice_cases(rng):
    out = []
    # torch flip of the pads list: start -1, end -INT64_MAX, axis 0, step -1.
    m = _slice((4, 2), (4, 2), [-1], [-INT64_MAX], [0], [-1], dtype=I64)
    out.append(("slice_flip_int64", m, [rng.integers(0, 9, (4, 2)).astype(np.int64)]))
    m = _slice((4, 6, 8), (4, 3, 3), [-1, 5, 1], [-100, 0, INT64_MAX], [0, 1, 2], [-1, -2, 3])
    out.append(("slice_negative_steps_3d", m, [_rand(rng, (4, 6, 8))]))
    m = _slice((1, 8, 12, 16), (1, 8, 10, 16), [2], [INT64_MAX], [2], [1])
    out.append(("slice_int64max_end", m, [_rand(rng, (1, 8, 12, 16))]))
    m = _slice((1, 70, 70, 32), (1, 64, 64, 32), [0, 0], [64, 64], [1, 2], [1, 1], runtime=("ends",))
    out.append(("slice_sam_unpad_runtime_ends", m, [_rand(rng, (1, 70, 70, 32)), _i64([64, 64])]))
    m = _slice((5, 7), (0, 7), [3], [1], [0])
    out.append(("slice_empty_result", m, [_rand(rng, (5, 7))]))
    m = _slice((3, 9), (3, 4), [-2], [-INT64_MAX], [-1], [-2])
    out.append(("slice_negative_axis_and_step", m, [_rand(rng, (3, 9))]))
    return out


def gather_cases(rng):
    out = []
    m = _one("Gather", [("x", F32, [3, 5, 4]), ("i", I64, [2, 2])], [("y", F32, [3, 2, 2, 4])], {"axis": 1})
    out.append(("gather_negative_indices_axis1", m, [_rand(rng, (3, 5, 4)), _i64([[-1, 0], [2, -5]])]))
    m = _one("Gather", [("x", I64, [4]), ("i", I64, [])], [("y", I64, [])], {"axis": 0})
    out.append(("gather_scalar_index_shape_vector", m, [_i64([1, 256, 64, 64]), _i64(-2)]))
    m = _one("Gather", [("x", F32, [2, 3, 6]), ("i", I32, [4])], [("y", F32, [2, 3, 4])], {"axis": -1})
    out.append(("gather_int32_indices_last_axis", m, [_rand(rng, (2, 3, 6)), np.array([5, -6, 0, 2], np.int32)]))
    m = _one("GatherElements", [("x", F32, [3, 4]), ("i", I64, [3, 2])], [("y", F32, [3, 2])], {"axis": 1})
    out.append(("gather_elements_axis1", m, [_rand(rng, (3, 4)), _i64([[0, -1], [3, 2], [1, 1]])]))
    m = _one("GatherND", [("x", F32, [2, 3, 4]), ("i", I64, [2, 2, 1])], [("y", F32, [2, 2, 4])], {"batch_dims": 1})
    out.append(("gather_nd_batch_dims1", m, [_rand(rng, (2, 3, 4)), _i64([[[2], [0]], [[1], [-1]]])]))
    m = _one("ScatterND", [("x", F32, [4, 3]), ("i", I64, [2, 1]), ("u", F32, [2, 3])], [("y", F32, [4, 3])])
    out.append(("scatter_nd_rows", m, [_rand(rng, (4, 3)), _i64([[3], [1]]), _rand(rng, (2, 3))]))
    return out


def _split(x_shape, outs, attrs, split=None, opset=13):
    ins = [("x", F32, list(x_shape))]
    inits = []
    if split is not None:
        ins.append(("split", I64, [len(split)]))
        inits.append(_init("split", _i64(split)))
    return _one("Split", ins, [(f"y{k}", F32, list(s)) for k, s in enumerate(outs)], attrs, opset, inits)


def split_cases(rng):
    out = []
    m = _split((2, 10), [(2, 3), (2, 7)], {"axis": 1}, split=[3, 7])
    out.append(("split_input_uneven", m, [_rand(rng, (2, 10))]))
    m = _split((2, 7), [(2, 3), (2, 3), (2, 1)], {"axis": -1, "num_outputs": 3}, opset=18)
    out.append(("split_num_outputs_opset18", m, [_rand(rng, (2, 7))]))
    m = _split((6, 4), [(2, 4)] * 3, {"axis": 0})
    out.append(("split_equal_default", m, [_rand(rng, (6, 4))]))
    # SAM qkv: [3, B*heads, N, d] split [1,1,1] on axis 0; Hiera: axis 2.
    m = _split((3, 8, 49, 16), [(1, 8, 49, 16)] * 3, {"axis": 0}, split=[1, 1, 1])
    out.append(("split_sam_qkv", m, [_rand(rng, (3, 8, 49, 16))]))
    m = _split((1, 64, 3, 2, 24), [(1, 64, 1, 2, 24)] * 3, {"axis": 2}, split=[1, 1, 1])
    out.append(("split_hiera_qkv_axis2", m, [_rand(rng, (1, 64, 3, 2, 24))]))
    m = _split((4, 9), [(4, 2), (4, 7)], {"axis": 1, "split": [2, 7]}, opset=11)
    out.append(("split_attribute_opset11", m, [_rand(rng, (4, 9))]))
    return out


def concat_cases(rng):
    out = []
    m = _one("Concat", [("a", F32, [2, 3, 4]), ("b", F32, [2, 3, 1]), ("c", F32, [2, 3, 0])], [("y", F32, [2, 3, 5])],
             {"axis": -1})
    out.append(("concat_negative_axis_empty_input", m, [_rand(rng, (2, 3, 4)), _rand(rng, (2, 3, 1)),
                                                        np.zeros((2, 3, 0), np.float32)]))
    m = _one("Concat", [("a", I64, [1]), ("b", I64, [2]), ("c", I64, [1])], [("y", I64, [4])], {"axis": 0})
    out.append(("concat_int64_shape_pieces", m, [_i64([1]), _i64([14, 14]), _i64([-1])]))
    m = _one("Concat", [("a", F32, [1, 32, 64, 64]), ("b", F32, [1, 32, 64, 64])], [("y", F32, [1, 64, 64, 64])],
             {"axis": 1})
    out.append(("concat_channels", m, [_rand(rng, (1, 32, 64, 64)), _rand(rng, (1, 32, 64, 64))]))
    return out


# ---- Transpose and misc ------------------------------------------------------------------

def transpose_cases(rng):
    out = []
    shapes = [
        ("window_partition_6d", (1, 4, 14, 4, 14, 256), [0, 1, 3, 2, 4, 5]),
        ("hiera_window_6d", (1, 8, 8, 8, 8, 96), [0, 1, 3, 2, 4, 5]),
        ("qkv_5d", (1, 196, 3, 12, 64), [2, 0, 3, 1, 4]),
        ("hiera_qkv_5d", (1, 64, 3, 2, 48), [0, 2, 3, 1, 4]),
        ("nchw_to_nhwc", (1, 256, 64, 64), [0, 2, 3, 1]),
        ("nhwc_to_nchw", (1, 64, 64, 256), [0, 3, 1, 2]),
        ("heads", (1, 196, 12, 64), [0, 2, 1, 3]),
        ("matrix_2d", (257, 129), [1, 0]),
        ("rank3_021", (12, 197, 64), [0, 2, 1]),
        ("decoder_201", (5, 256, 4), [2, 0, 1]),
    ]
    for name, shape, perm in shapes:
        oshape = [shape[p] for p in perm]
        m = _one("Transpose", [("x", F32, list(shape))], [("y", F32, oshape)], {"perm": perm})
        out.append((f"transpose_{name}", m, [_rand(rng, shape)]))
    m = _one("Transpose", [("x", I64, [2, 3, 4])], [("y", I64, [4, 3, 2])])
    out.append(("transpose_default_perm_int64", m, [rng.integers(-9, 9, (2, 3, 4)).astype(np.int64)]))
    m = _one("Transpose", [("x", U8, [3, 33, 65])], [("y", U8, [65, 3, 33])], {"perm": [2, 0, 1]})
    out.append(("transpose_uint8", m, [rng.integers(0, 255, (3, 33, 65)).astype(np.uint8)]))
    return out


def misc_cases(rng):
    out = []
    m = _one("Expand", [("x", F32, [3, 1]), ("s", I64, [3])], [("y", F32, [2, 3, 4])])
    out.append(("expand_bidirectional", m, [_rand(rng, (3, 1)), _i64([2, 1, 4])]))
    m = _one("Tile", [("x", F32, [2, 3]), ("r", I64, [2])], [("y", F32, [4, 9])])
    out.append(("tile_2d", m, [_rand(rng, (2, 3)), _i64([2, 3])]))
    m = _one("Range", [("a", F32, []), ("b", F32, []), ("c", F32, [])], [("y", F32, [13])])
    out.append(("range_float", m, [np.array(-1.5, np.float32), np.array(2.0, np.float32), np.array(0.27, np.float32)]))
    m = _one("Range", [("a", I64, []), ("b", I64, []), ("c", I64, [])], [("y", I64, [7])])
    out.append(("range_int64_negative", m, [_i64(10), _i64(-4), _i64(-2)]))
    m = _one("ConstantOfShape", [("s", I64, [3])], [("y", I64, [2, 3, 4])],
             {"value": numpy_helper.from_array(_i64([1]), "value")})
    out.append(("constant_of_shape_int64", m, [_i64([2, 3, 4])]))
    m = _one("DepthToSpace", [("x", F32, [1, 8, 3, 5])], [("y", F32, [1, 2, 6, 10])], {"blocksize": 2, "mode": "CRD"})
    out.append(("depth_to_space_crd", m, [_rand(rng, (1, 8, 3, 5))]))
    m = _one("SpaceToDepth", [("x", F32, [1, 2, 6, 4])], [("y", F32, [1, 8, 3, 2])], {"blocksize": 2})
    out.append(("space_to_depth", m, [_rand(rng, (1, 2, 6, 4))]))
    m = _one("Trilu", [("x", F32, [2, 4, 5]), ("k", I64, [])], [("y", F32, [2, 4, 5])], {"upper": 0}, opset=14)
    out.append(("trilu_lower_k1", m, [_rand(rng, (2, 4, 5)), _i64(1)]))
    m = _one("Unsqueeze", [("x", F32, [3, 4]), ("a", I64, [2])], [("y", F32, [1, 3, 4, 1])], opset=13)
    out.append(("unsqueeze_negative_axes", m, [_rand(rng, (3, 4)), _i64([0, -1])]))
    m = _one("Squeeze", [("x", F32, [1, 3, 1, 4])], [("y", F32, [3, 4])], opset=13)
    out.append(("squeeze_all", m, [_rand(rng, (1, 3, 1, 4))]))
    return out


def window_partition_graph(rng):
    """SAM ViT's windowing as torch exports it: pads computed with Shape/Gather/Mod, the F.pad
    pads list reversed with Slice(-1, -INT64_MAX, step -1), then Reshape/Transpose/Reshape."""
    c = lambda name, v: helper.make_node("Constant", [], [name], value=numpy_helper.from_array(_i64(v), name))
    n = helper.make_node
    nodes = [
        c("k14", 14), c("i1", 1), c("i2", 2), c("i3", 3), c("zero", [0]), c("ax0", [0]),
        c("two", [2]), c("neg1_2", [-1, 2]), c("neg1", [-1]), c("s_start", [-1]), c("s_end", [-INT64_MAX]),
        c("s_step", [-1]), c("one", [1]), c("win", [14]), c("tail", [-1, 14, 14]),
        n("Shape", ["x"], ["shp"]),
        n("Gather", ["shp", "i1"], ["h"], axis=0), n("Gather", ["shp", "i2"], ["w"], axis=0),
        n("Gather", ["shp", "i3"], ["ch"], axis=0),
        n("Mod", ["h", "k14"], ["hm"]), n("Sub", ["k14", "hm"], ["ph0"]), n("Mod", ["ph0", "k14"], ["ph"]),
        n("Mod", ["w", "k14"], ["wm"]), n("Sub", ["k14", "wm"], ["pw0"]), n("Mod", ["pw0", "k14"], ["pw"]),
        n("Unsqueeze", ["ph", "ax0"], ["ph1"]), n("Unsqueeze", ["pw", "ax0"], ["pw1"]),
        # torch pad list (0, 0, 0, pw, 0, ph) + ConstantOfShape zeros for the batch dim.
        n("Concat", ["zero", "zero", "zero", "pw1", "zero", "ph1"], ["plist"], axis=0),
        n("ConstantOfShape", ["two"], ["zeros2"], value=numpy_helper.from_array(_i64([0]), "value")),
        n("Concat", ["plist", "zeros2"], ["p8"], axis=0),
        n("Reshape", ["p8", "neg1_2"], ["p42"]),
        n("Slice", ["p42", "s_start", "s_end", "ax0", "s_step"], ["p42r"]),
        n("Transpose", ["p42r"], ["p24"], perm=[1, 0]),
        n("Reshape", ["p24", "neg1"], ["pads"]),
        n("Pad", ["x", "pads"], ["xp"], mode="constant"),
        n("Add", ["h", "ph"], ["hp"]), n("Add", ["w", "pw"], ["wp"]),
        n("Div", ["hp", "k14"], ["nh"]), n("Div", ["wp", "k14"], ["nw"]),
        n("Unsqueeze", ["nh", "ax0"], ["nh1"]), n("Unsqueeze", ["nw", "ax0"], ["nw1"]),
        n("Unsqueeze", ["ch", "ax0"], ["ch1"]),
        n("Concat", ["one", "nh1", "win", "nw1", "win", "ch1"], ["shape6"], axis=0),
        n("Reshape", ["xp", "shape6"], ["x6"]),
        n("Transpose", ["x6"], ["x6t"], perm=[0, 1, 3, 2, 4, 5]),
        n("Concat", ["tail", "ch1"], ["shape4"], axis=0),
        n("Reshape", ["x6t", "shape4"], ["windows"]),
    ]
    m = _model(nodes, [_vi("x", F32, [1, 27, 30, 32])], [_vi("windows", F32, [6, 14, 14, 32]), _vi("pads", I64, [8])])
    return [("graph_sam_window_partition", m, [_rand(rng, (1, 27, 30, 32))])]


def cases():
    rng = np.random.default_rng(20240611)
    return (resize_cases(rng) + pad_cases(rng) + slice_cases(rng) + gather_cases(rng) + split_cases(rng) +
            concat_cases(rng) + transpose_cases(rng) + misc_cases(rng) + window_partition_graph(rng))
