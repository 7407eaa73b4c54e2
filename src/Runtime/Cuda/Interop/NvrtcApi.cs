using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace UNComp.Runtime.Cuda.Interop;

/// <summary>NVRTC, the CUDA C++ run-time compiler: source in, CUBIN out.</summary>
internal static unsafe partial class NvrtcApi
{
    static NvrtcApi() => NativeLibraries.EnsureResolver();

    [LibraryImport(NativeLibraries.Nvrtc)] internal static partial int nvrtcVersion(out int major, out int minor);
    [LibraryImport(NativeLibraries.Nvrtc)]
    internal static partial int nvrtcCreateProgram(out nint program, byte* source, byte* name, int headerCount, byte** headers, byte** includeNames);
    [LibraryImport(NativeLibraries.Nvrtc)] internal static partial int nvrtcDestroyProgram(ref nint program);
    [LibraryImport(NativeLibraries.Nvrtc)] internal static partial int nvrtcCompileProgram(nint program, int optionCount, byte** options);
    [LibraryImport(NativeLibraries.Nvrtc)] internal static partial int nvrtcGetProgramLogSize(nint program, out nuint size);
    [LibraryImport(NativeLibraries.Nvrtc)] internal static partial int nvrtcGetProgramLog(nint program, byte* log);
    [LibraryImport(NativeLibraries.Nvrtc)] internal static partial int nvrtcGetCUBINSize(nint program, out nuint size);
    [LibraryImport(NativeLibraries.Nvrtc)] internal static partial int nvrtcGetCUBIN(nint program, byte* cubin);
    [LibraryImport(NativeLibraries.Nvrtc)] internal static partial nint nvrtcGetErrorString(int result);

    /// <summary>Throws a <see cref="CudaException"/> naming <paramref name="call"/> unless <paramref name="result"/> is NVRTC_SUCCESS.</summary>
    internal static void Check(int result, [CallerArgumentExpression(nameof(result))] string call = "")
    {
        if (result != 0)
        {
            string text = Marshal.PtrToStringUTF8(nvrtcGetErrorString(result)) ?? "NVRTC error";
            throw new CudaException(call, result, text);
        }
    }
}
