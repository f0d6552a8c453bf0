using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using StChat.Chat.Tests.Infrastructure;
using Xunit;

namespace StChat.Chat.Tests;

// The REST API of conversations against the real host: groups, events pages, messages with idempotency keys, read
// markers, the conversation list, and the OpenAPI document.
public sealed class ConversationApiTests(ChatHostFixture fixture) : IClassFixture<ChatHostFixture>
{
    private ChatHost Host => fixture.Host;

    private static string NewRoom() => "r" + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public async Task A_message_posted_over_rest_is_stored_once_per_key_and_arrives_live_on_sockets()
    {
        var ann = await TestAccounts.SignUpAsync(Host, "ann");
        var bob = await TestAccounts.SignUpAsync(Host, "bob");
        var key = TestAccounts.DirectKey(ann, bob);
        await using var bobSocket = await Host.ConnectAsync("ws", bob.Token, "");
        using var annHttp = TestAccounts.Client(Host, ann.Token);

        var first = await PostAsync(annHttp, key, "hello over REST", "rest-1");
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var stored = await JsonAsync(first);
        Assert.Equal("message", stored.Action());
        Assert.Equal(key, stored.Str("room"));
        Assert.Equal(ann.Name, stored.Str("user"));
        Assert.Equal("rest-1", stored.Str("id"));

        var again = await PostAsync(annHttp, key, "hello over REST", "rest-1");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(stored.Seq(), (await JsonAsync(again)).Seq());

        await bobSocket.SendAsync(new { action = "subscribe", room = key, after = 0 });
        await PostAsync(annHttp, key, "second", "rest-2");
        var frames = await bobSocket.ReceiveUntilAsync(f => f.IsMessage("rest-2"));
        Assert.Single(frames, f => f.IsMessage("rest-1"));
        Assert.Equal(stored.Seq() + 1, frames[^1].Seq());

        // The key belongs to Ann's message: Bob may not reuse it, and nothing of his is stored under it.
        using var bobHttp = TestAccounts.Client(Host, bob.Token);
        var conflict = await PostAsync(bobHttp, key, "mine now?", "rest-1");
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.Equal("id_conflict", (await JsonAsync(conflict)).Str("code"));
        Assert.Equal(2, (await EventsAsync(annHttp, key, "after=0")).GetProperty("last_seq").GetInt64());
    }

    [Fact]
    public async Task Bad_messages_are_refused_with_problem_details_naming_the_rule()
    {
        var ann = await TestAccounts.SignUpAsync(Host, "ann");
        using var http = TestAccounts.Client(Host, ann.Token);
        var room = NewRoom();

        var noKey = await http.PostAsJsonAsync($"api/conversations/{room}/messages", new { text = "hi" });
        Assert.Equal(HttpStatusCode.BadRequest, noKey.StatusCode);
        Assert.Equal("application/problem+json", noKey.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Idempotency-Key", (await JsonAsync(noKey)).Str("detail"), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync(http, room, "   ", "blank")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync(http, room, "nul\0", "nul")).StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await PostAsync(http, room, new string('x', 5000), "big")).StatusCode);
        using var truncated = new HttpRequestMessage(HttpMethod.Post, $"api/conversations/{room}/messages")
        {
            Content = new StringContent("{\"text\":", Encoding.UTF8, "application/json"),
        };
        truncated.Headers.Add("Idempotency-Key", "truncated");
        var notJson = await http.SendAsync(truncated);
        Assert.Equal("bad_json", (await JsonAsync(notJson)).Str("code"));
        Assert.Equal(0, (await EventsAsync(http, room, "")).GetProperty("last_seq").GetInt64());
    }

    [Fact]
    public async Task Events_page_forward_after_a_seq_and_back_before_one_as_the_same_objects_the_socket_sends()
    {
        var ann = await TestAccounts.SignUpAsync(Host, "ann");
        using var http = TestAccounts.Client(Host, ann.Token);
        var room = NewRoom();
        for (var i = 1; i <= 5; i++)
        {
            Assert.Equal(HttpStatusCode.Created, (await PostAsync(http, room, $"m{i}", $"k{i}")).StatusCode);
        }

        var forward = await EventsAsync(http, room, "after=2&limit=2");
        Assert.Equal([3L, 4L], Seqs(forward));
        Assert.Equal(5, forward.GetProperty("last_seq").GetInt64());
        Assert.Equal([3L, 2L], Seqs(await EventsAsync(http, room, "before=4&limit=2")));
        Assert.Equal([5L, 4L, 3L, 2L, 1L], Seqs(await EventsAsync(http, room, "")));

        foreach (var bad in new[] { "after=1&before=3", "limit=0", "limit=501", "after=-1", "before=0", "after=x" })
        {
            var refused = await http.GetAsync($"api/conversations/{room}/events?{bad}");
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }

        await using var socket = await Host.ConnectAsync("ws", ann.Token, "");
        await socket.SendAsync(new { action = "subscribe", room, after = 2 });
        var live = (await socket.ReceiveUntilAsync(f => f.IsEvent() && f.Seq() == 3))[^1];
        Assert.Equal(live.GetRawText(), forward.GetProperty("events")[0].GetRawText());
    }

    [Fact]
    public async Task A_group_is_created_with_its_members_who_are_told_and_whose_changes_are_events_in_its_log()
    {
        var ann = await TestAccounts.SignUpAsync(Host, "ann");
        var bob = await TestAccounts.SignUpAsync(Host, "bob");
        var carol = await TestAccounts.SignUpAsync(Host, "carol");
        await using var bobSocket = await Host.ConnectAsync("ws", bob.Token, "");
        await using var carolSocket = await Host.ConnectAsync("ws", carol.Token, "");
        using var annHttp = TestAccounts.Client(Host, ann.Token);
        using var carolHttp = TestAccounts.Client(Host, carol.Token);

        var created = await annHttp.PostAsJsonAsync("api/groups", new { title = "Trip", members = new[] { bob.Name.ToUpperInvariant() } });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var group = await JsonAsync(created);
        var key = group.Str("room")!;
        Assert.StartsWith("group:", key, StringComparison.Ordinal);
        Assert.Equal("group", group.Str("kind"));
        Assert.Equal("Trip", group.Str("title"));
        Assert.Equal(new[] { ann.Name, bob.Name }.Order(StringComparer.OrdinalIgnoreCase), group.GetProperty("members").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(1, group.GetProperty("last_seq").GetInt64());

        var told = (await bobSocket.ReceiveUntilActionAsync("conversation"))[^1];
        Assert.Equal(key, told.Str("room"));
        var added = (await EventsAsync(annHttp, key, "after=0")).GetProperty("events")[0];
        Assert.Equal(("member_added", ann.Name, bob.Name), (added.Action(), added.Str("user"), added.Str("member")));

        // Carol is outside until Bob adds her; then she is told, reads it, follows it, and is cut off when removed.
        var id = key["group:".Length..];
        Assert.Equal(HttpStatusCode.NotFound, (await carolHttp.GetAsync($"api/conversations/{key}/events")).StatusCode);
        using var bobHttp = TestAccounts.Client(Host, bob.Token);
        var add = await bobHttp.PostAsJsonAsync($"api/groups/{id}/members", new { name = carol.Name });
        Assert.Equal(HttpStatusCode.OK, add.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await bobHttp.PostAsJsonAsync($"api/groups/{id}/members", new { name = carol.Name })).StatusCode);
        Assert.Equal(key, (await carolSocket.ReceiveUntilActionAsync("conversation"))[^1].Str("room"));
        Assert.Equal(HttpStatusCode.OK, (await carolHttp.GetAsync($"api/conversations/{key}/events")).StatusCode);
        await carolSocket.SendAsync(new { action = "subscribe", room = key });
        await carolSocket.ReceiveUntilAsync(f => f.Action() == "subscribed" && f.Str("room") == key);

        var removed = await annHttp.DeleteAsync($"api/groups/{id}/members/{carol.Name}");
        Assert.Equal(HttpStatusCode.OK, removed.StatusCode);
        var last = await carolSocket.ReceiveUntilAsync(f => f.Action() == "unsubscribed" && f.Str("room") == key);
        Assert.Contains(last, f => f.Action() == "member_removed" && f.Str("member") == carol.Name);
        Assert.Equal(HttpStatusCode.NotFound, (await carolHttp.GetAsync($"api/conversations/{key}/events")).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await annHttp.DeleteAsync($"api/groups/{id}/members/{carol.Name}")).StatusCode);

        var noSuchMember = await annHttp.PostAsJsonAsync("api/groups", new { title = "x", members = new[] { "nobody-" + Guid.NewGuid().ToString("N")[..8] } });
        Assert.Equal(HttpStatusCode.BadRequest, noSuchMember.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await annHttp.PostAsJsonAsync("api/groups", new { title = " ", members = Array.Empty<string>() })).StatusCode);
    }

    [Fact]
    public async Task The_conversation_list_counts_what_others_wrote_since_the_read_marker_newest_activity_first()
    {
        var ann = await TestAccounts.SignUpAsync(Host, "ann");
        var bob = await TestAccounts.SignUpAsync(Host, "bob");
        var carol = await TestAccounts.SignUpAsync(Host, "carol");
        using var annHttp = TestAccounts.Client(Host, ann.Token);
        using var bobHttp = TestAccounts.Client(Host, bob.Token);
        using var carolHttp = TestAccounts.Client(Host, carol.Token);
        var withAnn = TestAccounts.DirectKey(ann, bob);
        var withCarol = TestAccounts.DirectKey(bob, carol);
        var room = NewRoom();

        await PostAsync(bobHttp, room, "Bob follows this room by posting", "p-1");
        await PostAsync(annHttp, withAnn, "one", "a-1");
        await PostAsync(annHttp, withAnn, "two", "a-2");
        await PostAsync(bobHttp, withAnn, "Bob's own", "b-1");
        await PostAsync(carolHttp, withCarol, "from Carol", "c-1");

        var list = await ListAsync(bobHttp);
        Assert.Equal([withCarol, withAnn, room], list.Select(c => c.Str("room")));
        var dm = list[1];
        Assert.Equal("direct", dm.Str("kind"));
        Assert.Equal(3, dm.GetProperty("last_seq").GetInt64());
        Assert.Equal(0, dm.GetProperty("read_seq").GetInt64());
        Assert.Equal(2, dm.GetProperty("unread").GetInt64());
        Assert.Equal("b-1", dm.GetProperty("last_event").Str("id"));
        Assert.Equal("public", list[2].Str("kind"));
        Assert.Equal(0, list[2].GetProperty("unread").GetInt64());

        var read = await bobHttp.PutAsJsonAsync($"api/conversations/{withAnn}/read", new { seq = 1 });
        Assert.Equal(1, (await JsonAsync(read)).GetProperty("seq").GetInt64());
        Assert.Equal(1, (await ListAsync(bobHttp))[1].GetProperty("unread").GetInt64());
        await bobHttp.PutAsJsonAsync($"api/conversations/{withAnn}/read", new { seq = 3 });
        var back = await bobHttp.PutAsJsonAsync($"api/conversations/{withAnn}/read", new { seq = 2 });
        Assert.Equal(3, (await JsonAsync(back)).GetProperty("seq").GetInt64());
        Assert.Equal(HttpStatusCode.BadRequest, (await bobHttp.PutAsJsonAsync($"api/conversations/{withAnn}/read", new { seq = 4 })).StatusCode);
        Assert.Equal(0, (await ListAsync(bobHttp))[1].GetProperty("unread").GetInt64());
        Assert.DoesNotContain(await ListAsync(annHttp), c => c.Str("room") == withCarol);

        // Ann's entry carries Bob's read marker, for "Seen by Bob" in a page that has only just loaded.
        var readBy = (await ListAsync(annHttp)).Single(c => c.Str("room") == withAnn).GetProperty("read_by").EnumerateArray().Single();
        Assert.Equal((bob.Name, 3L), (readBy.Str("user"), readBy.Seq()));
    }

    [Fact]
    public async Task The_openapi_document_lists_every_mapped_route()
    {
        using var http = new HttpClient { BaseAddress = Host.HttpUri };
        var document = await http.GetFromJsonAsync<JsonElement>("openapi/v1.json");
        var paths = document.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToHashSet(StringComparer.Ordinal);

        var routes = Host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Select(e => "/" + e.RoutePattern.RawText!.TrimStart('/'))
            .Where(r => r != "/openapi/{documentName}.json")
            .Distinct()
            .ToList();
        Assert.True(routes.Count >= 17, $"only {routes.Count} routes: {string.Join(", ", routes)}");
        Assert.All(routes, r => Assert.Contains(r, paths));
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient http, string key, string text, string idempotencyKey)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"api/conversations/{Uri.EscapeDataString(key)}/messages")
        {
            Content = JsonContent.Create(new { text }),
        };
        request.Headers.Add("Idempotency-Key", idempotencyKey);
        return http.SendAsync(request);
    }

    private static async Task<JsonElement> EventsAsync(HttpClient http, string key, string query)
    {
        var response = await http.GetAsync($"api/conversations/{Uri.EscapeDataString(key)}/events?{query}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await JsonAsync(response);
    }

    private static async Task<List<JsonElement>> ListAsync(HttpClient http) =>
        (await http.GetFromJsonAsync<JsonElement>("api/conversations")).GetProperty("conversations").EnumerateArray().ToList();

    private static List<long> Seqs(JsonElement page) => page.GetProperty("events").EnumerateArray().Select(e => e.Seq()).ToList();

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
}
