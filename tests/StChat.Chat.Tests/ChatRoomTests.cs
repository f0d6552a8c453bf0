using System.Globalization;
using Npgsql;
using StChat.Chat.Tests.Infrastructure;
using Xunit;

namespace StChat.Chat.Tests;

public sealed class ChatRoomTests(ChatHostFixture fixture) : IClassFixture<ChatHostFixture>
{
    private ChatHost Host => fixture.Host;

    private static string NewRoom() => "r" + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public async Task A_plain_message_is_broadcast_with_a_readable_line_and_structured_fields()
    {
        var room = NewRoom();
        await using var ann = await Host.ConnectAsync(room, "name=Ann");
        await ann.ReceiveUntilAsync(f => f.Action() == "join" && f.Str("user") == "Ann");

        await ann.SendAsync("""{"message":"hi"}""");
        var message = (await ann.ReceiveUntilActionAsync("message"))[^1];

        Assert.Equal("Ann: hi", message.Str("message"));
        Assert.Equal(room, message.Str("room"));
        Assert.Equal("Ann", message.Str("user"));
        Assert.Equal("hi", message.Str("text"));
        Assert.Equal(2, message.Seq());
        Assert.False(string.IsNullOrEmpty(message.Str("id")));
        var ts = DateTime.Parse(message.Str("ts")!, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
        Assert.Equal(DateTimeKind.Utc, ts.Kind);
    }

    [Fact]
    public async Task The_default_path_joins_the_lobby_and_an_unnamed_user_gets_a_human_name()
    {
        await using var client = await ChatClient.ConnectAsync(Host.BaseUri);
        var join = (await client.ReceiveUntilActionAsync("join"))[^1];

        Assert.Equal("lobby", join.Str("room"));
        Assert.Matches("^[A-Z][a-z]+ [A-Z][a-z]+$", join.Str("user"));
        Assert.Equal($"{join.Str("user")} joined chat.", join.Str("message"));
    }

    [Fact]
    public async Task Clients_in_a_room_all_see_the_same_gapless_sequence()
    {
        var room = NewRoom();
        const int clientCount = 5;
        const int perClient = 20;
        var clients = new List<ChatClient>();
        for (var i = 0; i < clientCount; i++)
        {
            // after=0: each client gets the room from its first event, whenever its replay happens to run.
            clients.Add(await Host.ConnectAsync(room, $"name=user{i}&after=0"));
        }

        try
        {
            // Everyone sends at once; the server interleaves them into one order.
            await Task.WhenAll(clients.Select((c, i) => Task.Run(async () =>
            {
                for (var m = 0; m < perClient; m++)
                {
                    await c.SendAsync(new { message = $"m{m} from {i}", id = $"c{i}-{m}" });
                }
            })));

            var orders = new List<List<(long Seq, string Id)>>();
            foreach (var client in clients)
            {
                var messages = new List<(long, string)>();
                var events = new List<long>();
                await client.ReceiveUntilAsync(f =>
                {
                    if (f.IsEvent())
                    {
                        events.Add(f.Seq());
                    }

                    if (f.Action() == "message")
                    {
                        messages.Add((f.Seq(), f.Str("id")!));
                    }

                    return messages.Count == clientCount * perClient;
                });

                // Gapless and strictly increasing from the room's first event.
                Assert.Equal(Enumerable.Range(1, events.Count).Select(s => (long)s), events);
                orders.Add(messages);
            }

            foreach (var order in orders.Skip(1))
            {
                Assert.Equal(orders[0], order);
            }
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_duplicate_id_is_acked_with_the_same_seq_and_stored_once()
    {
        var room = NewRoom();
        await using var sender = await Host.ConnectAsync(room, "name=Sender");
        await using var watcher = await Host.ConnectAsync(room, "name=Watcher");
        await watcher.ReceiveUntilAsync(f => f.Action() == "join" && f.Str("user") == "Sender");
        await sender.ReceiveUntilAsync(f => f.Action() == "join" && f.Str("user") == "Watcher");

        await sender.SendAsync("""{"message":"once","id":"dup-1"}""");
        await sender.SendAsync("""{"message":"once","id":"dup-1"}""");
        await sender.SendAsync("""{"message":"marker","id":"dup-2"}""");

        var acks = (await sender.ReceiveUntilAsync(f => f.Action() == "ack" && f.Str("id") == "dup-2"))
            .Where(f => f.Action() == "ack").ToList();
        Assert.Equal(3, acks.Count);
        Assert.Equal(acks[0].Seq(), acks[1].Seq());
        Assert.Equal(acks[0].Seq() + 1, acks[2].Seq());

        var seen = await watcher.ReceiveUntilAsync(f => f.IsMessage("dup-2"));
        Assert.Single(seen, f => f.IsMessage("dup-1"));
        Assert.Equal(1L, await ScalarAsync("SELECT count(*) FROM chat_log WHERE room = $1 AND client_msg_id = 'dup-1'", room));

        // After a reconnect the same id still gets the same answer.
        await sender.CloseAsync();
        await using var again = await Host.ConnectAsync(room, "name=Sender");
        await again.SendAsync("""{"message":"once","id":"dup-1"}""");
        var ack = (await again.ReceiveUntilActionAsync("ack"))[^1];
        Assert.Equal(acks[0].Seq(), ack.Seq());
        Assert.Equal(1L, await ScalarAsync("SELECT count(*) FROM chat_log WHERE room = $1 AND client_msg_id = 'dup-1'", room));
    }

    [Fact]
    public async Task An_id_already_used_by_another_user_gets_id_conflict_instead_of_their_ack()
    {
        var room = NewRoom();
        await using var ann = await Host.ConnectAsync(room, "name=Ann");
        await using var bob = await Host.ConnectAsync(room, "name=Bob");
        await ann.SendAsync("""{"message":"from Ann","id":"1"}""");
        var ack = (await ann.ReceiveUntilActionAsync("ack"))[^1];

        await bob.SendAsync("""{"message":"from Bob","id":"1"}""");
        var answer = (await bob.ReceiveUntilAsync(f => f.Action() is "ack" or "error"))[^1];

        Assert.Equal("error", answer.Action());
        Assert.Equal("id_conflict", answer.Str("code"));
        Assert.Equal("1", answer.Str("id"));
        Assert.False(answer.GetProperty("retryable").GetBoolean());
        Assert.Contains("UUID", answer.Str("message"), StringComparison.Ordinal);
        Assert.Equal(1L, await ScalarAsync("SELECT count(*) FROM chat_log WHERE room = $1 AND client_msg_id = '1'", room));

        // Ann resending her own message still gets her ack.
        await ann.SendAsync("""{"message":"from Ann","id":"1"}""");
        Assert.Equal(ack.Seq(), (await ann.ReceiveUntilActionAsync("ack"))[^1].Seq());
    }

    [Fact]
    public async Task A_client_back_with_a_new_random_name_gets_the_ack_of_its_message()
    {
        var room = NewRoom();
        long seq;
        await using (var first = await Host.ConnectAsync(room))
        {
            await first.SendAsync("""{"message":"sent before the reconnect","id":"anon-1"}""");
            seq = (await first.ReceiveUntilActionAsync("ack"))[^1].Seq();
        }

        await using var second = await Host.ConnectAsync(room);
        await second.SendAsync("""{"message":"sent before the reconnect","id":"anon-1"}""");
        var answer = (await second.ReceiveUntilAsync(f => f.Action() is "ack" or "error"))[^1];
        Assert.Equal("ack", answer.Action());
        Assert.Equal(seq, answer.Seq());
    }

    [Fact]
    public async Task Resume_after_a_seq_replays_exactly_the_missing_events_then_live_ones()
    {
        var room = NewRoom();
        await using var writer = await Host.ConnectAsync(room, "name=Writer");
        long last = 0;
        for (var i = 1; i <= 12; i++)
        {
            await writer.SendAsync(new { message = $"n{i}", id = $"w{i}" });
            last = (await writer.ReceiveUntilAsync(f => f.Action() == "ack" && f.Str("id") == $"w{i}"))[^1].Seq();
        }

        await using var reader = await Host.ConnectAsync(room, "name=Reader&after=4");
        var replayed = (await reader.ReceiveUntilAsync(f => f.Action() == "join" && f.Str("user") == "Reader"))
            .Where(f => f.IsEvent()).Select(f => f.Seq()).ToList();
        await writer.SendAsync(new { message = "live", id = "w-live" });
        var live = (await reader.ReceiveUntilAsync(f => f.IsMessage("w-live")))[^1];

        Assert.Equal(Enumerable.Range(5, (int)last - 4 + 1).Select(s => (long)s), replayed);
        Assert.Equal(last + 2, live.Seq());

        // The same through the resume action on an open connection.
        await reader.SendAsync("""{"action":"resume","after":10}""");
        var again = (await reader.ReceiveUntilAsync(f => f.IsMessage("w-live"))).Select(f => f.Seq()).ToList();
        Assert.Equal(Enumerable.Range(11, (int)live.Seq() - 10).Select(s => (long)s), again);
    }

    [Fact]
    public async Task A_plain_connect_first_receives_the_last_events_as_history()
    {
        var room = NewRoom();
        await using var writer = await Host.ConnectAsync(room, "name=Writer");
        for (var i = 1; i <= 8; i++)
        {
            await writer.SendAsync(new { message = $"n{i}", id = $"h{i}" });
        }

        var lastSeq = (await writer.ReceiveUntilAsync(f => f.Action() == "ack" && f.Str("id") == "h8"))[^1].Seq();
        await using var reader = await Host.ConnectAsync(room, "name=Reader");
        var history = (await reader.ReceiveUntilAsync(f => f.Action() == "join" && f.Str("user") == "Reader"))
            .Where(f => f.IsEvent()).ToList();

        // HistoryLength is 5 in this fixture. The reader's own join is either the newest history event or the first
        // live one, depending on whether it was stored before the history was read.
        var seqs = history.Select(f => f.Seq()).ToList();
        Assert.Equal(lastSeq + 1, seqs[^1]);
        Assert.Equal(seqs[0] == lastSeq - 4 ? 6 : 5, seqs.Count);
        Assert.Equal(Enumerable.Range((int)seqs[0], seqs.Count).Select(s => (long)s), seqs);
        Assert.Equal("Writer: n8", history[^2].Str("message"));
    }

    [Fact]
    public async Task Who_lists_the_room_and_typing_is_relayed_to_others_without_being_stored()
    {
        var room = NewRoom();
        await using var ann = await Host.ConnectAsync(room, "name=Ann");
        await using var bob = await Host.ConnectAsync(room, "name=Bob");
        await ann.ReceiveUntilAsync(f => f.Action() == "join" && f.Str("user") == "Bob");

        await ann.SendAsync("""{"action":"who"}""");
        var who = (await ann.ReceiveUntilActionAsync("who"))[^1];
        Assert.Equal(["Ann", "Bob"], who.GetProperty("users").EnumerateArray().Select(u => u.GetString()));

        await ann.SendAsync("""{"action":"typing"}""");
        var typing = (await bob.ReceiveUntilActionAsync("typing"))[^1];
        Assert.Equal("Ann", typing.Str("user"));
        Assert.Equal(2L, await ScalarAsync("SELECT count(*) FROM chat_log WHERE room = $1", room));
    }

    [Fact]
    public async Task Leaving_stores_and_broadcasts_an_exit_event()
    {
        var room = NewRoom();
        await using var stay = await Host.ConnectAsync(room, "name=Stay");
        var leave = await Host.ConnectAsync(room, "name=Leave");
        await stay.ReceiveUntilAsync(f => f.Action() == "join" && f.Str("user") == "Leave");

        await leave.DisposeAsync();

        var exit = (await stay.ReceiveUntilActionAsync("exit"))[^1];
        Assert.Equal("Leave exited chat.", exit.Str("message"));
        Assert.Equal(1L, await ScalarAsync("SELECT count(*) FROM chat_log WHERE room = $1 AND action = 'exit'", room));
    }

    private async Task<long> ScalarAsync(string sql, string room)
    {
        await using var connection = new NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = room });
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
