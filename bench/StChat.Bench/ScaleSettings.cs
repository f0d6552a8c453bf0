namespace StChat.Bench;

// Sizes of the scale-out section. The fan-out uses the existing fan-out scenario's senders, rate and duration at one
// of its smaller room sizes, so "1 node" here and there measure the same load.
internal sealed record ScaleSettings
{
    public required int FanoutClients { get; init; }

    public required int Senders { get; init; }

    public required int SendRate { get; init; }

    public required TimeSpan FanoutDuration { get; init; }

    public required int IngestMessages { get; init; }

    public required int StalenessSamples { get; init; }

    // Passed to both nodes as Chat:ReconcileInterval (the shipped default), and the bound staleness is held against.
    public TimeSpan ReconcileInterval { get; init; } = TimeSpan.FromSeconds(2);

    public required TimeSpan WriteDuration { get; init; }

    // The write-limit runs use the same number of senders both ways (all in one room, or one in each of that many
    // rooms), so only the spread differs.
    public int WriteSenders { get; init; } = 32;

    public static ScaleSettings From(BenchSettings bench) => new()
    {
        FanoutClients = bench.Quick ? 500 : 1_000,
        Senders = bench.ChatSenders,
        SendRate = bench.ChatSendRate,
        FanoutDuration = bench.ChatDuration,
        IngestMessages = bench.Quick ? 60_000 : 300_000,
        StalenessSamples = bench.Quick ? 5 : 12,
        WriteDuration = TimeSpan.FromSeconds(bench.Quick ? 3 : 8),
    };
}
