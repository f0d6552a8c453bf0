using System.Diagnostics;
using System.Text.Json;
using Npgsql;
using StChat.Chat.Tests.Infrastructure;
using StChat.Testing;
using Xunit;

namespace StChat.Chat.Tests;

public sealed class ChatPauseTests(ITestOutputHelper output)
{
    private static readonly TimeSpan PauseLength = TimeSpan.FromSeconds(20);

    // Longest a send may wait for its answer while PostgreSQL hangs: the ack timeout plus a write attempt that is
    // under way, with room for a loaded machine. A server without bounded timeouts would never answer.
    private static readonly TimeSpan AnswerPatience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Through_a_20_second_PostgreSQL_pause_sends_get_unavailable_and_every_acked_message_is_stored_once()
    {
        // A private server: pausing it must not disturb other tests. Default chat timings, as in production.
        await using var cluster = await PostgresCluster.StartAsync();
        var connectionString = await cluster.CreateDatabaseAsync("chat_pause");
        await using var host = await ChatHost.StartAsync(connectionString);
        await using var sender = await host.ConnectAsync("pause", "name=Sender");
        await using var watcher = await host.ConnectAsync("pause", "name=Watcher");
        await watcher.ReceiveUntilAsync(f => f.Action() == "join" && f.Str("user") == "Watcher");
        await sender.ReceiveUntilAsync(f => f.Action() == "join" && f.Str("user") == "Watcher");

        var acked = new HashSet<string>();
        Assert.Equal("ack", (await SendAsync(sender, "before")).Action());
        acked.Add("before");

        await cluster.PauseAsync();
        Log("PostgreSQL paused");
        var pending = new List<string>();
        var clock = Stopwatch.StartNew();
        try
        {
            for (var i = 1; clock.Elapsed < PauseLength; i++)
            {
                var id = $"paused-{i}";
                var sent = clock.Elapsed;
                var answer = await SendAsync(sender, id);
                Log($"{id}: sent at {sent.TotalSeconds:0.0} s, answered {answer.Action()} {answer.Str("code")} after {(clock.Elapsed - sent).TotalSeconds:0.0} s");
                Assert.Equal("error", answer.Action());
                Assert.Equal("unavailable", answer.Str("code"));
                Assert.True(answer.GetProperty("retryable").GetBoolean());
                pending.Add(id);
            }
        }
        finally
        {
            await cluster.UnpauseAsync();
            Log($"PostgreSQL unpaused after {clock.Elapsed.TotalSeconds:0.0} s");
        }

        Assert.True(pending.Count >= 2, $"only {pending.Count} send(s) were answered during the pause");

        // The client does what the errors say: it resends the same ids until each is acked.
        foreach (var id in pending)
        {
            await Eventually.Until(async () => (await SendAsync(sender, id)).Action() == "ack",
                TimeSpan.FromSeconds(60), $"{id} should be acked once PostgreSQL answers again");
            acked.Add(id);
        }

        Log($"acked after the pause: {string.Join(", ", pending)}");
        Assert.Equal("ack", (await SendAsync(sender, "after")).Action());
        acked.Add("after");

        // The watcher saw each acked message once, in a gapless sequence.
        var seen = (await watcher.ReceiveUntilAsync(f => f.IsMessage("after"), AnswerPatience)).Where(f => f.IsEvent()).ToList();
        var messages = seen.Where(f => f.Action() == "message").Select(f => f.Str("id")!).ToList();
        Assert.Equal(acked.Order(), messages.Order());
        Assert.Equal(messages.Count, messages.Distinct().Count());
        Assert.Equal(Enumerable.Range((int)seen[0].Seq(), seen.Count).Select(s => (long)s), seen.Select(f => f.Seq()));

        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var command = dataSource.CreateCommand(
            "SELECT client_msg_id, count(*) FROM chat_log WHERE room = 'pause' AND action = 'message' GROUP BY client_msg_id");
        var stored = new Dictionary<string, long>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                stored[reader.GetString(0)] = reader.GetInt64(1);
            }
        }

        Assert.Equal(acked.Order(), stored.Keys.Order());
        Assert.All(stored, row => Assert.Equal(1L, row.Value));
    }

    private static async Task<JsonElement> SendAsync(ChatClient client, string id)
    {
        await client.SendAsync(JsonSerializer.Serialize(new { message = $"text of {id}", id }));
        return (await client.ReceiveUntilAsync(f => f.Str("id") == id && f.Action() is "ack" or "error", AnswerPatience))[^1];
    }

    private void Log(string line) => output.WriteLine($"[{DateTime.UtcNow:HH:mm:ss.fff}] {line}");
}
