using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;
using Xunit;

namespace StChat.Ingest.Tests;

// The probe that lets a batch skip the per-row guards runs before every batch, so it must stay a key look-up however
// many rows the stream has: also when the statistics were gathered before the stream had any (a new stream name in a
// large catalogue), which is when the planner would answer max() by reading the stream's every row.
public sealed partial class StoredUpToPlanTests() : MigratedDatabaseTests("catalogue")
{
    [Fact]
    public async Task The_stored_up_to_probe_reads_one_key_per_table_for_a_stream_the_statistics_do_not_know()
    {
        await ExecuteAsync("""
            INSERT INTO sport_event (stream, stream_seq, sport, match_title, data_event, published_at)
            SELECT 'EARLIER', g, 'SOCCER', 'match', 'play', now() FROM generate_series(1, 200000) g;
            ANALYZE sport_event;
            """);
        await ExecuteAsync($"""
            INSERT INTO sport_event (stream, stream_seq, sport, match_title, data_event, published_at)
            SELECT '{Stream}', g, 'SOCCER', 'match', 'play', now() FROM generate_series(1, 20000) g;
            """);

        await using var command = DataSource.CreateCommand("EXPLAIN (ANALYZE, TIMING OFF) " + CatalogueStore.StoredUpTo);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Stream });
        var plan = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                plan.Add(reader.GetString(0));
            }
        }

        var rowsRead = plan.Select(line => ActualRows().Match(line))
            .Where(m => m.Success)
            .Select(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))
            .ToList();
        Assert.NotEmpty(rowsRead);
        Assert.True(rowsRead.All(rows => rows <= 1), string.Join('\n', plan));

        await using var probe = DataSource.CreateCommand(CatalogueStore.StoredUpTo);
        probe.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Stream });
        Assert.Equal(20000L, await probe.ExecuteScalarAsync());
    }

    [GeneratedRegex(@"actual rows=(\d+)")]
    private static partial Regex ActualRows();
}
