namespace StChat.Ingest;

/// <summary>
/// One decoded <c>event</c> on its way to table <c>sport_event</c>, with the payload it came from in case PostgreSQL
/// refuses the row and it has to go to <c>feed_rejects</c> instead.
/// </summary>
internal readonly record struct SportEventRow(
    ulong StreamSeq,
    string Sport,
    string MatchTitle,
    string DataEvent,
    DateTimeOffset PublishedAt,
    ReadOnlyMemory<byte> Payload);
