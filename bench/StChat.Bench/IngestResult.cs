namespace StChat.Bench;

internal sealed record IngestResult
{
    public int Messages { get; init; }

    public long PayloadBytes { get; init; }

    public double PrefillSeconds { get; init; }

    public double ExactlyOnceSeconds { get; init; }

    public double ExactlyOnceRate { get; init; }

    public long ExactlyOnceRows { get; init; }

    public string ExactlyOnceConfig { get; init; } = "";

    public double OriginalSeconds { get; init; }

    public long OriginalStored { get; init; }

    public double OriginalRate { get; init; }

    public double CopySeconds { get; init; }

    public double CopyRate { get; init; }

    public double DecodeRate { get; init; }

    public double LatencyTargetRate { get; init; }

    public double LatencyActualRate { get; init; }

    public long LatencySamples { get; init; }

    public double LatencyP50Ms { get; init; }

    public double LatencyP99Ms { get; init; }

    public double LatencyMaxMs { get; init; }

    public string PostgresSettings { get; init; } = "";
}
