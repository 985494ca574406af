"""ORT oracle cases for QDQ groups that samq folds into integer kernels (com.samq QMatMul/QConv,
passes/fold_qdq_to_integer.cpp), and for groups it must leave alone. Interface: ort_cases.py.

Every case is a small QDQ graph as quantize_static / ModelOpt write them: float activation ->
QuantizeLinear -> DequantizeLinear -> MatMul/Gemm/Conv <- DequantizeLinear(int8 weights). ORT
runs them with graph optimizations off (the literal Q/DQ + float ops); samq folds them and runs
u8/s8 x s8 integer kernels. The quantized values are exact integers on both sides, so the only
difference is float summation order: the default tolerance holds, except where an output is
requantized (a value within float noise of a rounding midpoint may move one quantum; those cases
allow one output scale, stated beside them).
"""
from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
F = TensorProto.FLOAT


def _model(nodes, inputs, outputs, inits):
    g = helper.make_graph(nodes, "qdq", inputs, outputs, initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=8,
                          producer_name="samq-oracles")
    # Outputs are declared without a shape above; take the one ONNX's shape inference derives.
    probe = onnx.ModelProto()
    probe.CopyFrom(m)
    del probe.graph.output[:]  # so the outputs show up in value_info
    probe.graph.output.append(helper.make_tensor_value_info("samq_probe_unused", F, [1]))
    probe.graph.node.append(helper.make_node("Constant", [], ["samq_probe_unused"],
                                             value=_init("c", np.zeros(1, np.float32))))
    inferred = {v.name: v for v in onnx.shape_inference.infer_shapes(probe).graph.value_info}
    for o in m.graph.output:
        o.type.CopyFrom(inferred[o.name].type)
    return m


def _init(name, a):
    return numpy_helper.from_array(np.asarray(a), name)


def _act_qdq(prefix, x, scale, zp):
    """x -> Q -> DQ, per tensor; returns nodes, initializers, the DQ output name."""
    inits = [_init(prefix + "_s", np.float32(scale)), _init(prefix + "_zp", zp)]
    nodes = [helper.make_node("QuantizeLinear", [x, prefix + "_s", prefix + "_zp"], [prefix + "_q"]),
             helper.make_node("DequantizeLinear", [prefix + "_q", prefix + "_s", prefix + "_zp"], [prefix + "_dq"])]
    return nodes, inits, prefix + "_dq"


def _weight_dq(prefix, w_int8, scales, axis):
    inits = [_init(prefix + "_w", w_int8.astype(np.int8)), _init(prefix + "_ws", scales.astype(np.float32))]
    zp = np.zeros(scales.shape, np.int8)
    inits.append(_init(prefix + "_wzp", zp))
    node = helper.make_node("DequantizeLinear", [prefix + "_w", prefix + "_ws", prefix + "_wzp"],
                            [prefix + "_wdq"], axis=axis)
    return [node], inits, prefix + "_wdq"


def _rand_w(rng, *shape):
    return rng.integers(-127, 128, size=shape).astype(np.int8)


def _matmul_case(rng, name, x_shape, n, u8, zp, per_channel, bias, out_qdq=False):
    k = x_shape[-1]
    # Activation scale chosen so a few values saturate (|x| > ~3.5): saturation is exercised too.
    scale = 7.0 / 255 if u8 else 3.5 / 127
    zpa = np.uint8(zp) if u8 else np.int8(zp)
    nodes, inits, a = _act_qdq("x", "x", scale, zpa)
    ws = rng.uniform(0.002, 0.02, size=(n,) if per_channel else ()).astype(np.float32)
    wn, wi, w = _weight_dq("w", _rand_w(rng, k, n), ws, axis=1)
    nodes += wn
    inits += wi
    nodes.append(helper.make_node("MatMul", [a, w], ["mm"]))
    out = "mm"
    if bias:
        inits.append(_init("b", rng.standard_normal(n).astype(np.float32)))
        nodes.append(helper.make_node("Add", ["mm", "b"], ["mm_b"]))
        out = "mm_b"
    opts = {}
    if out_qdq:
        on, oi, out = _act_qdq("y", out, 0.05, np.uint8(120))
        nodes += on
        inits += oi
        opts = {"atol": 0.0501}  # one output quantum (requantized output, see module doc)
    nodes.append(helper.make_node("Identity", [out], ["y"]))
    m = _model(nodes, [helper.make_tensor_value_info("x", F, list(x_shape))],
               [helper.make_tensor_value_info("y", F, None)], inits)
    x = rng.standard_normal(x_shape).astype(np.float32) * 1.5
    return (name, m, [x], opts) if opts else (name, m, [x])


def _gemm_case(rng):
    m_, k, n = 5, 33, 17
    nodes, inits, a = _act_qdq("x", "x", 6.0 / 255, np.uint8(131))
    ws = rng.uniform(0.005, 0.02, size=(n,)).astype(np.float32)
    wn, wi, w = _weight_dq("w", _rand_w(rng, n, k), ws, axis=0)  # transB: [N, K], channels on axis 0
    nodes += wn
    inits += wi
    # int32 bias with scale s_x * s_w, as quantize_static writes it.
    bs = (np.float32(6.0 / 255) * ws).astype(np.float32)
    inits += [_init("bq", rng.integers(-5000, 5000, size=n).astype(np.int32)), _init("bs", bs)]
    nodes.append(helper.make_node("DequantizeLinear", ["bq", "bs"], ["bdq"], axis=0))
    nodes.append(helper.make_node("Gemm", [a, w, "bdq"], ["y"], transB=1))
    model = _model(nodes, [helper.make_tensor_value_info("x", F, [m_, k])],
                   [helper.make_tensor_value_info("y", F, None)], inits)
    return ("qdq_gemm_transb_int32_bias", model, [rng.standard_normal((m_, k)).astype(np.float32)])


def _conv_case(rng, name, x_shape, oc, kernel, group, u8, per_channel, bias, **attrs):
    c = x_shape[1]
    nodes, inits, a = _act_qdq("x", "x", 7.0 / 255 if u8 else 3.5 / 127, np.uint8(128) if u8 else np.int8(0))
    ws = rng.uniform(0.005, 0.03, size=(oc,) if per_channel else ()).astype(np.float32)
    wn, wi, w = _weight_dq("w", _rand_w(rng, oc, c // group, *kernel), ws, axis=0)
    nodes += wn
    inits += wi
    ins = [a, w]
    if bias:
        inits.append(_init("b", rng.standard_normal(oc).astype(np.float32)))
        ins.append("b")
    nodes.append(helper.make_node("Conv", ins, ["y"], group=group, kernel_shape=list(kernel), **attrs))
    model = _model(nodes, [helper.make_tensor_value_info("x", F, list(x_shape))],
                   [helper.make_tensor_value_info("y", F, None)], inits)
    return (name, model, [rng.standard_normal(x_shape).astype(np.float32) * 1.5])


def _float_weight_case(rng):
    # Weights as a float initializer -> Q -> DQ (samq quantizes them at load).
    k, n = 24, 10
    nodes, inits, a = _act_qdq("x", "x", 5.0 / 255, np.uint8(100))
    wf = rng.standard_normal((k, n)).astype(np.float32)
    ws = (np.abs(wf).max(axis=0) / 127).astype(np.float32)
    inits += [_init("wf", wf), _init("ws", ws), _init("wzp", np.zeros(n, np.int8))]
    nodes += [helper.make_node("QuantizeLinear", ["wf", "ws", "wzp"], ["wq"], axis=1),
              helper.make_node("DequantizeLinear", ["wq", "ws", "wzp"], ["wdq"], axis=1),
              helper.make_node("MatMul", [a, "wdq"], ["y"])]
    model = _model(nodes, [helper.make_tensor_value_info("x", F, [3, 7, k])],
                   [helper.make_tensor_value_info("y", F, None)], inits)
    return ("qdq_matmul_float_weight_qdq", model, [rng.standard_normal((3, 7, k)).astype(np.float32)])


def _unfolded_case(rng):
    # Per-channel activation quantization: not an integer-kernel group; must still be right.
    k, n = 6, 5
    inits = [_init("xs", np.full(k, 0.03, np.float32)), _init("xzp", np.full(k, 128, np.uint8))]
    nodes = [helper.make_node("QuantizeLinear", ["x", "xs", "xzp"], ["xq"], axis=1),
             helper.make_node("DequantizeLinear", ["xq", "xs", "xzp"], ["xdq"], axis=1)]
    wn, wi, w = _weight_dq("w", _rand_w(rng, k, n), np.float32(0.01), axis=1)
    nodes += wn + [helper.make_node("MatMul", ["xdq", w], ["y"])]
    model = _model(nodes, [helper.make_tensor_value_info("x", F, [4, k])],
                   [helper.make_tensor_value_info("y", F, None)], inits + wi)
    return ("qdq_matmul_per_channel_activation_unfolded", model,
            [rng.standard_normal((4, k)).astype(np.float32)])


def cases():
    rng = np.random.default_rng(20251123)
    return [
        _matmul_case(rng, "qdq_matmul_u8_zp_per_channel", (8, 64), 48, True, 131, True, False),
        _matmul_case(rng, "qdq_matmul_u8_zp0_per_tensor", (8, 64), 48, True, 0, False, False),
        _matmul_case(rng, "qdq_matmul_s8_per_channel_bias", (2, 9, 37), 19, False, 0, True, True),
        _matmul_case(rng, "qdq_matmul_s8_zp_per_tensor_odd", (3, 5, 7, 13), 11, False, -7, False, False),
        _matmul_case(rng, "qdq_matmul_u8_batched_bias_requant", (2, 50, 96), 80, True, 128, True, True,
                     out_qdq=True),
        _gemm_case(rng),
        _conv_case(rng, "qdq_conv_3x3_pad_stride2_bias", (1, 8, 15, 13), 16, (3, 3), 1, True, True, True,
                   pads=[1, 1, 1, 1], strides=[2, 2]),
        _conv_case(rng, "qdq_conv_depthwise_3x3", (2, 12, 9, 9), 12, (3, 3), 12, True, True, True,
                   pads=[1, 1, 1, 1]),
        _conv_case(rng, "qdq_conv_grouped_s8_per_tensor", (1, 8, 10, 11), 6, (2, 3), 2, False, False, False,
                   pads=[0, 1, 1, 0], dilations=[2, 1]),
        _conv_case(rng, "qdq_conv_patch_embed_4x4_s4", (1, 3, 32, 32), 16, (4, 4), 1, True, True, True,
                   strides=[4, 4]),
        _float_weight_case(rng),
        _unfolded_case(rng),
    ]
