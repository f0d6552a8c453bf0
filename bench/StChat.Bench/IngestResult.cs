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

    /// <summary>The worker drained the same backlog once per configuration; the default one is the headline rate.</summary>
    public List<IngestVariantResult> Variants { get; init; } = [];

    public List<IngestLatencyResult> Latency { get; init; } = [];

    public string PostgresSettings { get; init; } = "";
}

internal sealed record IngestVariantResult(string Name, string Settings, bool IsDefault, double Seconds, double Rate, long Rows)
{
    // CPU time used during the drain by the worker, nats-server and PostgreSQL (every backend).
    public double WorkerCpuSeconds { get; init; }

    public double NatsCpuSeconds { get; init; }

    public double PostgresCpuSeconds { get; init; }
}

internal sealed record IngestLatencyResult(
    double TargetRate, double ActualRate, long Samples, double P50Ms, double P99Ms, double MaxMs)
{
    /// <summary>The latency split into consecutive parts, each with its own percentiles (which do not add up).</summary>
    public List<IngestLatencyPart> Parts { get; init; } = [];
}

internal sealed record IngestLatencyPart(string Name, double P50Ms, double P99Ms);
