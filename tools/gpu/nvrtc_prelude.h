// Declarations NVRTC provides built in, for a host-side syntax check of the embedded kernels with clang
// (tools/gpu/check-kernels.sh). Not used by the real build: NVRTC compiles the kernels on the GPU machine.
#define __global__ __attribute__((global))
#define __device__ __attribute__((device))
#define __shared__ __attribute__((shared))
#define __forceinline__ __attribute__((always_inline)) inline
#define __launch_bounds__(...) __attribute__((launch_bounds(__VA_ARGS__)))
#include <__clang_cuda_builtin_vars.h>
struct __attribute__((aligned(16))) uint4 { unsigned x, y, z, w; };
struct __attribute__((aligned(8))) uint2 { unsigned x, y; };
__device__ uint2 make_uint2(unsigned, unsigned);
__device__ uint4 make_uint4(unsigned, unsigned, unsigned, unsigned);
__device__ unsigned __float_as_uint(float);
__device__ float __uint_as_float(unsigned);
__device__ float __int_as_float(int);
__device__ float __shfl_xor_sync(unsigned, float, int);
__device__ int __shfl_xor_sync(unsigned, int, int);
__device__ unsigned __shfl_xor_sync(unsigned, unsigned, int);
__device__ void __syncthreads();
__device__ int __syncthreads_or(int);
__device__ float fmaxf(float, float);
__device__ float exp2f(float);
__device__ float expf(float);
__device__ float rsqrtf(float);
__device__ void sincosf(float, float*, float*);
__device__ float __fmul_rn(float, float);
__device__ float __fadd_rn(float, float);
__device__ float __fsub_rn(float, float);
__device__ int min(int, int);
__device__ int max(int, int);
__device__ float sqrtf(float);
__device__ float fmaf(float, float, float);
__device__ float log2f(float);
__device__ int atomicAdd(int*, int);
__device__ unsigned __ballot_sync(unsigned, int);
__device__ int __popc(unsigned);
__device__ int __shfl_up_sync(unsigned, int, int);
__device__ float __shfl_sync(unsigned, float, int);
struct __attribute__((aligned(16))) float4 { float x, y, z, w; };
__device__ float4 make_float4(float, float, float, float);
__device__ double __shfl_xor_sync(unsigned, double, int);
__device__ double sqrt(double);
__device__ double fmax(double, double);
