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

    // Sections measured by a later partial (--only) run than the one this header describes, with its command, date
    // and load; the header and the other sections stay those of the run that measured most of the report.
    public List<string> LaterSections { get; init; } = [];

    public IngestResult? Ingest { get; set; }

    public ChatResult? Chat { get; set; }

    public List<IdleMemoryResult>? Memory { get; set; }

    public List<FeedPublishResult>? Publish { get; set; }

    public ScaleResult? Scale { get; set; }
}
