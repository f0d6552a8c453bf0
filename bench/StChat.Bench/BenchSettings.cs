namespace StChat.Bench;

// Sizes and durations of every scenario. The full run fits in about 15 minutes on 2 cores; --quick is for development.
internal sealed record BenchSettings
{
    public required bool Quick { get; init; }

    public required int IngestMessages { get; init; }

    public required TimeSpan OriginalDesignDuration { get; init; }

    public int LatencyRate { get; init; } = 5_000;

    public required TimeSpan LatencyDuration { get; init; }

    public required int[] ChatRoomSizes { get; init; }

    public int ChatSendRate { get; init; } = 20;

    public int ChatSenders { get; init; } = 4;

    public required TimeSpan ChatDuration { get; init; }

    public required int ShootoutStep { get; init; }

    public required int ShootoutMax { get; init; }

    public required int ShootoutRounds { get; init; }

    public required TimeSpan ShootoutBudget { get; init; }

    public required int[] IdleConnections { get; init; }

    // Not required, so results saved before the publish section existed still render.
    public int PublishMessages { get; init; }

    public int OpenFileLimit { get; init; }

    public List<string> Limits { get; init; } = [];

    // One socket per connection on each side: the harness and the server each need a descriptor per client, so a
    // low RLIMIT_NOFILE (that this run cannot raise) caps the largest sizes; the report says which were cut.
    public BenchSettings FitToOpenFileLimit(int limit)
    {
        var usable = Math.Max(1_000, limit - 2_000);
        var idle = IdleConnections.Select(n => Math.Min(n, usable)).Distinct().ToArray();
        var limits = IdleConnections.Where(n => n > usable)
            .Select(n => $"{n:N0} idle connections need more than the open-file limit of {limit:N0} (RLIMIT_NOFILE, not raisable here); measured at {usable:N0} instead")
            .ToList();
        if (ShootoutMax > usable)
        {
            limits.Add($"the shootout room size is capped at {usable / ShootoutStep * ShootoutStep:N0} by the open-file limit of {limit:N0}");
        }

        return this with
        {
            OpenFileLimit = limit,
            IdleConnections = idle,
            ShootoutMax = Math.Min(ShootoutMax, usable / ShootoutStep * ShootoutStep),
            Limits = limits,
        };
    }

    public static BenchSettings Full { get; } = new()
    {
        Quick = false,
        IngestMessages = 1_000_000,
        OriginalDesignDuration = TimeSpan.FromSeconds(20),
        LatencyDuration = TimeSpan.FromSeconds(20),
        ChatRoomSizes = [100, 1_000, 5_000],
        ChatDuration = TimeSpan.FromSeconds(15),
        ShootoutStep = 1_000,
        ShootoutMax = 20_000,
        ShootoutRounds = 20,
        ShootoutBudget = TimeSpan.FromSeconds(300),
        IdleConnections = [10_000, 50_000],
        PublishMessages = 100_000,
    };

    public static BenchSettings QuickRun { get; } = new()
    {
        Quick = true,
        IngestMessages = 100_000,
        OriginalDesignDuration = TimeSpan.FromSeconds(5),
        LatencyDuration = TimeSpan.FromSeconds(5),
        ChatRoomSizes = [100, 500],
        ChatDuration = TimeSpan.FromSeconds(5),
        ShootoutStep = 250,
        ShootoutMax = 1_000,
        ShootoutRounds = 10,
        ShootoutBudget = TimeSpan.FromSeconds(30),
        IdleConnections = [2_000],
        PublishMessages = 20_000,
    };
}
