using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using StChat.Chat.Tests.Infrastructure;
using StChat.Testing;
using Xunit;

namespace StChat.Chat.Tests;

// Tokens that are not a live session's: changed, cut short, made up, expired or signed out. Every REST call answers
// 401 problem+json with code unauthorized, and every WebSocket upgrade is refused with HTTP 401 before it happens,
// with the token in the Authorization header or in ?access_token=. A public room, which would let an anonymous
// client in, must refuse a bad token too rather than let its bearer in without a name.
public sealed class SessionTokenTests(ChatHostFixture fixture) : IClassFixture<ChatHostFixture>
{
    private const string Base64UrlAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    private ChatHost Host => fixture.Host;

    // REST calls that need a signed-in account; each refuses a bad token with 401.
    private static readonly (HttpMethod Method, string Path)[] RestCalls =
    [
        (HttpMethod.Get, "api/me"),
        (HttpMethod.Get, "api/users?query=a"),
        (HttpMethod.Delete, "api/sessions/current"),
        (HttpMethod.Get, "api/conversations"),
        (HttpMethod.Get, "api/conversations/lobby/events"),
        (HttpMethod.Post, "api/conversations/lobby/messages"),
        (HttpMethod.Put, "api/conversations/lobby/read"),
        (HttpMethod.Post, "api/groups"),
        (HttpMethod.Post, $"api/groups/{new string('a', 20)}/members"),
        (HttpMethod.Delete, $"api/groups/{new string('a', 20)}/members/ann"),
    ];

    // WebSocket URLs, given the name of another account.
    private static readonly Func<string, string>[] SocketPaths =
    [
        _ => "ws",
        other => $"dm/{other}",
        _ => "rooms/lobby",
        _ => "",
        _ => $"groups/{new string('a', 20)}",
    ];

    [Fact]
    public async Task Changed_truncated_and_made_up_tokens_are_refused_by_every_rest_call_and_socket_url()
    {
        var ann = await TestAccounts.SignUpAsync(Host, "ann");
        var bob = await TestAccounts.SignUpAsync(Host, "bob");
        await AssertAcceptedAsync(Host, ann, bob.Name);

        var middle = ann.Token.Length / 2;
        var changed = ann.Token[..middle] + Other(ann.Token[middle]) + ann.Token[(middle + 1)..];
        string[] bad =
        [
            changed,
            Other(ann.Token[0]) + ann.Token[1..],
            ann.Token[..^1] + Other(ann.Token[^1]),
            ann.Token[..^1],
            ann.Token[..(ann.Token.Length / 2)],
            ann.Token + "A",
            "garbage",
            new string('A', ann.Token.Length),
            new string('x', 4096),
        ];

        foreach (var token in bad)
        {
            await AssertRefusedAsync(Host, token, bob.Name);
        }

        // The genuine token still works: none of the above harmed it.
        await AssertAcceptedAsync(Host, ann, bob.Name);
    }

    [Fact]
    public async Task A_signed_out_token_is_refused_everywhere_while_another_session_of_the_account_still_works()
    {
        var ann = await TestAccounts.SignUpAsync(Host, "ann");
        var bob = await TestAccounts.SignUpAsync(Host, "bob");
        var otherSession = await TestAccounts.SignInAsync(Host, ann.Name);
        await AssertAcceptedAsync(Host, ann, bob.Name);

        using (var http = TestAccounts.Client(Host, ann.Token))
        {
            Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync("api/sessions/current")).StatusCode);
        }

        await AssertRefusedAsync(Host, ann.Token, bob.Name);
        await AssertAcceptedAsync(Host, otherSession, bob.Name);
    }

    [Fact]
    public async Task An_expired_token_is_refused_everywhere_and_its_open_sockets_are_closed()
    {
        await using var shortLived = await ChatHost.StartAsync(fixture.ConnectionString, new Dictionary<string, string?>
        {
            ["SessionLifetime"] = "00:00:03",
            ["SessionCheckInterval"] = "00:00:00.500",
            ["PasswordIterations"] = "10000",
        });
        var bob = await TestAccounts.SignUpAsync(shortLived, "bob");
        var ann = await TestAccounts.SignUpAsync(shortLived, "ann");
        await AssertAcceptedAsync(shortLived, ann, bob.Name);
        await using var open = await shortLived.ConnectAsync("ws", ann.Token, "");

        using var http = TestAccounts.Client(shortLived, ann.Token);
        await Eventually.Until(async () => (await http.GetAsync("api/me")).StatusCode == HttpStatusCode.Unauthorized,
            TimeSpan.FromSeconds(30), "Ann's 3-second session expires");

        await AssertRefusedAsync(shortLived, ann.Token, bob.Name);

        // A socket opened while the session was live does not outlive it either.
        await open.ReceiveUntilClosedAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(4001, (int?)open.CloseStatus);
    }

    [Fact]
    public async Task A_token_in_the_query_string_of_an_ordinary_request_is_not_accepted()
    {
        var ann = await TestAccounts.SignUpAsync(Host, "ann");
        using var anonymous = TestAccounts.Client(Host, token: null);

        foreach (var (method, path) in RestCalls)
        {
            var separator = path.Contains('?', StringComparison.Ordinal) ? '&' : '?';
            using var request = new HttpRequestMessage(method, $"{path}{separator}access_token={Uri.EscapeDataString(ann.Token)}");
            using var response = await anonymous.SendAsync(request);
            await AssertUnauthorizedProblemAsync(response, $"{method} {path} with ?access_token=");
        }

        // Still signed in: the DELETE above did not sign Ann out.
        using var signedIn = TestAccounts.Client(Host, ann.Token);
        Assert.Equal(HttpStatusCode.OK, (await signedIn.GetAsync("api/me")).StatusCode);
    }

    [Fact]
    public async Task A_token_in_one_request_of_a_connection_does_not_sign_in_the_next_request_on_it()
    {
        var ann = await TestAccounts.SignUpAsync(Host, "ann");
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 1 };
        using var http = new HttpClient(handler) { BaseAddress = Host.HttpUri };

        using (var first = await http.GetAsync($"api/me?access_token={ann.Token}"))
        {
            await AssertUnauthorizedProblemAsync(first, "GET api/me with ?access_token=");
        }

        // The same connection: an upgrade without a token is anonymous, which /ws refuses.
        using var upgrade = new HttpRequestMessage(HttpMethod.Get, "ws") { Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        upgrade.Headers.Connection.Add("Upgrade");
        upgrade.Headers.Upgrade.Add(new ProductHeaderValue("websocket"));
        upgrade.Headers.Add("Sec-WebSocket-Version", "13");
        upgrade.Headers.Add("Sec-WebSocket-Key", Convert.ToBase64String(Guid.NewGuid().ToByteArray()));
        using var second = await http.SendAsync(upgrade, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.Unauthorized, second.StatusCode);
    }

    private static async Task AssertAcceptedAsync(ChatHost host, SignedIn who, string other)
    {
        using var http = TestAccounts.Client(host, who.Token);
        using var me = await http.GetAsync("api/me");
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        using (var body = JsonDocument.Parse(await me.Content.ReadAsStringAsync()))
        {
            Assert.Equal(who.Name, body.RootElement.GetProperty("name").GetString());
        }

        await using (var header = await host.ConnectAsync("ws", who.Token, ""))
        {
            await header.SendAsync(new { action = "who", room = "nowhere" });
            Assert.Equal("not_subscribed", (await header.ReceiveAsync()).Str("code"));
        }

        var answer = await UpgradeRequest.SendAsync(host.HttpUri, $"dm/{other}?access_token={Uri.EscapeDataString(who.Token)}");
        Assert.True(answer.Upgraded, $"dm/{other} with ?access_token= answered {(int)answer.Status}: {answer.Body}");
    }

    private static async Task AssertRefusedAsync(ChatHost host, string token, string other)
    {
        var what = $"token '{(token.Length > 80 ? token[..80] + "..." : token)}'";
        using (var http = TestAccounts.Client(host, token))
        {
            foreach (var (method, path) in RestCalls)
            {
                using var request = new HttpRequestMessage(method, path);
                using var response = await http.SendAsync(request);
                await AssertUnauthorizedProblemAsync(response, $"{method} {path} with {what}");
            }
        }

        foreach (var socketPath in SocketPaths)
        {
            var path = socketPath(other);
            var header = await UpgradeRequest.SendAsync(host.HttpUri, path, bearer: token);
            var query = await UpgradeRequest.SendAsync(host.HttpUri, $"{path}?access_token={Uri.EscapeDataString(token)}");
            foreach (var (answer, form) in new[] { (header, "as Bearer"), (query, "as ?access_token=") })
            {
                Assert.False(answer.Upgraded, $"/{path} with {what} {form} was upgraded");
                Assert.True(answer.Status == HttpStatusCode.Unauthorized, $"/{path} with {what} {form} answered {(int)answer.Status}: {answer.Body}");
            }
        }

        // And a real WebSocket client sees the refusal as a failed connect with HTTP 401.
        Assert.Equal(HttpStatusCode.Unauthorized, await ChatClient.RefusedStatusAsync(new Uri(host.BaseUri, "ws"), token));
    }

    private static async Task AssertUnauthorizedProblemAsync(HttpResponseMessage response, string what)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{what} answered {(int)response.StatusCode}: {body}");
        Assert.Equal(new MediaTypeHeaderValue("application/problem+json").MediaType, response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(body);
        Assert.Equal("unauthorized", problem.RootElement.GetProperty("code").GetString());
        Assert.Equal(401, problem.RootElement.GetProperty("status").GetInt32());
    }

    // Another character of the token alphabet, so that the result still looks like a token.
    private static char Other(char c) => Base64UrlAlphabet[(Base64UrlAlphabet.IndexOf(c, StringComparison.Ordinal) + 1) % Base64UrlAlphabet.Length];
}
