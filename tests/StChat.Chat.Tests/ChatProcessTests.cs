using System.Net.WebSockets;
using Npgsql;
using StChat.Chat.Tests.Infrastructure;
using StChat.Testing;
using Xunit;

namespace StChat.Chat.Tests;

public sealed class ChatProcessTests(PostgresDatabaseFixture database) : IClassFixture<PostgresDatabaseFixture>
{
    [Fact]
    public async Task Every_acked_message_survives_SIGKILL_and_is_replayed_after_a_restart()
    {
        const string room = "killed";
        await using var server = new ChatServerProcess(database.ConnectionString);
        await server.StartAsync();

        var acks = new Dictionary<string, long>();
        await using (var client = await ChatClient.ConnectAsync(server.Room(room, "name=Writer")))
        {
            for (var i = 0; i < 40; i++)
            {
                await client.SendAsync(new { message = $"m{i}", id = $"k{i}" });
            }

            // Kill while messages are still in flight: some are acked, some may not be.
            var frames = await client.ReceiveUntilAsync(f => f.Action() == "ack" && f.Str("id") == "k10");
            await server.KillAsync();
            frames.AddRange(await client.ReceiveUntilClosedAsync());
            foreach (var frame in frames)
            {
                if (frame.Action() == "ack")
                {
                    acks[frame.Str("id")!] = frame.Seq();
                }
            }
        }

        Assert.True(acks.Count >= 11, $"Only {acks.Count} acks arrived before the kill.");

        await server.StartAsync();
        await using var reader = await ChatClient.ConnectAsync(server.Room(room, "name=Reader&after=0"));
        var replay = (await reader.ReceiveUntilAsync(f => f.Action() == "join" && f.Str("user") == "Reader"))
            .Where(f => f.IsEvent()).ToList();

        Assert.Equal(Enumerable.Range(1, replay.Count).Select(s => (long)s), replay.Select(f => f.Seq()));
        foreach (var (id, seq) in acks)
        {
            Assert.Contains(replay, f => f.IsMessage(id) && f.Seq() == seq);
        }

        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM chat_log WHERE room = $1 AND client_msg_id = ANY($2)", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = room });
        command.Parameters.Add(new NpgsqlParameter { Value = acks.Keys.ToArray() });
        Assert.Equal((long)acks.Count, (long)(await command.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task SIGTERM_stores_exit_events_closes_clients_with_1001_and_exits_0()
    {
        const string room = "terminated";
        await using var server = new ChatServerProcess(database.ConnectionString);
        await server.StartAsync();
        await using var client = await ChatClient.ConnectAsync(server.Room(room, "name=Leaver"));
        await client.ReceiveUntilAsync(f => f.Action() == "join" && f.Str("user") == "Leaver");

        await server.TerminateAsync();

        await client.ReceiveUntilClosedAsync();
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, client.CloseStatus);
        Assert.True(server.ExitCode == 0, $"exit code {server.ExitCode}:\n{server.Log}");

        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM chat_log WHERE room = $1 AND action = 'exit' AND username = 'Leaver'", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = room });
        Assert.Equal(1L, (long)(await command.ExecuteScalarAsync())!);
    }
}
