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

    // Which run measured each section: a run with --only keeps the other sections of the previous results file.
    public Dictionary<string, SectionRun> Sections { get; init; } = [];

    public IngestResult? Ingest { get; set; }

    public ChatResult? Chat { get; set; }

    public List<IdleMemoryResult>? Memory { get; set; }

    public List<FeedPublishResult>? Publish { get; set; }

    public AccountsResult? Accounts { get; set; }

    public ScaleResult? Scale { get; set; }

    public GrowthResult? Growth { get; set; }

    // Sections by the name --only takes; `chat` runs the shootout too.
    public static IReadOnlyList<string> SectionNames { get; } = ["ingest", "chat", "shootout", "memory", "publish", "accounts", "scale", "growth"];

    // Takes the sections this run did not measure from an earlier run's results, with that run's provenance and errors,
    // so that `--only` rewrites its own sections of the report and leaves the others as they were.
    public void KeepUnmeasured(BenchResults previous, IReadOnlySet<string> measured)
    {
        var kept = SectionNames.Where(s => !measured.Contains(s)).ToList();
        foreach (var section in kept)
        {
            var has = section switch
            {
                "ingest" => previous.Ingest is not null,
                "chat" => previous.Chat is { Fanout.Count: > 0 },
                "shootout" => previous.Chat is { Shootout.Count: > 0 },
                "memory" => previous.Memory is not null,
                "publish" => previous.Publish is not null,
                "accounts" => previous.Accounts is not null,
                "growth" => previous.Growth is not null,
                _ => previous.Scale is not null,
            };
            if (has)
            {
                Sections[section] = previous.Sections.GetValueOrDefault(section)
                    ?? new SectionRun(previous.Command, previous.StartedAt, previous.Machine.LoadBefore);
            }
        }

        Ingest = measured.Contains("ingest") ? Ingest : previous.Ingest;
        Memory = measured.Contains("memory") ? Memory : previous.Memory;
        Publish = measured.Contains("publish") ? Publish : previous.Publish;
        Accounts = measured.Contains("accounts") ? Accounts : previous.Accounts;
        Scale = measured.Contains("scale") ? Scale : previous.Scale;
        Growth = measured.Contains("growth") ? Growth : previous.Growth;
        if (!measured.Contains("chat") && previous.Chat is { } before)
        {
            // Only the shootout ran (or nothing of the chat): the fan-out, and the shootout when it did not run, are kept.
            Chat = measured.Contains("shootout")
                ? (Chat ?? new ChatResult()) with { Fanout = before.Fanout, LoadClient = before.LoadClient }
                : before;
        }

        // Errors start with the scenario's name ("chat: ..." for the fan-out and the shootout together).
        Errors.AddRange(previous.Errors.Where(e => kept.Contains(e.Split(':')[0]) && (e.Split(':')[0] != "chat" || !measured.Contains("shootout"))));
    }
}

internal sealed record SectionRun(string Command, DateTimeOffset StartedAt, string LoadBefore);
