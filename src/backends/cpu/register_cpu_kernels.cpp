// RegisterCpuKernels (backends/registry.h): faster CPU candidates in front of the reference ones.
#include "backends/cpu/conv_gelu.h"
#include "backends/cpu/deconv_gemm.h"
#include "backends/cpu/depthwise_nhwc.h"
#include "backends/cpu/fast_kernels.h"
#include "backends/cpu/layer_norm_2d.h"
#include "backends/cpu/max_pool_nhwc.h"
#include "backends/cpu/row_gather.h"
#include "backends/cpu/matmul_bias.h"
#include "backends/cpu/mbconv.h"
#include "backends/cpu/onednn_kernels.h"
#include "backends/cpu/projected_attention.h"
#include "backends/cpu/qconv_kernels.h"
#include "backends/cpu/qconv_pair.h"
#include "backends/cpu/qmbconv.h"
#include "backends/cpu/resize_bilinear.h"
#include "backends/cpu/resize_crop_resize.h"
#include "backends/cpu/sam_attention.h"
#include "backends/registry.h"

namespace samq::backends {

void RegisterCpuKernels(rt::OpRegistry& r) {
  onednn::AddOnednnMatMulKernels(r);
  onednn::AddOnednnConvKernels(r);
  onednn::AddDeconvGemmKernel(r);  // after the deconv above, so it is tried first
  // After oneDNN's Conv, so it is tried first: it declines all but depthwise convs.
  fast::AddFastDepthwiseConvKernel(r);
  onednn::AddOnednnInt8MatMulKernels(r);
  onednn::AddOnednnInt8ConvKernels(r);
  onednn::AddOnednnInt8Conv1x1Kernel(r);  // after: tried before the NHWC QConv kernels
  onednn::AddQConvDepthwiseKernel(r);     // likewise; needs fast.DepthwiseConv registered above
  AddQConvGeluOp(r);  // com.samq QConvGelu (passes/fuse_qconv_gelu), after every QConv candidate
  AddQMatMulGeluOp(r);  // com.samq QMatMulGelu (same pass)
  // After the float32 MatMul candidates, so it is tried first; declines unless the session
  // asks for bfloat16.
  onednn::AddOnednnBf16Kernels(r);
  cpu::AddFastResizeKernel(r);
  // After the fast Resize: the fused chain copies the Resize candidates (passes/fuse_resize_crop).
  cpu::AddResizeCropKernels(r);
  cpu::AddLayerNorm2dOp(r);  // com.samq LayerNorm2d (passes/fuse_layer_norm_2d)
  cpu::AddMaxPoolNhwcOp(r);  // com.samq MaxPoolNhwc (passes/fuse_channels_last_pool)
  cpu::AddRowGatherOp(r);  // com.samq RowGather (passes/fuse_row_gather)
  cpu::AddDepthwiseConvNhwcOp(r);  // com.samq DepthwiseConvNhwc (passes/fuse_channels_last_depthwise)
  fast::AddFastElementwiseKernels(r);
  fast::AddFastNormKernels(r);
  fast::AddFastPoolKernels(r);
  fast::AddFastGeluKernels(r);  // also registers the com.samq Gelu schema (passes/fuse_gelu)
  AddConvGeluOp(r);
  AddConvTransposeGeluOp(r);  // com.samq ConvTransposeGelu (passes/fuse_conv_gelu), after ConvTranspose  // com.samq ConvGelu (passes/fuse_conv_gelu), after Conv is registered
  AddMatMulBiasOp(r);  // com.samq MatMulBias (passes/fuse_matmul_bias), after MatMul is registered
  fast::AddFastEinsumKernels(r);
  fast::AddFastTransposeKernel(r);
  fast::AddFastSplitSliceKernels(r);
  fast::AddFastPadKernel(r);
  fast::AddFastIdentityViewKernels(r);
  fast::AddSamAttentionOp(r);  // com.samq Attention schema + kernels (passes/fuse_sam_attention)
  fast::AddMBConvOp(r);  // com.samq MBConv (passes/fuse_mbconv)
  fast::AddQMBConvOp(r);  // com.samq QMBConv (passes/fuse_mbconv's FuseQMBConv)
  AddQConvPairOp(r);      // com.samq QConvPair (passes/fuse_qconv_pair)
  fast::AddProjectedAttentionOp(r);  // com.samq ProjectedAttention (passes/fuse_projected_attention)
}

}  // namespace samq::backends
