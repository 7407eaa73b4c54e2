namespace UNComp.Runtime.Cuda.Interop;

/// <summary>A CUDA driver, NVRTC or cuBLASLt call failed; the message names the call and the library's error string.</summary>
public class CudaException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CudaException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public CudaException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public CudaException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a failed call.</summary>
    /// <param name="call">The call as written in the source.</param>
    /// <param name="code">The numeric status.</param>
    /// <param name="error">The library's name and description of the status.</param>
    public CudaException(string call, int code, string error)
        : base($"{call} failed: {error} ({code})")
    {
        Call = call;
        Code = code;
    }

    /// <summary>The call that failed, as written in the source.</summary>
    public string Call { get; } = "";

    /// <summary>The numeric status (CUresult, nvrtcResult or cublasStatus_t).</summary>
    public int Code { get; }

    /// <summary>True for out-of-memory statuses (CUDA_ERROR_OUT_OF_MEMORY, CUBLAS_STATUS_ALLOC_FAILED).</summary>
    public bool IsOutOfMemory { get; init; }
}

/// <summary>No usable CUDA installation or device: a library is missing, or no GPU is present.</summary>
public sealed class CudaUnavailableException : CudaException
{
    /// <summary>Creates the exception.</summary>
    public CudaUnavailableException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public CudaUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public CudaUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
