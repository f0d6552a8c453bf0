using Microsoft.Extensions.Diagnostics.HealthChecks;
using NATS.Client.Core;

namespace StChat.Server.Operations;

/// <summary>The process's NATS connection is open. Reads the client's state; sends nothing.</summary>
internal sealed class NatsReadinessCheck(NatsConnection connection) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(connection.ConnectionState == NatsConnectionState.Open
            ? HealthCheckResult.Healthy($"Connected to NATS server {connection.ServerInfo?.Name}.")
            : HealthCheckResult.Unhealthy($"The NATS connection is {connection.ConnectionState.ToString().ToLowerInvariant()}."));
}
