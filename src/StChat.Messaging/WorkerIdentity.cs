namespace StChat.Messaging;

/// <summary>
/// Names this process among the workers that share a durable consumer: <c>host/pid</c>. It is in the NATS client
/// name, so the server's connection list tells the workers apart, and in the progress lines, so a log aggregated from
/// several hosts says which worker wrote each line.
/// </summary>
public static class WorkerIdentity
{
    /// <summary><c>host/pid</c> of this process, e.g. <c>ingest-2/41377</c>.</summary>
    public static string Id { get; } =
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Environment.MachineName}/{Environment.ProcessId}");

    /// <summary>The NATS client name: the configured <c>Nats:Name</c>, then <c>@host/pid</c>.</summary>
    public static string ClientName(string name) => $"{name}@{Id}";
}
