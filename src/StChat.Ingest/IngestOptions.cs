namespace StChat.Ingest;

/// <summary>
/// The <c>Ingest</c> configuration section: where the feeds are captured on the broker and how the worker consumes
/// them. Every value has a working default; see <see cref="IngestOptionsValidator"/> for the limits.
/// </summary>
public sealed record IngestOptions
{
    public const string SectionName = "Ingest";

    public const string DefaultUrl = "http://127.0.0.1:8900";

    /// <summary>
    /// Where <c>stchat ingest</c> serves /healthz, /readyz and /metrics. (<c>stchat serve</c> serves them on Chat:Url.)
    /// </summary>
    public string Url { get; init; } = DefaultUrl;

    /// <summary>JetStream stream that captures the feed subjects; created or updated at start.</summary>
    public string Stream { get; init; } = "FEEDS";

    /// <summary>Durable pull consumer the worker reads through; its position survives restarts.</summary>
    public string Consumer { get; init; } = "stchat-ingest";

    /// <summary>
    /// Most messages fetched, stored in one transaction and acknowledged together; a batch holds what the broker has
    /// at the moment of the fetch, so it is full only while a backlog lasts.
    /// </summary>
    public int BatchSize { get; init; } = 2000;

    /// <summary>
    /// Batches stored at the same time, each in its own transaction on its own connection, while the next one is
    /// fetched. Each batch is acknowledged after its own commit, so a later batch may be acknowledged first.
    /// </summary>
    public int StoresInFlight { get; init; } = 2;

    /// <summary>How a batch is handed to PostgreSQL; see <see cref="Ingest.StoreMethod"/>.</summary>
    public StoreMethod StoreMethod { get; init; } = StoreMethod.Copy;

    /// <summary>How long a fetch into an idle stream waits for the first message before asking again (at least 1 s).</summary>
    public TimeSpan FetchExpires { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long the broker waits for an acknowledgement before redelivering.</summary>
    public TimeSpan AckWait { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Unacknowledged messages the broker allows the consumer, shared by every worker on it; at least one batch. Each
    /// worker holds up to BatchSize × (StoresInFlight + 1): one batch per store in flight and one fetched behind them.
    /// </summary>
    public int MaxAckPending { get; init; } = 20_000;

    /// <summary>Window in which the stream drops a second publish with the same Nats-Msg-Id.</summary>
    public TimeSpan DuplicateWindow { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Oldest message the stream keeps; zero keeps messages until another limit removes them.</summary>
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromDays(7);

    /// <summary>Most bytes the stream keeps; -1 for no limit.</summary>
    public long MaxBytes { get; init; } = -1;

    /// <summary>Most messages the stream keeps; -1 for no limit.</summary>
    public long MaxMsgs { get; init; } = -1;

    /// <summary>
    /// Copies of the stream (and of its consumer) kept by a JetStream cluster, 1 to 5; more than 1 needs a cluster of
    /// at least that many JetStream servers. Applied to an existing stream on every start.
    /// </summary>
    public int Replicas { get; init; } = 1;

    /// <summary>
    /// Whether each ack waits for the server's confirmation. Off by default: a lost ack only costs a redelivery that
    /// the catalogue key absorbs, and one ping per batch already confirms the server has read the batch's acks.
    /// </summary>
    public bool DoubleAck { get; init; }

    /// <summary>How often the worker logs its throughput and totals.</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>First wait before retrying a failed fetch or write; it doubles up to <see cref="RetryMaxDelay"/>.</summary>
    public TimeSpan RetryMinDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Longest wait between two retries.</summary>
    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>How the worker hands a batch's rows to PostgreSQL.</summary>
public enum StoreMethod
{
    /// <summary>
    /// Binary COPY. A batch numbered above everything stored for the stream (its newest messages, the usual case) goes
    /// straight into the catalogue; any other goes into temporary staging tables, then one guarded
    /// <c>INSERT ... SELECT</c> per table. Needs the TEMPORARY privilege on the database and keeps one connection per
    /// store in flight open between batches.
    /// </summary>
    Copy,

    /// <summary>
    /// The rows as array parameters of one <c>INSERT ... SELECT FROM unnest(...)</c> per table, in one round trip;
    /// for a role without the TEMPORARY privilege, or a pooler that does not keep a session's temporary tables.
    /// </summary>
    Unnest,

    /// <summary>
    /// As <see cref="Copy"/>, but every batch goes through the staging tables, the newest messages too (then moved by
    /// an unguarded <c>INSERT ... SELECT</c>), so PostgreSQL writes each row twice; kept to compare with, as the
    /// benchmark does.
    /// </summary>
    CopyStaged,
}
