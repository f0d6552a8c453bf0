using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using StChat.Chat.Tests.Infrastructure;
using Xunit;

namespace StChat.Chat.Tests;

// Carol against Ann and Bob's direct and group conversations, by every socket URL, /ws action and REST call: always
// the answer for a conversation that does not exist, and never one of their events. Each table below has a row per
// way in, so a new endpoint or action is one more line. Ann uses the Members node; Carol and Bob the Outsider node,
// so that Bob's receiving an event shows that it has reached Carol's node too (which may be the same).
public abstract class ThirdPartyAccess
{
    // Socket URLs that could lead to a conversation, with the status Carol must get whether it exists or not.
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

    // /ws actions naming a conversation `k`, with the error code Carol gets: subscribing is refused as not found, and
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

    // REST calls: {K} is a conversation key (each spelling of Keys below), {G} a group id; {me} is Carol, {member} Ann.
    // The body, where there is one, would be accepted from a member; some are wrong on purpose, to show that the
    // membership check comes before anything else.
    private static readonly (string Method, string Path, string? Body)[] RestCalls =
    [
        ("GET", "api/conversations/{K}/events", null),
        ("GET", "api/conversations/{K}/events?after=0&limit=500", null),
        ("GET", "api/conversations/{K}/events?before=1000&limit=1", null),
        ("GET", "api/conversations/{K}/events?limit=0", null),
        ("POST", "api/conversations/{K}/messages", """{"text":"let me in"}"""),
        ("POST", "api/conversations/{K}/messages", "not json"),
        ("PUT", "api/conversations/{K}/read", """{"seq":1}"""),
        ("PUT", "api/conversations/{K}/read", """{"seq":999999}"""),
        ("POST", "api/groups/{G}/members", """{"name":"{me}"}"""),
        ("DELETE", "api/groups/{G}/members/{member}", null),
        ("DELETE", "api/groups/{G}/members/{me}", null),
    ];

    // Texts of the messages Carol must never see.
    private static readonly string[] PrivateTexts = ["for Bob only", "for the group only", "not for Carol any more"];

    private static readonly Probe Missing = new("dm:nobody1:nobody2", "group:" + new string('0', 20));

    protected abstract ChatHost Members { get; }

    protected abstract ChatHost Outsider { get; }

    [Fact]
    public async Task A_third_account_gets_the_answer_for_a_missing_conversation_from_every_url_action_and_call_and_never_an_event()
    {
        var (ann, bob, carol) = (await TestAccounts.SignUpAsync(Members, "ann"), await TestAccounts.SignUpAsync(Members, "bob"), await TestAccounts.SignUpAsync(Members, "carol"));

        // Carol listens from before the conversations exist, on every kind of socket she can open. Her own direct
        // conversation with Ann comes first, so that its announcement is not among the answers read below.
        await using var carolWithAnn = await Outsider.ConnectAsync($"dm/{ann.Name}", carol.Token, "");
        await using var carolWs = await Outsider.ConnectAsync("ws", carol.Token, "");
        await using var carolInLobby = await Outsider.ConnectAsync("rooms/lobby", carol.Token, "");

        await using var bobWs = await Outsider.ConnectAsync("ws", bob.Token, "");
        var existing = new Probe(TestAccounts.DirectKey(ann, bob), await CreateGroupAsync(ann, bob));
        await using var annDm = await Members.ConnectAsync($"dm/{bob.Name}", ann.Token, "");
        await using var annGroup = await Members.ConnectAsync($"groups/{existing.GroupId}", ann.Token, "");
        foreach (var key in existing.Keys)
        {
            await bobWs.SendAsync(new { action = "subscribe", room = key, after = 0 });
            await bobWs.ReceiveUntilAsync(f => f.Action() == "subscribed" && f.Str("room") == key);
        }

        await annDm.SendAsync("""{"message":"for Bob only","id":"private-1"}""");
        await annGroup.SendAsync("""{"message":"for the group only","id":"private-2"}""");
        await bobWs.ReceiveUntilAsync(f => f.IsMessage("private-2"));

        await AssertAnsweredAsMissingAsync(carol, ann, existing, carolWs);

        // Ann and Bob go on talking, typing and reading; Bob sees all of it, Carol none.
        await annDm.SendAsync("""{"action":"typing"}""");
        await annDm.SendAsync("""{"message":"still for Bob only","id":"private-3"}""");
        await annGroup.SendAsync("""{"message":"still for the group only","id":"private-4"}""");
        await bobWs.ReceiveUntilAsync(f => f.IsMessage("private-4"));
        await bobWs.SendAsync(new { action = "read", room = existing.Direct, seq = 1 });
        await annDm.ReceiveUntilAsync(f => f.Action() == "read" && f.Str("user") == bob.Name);

        await AssertNothingReachedAsync(existing, carolWs, carolWithAnn, carolInLobby);
        await AssertUntouchedAsync(ann, carol, existing, [ann.Name, bob.Name]);
    }

    [Fact]
    public async Task A_member_removed_from_a_group_is_a_third_party_from_then_on()
    {
        var (ann, bob, carol) = (await TestAccounts.SignUpAsync(Members, "ann"), await TestAccounts.SignUpAsync(Members, "bob"), await TestAccounts.SignUpAsync(Members, "carol"));
        var group = await CreateGroupAsync(ann, bob, carol);
        var existing = new Probe(TestAccounts.DirectKey(ann, bob), group);
        await using var carolWs = await Outsider.ConnectAsync("ws", carol.Token, "");
        await using var carolGroup = await Outsider.ConnectAsync($"groups/{existing.GroupId}", carol.Token, "");
        await using var bobWs = await Outsider.ConnectAsync("ws", bob.Token, "");
        await using var annGroup = await Members.ConnectAsync($"groups/{existing.GroupId}", ann.Token, "");
        await bobWs.SendAsync(new { action = "subscribe", room = group, after = 0 });
        await bobWs.ReceiveUntilAsync(f => f.Action() == "subscribed" && f.Str("room") == group);
        await carolWs.SendAsync(new { action = "subscribe", room = group, after = 0 });
        await carolWs.ReceiveUntilAsync(f => f.Action() == "subscribed" && f.Str("room") == group);
        await annGroup.SendAsync("""{"message":"Carol may read this","id":"before"}""");
        await carolWs.ReceiveUntilAsync(f => f.IsMessage("before"));
        await carolGroup.ReceiveUntilAsync(f => f.IsMessage("before"));

        using (var annHttp = TestAccounts.Client(Members, ann.Token))
        {
            Assert.Equal(HttpStatusCode.OK, (await annHttp.DeleteAsync($"api/groups/{existing.GroupId}/members/{carol.Name}")).StatusCode);
        }

        // Her subscription and her group socket end with the event that removes her.
        await carolWs.ReceiveUntilAsync(f => f.Action() == "unsubscribed" && f.Str("room") == group);
        await carolGroup.ReceiveUntilClosedAsync();

        await AssertAnsweredAsMissingAsync(carol, ann, existing, carolWs);
        await annGroup.SendAsync("""{"message":"not for Carol any more","id":"after"}""");
        await bobWs.ReceiveUntilAsync(f => f.IsMessage("after"));
        await AssertNothingReachedAsync(existing, carolWs);
        await AssertUntouchedAsync(ann, carol, existing, [ann.Name, bob.Name]);
    }

    // Every socket URL, /ws action and REST call of the tables, for each spelling of each key: the answer Carol gets
    // for the one that exists is the one for the one that does not, and is a refusal.
    private async Task AssertAnsweredAsMissingAsync(SignedIn carol, SignedIn member, Probe existing, ChatClient carolWs)
    {
        foreach (var (path, status) in SocketUrls)
        {
            var answer = await UpgradeRequest.SendAsync(Outsider.HttpUri, path(existing), carol.Token);
            var forMissing = await UpgradeRequest.SendAsync(Outsider.HttpUri, path(Missing), carol.Token);
            Assert.False(answer.Upgraded, $"Carol's upgrade to /{path(existing)} was accepted");
            Assert.True(answer.Status == status, $"/{path(existing)} answered Carol {(int)answer.Status}: {answer.Body}");
            Assert.Equal(forMissing with { Body = Anonymize(forMissing.Body, Missing) }, answer with { Body = Anonymize(answer.Body, existing) });
        }

        foreach (var (key, missingKey) in Spellings(existing).Zip(Spellings(Missing)))
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

        using var http = TestAccounts.Client(Outsider, carol.Token);
        foreach (var (method, template, body) in RestCalls)
        {
            var spellings = template.Contains("{K}", StringComparison.Ordinal)
                ? Spellings(existing).Concat(Spellings(existing).Select(Uri.EscapeDataString)).Zip(Spellings(Missing).Concat(Spellings(Missing).Select(Uri.EscapeDataString)))
                : [(existing.GroupId, Missing.GroupId), (existing.GroupId.ToUpperInvariant(), Missing.GroupId.ToUpperInvariant())];
            foreach (var (key, missingKey) in spellings)
            {
                var answer = await SendAsync(http, method, Fill(template, key, carol, member), Fill(body, key, carol, member));
                var forMissing = await SendAsync(http, method, Fill(template, missingKey, carol, member), Fill(body, missingKey, carol, member));
                Assert.True(answer.StartsWith("404 application/problem+json", StringComparison.Ordinal), $"{method} {Fill(template, key, carol, member)} answered Carol {answer}");
                Assert.Contains("\"code\":\"not_found\"", answer, StringComparison.Ordinal);
                Assert.Equal(Anonymize(forMissing, Missing), Anonymize(answer, existing));
            }
        }

        // Nor is either listed among her conversations.
        var list = await http.GetStringAsync("api/conversations");
        Assert.DoesNotContain(existing.Direct, list, StringComparison.Ordinal);
        Assert.DoesNotContain(existing.Group, list, StringComparison.Ordinal);
    }

    // No frame of the conversations, nor their text, on any of Carol's sockets.
    private static async Task AssertNothingReachedAsync(Probe existing, params ChatClient[] carolSockets)
    {
        foreach (var socket in carolSockets)
        {
            // A question answered after everything before it was sent: whatever reached Carol has arrived by then.
            await socket.SendAsync(carolSockets[0] == socket ? """{"action":"who","room":"nowhere"}""" : """{"action":"who"}""");
            var frames = await socket.ReceiveUntilAsync(f => f.Action() is "who" || (f.Action() == "error" && f.Str("room") == "nowhere"));
            var leaked = frames.Where(f => (f.Str("room") is { } room && existing.Keys.Contains(room))
                || PrivateTexts.Any(t => f.ToString().Contains(t, StringComparison.Ordinal))).ToList();
            Assert.True(leaked.Count == 0, $"Carol received {string.Join(" | ", leaked)}");
        }
    }

    // Nothing of Carol's was stored in the conversations, and the group's members are as they were.
    private async Task AssertUntouchedAsync(SignedIn member, SignedIn carol, Probe existing, string[] members)
    {
        using var http = TestAccounts.Client(Members, member.Token);
        foreach (var key in existing.Keys)
        {
            using var page = JsonDocument.Parse(await http.GetStringAsync($"api/conversations/{Uri.EscapeDataString(key)}/events?after=0&limit=500"));
            var events = page.RootElement.GetProperty("events").EnumerateArray().ToList();
            Assert.DoesNotContain(events, e => e.Action() == "message" && (e.Str("user") == carol.Name || e.Str("text") == "let me in"));
        }

        using var list = JsonDocument.Parse(await http.GetStringAsync("api/conversations"));
        var group = list.RootElement.GetProperty("conversations").EnumerateArray().Single(c => c.Str("room") == existing.Group);
        Assert.Equal(members.Order(StringComparer.OrdinalIgnoreCase), group.GetProperty("members").EnumerateArray().Select(m => m.GetString()!).Order(StringComparer.OrdinalIgnoreCase));
    }

    // A group made by `owner` over REST, as a client does; its key.
    private async Task<string> CreateGroupAsync(SignedIn owner, params SignedIn[] others)
    {
        using var http = TestAccounts.Client(Members, owner.Token);
        using var created = await http.PostAsJsonAsync("api/groups", new { title = "Private", members = others.Select(o => o.Name).ToArray() });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using var entry = JsonDocument.Parse(await created.Content.ReadAsStringAsync());
        return entry.RootElement.GetProperty("room").GetString()!;
    }

    // Status, content type and body, as one string to compare.
    private static async Task<string> SendAsync(HttpClient http, string method, string path, string? body)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
            request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        }

        using var response = await http.SendAsync(request);
        return $"{(int)response.StatusCode} {response.Content.Headers.ContentType?.MediaType}\n{await response.Content.ReadAsStringAsync()}";
    }

    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(template))]
    private static string? Fill(string? template, string key, SignedIn carol, SignedIn member) => template?
        .Replace("{K}", key, StringComparison.Ordinal)
        .Replace("{G}", key, StringComparison.Ordinal)
        .Replace("{me}", carol.Name, StringComparison.Ordinal)
        .Replace("{member}", member.Name, StringComparison.Ordinal);

    // The keys as given, and spellings that are not the key: upper case, names in the wrong order.
    private static string[] Spellings(Probe p) =>
        [p.Direct, p.Group, p.Direct.ToUpperInvariant(), "dm:" + string.Join(':', p.Direct[3..].Split(':').Reverse()), p.Group.ToUpperInvariant()];

    // The text with the probe's keys (in any spelling) replaced, so that answers about different keys can be compared.
    private static string Anonymize(string text, Probe p) => text
        .Replace(Uri.EscapeDataString(p.Direct), "K", StringComparison.OrdinalIgnoreCase)
        .Replace(p.Direct, "K", StringComparison.OrdinalIgnoreCase)
        .Replace(p.GroupId, "G", StringComparison.OrdinalIgnoreCase);

    // A direct and a group conversation key, existing or not.
    private sealed record Probe(string Direct, string Group)
    {
        public string GroupId => Group["group:".Length..];

        public string[] Keys => [Direct, Group];
    }
}
