"""ORT oracle cases for samq's elementwise, reduction, normalization and quantization ops.

Broadcasting over many shape pairs, int64 shape math, negative axes, empty tensors and scalars,
every unary op on special values, Cast to/from float16/bfloat16/float8 with `saturate`, and
QuantizeLinear/DequantizeLinear per-tensor, per-axis and blocked (opset 21). Interface: see
ort_cases.py / README.md (`cases()` -> list of (name, model, inputs[, options])).
"""
from __future__ import annotations

import numpy as np
from onnx import TensorProto, helper, numpy_helper

F32, F16, BF16, F64 = TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.BFLOAT16, TensorProto.DOUBLE
I64, I32, I8, U8, BOOL = TensorProto.INT64, TensorProto.INT32, TensorProto.INT8, TensorProto.UINT8, TensorProto.BOOL
E4M3, E5M2, I4, U4 = TensorProto.FLOAT8E4M3FN, TensorProto.FLOAT8E5M2, TensorProto.INT4, TensorProto.UINT4


def _model(nodes, inputs, outputs, opset=17, initializers=()):
    graph = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(initializers))
    ir = 10 if opset >= 21 else (9 if opset >= 19 else 8)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=ir,
                             producer_name="samq-oracles")


def _vi(name, elem, shape):
    return helper.make_tensor_value_info(name, elem, shape)


def _init(name, array, elem=None):
    if elem is None:
        return numpy_helper.from_array(np.asarray(array), name)
    return helper.make_tensor(name, elem, list(np.shape(array)), np.asarray(array).ravel().tolist())


def _single(op, in_specs, out_specs, attrs=None, opset=17, initializers=()):
    """One node reading the graph inputs (and initializers) named in in_specs."""
    node = helper.make_node(op, [n for n, _, _ in in_specs], [n for n, _, _ in out_specs], **(attrs or {}))
    graph_inputs = [_vi(n, e, s) for n, e, s in in_specs if n and n not in {i.name for i in initializers}]
    return _model([node], graph_inputs, [_vi(n, e, s) for n, e, s in out_specs], opset, initializers)


def _rand(rng, shape, lo=-3.0, hi=3.0):
    return rng.uniform(lo, hi, size=shape).astype(np.float32)


SPECIAL = np.array([0.0, -0.0, 0.5, -0.5, 1.5, 2.5, -2.5, 1e-3, -7.25, 40.0, -40.0,
                    np.inf, -np.inf, np.nan], np.float32)


def broadcast_cases(rng):
    pairs = [((2, 3), (2, 3)), ((2, 3), ()), ((), (4,)), ((2, 3), (3,)), ((2, 3), (2, 1)),
             ((2, 1), (1, 3)), ((4, 1, 5), (3, 1)), ((2, 3, 4), (2, 1, 4)), ((1, 1, 4), (2, 3, 1)),
             ((2, 1, 3, 1), (1, 4, 1, 5)), ((3, 1, 1, 2), (2,)), ((0, 3), (3,)), ((2, 0), (1,)),
             ((8, 64, 33), (33,)), ((8, 1, 33), (8, 7, 1))]
    out = []
    for k, (sa, sb) in enumerate(pairs):
        so = np.broadcast_shapes(sa, sb)
        for op in ("Add", "Sub", "Mul", "Div", "Max", "PRelu" if len(sb) <= len(sa) and
                   np.broadcast_shapes(sa, sb) == tuple(sa) else "Min"):
            m = _single(op, [("a", F32, sa), ("b", F32, sb)], [("y", F32, so)])
            b = _rand(rng, sb)
            if op == "Div":
                b = np.where(np.abs(b) < 0.1, 0.5, b).astype(np.float32)
            out.append((f"elem_bcast_{op.lower()}_{k}", m, [_rand(rng, sa), b]))
        # Comparisons and Where on the same shapes.
        m = _single("Less", [("a", F32, sa), ("b", F32, sb)], [("y", BOOL, so)])
        out.append((f"elem_bcast_less_{k}", m, [_rand(rng, sa), _rand(rng, sb)]))
    # Where: three-way broadcast.
    m = _single("Where", [("c", BOOL, (2, 1, 1)), ("x", F32, (1, 3, 1)), ("y", F32, (4,))], [("z", F32, (2, 3, 4))])
    out.append(("elem_where_3way", m, [np.array([True, False]).reshape(2, 1, 1), _rand(rng, (1, 3, 1)), _rand(rng, (4,))]))
    # Pow with a scalar exponent and with an int64 exponent tensor.
    m = _single("Pow", [("a", F32, (3, 4)), ("b", F32, ())], [("y", F32, (3, 4))])
    out.append(("elem_pow_scalar2", m, [_rand(rng, (3, 4)), np.array(2, np.float32)]))
    m = _single("Pow", [("a", F32, (3, 4)), ("b", I64, (4,))], [("y", F32, (3, 4))])
    out.append(("elem_pow_int_exponent", m, [_rand(rng, (3, 4), 0.1, 3), np.array([0, 1, 2, -2], np.int64)]))
    m = _single("Pow", [("a", F32, (8,)), ("b", F32, (8,))], [("y", F32, (8,))])
    out.append(("elem_pow_fractional", m, [_rand(rng, (8,), 0.1, 4), _rand(rng, (8,), -2, 2)]))
    # Float Mod with fmod=1.
    m = _single("Mod", [("a", F32, (2, 4)), ("b", F32, (4,))], [("y", F32, (2, 4))], {"fmod": 1})
    out.append(("elem_mod_float_fmod1", m, [_rand(rng, (2, 4), -10, 10), np.array([3, -3, 2.5, -0.75], np.float32)]))
    return out


def int64_shape_math():
    # The shape arithmetic exported attention blocks do on int64 (negatives, truncation, Python
    # mod, comparisons, Where, Cast to float and back).
    a = np.array([7, -7, 7, -7, 64, 0, 1 << 40, -(1 << 40)], np.int64)
    b = np.array([2, 2, -2, -2, 14, 5, 3, 7], np.int64)
    out = []
    for op in ("Add", "Sub", "Mul", "Div", "Max", "Min"):
        m = _single(op, [("a", I64, (8,)), ("b", I64, (8,))], [("y", I64, (8,))])
        out.append((f"elem_int64_{op.lower()}", m, [a, b]))
    for fmod in (0, 1):
        m = _single("Mod", [("a", I64, (8,)), ("b", I64, (8,))], [("y", I64, (8,))], {"fmod": fmod})
        out.append((f"elem_int64_mod_fmod{fmod}", m, [a, b]))
    for op in ("Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"):
        m = _single(op, [("a", I64, (8,)), ("b", I64, ())], [("y", BOOL, (8,))])
        out.append((f"elem_int64_{op.lower()}", m, [a, np.array(7, np.int64)]))
    # (x + 13) // 14 * 14 - x: the window-padding arithmetic of SAM's ViT, then Where / Cast.
    nodes = [
        helper.make_node("Add", ["x", "k13"], ["t0"]),
        helper.make_node("Div", ["t0", "k14"], ["t1"]),
        helper.make_node("Mul", ["t1", "k14"], ["t2"]),
        helper.make_node("Sub", ["t2", "x"], ["pad"]),
        helper.make_node("Mod", ["x", "k14"], ["rem"]),
        helper.make_node("Equal", ["rem", "k0"], ["aligned"]),
        helper.make_node("Where", ["aligned", "k0", "pad"], ["pad2"]),
        helper.make_node("Cast", ["pad2"], ["padf"], to=F32),
        helper.make_node("Cast", ["padf"], ["padi"], to=I32),
        helper.make_node("Not", ["aligned"], ["unaligned"]),
    ]
    inits = [_init("k13", np.array(13, np.int64)), _init("k14", np.array(14, np.int64)),
             _init("k0", np.array(0, np.int64))]
    m = _model(nodes, [_vi("x", I64, (6,))],
               [_vi("pad2", I64, (6,)), _vi("padf", F32, (6,)), _vi("padi", I32, (6,)), _vi("unaligned", BOOL, (6,))],
               initializers=inits)
    out.append(("elem_int64_window_pad_math", m, [np.array([64, 14, 1, 0, 27, 1000], np.int64)]))
    # Logic on bool.
    for op in ("And", "Or", "Xor"):
        m = _single(op, [("a", BOOL, (2, 1)), ("b", BOOL, (1, 2))], [("y", BOOL, (2, 2))])
        out.append((f"elem_bool_{op.lower()}", m, [np.array([[False], [True]]), np.array([[False, True]])]))
    return out


UNARY = ["Abs", "Neg", "Reciprocal", "Sqrt", "Exp", "Log", "Erf", "Tanh", "Sigmoid", "Relu", "Sin",
         "Cos", "Floor", "Ceil", "Round", "Sign", "Softplus", "Softsign", "HardSwish", "Elu",
         "Atan", "Sinh", "Asinh"]


def unary_cases(rng):
    out = []
    x = np.concatenate([SPECIAL, _rand(rng, (50,), -6, 6)]).reshape(2, 32)
    for op in UNARY:
        m = _single(op, [("x", F32, (2, 32))], [("y", F32, (2, 32))])
        out.append((f"elem_unary_{op.lower()}", m, [x]))
    for op, attrs in [("LeakyRelu", {"alpha": 0.2}), ("HardSigmoid", {"alpha": 0.3, "beta": 0.4}),
                      ("Selu", {}), ("ThresholdedRelu", {"alpha": 0.7}), ("Celu", {"alpha": 2.0})]:
        m = _single(op, [("x", F32, (2, 32))], [("y", F32, (2, 32))], attrs, opset=17)
        out.append((f"elem_unary_{op.lower()}_attrs", m, [x]))
    for approx in ("none", "tanh"):
        m = _single("Gelu", [("x", F32, (2, 32))], [("y", F32, (2, 32))], {"approximate": approx}, opset=20)
        out.append((f"elem_unary_gelu_{approx}", m, [x]))
    for op in ("IsNaN", "IsInf"):
        m = _single(op, [("x", F32, (2, 32))], [("y", BOOL, (2, 32))])
        out.append((f"elem_unary_{op.lower()}", m, [x]))
    m = _single("Neg", [("x", I64, (4,))], [("y", I64, (4,))])
    out.append(("elem_unary_neg_int64", m, [np.array([3, -4, 0, 1 << 50], np.int64)]))
    m = _single("Exp", [("x", F32, (0, 3))], [("y", F32, (0, 3))])
    out.append(("elem_unary_exp_empty", m, [np.zeros((0, 3), np.float32)]))
    m = _single("Sqrt", [("x", F32, ())], [("y", F32, ())])
    out.append(("elem_unary_sqrt_scalar", m, [np.array(6.25, np.float32)]))
    return out


def clip_cases(rng):
    x = np.concatenate([SPECIAL, _rand(rng, (10,), -5, 5)])
    n = x.shape[0]
    out = []
    m = _single("Clip", [("x", F32, (n,)), ("lo", F32, ()), ("hi", F32, ())], [("y", F32, (n,))], opset=13)
    out.append(("elem_clip_both", m, [x, np.array(-1, np.float32), np.array(2, np.float32)]))
    m = _single("Clip", [("x", F32, (n,)), ("", F32, ()), ("hi", F32, ())], [("y", F32, (n,))], opset=13)
    out.append(("elem_clip_max_only", m, [x, np.array(0.25, np.float32)]))
    m = _single("Clip", [("x", I64, (5,)), ("lo", I64, ()), ("hi", I64, ())], [("y", I64, (5,))], opset=13)
    out.append(("elem_clip_int64", m, [np.array([-9, -1, 0, 5, 99], np.int64), np.array(-2, np.int64), np.array(6, np.int64)]))
    return out


def cast_cases(rng):
    out = []
    x = np.concatenate([SPECIAL[:-3], np.array([65504, 65520, 1e5, 448, 464, 500, 57344, 61440, 1e-6, 3e-8,
                                                1 / 3, 1 + 2 ** -8, 1 + 3 * 2 ** -8], np.float32),
                        _rand(rng, (12,), -300, 300)]).astype(np.float32)
    n = x.shape[0]
    for to, name in [(F16, "f16"), (BF16, "bf16"), (F64, "f64"), (I32, "i32"), (I64, "i64"),
                     (BOOL, "bool"), (I8, "i8")]:
        xin = x if to not in (I32, I64, I8) else np.clip(x, -100, 100).astype(np.float32)
        # float -> narrow -> float round trip as a second output, so the runner also compares floats.
        # ONNX Runtime's Python API cannot return bfloat16 arrays: that case checks the round trip only.
        nodes = [helper.make_node("Cast", ["x"], ["y"], to=to), helper.make_node("Cast", ["y"], ["z"], to=F32)]
        outs = ([] if to == BF16 else [_vi("y", to, (n,))]) + [_vi("z", F32, (n,))]
        m = _model(nodes, [_vi("x", F32, (n,))], outs)
        out.append((f"elem_cast_f32_to_{name}", m, [xin]))
    for to, name in [(E4M3, "e4m3fn"), (E5M2, "e5m2")]:
        for sat in (1, 0):
            xin = np.concatenate([x, np.array([np.inf, -np.inf, np.nan], np.float32)]).astype(np.float32)
            nodes = [helper.make_node("Cast", ["x"], ["y"], to=to, saturate=sat),
                     helper.make_node("Cast", ["y"], ["z"], to=F32)]
            # Only the float round trip is an output (ORT's Python API cannot return float8e5m2
            # arrays); float8 -> float is exact, so it pins every float8 code except NaN payloads.
            m = _model(nodes, [_vi("x", F32, (n + 3,))], [_vi("z", F32, (n + 3,))], opset=19)
            out.append((f"elem_cast_f32_to_{name}_sat{sat}", m, [xin]))
    # float16 -> float8 and int64 -> float16 and float64 -> float16.
    nodes = [helper.make_node("Cast", ["x"], ["y"], to=E4M3), helper.make_node("Cast", ["y"], ["z"], to=F16)]
    m = _model(nodes, [_vi("x", F16, (n,))], [_vi("z", F16, (n,))], opset=19)
    with np.errstate(over="ignore"):  # 1e5 becomes inf in float16, on purpose
        out.append(("elem_cast_f16_to_e4m3fn_to_f16", m, [x.astype(np.float16)]))
    m = _single("Cast", [("x", I64, (5,))], [("y", F16, (5,))], {"to": F16})
    out.append(("elem_cast_i64_to_f16", m, [np.array([0, -3, 2049, 70000, 1 << 40], np.int64)]))
    m = _single("Cast", [("x", F64, (6,))], [("y", F16, (6,))], {"to": F16})
    out.append(("elem_cast_f64_to_f16", m, [np.array([1 / 3, 1 + 2 ** -11 + 2 ** -40, -2.5e-8, 7e4, 0.1, -1e-3])]))
    m = _single("Cast", [("x", I64, (4,))], [("y", I32, (4,))], {"to": I32})
    out.append(("elem_cast_i64_to_i32", m, [np.array([1, -1, 123456789012, -(1 << 31)], np.int64)]))
    m = _single("CastLike", [("x", F32, (3,)), ("t", F16, (1,))], [("y", F16, (3,))], opset=19)
    out.append(("elem_castlike_f16", m, [np.array([0.1, 1 / 3, 7.0], np.float32), np.zeros(1, np.float16)]))
    # Binary / unary / softmax on float16 inputs (computed through float32).
    m = _single("Add", [("a", F16, (3, 4)), ("b", F16, (4,))], [("y", F16, (3, 4))])
    out.append(("elem_add_f16", m, [_rand(rng, (3, 4)).astype(np.float16), _rand(rng, (4,)).astype(np.float16)]))
    return out


def reduction_cases(rng):
    out = []
    x = _rand(rng, (2, 3, 4, 5))
    for op in ("ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL2",
               "ReduceL1", "ReduceSumSquare", "ReduceLogSumExp"):
        for axes, keep in (([-1], 1), ([0, 2], 0), ([1, -1], 1), (None, 0)):
            # opset 18: axes is an input for every Reduce op.
            ins = [("x", F32, x.shape)] + ([("axes", I64, (len(axes),))] if axes else [])
            kept = [d if not axes or (i not in [a % 4 for a in axes]) else 1 for i, d in enumerate(x.shape)]
            if not keep:
                kept = [d for i, d in enumerate(x.shape) if axes and i not in [a % 4 for a in axes]]
            m = _single(op, ins, [("y", F32, kept)], {"keepdims": keep}, opset=18)
            tag = "all" if not axes else "_".join(str(a).replace("-", "m") for a in axes)
            feeds = [x] + ([np.array(axes, np.int64)] if axes else [])
            out.append((f"elem_{op.lower()}_{tag}_k{keep}", m, feeds))
    # opset 17 attribute form, negative axis (ReduceMean as in exported LayerNorm2d).
    m = _single("ReduceMean", [("x", F32, x.shape)], [("y", F32, (2, 1, 4, 5))], {"axes": [-3]}, opset=17)
    out.append(("elem_reducemean_attr_axes_opset17", m, [x]))
    # ReduceSum opset 13 (axes input) with noop_with_empty_axes.
    m = _single("ReduceSum", [("x", F32, (2, 3)), ("axes", I64, (0,))], [("y", F32, (2, 3))],
                {"noop_with_empty_axes": 1}, opset=13)
    out.append(("elem_reducesum_noop_empty_axes", m, [_rand(rng, (2, 3)), np.zeros(0, np.int64)]))
    # Empty input: reduce over the non-empty axis; and over the empty axis for Sum.
    m = _single("ReduceSum", [("x", F32, (0, 3)), ("axes", I64, (1,))], [("y", F32, (1, 3))], opset=18)
    out.append(("elem_reducesum_empty_axis", m, [np.zeros((0, 3), np.float32), np.array([0], np.int64)]))
    m = _single("ReduceMax", [("x", I64, (3, 4)), ("axes", I64, (1,))], [("y", I64, (3,))], {"keepdims": 0}, opset=18)
    out.append(("elem_reducemax_int64", m, [rng.integers(-100, 100, (3, 4)).astype(np.int64), np.array([-1], np.int64)]))
    for op in ("ArgMax", "ArgMin"):
        for axis, keep, last in ((-1, 1, 0), (1, 0, 1), (0, 1, 1)):
            xi = rng.integers(0, 3, (3, 4, 2)).astype(np.float32)  # ties, to exercise select_last_index
            shape = list(xi.shape)
            if keep:
                shape[axis] = 1
            else:
                del shape[axis]
            m = _single(op, [("x", F32, xi.shape)], [("y", I64, shape)],
                        {"axis": axis, "keepdims": keep, "select_last_index": last}, opset=13)
            out.append((f"elem_{op.lower()}_a{axis % 3}_k{keep}_l{last}", m, [xi]))
    return out


def softmax_layernorm_cases(rng):
    out = []
    x = _rand(rng, (2, 3, 4), -10, 10)
    for op in ("Softmax", "LogSoftmax"):
        for axis in (-1, 1, 0, -2):
            m = _single(op, [("x", F32, x.shape)], [("y", F32, x.shape)], {"axis": axis}, opset=13)
            out.append((f"elem_{op.lower()}_axis{str(axis).replace('-', 'm')}_opset13", m, [x]))
        for axis in (1, 0, -1):  # opset 11: coerce to 2-D at axis
            m = _single(op, [("x", F32, x.shape)], [("y", F32, x.shape)], {"axis": axis}, opset=11)
            out.append((f"elem_{op.lower()}_axis{str(axis).replace('-', 'm')}_opset11", m, [x]))
    big = np.array([[1000, 1000, -1000], [-np.inf, 0, 1]], np.float32)
    m = _single("Softmax", [("x", F32, (2, 3))], [("y", F32, (2, 3))], opset=13)
    out.append(("elem_softmax_extremes", m, [big]))
    m = _single("Softmax", [("x", F32, (0, 4))], [("y", F32, (0, 4))], opset=13)
    out.append(("elem_softmax_empty", m, [np.zeros((0, 4), np.float32)]))
    # LayerNormalization: last axis (SAM's), axis -2 with a 2-D scale, statistics outputs.
    xl = _rand(rng, (2, 5, 16))
    for axis, sshape in ((-1, (16,)), (-2, (5, 16)), (1, (5, 1))):
        scale, bias = _rand(rng, sshape), _rand(rng, sshape)
        stat = [2, 1, 1] if axis in (-2, 1) else [2, 5, 1]
        node = helper.make_node("LayerNormalization", ["x", "s", "b"], ["y", "mean", "istd"], axis=axis, epsilon=1e-5)
        m = _model([node], [_vi("x", F32, xl.shape)],
                   [_vi("y", F32, xl.shape), _vi("mean", F32, stat), _vi("istd", F32, stat)],
                   initializers=[_init("s", scale), _init("b", bias)])
        out.append((f"elem_layernorm_axis{str(axis).replace('-', 'm')}", m, [xl]))
    m = _single("LayerNormalization", [("x", F32, (3, 8)), ("s", F32, (8,))], [("y", F32, (3, 8))],
                {"epsilon": 1e-6})
    out.append(("elem_layernorm_no_bias", m, [_rand(rng, (3, 8), -100, 100), _rand(rng, (8,))]))
    return out


def quant_cases(rng):
    out = []
    x = np.concatenate([_rand(rng, (20,), -4, 4), np.array([0.25, 0.75, -0.25, 1.25, 100, -100], np.float32)])
    n = x.shape[0]
    # Per-tensor, uint8 and int8, round-half-even ties at multiples of scale/2.
    for zp_t, zp_v, name in ((U8, 128, "u8"), (I8, -3, "i8")):
        nodes = [helper.make_node("QuantizeLinear", ["x", "s", "zp"], ["q"]),
                 helper.make_node("DequantizeLinear", ["q", "s", "zp"], ["y"])]
        m = _model(nodes, [_vi("x", F32, (n,))], [_vi("q", zp_t, (n,)), _vi("y", F32, (n,))], opset=13,
                   initializers=[_init("s", np.array(0.5, np.float32)), _init("zp", np.array(zp_v), zp_t)])
        out.append((f"elem_qdq_per_tensor_{name}", m, [x]))
    # Per-axis over the channel dim of NCHW (weights style: axis 0) and axis 1 (activations).
    w = _rand(rng, (4, 3, 2, 2))
    for axis in (0, 1, -3):
        c = w.shape[axis]
        scale = rng.uniform(0.01, 0.1, c).astype(np.float32)
        zp = rng.integers(-5, 5, c).astype(np.int8)
        nodes = [helper.make_node("QuantizeLinear", ["x", "s", "zp"], ["q"], axis=axis),
                 helper.make_node("DequantizeLinear", ["q", "s", "zp"], ["y"], axis=axis)]
        m = _model(nodes, [_vi("x", F32, w.shape)], [_vi("q", I8, w.shape), _vi("y", F32, w.shape)], opset=13,
                   initializers=[_init("s", scale), _init("zp", zp)])
        out.append((f"elem_qdq_per_axis_{str(axis).replace('-', 'm')}", m, [w]))
    # Blocked (opset 21): block 2 along axis 1 with a remainder block, int8 / uint8 / int4 / uint4.
    xb = _rand(rng, (3, 7))
    for qt, name, lo, hi in ((I8, "i8", -3, 3), (U8, "u8", 120, 130), (I4, "i4", -2, 2), (U4, "u4", 6, 9)):
        scale = rng.uniform(0.05, 0.5, (3, 4)).astype(np.float32)
        zp = rng.integers(lo, hi, (3, 4))
        nodes = [helper.make_node("QuantizeLinear", ["x", "s", "zp"], ["q"], axis=1, block_size=2),
                 helper.make_node("DequantizeLinear", ["q", "s", "zp"], ["y"], axis=1, block_size=2)]
        m = _model(nodes, [_vi("x", F32, xb.shape)], [_vi("y", F32, xb.shape)], opset=21,
                   initializers=[_init("s", scale), _init("zp", zp, qt)])
        out.append((f"elem_qdq_blocked_{name}", m, [xb]))
    # Blocked along axis 0 (weight-only style, block 4 of 8 rows).
    xw = _rand(rng, (8, 3))
    scale = rng.uniform(0.05, 0.5, (2, 3)).astype(np.float32)
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "zp"], ["q"], axis=0, block_size=4),
             helper.make_node("DequantizeLinear", ["q", "s", "zp"], ["y"], axis=0, block_size=4)]
    m = _model(nodes, [_vi("x", F32, xw.shape)], [_vi("q", I8, xw.shape), _vi("y", F32, xw.shape)], opset=21,
               initializers=[_init("s", scale), _init("zp", np.zeros((2, 3), np.int8))])
    out.append(("elem_qdq_blocked_axis0", m, [xw]))
    # float8 quantization (opset 19), saturating and not.
    for qt, name in ((E4M3, "e4m3fn"), (E5M2, "e5m2")):
        for sat in (1, 0):
            xs = np.concatenate([x, np.array([1e5, -1e5], np.float32)])
            nodes = [helper.make_node("QuantizeLinear", ["x", "s", "zp"], ["q"], saturate=sat),
                     helper.make_node("DequantizeLinear", ["q", "s", "zp"], ["y"])]
            m = _model(nodes, [_vi("x", F32, xs.shape)], [_vi("y", F32, xs.shape)], opset=19,
                       initializers=[_init("s", np.array(0.5, np.float32)), _init("zp", np.array([0.0]).reshape(()), qt)])
            out.append((f"elem_qdq_{name}_sat{sat}", m, [xs]))
    # output_dtype instead of a zero point (opset 21); DequantizeLinear of int32 (bias style).
    m = _single("QuantizeLinear", [("x", F32, (n,)), ("s", F32, ())], [("q", I8, (n,))], {"output_dtype": I8},
                opset=21, initializers=[_init("s", np.array(0.1, np.float32))])
    out.append(("elem_quantize_output_dtype_i8", m, [x]))
    m = _single("DequantizeLinear", [("q", I32, (5,)), ("s", F32, ())], [("y", F32, (5,))], opset=13,
                initializers=[_init("s", np.array(0.003, np.float32))])
    out.append(("elem_dequantize_int32", m, [np.array([-70000, -1, 0, 5, 1 << 20], np.int32)]))
    return out


def cases():
    rng = np.random.default_rng(20240611)
    return (broadcast_cases(rng) + int64_shape_math() + unary_cases(rng) + clip_cases(rng) +
            cast_cases(rng) + reduction_cases(rng) + softmax_layernorm_cases(rng) + quant_cases(rng))
