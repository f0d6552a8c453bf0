using Npgsql;
using Xunit;

namespace StChat.Ingest.Tests;

// Reads the catalogue of one stream back for assertions.
internal sealed class Catalogue(string connectionString, string stream)
{
    public async Task<long> CountAsync(string table)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT count(*) FROM {table} WHERE stream = $1", connection);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public async Task<bool> HasAsync(long sportEvents, long executions)
    {
        try
        {
            return await CountAsync("sport_event") >= sportEvents && await CountAsync("execution") >= executions;
        }
        catch (PostgresException e) when (e.SqlState == "42P01")
        {
            return false; // not migrated yet
        }
    }

    // Exactly messages 0..n-1 on each subject, once each, with every field as published.
    public async Task AssertExactlyAsync(int n)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();

        var seen = new bool[n];
        var rows = 0;
        var seqs = new HashSet<long>();
        await using (var command = new NpgsqlCommand(
            "SELECT stream_seq, sport, match_title, data_event, published_at, stored_at FROM sport_event WHERE stream = $1", connection))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream });
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows++;
                Assert.True(seqs.Add(reader.GetInt64(0)), $"stream_seq {reader.GetInt64(0)} is stored twice");
                var title = reader.GetString(2);
                var i = int.Parse(title["match ".Length..], System.Globalization.CultureInfo.InvariantCulture);
                Assert.False(seen[i], $"sport_event {i} is stored twice");
                seen[i] = true;
                var expected = TestFeed.SportEvent(i);
                Assert.Equal(TestFeed.SportLabel(i), reader.GetString(1));
                Assert.Equal(expected.DataEvent, reader.GetString(3));
                Assert.True(reader.GetDateTime(5) >= reader.GetDateTime(4), "stored_at precedes published_at");
            }
        }

        Assert.Equal(n, rows);
        Assert.All(seen, Assert.True);

        seen = new bool[n];
        rows = 0;
        await using (var command = new NpgsqlCommand(
            "SELECT stream_seq, symbol, market, price, quantity, execution_epoch, state_symbol FROM execution WHERE stream = $1",
            connection))
        {
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = stream });
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows++;
                Assert.True(seqs.Add(reader.GetInt64(0)), $"stream_seq {reader.GetInt64(0)} is stored twice");
                var i = checked((int)(reader.GetInt64(5) - TestFeed.EpochBase));
                Assert.False(seen[i], $"execution {i} is stored twice");
                seen[i] = true;
                var expected = TestFeed.Execution(i);
                Assert.Equal(expected.Symbol, reader.GetString(1));
                Assert.Equal(expected.Market, reader.GetString(2));
                Assert.Equal(expected.Price, reader.GetFloat(3));
                Assert.Equal(expected.Quantity, reader.GetFloat(4));
                Assert.Equal(expected.StateSymbol, reader.GetString(6));
            }
        }

        Assert.Equal(n, rows);
        Assert.All(seen, Assert.True);
    }
}
