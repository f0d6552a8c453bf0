namespace StChat.Ingest;

/// <summary>
/// One decoded <c>execution</c> on its way to table <c>execution</c>, with the payload it came from in case PostgreSQL
/// refuses the row and it has to go to <c>feed_rejects</c> instead.
/// </summary>
internal readonly record struct ExecutionRow(
    ulong StreamSeq,
    string Symbol,
    string Market,
    float Price,
    float Quantity,
    long ExecutionEpoch,
    string StateSymbol,
    DateTimeOffset PublishedAt,
    ReadOnlyMemory<byte> Payload);
