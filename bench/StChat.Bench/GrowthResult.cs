namespace StChat.Bench;

// The growth section: the same measurements on a database that is empty (or holds only what a measurement needs) and
// on one pre-filled to the sizes in Shape, side by side.
internal sealed record GrowthResult
{
    public GrowthShape Shape { get; init; } = new(0, 0, 0, 0, 0, 0, 0);

    public List<GrowthFill> Fills { get; init; } = [];

    public List<GrowthTableSize> Sizes { get; init; } = [];

    public List<GrowthIngestRun> Ingest { get; init; } = [];

    public List<GrowthLatency> Chat { get; init; } = [];
}

// What the pre-fill builds: catalogue rows (half sport_event, half execution) under an earlier stream, chat events over
// Rooms public rooms of which one holds LargeRoomEvents; the baseline database gets BaselineEventsPerRoom per room.
internal sealed record GrowthShape(
    long CatalogueRows, long ChatEvents, int Rooms, long LargeRoomEvents, int BaselineEventsPerRoom, int PageSize, int Samples);

// One COPY (or the VACUUM (ANALYZE) after them): rows written and how long it took.
internal sealed record GrowthFill(string Database, string Table, long Rows, double Seconds);

// A table after the fill and VACUUM (ANALYZE): the planner's row estimate and pg_total_relation_size (indexes and TOAST included).
internal sealed record GrowthTableSize(string Database, string Table, long Rows, long TotalBytes);

// The worker draining a stream of Messages into a catalogue that held RowsBefore rows.
internal sealed record GrowthIngestRun(string Catalogue, long RowsBefore, int Messages, double Seconds, double Rate, long Rows)
{
    // CPU time used during the drain by the worker, nats-server and PostgreSQL (every backend).
    public double WorkerCpuSeconds { get; init; }

    public double NatsCpuSeconds { get; init; }

    public double PostgresCpuSeconds { get; init; }

    // Blocks PostgreSQL read from outside its shared buffers (the OS cache or the disk) for this database, and the
    // blocks it found in them, during the drain (pg_stat_database).
    public long BlocksRead { get; init; }

    public long BlocksHit { get; init; }
}

// One kind of chat request timed on one database: Kind is resume-ws, page-rest, join-first-frame or join-event.
internal sealed record GrowthLatency(
    string Database, string Kind, string Room, long RoomEvents, long Samples, long Failures, string? LastError, double P50Ms, double P99Ms, double MaxMs);
