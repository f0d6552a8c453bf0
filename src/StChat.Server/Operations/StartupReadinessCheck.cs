using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace StChat.Server.Operations;

/// <summary>Every feature has started: the schema is migrated and the workers run (see <see cref="StartupSequence"/>).</summary>
internal sealed class StartupReadinessCheck(StartupSequence sequence) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(sequence.Started.Status switch
        {
            TaskStatus.RanToCompletion => HealthCheckResult.Healthy("Started."),
            TaskStatus.Faulted => HealthCheckResult.Unhealthy($"Start-up failed: {sequence.Started.Exception!.InnerException!.Message}"),
            TaskStatus.Canceled => HealthCheckResult.Unhealthy("Stopped during start-up."),
            _ => HealthCheckResult.Unhealthy("Starting: migrating the schema and starting the workers (the other checks say what is missing)."),
        });
}
