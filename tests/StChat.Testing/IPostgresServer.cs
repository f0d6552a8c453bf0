namespace StChat.Testing;

// One PostgreSQL server the tests own: a container, or a cluster run from the local binaries.
internal interface IPostgresServer
{
    string AdminConnectionString { get; }

    /// <summary>The Docker container's id, or null for a local cluster.</summary>
    string? ContainerId { get; }

    Task StopAsync(CancellationToken ct);

    Task StartAgainAsync(CancellationToken ct);

    Task KillAsync(CancellationToken ct);

    Task PauseAsync(CancellationToken ct);

    Task UnpauseAsync(CancellationToken ct);

    // Synchronous so that it also works from AppDomain.ProcessExit.
    void Destroy();
}
