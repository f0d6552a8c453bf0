namespace StChat.Ingest;

/// <summary>A captured message that could not be catalogued, kept byte for byte with the reason.</summary>
internal readonly record struct FeedRejectRow(
    ulong StreamSeq, string Subject, ReadOnlyMemory<byte> Payload, string Error, DateTimeOffset PublishedAt);
