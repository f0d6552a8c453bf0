using Npgsql;

namespace StChat.Catalogue;

/// <summary>
/// Reads committed catalogue rows of one stream from PostgreSQL, in stream order, always bounded above by a horizon
/// (see <see cref="CatalogueHorizon"/>) so that a row committed ahead of an earlier one is not shown before it.
/// </summary>
internal sealed class CatalogueReader(NpgsqlDataSource dataSource)
{
    /// <summary>Most rows one query returns; longer ranges are read page by page.</summary>
    public const int PageSize = 500;

    private const string SportEventColumns =
        "'sport_event' AS feed, stream_seq, sport, match_title, data_event, NULL::text, NULL::text, NULL::real, " +
        "NULL::real, NULL::bigint, NULL::text, published_at, stored_at FROM sport_event";

    private const string ExecutionColumns =
        "'execution' AS feed, stream_seq, NULL::text, NULL::text, NULL::text, symbol, market, price, quantity, " +
        "execution_epoch, state_symbol, published_at, stored_at FROM execution";

    private const string Range = "WHERE stream = $1 AND stream_seq > $2 AND stream_seq <= $3";

    private static readonly string BothFeeds = $"""
        (SELECT {SportEventColumns} {Range} ORDER BY stream_seq LIMIT $4)
        UNION ALL
        (SELECT {ExecutionColumns} {Range} ORDER BY stream_seq LIMIT $4)
        ORDER BY stream_seq LIMIT $4
        """;

    private static readonly string SportEvents = $"SELECT {SportEventColumns} {Range} ORDER BY stream_seq LIMIT $4";

    private static readonly string Executions = $"SELECT {ExecutionColumns} {Range} ORDER BY stream_seq LIMIT $4";

    private const string SportCounts = """
        SELECT sport, count(*) FROM sport_event WHERE stream = $1 AND stream_seq > $2 AND stream_seq <= $3 GROUP BY sport
        """;

    // The newest row of either table at or below the horizon: how long it waited between broker and commit.
    private const string NewestLag = """
        SELECT extract(epoch FROM stored_at - published_at)::float8 FROM (
            (SELECT stream_seq, published_at, stored_at FROM sport_event
              WHERE stream = $1 AND stream_seq <= $2 ORDER BY stream_seq DESC LIMIT 1)
            UNION ALL
            (SELECT stream_seq, published_at, stored_at FROM execution
              WHERE stream = $1 AND stream_seq <= $2 ORDER BY stream_seq DESC LIMIT 1)) newest
        ORDER BY stream_seq DESC LIMIT 1
        """;

    /// <summary>Rows with <paramref name="after"/> &lt; seq &lt;= <paramref name="upTo"/>, oldest first; null feed: both.</summary>
    public async Task<List<CatalogueRow>> ReadAsync(
        string stream, string? feed, long after, long upTo, int limit, CancellationToken ct)
    {
        var sql = feed switch
        {
            null => BothFeeds,
            CatalogueFeeds.SportEvent => SportEvents,
            _ => Executions,
        };
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = after });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = upTo });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = limit });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<CatalogueRow>();
        while (await reader.ReadAsync(ct))
        {
            rows.Add(CatalogueJson.ReadRow(reader));
        }

        return rows;
    }

    /// <summary>sport_event rows per sport with <paramref name="after"/> &lt; seq &lt;= <paramref name="upTo"/>.</summary>
    public async Task<List<SportCount>> ReadSportCountsAsync(string stream, long after, long upTo, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(SportCounts);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = after });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = upTo });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var counts = new List<SportCount>();
        while (await reader.ReadAsync(ct))
        {
            counts.Add(new SportCount(reader.GetString(0), reader.GetInt64(1)));
        }

        return counts;
    }

    public async Task<double?> ReadNewestLagAsync(string stream, long upTo, CancellationToken ct)
    {
        await using var command = dataSource.CreateCommand(NewestLag);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = upTo });
        return await command.ExecuteScalarAsync(ct) is double seconds ? seconds : null;
    }
}
