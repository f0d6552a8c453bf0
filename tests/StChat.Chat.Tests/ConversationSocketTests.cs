using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using StChat.Chat.Tests.Infrastructure;
using Xunit;

namespace StChat.Chat.Tests;

// One socket for many conversations (/ws), the single-conversation URLs of direct and group conversations, who may
// open what, join/exit per user rather than per connection, and read markers.
public sealed class ConversationSocketTests(ChatHostFixture fixture) : IClassFixture<ChatHostFixture>
{
    private ChatHost Host => fixture.Host;

    private static string NewRoom() => "r" + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public async Task A_ws_socket_follows_nothing_until_it_subscribes_and_every_frame_names_its_room()
    {
        var ann = await TestAccounts.SignUpAsync(Host, "ann");
        var (first, second) = (NewRoom(), NewRoom());
        await using var socket = await Host.ConnectAsync("ws", ann.Token, "");

        await socket.SendAsync(new { action = "message", room = first, message = "too early", id = "m-0" });
        var refused = await socket.ReceiveAsync();
        Assert.Equal("error", refused.Action());
        Assert.Equal("not_subscribed", refused.Str("code"));
        Assert.Equal(first, refused.Str("room"));

        await socket.SendAsync(new { action = "subscribe", room = first });
        await socket.SendAsync(new { action = "subscribe", room = second });
        await socket.ReceiveUntilAsync(f => f.Action() == "subscribed" && f.Str("room") == first);
        await socket.SendAsync(new { action = "message", room = second, message = "hello second", id = "m-1" });
        var frames = await socket.ReceiveUntilAsync(f => f.Action() == "ack" && f.Str("id") == "m-1");

        Assert.All(frames, f => Assert.False(string.IsNullOrEmpty(f.Str("room"))));
        var ack = frames[^1];
        Assert.Equal(second, ack.Str("room"));
        if (!frames.Any(f => f.IsMessage("m-1")))
        {
            frames.AddRange(await socket.ReceiveUntilAsync(f => f.IsMessage("m-1")));
        }

        var message = frames.Single(f => f.IsMessage("m-1"));
        Assert.Equal(second, message.Str("room"));
        Assert.Equal(ann.Name, message.Str("user"));
    }

    [Fact]
    public async Task Two_connections_of_one_user_to_a_public_room_write_one_join_and_one_exit()
    {
        var ann = await TestAccounts.SignUpAsync(Host, "ann");
        var room = NewRoom();
        await using var watcher = await Host.ConnectAsync(room, "name=Watcher");
        await watcher.ReceiveUntilAsync(f => f.Action() == "join" && f.Str("user") == "Watcher");

        var tab1 = await Host.ConnectAsync($"rooms/{room}", ann.Token, "");
        await watcher.ReceiveUntilAsync(f => f.Action() == "join" && f.Str("user") == ann.Name);
        var tab2 = await Host.ConnectAsync("ws", ann.Token, "");
        await tab2.SendAsync(new { action = "subscribe", room });
        await tab2.ReceiveUntilActionAsync("subscribed");

        await tab1.CloseAsync();
        await tab2.SendAsync(new { action = "message", room, message = "still here", id = "still" });
        await watcher.ReceiveUntilAsync(f => f.IsMessage("still"));
        await tab2.CloseAsync();
        await watcher.ReceiveUntilAsync(f => f.Action() == "exit" && f.Str("user") == ann.Name);

        var actions = await ActionsOfAsync(room, ann.Name);
        Assert.Equal(["join", "message", "exit"], actions);
        await tab1.DisposeAsync();
        await tab2.DisposeAsync();
    }

    [Fact]
    public async Task A_direct_conversation_is_created_on_first_use_announced_to_both_and_closed_to_everyone_else()
    {
        var ann = await TestAccounts.SignUpAsync(Host, "ann");
        var bob = await TestAccounts.SignUpAsync(Host, "bob");
        var carol = await TestAccounts.SignUpAsync(Host, "carol");
        var key = TestAccounts.DirectKey(ann, bob);
        await using var bobSocket = await Host.ConnectAsync("ws", bob.Token, "");
        await using var carolSocket = await Host.ConnectAsync("ws", carol.Token, "");

        // Ann opens it by URL with Bob's name in any case.
        await using var annDm = await Host.ConnectAsync($"dm/{bob.Name.ToUpperInvariant()}", ann.Token, "");
        var announced = await bobSocket.ReceiveUntilActionAsync("conversation");
        Assert.Equal(key, announced[^1].Str("room"));
        Assert.Equal("direct", announced[^1].Str("kind"));

        await bobSocket.SendAsync(new { action = "subscribe", room = key });
        await bobSocket.ReceiveUntilAsync(f => f.Action() == "subscribed" && f.Str("room") == key);
        await annDm.SendAsync("""{"message":"hi Bob","id":"dm-1"}""");
        var ack = (await annDm.ReceiveUntilActionAsync("ack"))[^1];
        var received = (await bobSocket.ReceiveUntilAsync(f => f.IsMessage("dm-1")))[^1];
        Assert.Equal(key, received.Str("room"));
        Assert.Equal(ack.Seq(), received.Seq());

        // Carol: no subscribe, no URL, no resume, never an event; the answer is the one for a key that does not exist.
        await carolSocket.SendAsync(new { action = "subscribe", room = key, after = 0 });
        await carolSocket.SendAsync(new { action = "subscribe", room = "dm:nobody1:nobody2", after = 0 });
        var answers = new[] { await carolSocket.ReceiveAsync(), await carolSocket.ReceiveAsync() };
        Assert.All(answers, a => Assert.Equal("not_found", a.Str("code")));
        Assert.Equal(answers[0].Str("message")!.Replace(key, "K", StringComparison.Ordinal),
            answers[1].Str("message")!.Replace("dm:nobody1:nobody2", "K", StringComparison.Ordinal));
        await carolSocket.SendAsync(new { action = "message", room = key, message = "let me in", id = "c-1" });
        Assert.Equal("not_subscribed", (await carolSocket.ReceiveAsync()).Str("code"));
        Assert.Equal(HttpStatusCode.NotFound,
            await ChatClient.RefusedStatusAsync(new Uri(Host.BaseUri, $"groups/{new string('0', 20)}"), carol.Token));
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM conversation WHERE room = @room", key));
        Assert.Equal(2, await CountAsync("SELECT count(*) FROM conversation_member WHERE room = @room", key));
    }

    [Fact]
    public async Task Upgrades_are_refused_before_they_happen_for_bad_tokens_reserved_names_and_missing_sessions()
    {
        var ann = await TestAccounts.SignUpAsync(Host, "ann");
        var room = NewRoom();

        Assert.Equal(HttpStatusCode.Unauthorized, await ChatClient.RefusedStatusAsync(new Uri(Host.BaseUri, "ws")));
        Assert.Equal(HttpStatusCode.Unauthorized, await ChatClient.RefusedStatusAsync(new Uri(Host.BaseUri, "ws"), ann.Token + "x"));
        Assert.Equal(HttpStatusCode.Unauthorized, await ChatClient.RefusedStatusAsync(new Uri(Host.BaseUri, $"ws?access_token={ann.Token[..^1]}")));
        Assert.Equal(HttpStatusCode.Unauthorized, await ChatClient.RefusedStatusAsync(new Uri(Host.BaseUri, $"dm/{ann.Name}")));
        Assert.Equal(HttpStatusCode.Conflict,
            await ChatClient.RefusedStatusAsync(new Uri(Host.BaseUri, $"rooms/{room}?name={ann.Name.ToUpperInvariant()}")));
        Assert.Equal(HttpStatusCode.BadRequest,
            await ChatClient.RefusedStatusAsync(new Uri(Host.BaseUri, $"rooms/{room}?name=Someone"), ann.Token));

        // The browser's way: the token in the query string of the upgrade.
        await using var browser = await ChatClient.ConnectAsync(new Uri(Host.BaseUri, $"rooms/{room}?access_token={Uri.EscapeDataString(ann.Token)}"));
        var join = (await browser.ReceiveUntilActionAsync("join"))[^1];
        Assert.Equal(ann.Name, join.Str("user"));
    }

    [Fact]
    public async Task Signing_out_closes_that_sessions_sockets_with_4001_and_leaves_other_sessions_open()
    {
        var ann = await TestAccounts.SignUpAsync(Host, "ann");
        var other = await TestAccounts.SignInAsync(Host, ann.Name);
        await using var signedOut = await Host.ConnectAsync("ws", ann.Token, "");
        await using var stays = await Host.ConnectAsync("ws", other.Token, "");
        await stays.SendAsync(new { action = "subscribe", room = NewRoom() });
        await stays.ReceiveUntilActionAsync("subscribed");

        using var http = TestAccounts.Client(Host, ann.Token);
        Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync("api/sessions/current")).StatusCode);

        await signedOut.ReceiveUntilClosedAsync();
        Assert.Equal(4001, (int?)signedOut.CloseStatus);
        Assert.Equal(HttpStatusCode.Unauthorized, await ChatClient.RefusedStatusAsync(new Uri(Host.BaseUri, "ws"), ann.Token));
        await stays.SendAsync(new { action = "who", room = "nowhere" });
        Assert.Equal("not_subscribed", (await stays.ReceiveUntilActionAsync("error"))[^1].Str("code"));
    }

    [Fact]
    public async Task A_read_marker_reaches_the_other_member_and_every_socket_of_the_reader_and_never_moves_back()
    {
        var ann = await TestAccounts.SignUpAsync(Host, "ann");
        var bob = await TestAccounts.SignUpAsync(Host, "bob");
        var key = TestAccounts.DirectKey(ann, bob);
        await using var annSocket = await Host.ConnectAsync($"dm/{bob.Name}", ann.Token, "");
        await annSocket.SendAsync("""{"message":"one","id":"r-1"}""");
        await annSocket.SendAsync("""{"message":"two","id":"r-2"}""");
        var lastSeq = (await annSocket.ReceiveUntilAsync(f => f.Action() == "ack" && f.Str("id") == "r-2"))[^1].Seq();

        await using var bobReading = await Host.ConnectAsync("ws", bob.Token, "");
        await using var bobElsewhere = await Host.ConnectAsync("ws", bob.Token, "");
        await bobReading.SendAsync(new { action = "subscribe", room = key, after = 0 });
        await bobReading.ReceiveUntilAsync(f => f.Action() == "subscribed");

        await bobReading.SendAsync(new { action = "read", room = key, seq = lastSeq });
        var told = (await annSocket.ReceiveUntilActionAsync("read"))[^1];
        Assert.Equal(bob.Name, told.Str("user"));
        Assert.Equal(lastSeq, told.Seq());
        Assert.Equal(key, told.Str("room"));
        Assert.Equal(lastSeq, (await bobElsewhere.ReceiveUntilActionAsync("read"))[^1].Seq());
        Assert.Equal(lastSeq, (await bobReading.ReceiveUntilActionAsync("read"))[^1].Seq());

        // Backwards: stored marker stays, and the frame says so. Beyond the last seq: bad_request.
        await bobReading.SendAsync(new { action = "read", room = key, seq = 1 });
        Assert.Equal(lastSeq, (await bobElsewhere.ReceiveUntilActionAsync("read"))[^1].Seq());
        await bobReading.SendAsync(new { action = "read", room = key, seq = lastSeq + 1 });
        var beyond = (await bobReading.ReceiveUntilActionAsync("error"))[^1];
        Assert.Equal("bad_request", beyond.Str("code"));
        Assert.Equal(lastSeq, await CountAsync(
            "SELECT r.seq FROM read_marker r JOIN account a ON a.id = r.account_id WHERE r.room = @room AND a.name = @name", key, bob.Name));
    }

    [Fact]
    public async Task A_long_replay_in_one_conversation_does_not_hold_back_live_events_in_another()
    {
        var ann = await TestAccounts.SignUpAsync(Host, "ann");
        var (big, live) = (NewRoom(), NewRoom());
        var store = Host.Services.GetRequiredService<ChatLogStore>();
        for (var i = 0; i < 20_000; i += 500)
        {
            var batch = Enumerable.Range(i, 500)
                .Select(n => new PendingEvent(big, ChatAction.Message, "Seed", "seed message " + n, $"seed-{n}", deadline: null))
                .ToList();
            await store.AppendAsync(batch, DateTime.UtcNow, CancellationToken.None);
        }

        await using var socket = await Host.ConnectAsync("ws", ann.Token, "");
        await socket.SendAsync(new { action = "subscribe", room = live });
        await socket.ReceiveUntilAsync(f => f.Action() == "subscribed" && f.Str("room") == live);
        await socket.SendAsync(new { action = "subscribe", room = big, after = 0 });
        await socket.SendAsync(new { action = "message", room = live, message = "while the replay runs", id = "live-1" });

        var frames = await socket.ReceiveUntilAsync(f => f.Action() == "subscribed" && f.Str("room") == big, TimeSpan.FromSeconds(60));
        var liveAt = frames.FindIndex(f => f.IsMessage("live-1"));
        var replayed = frames.Where(f => f.Str("room") == big && f.Action() == "message").Select(f => f.Seq()).ToList();
        Assert.True(liveAt >= 0 && liveAt < frames.Count - 1000, $"the live event came at {liveAt} of {frames.Count} frames");
        Assert.Equal(Enumerable.Range(1, 20_000).Select(n => (long)n), replayed);
    }

    private async Task<List<string>> ActionsOfAsync(string room, string user)
    {
        await using var connection = new NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT action FROM chat_log WHERE room = @room AND username = @user ORDER BY seq", connection);
        command.Parameters.AddWithValue("room", room);
        command.Parameters.AddWithValue("user", user);
        var actions = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            actions.Add(reader.GetString(0));
        }

        return actions;
    }

    private async Task<long> CountAsync(string sql, string room, string? name = null)
    {
        await using var connection = new NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("room", room);
        if (name is not null)
        {
            command.Parameters.AddWithValue("name", name);
        }

        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
