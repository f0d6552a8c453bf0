namespace StChat.Catalogue;

/// <summary>
/// The rows with <see cref="After"/> &lt; seq &lt;= <see cref="UpTo"/>: every catalogue row of that range, in stream
/// order. The range, not the rows, says what it covers: sequence numbers without a row (rejects) are covered too.
/// </summary>
internal sealed record CatalogueChunk(long After, long UpTo, IReadOnlyList<CatalogueRow> Rows);
