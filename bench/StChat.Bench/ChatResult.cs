namespace StChat.Bench;

internal sealed record ChatResult
{
    public string LoadClient { get; init; } = "";

    public List<FanoutResult> Fanout { get; init; } = [];

    public List<ShootoutStep> Shootout { get; init; } = [];

    public Dictionary<string, int> LargestRoom { get; init; } = [];

    public Dictionary<string, string> ShootoutStopReason { get; init; } = [];
}

internal sealed record FanoutResult(
    string Server, int Clients, int SendRate, double Seconds, long Deliveries, long Expected, double DeliveriesPerSecond,
    double P50Ms, double P95Ms, double P99Ms, double ServerCpuPercent, double JoinSeconds);

internal sealed record ShootoutStep(string Server, int Clients, int Samples, int TimedOut, double P50Ms, double P95Ms, double MaxMs);
