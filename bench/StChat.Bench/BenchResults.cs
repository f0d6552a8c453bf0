namespace StChat.Bench;

internal sealed record BenchResults
{
    public MachineInfo Machine { get; init; } = new();

    public string Command { get; init; } = "";

    public DateTimeOffset StartedAt { get; init; }

    public double TotalSeconds { get; set; }

    public bool Quick { get; init; }

    public BenchSettings? Settings { get; init; }

    public List<string> Errors { get; init; } = [];

    // Sections a partial (--only) run kept from the saved results, with the command and date that measured them.
    public List<string> KeptSections { get; init; } = [];

    public IngestResult? Ingest { get; set; }

    public ChatResult? Chat { get; set; }

    public List<IdleMemoryResult>? Memory { get; set; }

    public List<FeedPublishResult>? Publish { get; set; }

    public ScaleResult? Scale { get; set; }
}
