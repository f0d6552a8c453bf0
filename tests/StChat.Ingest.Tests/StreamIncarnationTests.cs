using Npgsql;
using StChat.Testing;
using Xunit;

namespace StChat.Ingest.Tests;

// The stream's creation time as the catalogue remembers it, with workers that start together.
public sealed class StreamIncarnationTests() : MigratedDatabaseTests("incarnation")
{
    private static readonly DateTimeOffset Created = new(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_worker_whose_first_check_waits_for_another_workers_first_check_accepts_the_same_stream()
    {
        // Another worker's first check, caught between its insert and its commit.
        await using var other = await DataSource.OpenConnectionAsync();
        await using var transaction = await other.BeginTransactionAsync();
        await using (var insert = new NpgsqlCommand("INSERT INTO feed_streams (stream, created_at) VALUES ($1, $2)", other, transaction))
        {
            insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Stream });
            insert.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = Created.UtcDateTime });
            await insert.ExecuteNonQueryAsync();
        }

        var check = new StreamIncarnation(DataSource).CheckAsync(Stream, Created, CancellationToken.None);
        await Eventually.Until(async () => await WaitingOnALockAsync() == 1, TimeSpan.FromSeconds(30),
            "the second check waits for the first one's row");
        await transaction.CommitAsync();

        await check.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_stream_created_again_under_the_same_name_is_refused()
    {
        var incarnation = new StreamIncarnation(DataSource);
        await incarnation.CheckAsync(Stream, Created, CancellationToken.None);

        var e = await Assert.ThrowsAsync<StreamRecreatedException>(
            () => incarnation.CheckAsync(Stream, Created.AddMinutes(5), CancellationToken.None));

        Assert.Contains($"JetStream stream '{Stream}' was created at", e.Message, StringComparison.Ordinal);
    }

    private async Task<long> WaitingOnALockAsync()
    {
        await using var command = DataSource.CreateCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'");
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
