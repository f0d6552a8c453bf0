using System.Net;
using System.Text.Json;
using Npgsql;
using StChat.Chat.Tests.Infrastructure;
using Xunit;

namespace StChat.Chat.Tests;

// Carol against Ann and Bob's direct and group conversations, by every socket URL and /ws action: always the answer
// for a conversation that does not exist, and never one of their events. Each table below has a row per way in, so a
// new endpoint or action is one more line.
public sealed class ThirdPartyAccessTests(ChatHostFixture fixture) : IClassFixture<ChatHostFixture>
{
    private ChatHost Host => fixture.Host;

    // Socket URLs that could lead to a conversation, with the status Carol must get for any private key `K` of it
    // (the group's id `G` for groups), whether it exists or not.
    private static readonly (Func<Probe, string> Path, HttpStatusCode Status)[] SocketUrls =
    [
        (p => $"groups/{p.GroupId}", HttpStatusCode.NotFound),
        (p => $"groups/{p.GroupId}?after=0", HttpStatusCode.NotFound),
        (p => $"groups/{p.GroupId.ToUpperInvariant()}", HttpStatusCode.NotFound),
        (p => $"dm/{Uri.EscapeDataString(p.Direct)}", HttpStatusCode.NotFound),
        (p => $"dm/{p.Direct[3..]}", HttpStatusCode.NotFound),
        (p => $"rooms/{Uri.EscapeDataString(p.Direct)}", HttpStatusCode.BadRequest),
        (p => $"rooms/{Uri.EscapeDataString(p.Group)}", HttpStatusCode.BadRequest),
    ];

    // /ws actions naming a conversation, with the error code Carol gets: subscribing is refused as not found, and
    // everything else asks her to subscribe first.
    private static readonly (string Name, Func<string, object> Frame, string Code)[] SocketActions =
    [
        ("subscribe", k => new { action = "subscribe", room = k }, "not_found"),
        ("subscribe from the start", k => new { action = "subscribe", room = k, after = 0 }, "not_found"),
        ("message", k => new { action = "message", room = k, message = "let me in", id = "carol-1" }, "not_subscribed"),
        ("read", k => new { action = "read", room = k, seq = 1 }, "not_subscribed"),
        ("who", k => new { action = "who", room = k }, "not_subscribed"),
        ("typing", k => new { action = "typing", room = k }, "not_subscribed"),
        ("resume", k => new { action = "resume", room = k, after = 0 }, "not_subscribed"),
        ("unsubscribe", k => new { action = "unsubscribe", room = k }, "not_subscribed"),
    ];

    [Fact]
    public async Task A_third_account_gets_the_answer_for_a_missing_conversation_from_every_socket_url_and_action_and_never_an_event()
    {
        var (ann, bob, carol) = (await TestAccounts.SignUpAsync(Host, "ann"), await TestAccounts.SignUpAsync(Host, "bob"), await TestAccounts.SignUpAsync(Host, "carol"));

        // Carol listens from before the conversations exist, on every kind of socket she can open. Her own direct
        // conversation with Ann comes first, so that its announcement is not among the answers read below.
        await using var carolWithAnn = await Host.ConnectAsync($"dm/{ann.Name}", carol.Token, "");
        await using var carolWs = await Host.ConnectAsync("ws", carol.Token, "");
        await using var carolInLobby = await Host.ConnectAsync("rooms/lobby", carol.Token, "");
        ChatClient[] carolSockets = [carolWs, carolWithAnn, carolInLobby];

        var existing = new Probe(Direct(ann.Name, bob.Name), await CreateGroupAsync(ann, bob));
        var missing = new Probe("dm:nobody1:nobody2", "group:" + new string('0', 20));
        await using var annDm = await Host.ConnectAsync($"dm/{bob.Name}", ann.Token, "");
        await using var annGroup = await Host.ConnectAsync($"groups/{existing.GroupId}", ann.Token, "");
        await using var bobWs = await Host.ConnectAsync("ws", bob.Token, "");
        foreach (var key in existing.Keys)
        {
            await bobWs.SendAsync(new { action = "subscribe", room = key, after = 0 });
            await bobWs.ReceiveUntilAsync(f => f.Action() == "subscribed" && f.Str("room") == key);
        }

        await annDm.SendAsync("""{"message":"for Bob only","id":"private-1"}""");
        await annGroup.SendAsync("""{"message":"for the group only","id":"private-2"}""");
        await bobWs.ReceiveUntilAsync(f => f.IsMessage("private-2"));

        foreach (var (path, status) in SocketUrls)
        {
            var answer = await UpgradeRequest.SendAsync(Host.HttpUri, path(existing), carol.Token);
            var forMissing = await UpgradeRequest.SendAsync(Host.HttpUri, path(missing), carol.Token);
            Assert.False(answer.Upgraded, $"Carol's upgrade to /{path(existing)} was accepted");
            Assert.True(answer.Status == status, $"/{path(existing)} answered Carol {(int)answer.Status}: {answer.Body}");
            Assert.Equal(forMissing with { Body = Anonymize(forMissing.Body, missing) }, answer with { Body = Anonymize(answer.Body, existing) });
        }

        foreach (var (key, missingKey) in existing.Keys.Zip(missing.Keys).Concat(Variants(existing).Zip(Variants(missing))))
        {
            foreach (var (name, frame, code) in SocketActions)
            {
                await carolWs.SendAsync(frame(key));
                var answer = await carolWs.ReceiveAsync();
                await carolWs.SendAsync(frame(missingKey));
                var forMissing = await carolWs.ReceiveAsync();
                Assert.True(answer.Action() == "error" && answer.Str("code") == code, $"{name} of {key} answered Carol {answer}");
                Assert.Equal(forMissing.ToString().Replace(missingKey, "K", StringComparison.Ordinal), answer.ToString().Replace(key, "K", StringComparison.Ordinal));
            }
        }

        // Ann and Bob go on talking, typing and reading; Bob sees all of it, Carol none.
        await annDm.SendAsync("""{"action":"typing"}""");
        await annDm.SendAsync("""{"message":"still for Bob only","id":"private-3"}""");
        await annGroup.SendAsync("""{"message":"still for the group only","id":"private-4"}""");
        await bobWs.ReceiveUntilAsync(f => f.IsMessage("private-4"));
        await bobWs.SendAsync(new { action = "read", room = existing.Direct, seq = 1 });
        await annDm.ReceiveUntilAsync(f => f.Action() == "read" && f.Str("user") == bob.Name);

        foreach (var socket in carolSockets)
        {
            // A question answered after everything above was sent: whatever reached Carol has arrived by then.
            await socket.SendAsync(socket == carolWs ? """{"action":"who","room":"nowhere"}""" : """{"action":"who"}""");
            var frames = await socket.ReceiveUntilAsync(f => f.Action() is "who" || (f.Action() == "error" && f.Str("room") == "nowhere"));
            var leaked = frames.Where(f => (f.Str("room") is { } room && existing.Keys.Contains(room)) || Mentions(f, "for Bob only") || Mentions(f, "for the group only")).ToList();
            Assert.True(leaked.Count == 0, $"Carol received {string.Join(" | ", leaked)}");
        }

        Assert.Equal(0, await CountAsync(
            "SELECT count(*) FROM conversation_member m JOIN account a ON a.id = m.account_id WHERE a.name = @name AND m.room = ANY(@rooms)",
            carol.Name, existing.Keys));
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM conversation WHERE room = ANY(@rooms)", carol.Name, missing.Keys));
    }

    // A group of Ann and Bob; its key.
    private async Task<string> CreateGroupAsync(SignedIn ann, SignedIn bob)
    {
        var group = "group:" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(10));
        await using var connection = new NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            INSERT INTO conversation (room, kind, title) VALUES (@room, 'group', 'Ann and Bob');
            INSERT INTO conversation_member (room, account_id) SELECT @room, id FROM account WHERE name = ANY(@names);
            """, connection);
        command.Parameters.AddWithValue("room", group);
        command.Parameters.AddWithValue("names", new[] { ann.Name, bob.Name });
        await command.ExecuteNonQueryAsync();
        return group;
    }

    // Spellings of the keys that are not the key: upper case, names in the wrong order.
    private static string[] Variants(Probe p) =>
        [p.Direct.ToUpperInvariant(), "dm:" + string.Join(':', p.Direct[3..].Split(':').Reverse()), p.Group.ToUpperInvariant()];

    private static string Direct(string a, string b)
    {
        var names = new[] { a.ToLowerInvariant(), b.ToLowerInvariant() }.Order(StringComparer.Ordinal).ToArray();
        return $"dm:{names[0]}:{names[1]}";
    }

    // The body with the probe's keys replaced, so that answers about different keys can be compared.
    private static string Anonymize(string body, Probe p) =>
        body.Replace(p.Direct, "K", StringComparison.Ordinal).Replace(p.GroupId, "G", StringComparison.OrdinalIgnoreCase);

    private static bool Mentions(JsonElement frame, string text) => frame.ToString().Contains(text, StringComparison.Ordinal);

    private async Task<long> CountAsync(string sql, string name, string[] rooms)
    {
        await using var connection = new NpgsqlConnection(fixture.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("name", name);
        command.Parameters.AddWithValue("rooms", rooms);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    // A direct and a group conversation key, existing or not.
    private sealed record Probe(string Direct, string Group)
    {
        public string GroupId => Group["group:".Length..];

        public string[] Keys => [Direct, Group];
    }
}
