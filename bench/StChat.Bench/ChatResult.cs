namespace StChat.Bench;

internal sealed record ChatResult
{
    public string LoadClient { get; init; } = "";

    public List<FanoutResult> Fanout { get; init; } = [];

    public List<ShootoutStep> Shootout { get; init; } = [];

    // The shootout's broadcast rounds at one room size with a lighter load generator, for ours and the Bun peer.
    public List<ShootoutStep> LightLoad { get; init; } = [];

    public Dictionary<string, int> LargestRoom { get; init; } = [];

    public Dictionary<string, string> ShootoutStopReason { get; init; } = [];
}

internal sealed record FanoutResult(
    string Server, int Clients, int SendRate, double Seconds, long Deliveries, long Expected, double DeliveriesPerSecond,
    double P50Ms, double P95Ms, double P99Ms, double ServerCpuPercent, double JoinSeconds)
{
    // Ours only: what the server allocated during the steady phase.
    public FanoutAllocation? Allocation { get; init; }
}

// Bytes the server allocated while `Events` messages were sent and fanned out, less `IdleBytes`: what it allocates
// in as long with the room joined and nobody sending.
internal sealed record FanoutAllocation(long Events, long AllocatedBytes, long IdleBytes)
{
    public long Bytes => Math.Max(0, AllocatedBytes - IdleBytes);
}

internal sealed record ShootoutStep(string Server, int Clients, int Samples, int TimedOut, double P50Ms, double P95Ms, double MaxMs)
{
    // Where the cores went while the step's broadcasts ran back to back: frames the load clients received, and the CPU
    // seconds of the server under test, of the harness (the load generator), and of PostgreSQL. Absent (0) in results
    // saved before they were measured.
    public double Seconds { get; init; }

    public long Deliveries { get; init; }

    public double ServerCpuSeconds { get; init; }

    public double LoadCpuSeconds { get; init; }

    public double PostgresCpuSeconds { get; init; }
}
