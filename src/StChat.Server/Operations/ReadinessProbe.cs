using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace StChat.Server.Operations;

/// <summary>
/// A readiness check that asks a server. Callers that arrive while a probe is under way, or within
/// <see cref="Reuse"/> of its start, share it, so /readyz requests however many cost at most one probe a second, and
/// every probe ends within <see cref="Patience"/> even against a server that hangs instead of refusing (paused, or
/// behind a network that drops packets).
/// </summary>
internal abstract class ReadinessProbe : IHealthCheck
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(3);

    private static readonly long Reuse = (long)TimeSpan.FromSeconds(1).TotalMilliseconds;

    private readonly Lock _gate = new();
    private Task<HealthCheckResult>? _probe;
    private long _probeStarted;

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var now = Environment.TickCount64;
            if (_probe is null || (_probe.IsCompleted && now - _probeStarted >= Reuse))
            {
                _probe = RunAsync();
                _probeStarted = now;
            }

            return _probe.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Asks the server; <paramref name="ct"/> is cancelled after <see cref="Patience"/>.</summary>
    protected abstract Task<HealthCheckResult> ProbeAsync(CancellationToken ct);

    /// <summary>What to report when the server did not answer within <see cref="Patience"/>.</summary>
    protected abstract string NoAnswer { get; }

    private async Task<HealthCheckResult> RunAsync()
    {
        using var patience = new CancellationTokenSource(Patience);
        try
        {
            // A driver may honour the token only as far as the server answers; the wait does not depend on it.
            return await ProbeAsync(patience.Token).WaitAsync(Patience);
        }
        // Out of time, however the driver reports it: Npgsql, for one, throws its own exception for a cancelled connect.
        catch (Exception e) when (e is TimeoutException or OperationCanceledException || patience.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"{NoAnswer} within {Patience.TotalSeconds:0} s.");
        }
    }
}
