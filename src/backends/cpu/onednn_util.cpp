#include "backends/cpu/onednn_util.h"

namespace samq::backends::onednn {

const dnnl::engine& Engine() {
  static const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& ThreadStream() {
  thread_local dnnl::stream stream(Engine());
  return stream;
}

dnnl::memory::dims ToDims(const Shape& s) { return dnnl::memory::dims(s.begin(), s.end()); }

dnnl::memory::desc DenseDesc(const dnnl::memory::dims& dims) {
  dnnl::memory::dims strides(dims.size(), 1);
  for (int i = static_cast<int>(dims.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * std::max<dnnl::memory::dim>(dims[i + 1], 1);
  return dnnl::memory::desc(dims, dnnl::memory::data_type::f32, strides);
}

dnnl::memory Wrap(const dnnl::memory::desc& d, const Tensor& t) {
  return dnnl::memory(d, Engine(), const_cast<void*>(t.raw()));
}

dnnl::memory ReorderToNew(const dnnl::memory::desc& from, const void* src,
                          const dnnl::memory::desc& to) {
  dnnl::memory in(from, Engine(), const_cast<void*>(src));
  dnnl::memory out(to, Engine());  // oneDNN allocates and owns this buffer
  dnnl::reorder(in, out).execute(ThreadStream(), in, out);
  ThreadStream().wait();
  return out;
}

Shape ShapeKey(std::initializer_list<const Shape*> shapes) {
  Shape key;
  for (const Shape* s : shapes) {
    key.push_back(static_cast<int64_t>(s->size()));  // rank first, so keys cannot collide
    key.insert(key.end(), s->begin(), s->end());
  }
  return key;
}

std::string DtypeReason(DType t) {
  return t == DType::kUndefined ? "dtype unknown at compile time"
                                : "dtype " + std::string(dtype_name(t)) + " (float32 only)";
}

}  // namespace samq::backends::onednn
