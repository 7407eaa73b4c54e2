using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace UNComp.Runtime.Cuda.Interop;

/// <summary>
/// The CUDA driver API calls the engine uses (source-generated <see cref="LibraryImportAttribute"/> stubs: trim- and
/// NativeAOT-safe). Versioned symbols (<c>_v2</c>) are the ones the CUDA headers map the plain names to.
/// </summary>
internal static unsafe partial class CudaDriverApi
{
    internal const int CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16;
    internal const int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
    internal const int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;
    internal const int CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN = 97;
    internal const int CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE = 38;
    internal const int CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES = 1;
    internal const int CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8;
    internal const int CU_STREAM_NON_BLOCKING = 1;
    internal const int CU_STREAM_CAPTURE_MODE_THREAD_LOCAL = 1;
    internal const int CU_EVENT_DEFAULT = 0;
    internal const int CU_EVENT_DISABLE_TIMING = 2;
    internal const int CUDA_GRAPH_INSTANTIATE_FLAG_USE_NODE_PRIORITY = 8;
    internal const int CUDA_ERROR_OUT_OF_MEMORY = 2;

    static CudaDriverApi() => NativeLibraries.EnsureResolver();

    [LibraryImport(NativeLibraries.Driver)] internal static partial int cuInit(uint flags);
    [LibraryImport(NativeLibraries.Driver)] internal static partial int cuDriverGetVersion(out int version);
    [LibraryImport(NativeLibraries.Driver)] internal static partial int cuDeviceGetCount(out int count);
    [LibraryImport(NativeLibraries.Driver)] internal static partial int cuDeviceGet(out int device, int ordinal);
    [LibraryImport(NativeLibraries.Driver)] internal static partial int cuDeviceGetName(byte* name, int length, int device);
    [LibraryImport(NativeLibraries.Driver)] internal static partial int cuDeviceGetAttribute(out int value, int attribute, int device);
    [LibraryImport(NativeLibraries.Driver, EntryPoint = "cuDeviceTotalMem_v2")] internal static partial int cuDeviceTotalMem(out nuint bytes, int device);
    [LibraryImport(NativeLibraries.Driver)] internal static partial int cuDevicePrimaryCtxRetain(out nint context, int device);
    [LibraryImport(NativeLibraries.Driver, EntryPoint = "cuDevicePrimaryCtxRelease_v2")] internal static partial int cuDevicePrimaryCtxRelease(int device);
    [LibraryImport(NativeLibraries.Driver)] internal static partial int cuCtxSetCurrent(nint context);
    [LibraryImport(NativeLibraries.Driver)] internal static partial int cuCtxSynchronize();
    [LibraryImport(NativeLibraries.Driver)] internal static partial int cuProfilerStart();
    [LibraryImport(NativeLibraries.Driver)] internal static partial int cuProfilerStop();
    [LibraryImport(NativeLibraries.Driver, EntryPoint = "cuMemGetInfo_v2")] internal static partial int cuMemGetInfo(out nuint free, out nuint total);
    [LibraryImport(NativeLibraries.Driver, EntryPoint = "cuMemAlloc_v2")] internal static partial int cuMemAlloc(out ulong pointer, nuint bytes);
    [LibraryImport(NativeLibraries.Driver, EntryPoint = "cuMemFree_v2")] internal static partial int cuMemFree(ulong pointer);
    [LibraryImport(NativeLibraries.Driver, EntryPoint = "cuMemAllocHost_v2")] internal static partial int cuMemAllocHost(out nint pointer, nuint bytes);
    [LibraryImport(NativeLibraries.Driver)] internal static partial int cuMemFreeHost(nint pointer);
    [LibraryImport(NativeLibraries.Driver, EntryPoint = "cuMemcpyHtoDAsync_v2")] internal static partial int cuMemcpyHtoDAsync(ulong destination, void* source, nuint bytes, nint stream);
    [LibraryImport(NativeLibraries.Driver, EntryPoint = "cuMemcpyDtoHAsync_v2")] internal static partial int cuMemcpyDtoHAsync(void* destination, ulong source, nuint bytes, nint stream);
    [LibraryImport(NativeLibraries.Driver, EntryPoint = "cuMemcpyDtoDAsync_v2")] internal static partial int cuMemcpyDtoDAsync(ulong destination, ulong source, nuint bytes, nint stream);
    [LibraryImport(NativeLibraries.Driver, EntryPoint = "cuMemsetD8Async")] internal static partial int cuMemsetD8Async(ulong destination, byte value, nuint count, nint stream);
    [LibraryImport(NativeLibraries.Driver, EntryPoint = "cuMemsetD32Async")] internal static partial int cuMemsetD32Async(ulong destination, uint value, nuint count, nint stream);
    [LibraryImport(NativeLibraries.Driver)] internal static partial int cuStreamCreate(out nint stream, uint flags);
    [LibraryImport(NativeLibraries.Driver)] internal static partial int cuStreamCreateWithPriority(out nint stream, uint flags, int priority);
    [LibraryImport(NativeLibraries.Driver)] internal static partial int cuStreamWaitEvent(nint stream, nint @event, uint flags);
    [LibraryImport(NativeLibraries.Driver)] internal static partial int cuCtxGetStreamPriorityRange(out int leastPriority, out int greatestPriority);
    [LibraryImport(NativeLibraries.Driver, EntryPoint = "cuStreamDestroy_v2")] internal static partial int cuStreamDestroy(nint stream);
    [LibraryImport(NativeLibraries.Driver)] internal static partial int cuStreamSynchronize(nint stream);
    [LibraryImport(NativeLibraries.Driver)] internal static partial int cuEventCreate(out nint @event, uint flags);
    [LibraryImport(NativeLibraries.Driver, EntryPoint = "cuEventDestroy_v2")] internal static partial int cuEventDestroy(nint @event);
    [LibraryImport(NativeLibraries.Driver)] internal static partial int cuEventRecord(nint @event, nint stream);
    [LibraryImport(NativeLibraries.Driver)] internal static partial int cuEventSynchronize(nint @event);
    [LibraryImport(NativeLibraries.Driver)] internal static partial int cuEventElapsedTime(out float milliseconds, nint start, nint end);
    [LibraryImport(NativeLibraries.Driver)] internal static partial int cuModuleLoadData(out nint module, void* image);
    [LibraryImport(NativeLibraries.Driver)] internal static partial int cuModuleUnload(nint module);
    [LibraryImport(NativeLibraries.Driver)] internal static partial int cuModuleGetFunction(out nint function, nint module, byte* name);
    [LibraryImport(NativeLibraries.Driver)] internal static partial int cuFuncSetAttribute(nint function, int attribute, int value);
    [LibraryImport(NativeLibraries.Driver)] internal static partial int cuFuncGetAttribute(out int value, int attribute, nint function);
    [LibraryImport(NativeLibraries.Driver)]
    internal static partial int cuLaunchKernel(nint function, uint gridX, uint gridY, uint gridZ, uint blockX, uint blockY, uint blockZ,
        uint sharedBytes, nint stream, void** parameters, void** extra);
    [LibraryImport(NativeLibraries.Driver)] internal static partial int cuLaunchKernelEx(LaunchConfig* config, nint function, void** parameters, void** extra);
    [LibraryImport(NativeLibraries.Driver, EntryPoint = "cuStreamBeginCapture_v2")] internal static partial int cuStreamBeginCapture(nint stream, int mode);
    [LibraryImport(NativeLibraries.Driver)] internal static partial int cuStreamEndCapture(nint stream, out nint graph);
    [LibraryImport(NativeLibraries.Driver)] internal static partial int cuGraphInstantiateWithFlags(out nint graphExec, nint graph, ulong flags);
    [LibraryImport(NativeLibraries.Driver)] internal static partial int cuGraphLaunch(nint graphExec, nint stream);
    [LibraryImport(NativeLibraries.Driver)] internal static partial int cuGraphExecDestroy(nint graphExec);
    [LibraryImport(NativeLibraries.Driver)] internal static partial int cuGraphDestroy(nint graph);
    [LibraryImport(NativeLibraries.Driver)] internal static partial int cuGetErrorName(int error, out nint name);
    [LibraryImport(NativeLibraries.Driver)] internal static partial int cuGetErrorString(int error, out nint text);

    /// <summary>Throws a <see cref="CudaException"/> naming <paramref name="call"/> unless <paramref name="result"/> is CUDA_SUCCESS.</summary>
    internal static void Check(int result, [CallerArgumentExpression(nameof(result))] string call = "")
    {
        if (result != 0)
        {
            throw Error(result, call);
        }
    }

    internal static CudaException Error(int result, string call)
    {
        string name = cuGetErrorName(result, out nint n) == 0 && n != 0 ? Marshal.PtrToStringUTF8(n) ?? "" : "CUDA_ERROR";
        string text = cuGetErrorString(result, out nint s) == 0 && s != 0 ? Marshal.PtrToStringUTF8(s) ?? "" : "unknown error";
        return new CudaException(call, result, $"{name}: {text}") { IsOutOfMemory = result == CUDA_ERROR_OUT_OF_MEMORY };
    }
}
