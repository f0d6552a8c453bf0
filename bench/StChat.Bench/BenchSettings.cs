namespace StChat.Bench;

// Sizes and durations of every scenario. The full run takes about 40 minutes on 2 cores (growth, run only when named, about 10 more); --quick is for development.
internal sealed record BenchSettings
{
    public required bool Quick { get; init; }

    public required int IngestMessages { get; init; }

    public required TimeSpan OriginalDesignDuration { get; init; }

    public int[] LatencyRates { get; init; } = [5_000, 20_000];

    public required TimeSpan LatencyDuration { get; init; }

    public required int[] ChatRoomSizes { get; init; }

    public int ChatSendRate { get; init; } = 20;

    public int ChatSenders { get; init; } = 4;

    public required TimeSpan ChatDuration { get; init; }

    public required int ShootoutStep { get; init; }

    public required int ShootoutMax { get; init; }

    public required int ShootoutRounds { get; init; }

    public required TimeSpan ShootoutBudget { get; init; }

    // The room size of the shootout's cross-check with a lighter load generator (one Bun process as every member); not
    // required, so results saved before it existed still load.
    public int LightLoadClients { get; init; }

    public required int[] IdleConnections { get; init; }

    // Not required, so results saved before the publish section existed still render.
    public int PublishMessages { get; init; }

    // The accounts section. Not required either, for the same reason.
    public int Accounts { get; init; }

    public int[] LoginClients { get; init; } = [];

    public TimeSpan LoginDuration { get; init; }

    // PBKDF2 iteration counts measured besides the server's default (Chat:PasswordIterations).
    public int[] LoginExtraIterations { get; init; } = [];

    public int RestFollowers { get; init; }

    public int RestRate { get; init; } = 20;

    public TimeSpan RestDuration { get; init; }

    public int MultiSockets { get; init; }

    public int MultiRooms { get; init; }

    public int MultiConversationsPerSocket { get; init; } = 20;

    public int[] MultiRates { get; init; } = [];

    public TimeSpan MultiDuration { get; init; }

    // The growth section: the sizes it builds with COPY before measuring, the backlog the worker drains, and how
    // many resumes and joins it times. Not required, so results saved before the section existed still render.
    public long GrowthCatalogueRows { get; init; }

    public long GrowthChatEvents { get; init; }

    public int GrowthChatRooms { get; init; }

    public long GrowthLargeRoomEvents { get; init; }

    public int GrowthIngestMessages { get; init; }

    public int GrowthSamples { get; init; }

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

        if (MultiSockets > usable)
        {
            limits.Add($"{MultiSockets:N0} /ws sockets need more than the open-file limit of {limit:N0}; measured with {usable:N0}");
        }

        return this with
        {
            OpenFileLimit = limit,
            IdleConnections = idle,
            ShootoutMax = Math.Min(ShootoutMax, usable / ShootoutStep * ShootoutStep),
            RestFollowers = Math.Min(RestFollowers, usable),
            MultiSockets = Math.Min(MultiSockets, usable),
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
        ShootoutBudget = TimeSpan.FromSeconds(600),
        LightLoadClients = 10_000,
        IdleConnections = [10_000, 50_000],
        PublishMessages = 100_000,
        Accounts = 40,
        LoginClients = [1, 4],
        LoginDuration = TimeSpan.FromSeconds(10),
        LoginExtraIterations = [210_000],
        RestFollowers = 500,
        RestDuration = TimeSpan.FromSeconds(15),
        MultiSockets = 1_000,
        MultiRooms = 100,
        MultiRates = [50, 150, 400],
        MultiDuration = TimeSpan.FromSeconds(15),
        GrowthCatalogueRows = 10_000_000,
        GrowthChatEvents = 10_000_000,
        GrowthChatRooms = 1_000,
        GrowthLargeRoomEvents = 1_000_000,
        GrowthIngestMessages = 1_000_000,
        GrowthSamples = 1_000,
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
        LightLoadClients = 1_000,
        IdleConnections = [2_000],
        PublishMessages = 20_000,
        Accounts = 16,
        LoginClients = [1, 4],
        LoginDuration = TimeSpan.FromSeconds(5),
        RestFollowers = 100,
        RestDuration = TimeSpan.FromSeconds(5),
        MultiSockets = 300,
        MultiRooms = 30,
        MultiRates = [50, 200],
        MultiDuration = TimeSpan.FromSeconds(5),
        GrowthCatalogueRows = 100_000,
        GrowthChatEvents = 100_000,
        GrowthChatRooms = 100,
        GrowthLargeRoomEvents = 10_000,
        GrowthIngestMessages = 50_000,
        GrowthSamples = 100,
    };
}
