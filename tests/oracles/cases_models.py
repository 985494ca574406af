"""ORT oracle cases for whole-graph features the engine must get right (not single ops).

Dynamic shapes run at several sizes, shape math on dynamic inputs, initializers that are also
graph inputs (override semantics), outputs that are inputs/initializers, Constant nodes feeding
shape math, dead nodes, fan-out, views that outlive their source, omitted optional inputs,
inputs of unknown rank, empty tensors and scalars. Interface: see ort_cases.py / README.md.
"""
from __future__ import annotations

import numpy as np
from onnx import TensorProto, helper, numpy_helper

OPSET = 17  # what SAM exports typically declare
F, I64 = TensorProto.FLOAT, TensorProto.INT64


def _model(nodes, inputs, outputs, initializers=(), name="g"):
    graph = helper.make_graph(nodes, name, inputs, outputs, initializer=list(initializers))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=8,
                             producer_name="samq-oracles")


def _init(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def _const(output, array):
    return helper.make_node("Constant", [], [output], value=_init(output + "_value", array))


def _rand(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


def dynamic_batch_two_sizes(rng):
    # One symbolic dim, the same session run at two sizes: shapes must be re-inferred per run.
    w, b = _rand(rng, 4, 3), _rand(rng, 3)
    nodes = [
        helper.make_node("MatMul", ["x", "w"], ["xw"]),
        helper.make_node("Add", ["xw", "b"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probs"], axis=-1),
        helper.make_node("ReduceMean", ["x"], ["mean"], axes=[0], keepdims=1),
    ]
    model = _model(nodes, [helper.make_tensor_value_info("x", F, ["N", 4])],
                   [helper.make_tensor_value_info("probs", F, ["N", 3]),
                    helper.make_tensor_value_info("mean", F, [1, 4])],
                   [_init("w", w), _init("b", b)])
    return model, [[_rand(rng, 2, 4)], [_rand(rng, 5, 4)]]


def shape_gather_concat_reshape(rng):
    # Shape -> Gather -> Unsqueeze -> Concat -> Reshape on a fully dynamic input: the pattern every
    # exported attention block uses to flatten spatial dims. Nothing here is constant-foldable.
    nodes = [
        helper.make_node("Shape", ["x"], ["s"]),
        _const("i0", np.array(0, np.int64)),
        _const("i1", np.array(1, np.int64)),
        _const("ax0", np.array([0], np.int64)),
        _const("minus1", np.array([-1], np.int64)),
        helper.make_node("Gather", ["s", "i0"], ["b"], axis=0),
        helper.make_node("Gather", ["s", "i1"], ["c"], axis=0),
        helper.make_node("Unsqueeze", ["b", "ax0"], ["bu"]),
        helper.make_node("Unsqueeze", ["c", "ax0"], ["cu"]),
        helper.make_node("Concat", ["bu", "cu", "minus1"], ["new_shape"], axis=0),
        helper.make_node("Reshape", ["x", "new_shape"], ["flat"]),
        helper.make_node("Transpose", ["flat"], ["y"], perm=[0, 2, 1]),
    ]
    model = _model(nodes, [helper.make_tensor_value_info("x", F, ["B", "C", "H", "W"])],
                   [helper.make_tensor_value_info("y", F, [None, None, None]),
                    helper.make_tensor_value_info("new_shape", I64, [3])])
    return model, [[_rand(rng, 1, 3, 4, 5)], [_rand(rng, 2, 2, 3, 1)]]


def initializer_overridden_by_input(rng):
    # 'bias' is both an initializer and a graph input: fed, the feed wins; not fed, the
    # initializer is the default (ONNX IR >= 4 semantics). Set 0 omits it, set 1 overrides it.
    nodes = [helper.make_node("Add", ["x", "bias"], ["y"])]
    model = _model(nodes, [helper.make_tensor_value_info("x", F, [2, 3]),
                           helper.make_tensor_value_info("bias", F, [3])],
                   [helper.make_tensor_value_info("y", F, [2, 3])],
                   [_init("bias", np.array([0.5, -1.0, 2.0], np.float32))])
    x = _rand(rng, 2, 3)
    return model, [{"x": x}, {"x": x, "bias": np.array([10.0, 20.0, 30.0], np.float32)}]


def outputs_that_are_inputs_or_initializers(rng):
    # Graph outputs with no producing node: a graph input and an initializer returned as they are.
    nodes = [helper.make_node("Add", ["x", "w"], ["y"])]
    model = _model(nodes, [helper.make_tensor_value_info("x", F, [2, 2])],
                   [helper.make_tensor_value_info("x", F, [2, 2]),
                    helper.make_tensor_value_info("w", F, [2, 2]),
                    helper.make_tensor_value_info("y", F, [2, 2])],
                   [_init("w", _rand(rng, 2, 2))])
    return model, [[_rand(rng, 2, 2)]]


def constant_nodes_shape_math(rng):
    # Constant nodes (not initializers) feeding Div/Concat/ConstantOfShape/Range on values derived
    # from a dynamic shape; Shape with start/end (opset 15).
    nodes = [
        helper.make_node("Shape", ["x"], ["s"]),
        helper.make_node("Shape", ["x"], ["s_tail"], start=1),
        _const("i0", np.array(0, np.int64)),
        _const("two", np.array(2, np.int64)),
        _const("two_1d", np.array([2], np.int64)),
        _const("ax0", np.array([0], np.int64)),
        _const("zero", np.array(0, np.int64)),
        _const("one", np.array(1, np.int64)),
        helper.make_node("Gather", ["s", "i0"], ["n"], axis=0),
        helper.make_node("Gather", ["s_tail", "i0"], ["cols"], axis=0),
        helper.make_node("Div", ["cols", "two"], ["half"]),
        helper.make_node("Unsqueeze", ["n", "ax0"], ["n1"]),
        helper.make_node("Unsqueeze", ["half", "ax0"], ["half1"]),
        helper.make_node("Concat", ["n1", "two_1d", "half1"], ["shape3"], axis=0),
        helper.make_node("Reshape", ["x", "shape3"], ["x3"]),
        helper.make_node("ConstantOfShape", ["shape3"], ["ones"],
                         value=helper.make_tensor("v", F, [1], [1.5])),
        helper.make_node("Add", ["x3", "ones"], ["y"]),
        helper.make_node("Range", ["zero", "n", "one"], ["idx"]),
        helper.make_node("Cast", ["idx"], ["idx_f"], to=F),
    ]
    model = _model(nodes, [helper.make_tensor_value_info("x", F, ["N", 6])],
                   [helper.make_tensor_value_info("y", F, ["N", 2, 3]),
                    helper.make_tensor_value_info("idx_f", F, ["N"]),
                    helper.make_tensor_value_info("shape3", I64, [3])])
    return model, [[_rand(rng, 1, 6)], [_rand(rng, 4, 6)]]


def dead_nodes(rng):
    # Nodes whose results reach no output, including a dead Constant: must not change results.
    nodes = [
        helper.make_node("Relu", ["x"], ["y"]),
        helper.make_node("Exp", ["x"], ["dead1"]),
        helper.make_node("MatMul", ["dead1", "w"], ["dead2"]),
        _const("dead_const", np.array([1.0, 2.0], np.float32)),
        helper.make_node("Add", ["dead2", "dead2"], ["dead3"]),
    ]
    model = _model(nodes, [helper.make_tensor_value_info("x", F, [3, 4])],
                   [helper.make_tensor_value_info("y", F, [3, 4])], [_init("w", _rand(rng, 4, 2))])
    return model, [[_rand(rng, 3, 4)]]


def fanout_and_output(rng):
    # 'a' feeds five consumers and is itself a graph output; 'r' is a reshape view of it. A
    # runtime that recycles or writes into a buffer too early corrupts one of the outputs.
    nodes = [
        _const("one", np.array(1.0, np.float32)),
        _const("flat", np.array([-1], np.int64)),
        helper.make_node("Add", ["x", "one"], ["a"]),
        helper.make_node("Relu", ["a"], ["b"]),
        helper.make_node("Mul", ["a", "a"], ["c"]),
        helper.make_node("Reshape", ["a", "flat"], ["r"]),
        helper.make_node("Neg", ["a"], ["n"]),
        helper.make_node("Sub", ["n", "b"], ["d"]),
        helper.make_node("Identity", ["a"], ["i"]),
    ]
    model = _model(nodes, [helper.make_tensor_value_info("x", F, [2, 3])],
                   [helper.make_tensor_value_info(v, F, [2, 3]) for v in ("a", "c", "d", "i")] +
                   [helper.make_tensor_value_info("r", F, [None])])
    return model, [[_rand(rng, 2, 3)]]


def view_outlives_source(rng):
    # 'r' (a view of 'a') is an output; 'a' dies after Sigmoid, and later nodes allocate
    # same-sized buffers. If 'a''s buffer is recycled while 'r' still shares it, 'r' is garbage.
    nodes = [
        _const("one", np.array(1.0, np.float32)),
        _const("shape", np.array([4, 4], np.int64)),
        helper.make_node("Add", ["x", "one"], ["a"]),
        helper.make_node("Reshape", ["a", "shape"], ["r"]),
        helper.make_node("Sigmoid", ["a"], ["s"]),
        helper.make_node("Mul", ["s", "s"], ["t1"]),
        helper.make_node("Add", ["t1", "one"], ["t2"]),
        helper.make_node("Mul", ["t2", "x"], ["t"]),
    ]
    model = _model(nodes, [helper.make_tensor_value_info("x", F, [2, 8])],
                   [helper.make_tensor_value_info("r", F, [4, 4]),
                    helper.make_tensor_value_info("t", F, [2, 8])])
    return model, [[_rand(rng, 2, 8)]]


def omitted_optional_inputs(rng):
    # Empty input names mark omitted optional inputs in the middle of the list (Clip min, Resize
    # roi): they must stay positional, not shift the later inputs.
    nodes = [
        helper.make_node("Clip", ["x", "", "hi"], ["clipped"]),
        helper.make_node("Resize", ["clipped", "", "scales"], ["y"], mode="nearest"),
    ]
    model = _model(nodes, [helper.make_tensor_value_info("x", F, [1, 1, 2, 3])],
                   [helper.make_tensor_value_info("y", F, [1, 1, 4, 6])],
                   [_init("hi", np.array(0.25, np.float32)),
                    _init("scales", np.array([1, 1, 2, 2], np.float32))])
    return model, [[_rand(rng, 1, 1, 2, 3)]]


def unnamed_dynamic_dims(rng):
    # Dims with neither a value nor a name (what exporters write for data-dependent sizes), and a
    # dim of size 1 in one run and >1 in the next: broadcasting must be decided per run.
    nodes = [
        _const("two", np.array(2.0, np.float32)),
        helper.make_node("Mul", ["x", "two"], ["y"]),
        helper.make_node("Add", ["y", "z"], ["w"]),
        helper.make_node("Shape", ["w"], ["s"]),
    ]
    model = _model(nodes, [helper.make_tensor_value_info("x", F, [None, None, 3]),
                           helper.make_tensor_value_info("z", F, [None, 1, None])],
                   [helper.make_tensor_value_info("w", F, [None, None, 3]),
                    helper.make_tensor_value_info("s", I64, [3])])
    return model, [[_rand(rng, 2, 4, 3), _rand(rng, 2, 1, 3)],
                   [_rand(rng, 1, 1, 3), _rand(rng, 5, 1, 1)]]


def empty_and_scalar(rng):
    # A 0-sized dynamic dim and a rank-0 input through broadcasting, a reduction and Shape.
    nodes = [
        helper.make_node("Mul", ["x", "k"], ["y"]),
        helper.make_node("ReduceSum", ["x", "ax1"], ["rowsum"], keepdims=0),
        helper.make_node("Shape", ["y"], ["ys"]),
        helper.make_node("Concat", ["x", "x"], ["xx"], axis=0),
    ]
    model = _model(nodes, [helper.make_tensor_value_info("x", F, ["N", 3]),
                           helper.make_tensor_value_info("k", F, [])],
                   [helper.make_tensor_value_info("y", F, ["N", 3]),
                    helper.make_tensor_value_info("rowsum", F, ["N"]),
                    helper.make_tensor_value_info("ys", I64, [2]),
                    helper.make_tensor_value_info("xx", F, [None, 3])],
                   [_init("ax1", np.array([1], np.int64))])
    k = np.array(-1.5, np.float32)
    return model, [[np.zeros((0, 3), np.float32), k], [_rand(rng, 2, 3), k]]


def same_value_twice(rng):
    # One value bound to several inputs of the same node.
    nodes = [
        helper.make_node("Mul", ["x", "x"], ["sq"]),
        helper.make_node("Concat", ["x", "sq", "x"], ["y"], axis=1),
        helper.make_node("Sum", ["x", "x", "x"], ["triple"]),
    ]
    model = _model(nodes, [helper.make_tensor_value_info("x", F, [2, 2])],
                   [helper.make_tensor_value_info("y", F, [2, 6]),
                    helper.make_tensor_value_info("triple", F, [2, 2])])
    return model, [[_rand(rng, 2, 2)]]


def no_runtime_inputs(rng):
    # Everything is constant: the whole graph may fold away; outputs must still come back.
    nodes = [
        _const("c", np.arange(6, dtype=np.float32).reshape(2, 3)),
        helper.make_node("Add", ["c", "w"], ["y"]),
        helper.make_node("Shape", ["y"], ["ys"]),
    ]
    model = _model(nodes, [], [helper.make_tensor_value_info("y", F, [2, 3]),
                               helper.make_tensor_value_info("ys", I64, [2])],
                   [_init("w", _rand(rng, 2, 3))])
    return model, []


def cases():
    rng = np.random.default_rng(20240517)
    builders = [dynamic_batch_two_sizes, shape_gather_concat_reshape,
                initializer_overridden_by_input, outputs_that_are_inputs_or_initializers,
                constant_nodes_shape_math, dead_nodes, fanout_and_output, view_outlives_source,
                omitted_optional_inputs, unnamed_dynamic_dims, empty_and_scalar, same_value_twice,
                no_runtime_inputs]
    out = []
    for build in builders:
        model, inputs = build(rng)
        out.append((f"graph_{build.__name__}", model, inputs))
    return out
