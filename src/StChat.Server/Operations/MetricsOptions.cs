namespace StChat.Server.Operations;

/// <summary>The <c>Metrics</c> configuration section.</summary>
internal sealed record MetricsOptions
{
    public const string SectionName = "Metrics";

    /// <summary>
    /// An address of its own for /metrics (and /healthz, /readyz), e.g. <c>http://127.0.0.1:9464</c>; when set, the
    /// public address no longer serves /metrics and this one serves nothing else. Empty: /metrics on the public address.
    /// </summary>
    public string? Url { get; init; }
}
