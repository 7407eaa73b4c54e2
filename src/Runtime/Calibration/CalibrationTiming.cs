namespace UNComp.Runtime.Calibration;

/// <summary>Where calibration time went.</summary>
/// <param name="Total">Wall time of all prefills including the measurement.</param>
/// <param name="Entropy">Part of it spent on covariance and eigenvalues (inside the prefill observer).</param>
public sealed record CalibrationTiming(TimeSpan Total, TimeSpan Entropy);
