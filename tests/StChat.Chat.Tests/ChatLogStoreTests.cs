using Npgsql;
using StChat.Storage;
using StChat.Testing;
using Xunit;

namespace StChat.Chat.Tests;

public sealed class ChatLogStoreTests(PostgresDatabaseFixture database) : IClassFixture<PostgresDatabaseFixture>
{
    [Fact]
    public async Task Two_writers_sharing_the_database_allocate_gapless_seqs_and_store_a_shared_id_once()
    {
        await Migrator.MigrateAsync(database.ConnectionString);
        const string room = "shared";
        // Two data sources stand for two server processes.
        await using var first = NpgsqlDataSource.Create(database.ConnectionString);
        await using var second = NpgsqlDataSource.Create(database.ConnectionString);
        var stores = new[] { new ChatLogStore(first), new ChatLogStore(second) };

        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            var seqs = new List<(string Id, long Seq)>();
            for (var b = 0; b < 25; b++)
            {
                var batch = new List<PendingEvent>
                {
                    Message(room, $"w{w}-b{b}-0"),
                    Message(room, $"w{w}-b{b}-1"),
                    Message(room, $"shared-{b}"),   // every writer sends this id; one of them stores it
                    Message(room, $"w{w}-b{b}-0"),  // repeated in the same batch
                };
                var result = await stores[w % 2].AppendAsync(batch, DateTime.UtcNow, CancellationToken.None);
                seqs.AddRange(result.Results.Select(r => (r.Id, r.Seq)));
                Assert.Equal(result.Results[0].Seq, result.Results[3].Seq);
            }

            return seqs;
        })));

        await using var connection = await first.OpenConnectionAsync();
        await using var command = new NpgsqlCommand("SELECT seq, client_msg_id FROM chat_log WHERE room = $1 ORDER BY seq", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = room });
        var stored = new List<(long Seq, string Id)>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                stored.Add((reader.GetInt64(0), reader.GetString(1)));
            }
        }

        Assert.Equal(4 * 25 * 2 + 25, stored.Count);
        Assert.Equal(Enumerable.Range(1, stored.Count).Select(s => (long)s), stored.Select(s => s.Seq));
        var byId = stored.ToDictionary(s => s.Id, s => s.Seq);
        foreach (var (id, seq) in results.SelectMany(r => r))
        {
            Assert.Equal(byId[id], seq);
        }
    }

    private static PendingEvent Message(string room, string id) =>
        new(room, ChatAction.Message, "Writer", "text " + id, id, deadline: null);
}
