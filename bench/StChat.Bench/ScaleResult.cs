namespace StChat.Bench;

// The scale-out section: chat fan-out on 1 and 2 nodes, ingest with 1 and 2 workers, staleness while cut off from
// NATS, and the chat_log write limit of the one PostgreSQL primary. It carries its own command, date and machine load
// because a later `--only` run may keep it beside sections measured at another time.
internal sealed record ScaleResult
{
    public string Command { get; init; } = "";

    public DateTimeOffset StartedAt { get; init; }

    public double Seconds { get; set; }

    public ScaleSettings? Settings { get; init; }

    public MachineLoad? Load { get; set; }

    public List<ScaleFanoutRun> Fanout { get; init; } = [];

    public List<ScaleIngestRun> Ingest { get; init; } = [];

    public ScaleStaleness? Staleness { get; set; }

    public List<ScaleWriteRun> Writes { get; init; } = [];

    public List<string> Failures { get; init; } = [];
}

// Same-node: members on the senders' node; cross-node: members on the other node, reached over NATS.
internal sealed record ScaleFanoutRun(
    int Nodes, int Clients, int Senders, int SendRate, double Seconds, long Deliveries, long Expected, double DeliveriesPerSecond,
    double P50Ms, double P99Ms, double SameNodeP50Ms, double SameNodeP99Ms, double CrossNodeP50Ms, double CrossNodeP99Ms,
    double NodesCpuPercent);

internal sealed record ScaleIngestRun(
    int Workers, int Messages, double FillSeconds, double StreamStoreRate, double Seconds, double MessagesPerSecond, long Rows,
    bool ExactlyOnce, double WorkersCpuPercent);

internal sealed record ScaleStaleness(
    double ReconcileIntervalMs, int Samples, int TimedOut, double P50Ms, double MaxMs, double MinMs, double LiveP50Ms, List<double> SamplesMs);

internal sealed record ScaleWriteRun(
    string Spread, int Rooms, int Senders, int InFlight, double Seconds, long Events, double EventsPerSecond, double AckP50Ms,
    double AckP99Ms, int TimedOut, double NodeCpuPercent);

internal sealed record MachineLoad(
    string Before, double LoadMean, double LoadMax, double CpuBusyPercent, double RunnableMean, int Samples);
