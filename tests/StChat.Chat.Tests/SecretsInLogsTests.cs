using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using StChat.Chat.Tests.Infrastructure;
using StChat.Testing;
using Xunit;

namespace StChat.Chat.Tests;

// The real server process, logging everything of StChat and ASP.NET Core, through a whole session's life: sign-up,
// sign-in, failed sign-ins, REST calls of accounts and conversations, WebSockets with the token in the header and in
// the URL, sign-out. Its output
// must hold no password and no token, in any encoding, whichever way the log levels are raised.
public sealed class SecretsInLogsTests(PostgresDatabaseFixture database) : IClassFixture<PostgresDatabaseFixture>
{
    [Theory]
    [InlineData("Logging:LogLevel")]
    [InlineData("Logging:Console:LogLevel")]
    public async Task A_full_session_at_trace_level_leaves_no_password_or_token_in_the_server_output(string levels)
    {
        var prefix = levels.Replace(":", "__", StringComparison.Ordinal);
        await using var server = new ChatServerProcess(database.ConnectionString, new Dictionary<string, string>
        {
            [$"{prefix}__Default"] = "Trace",
            [$"{prefix}__StChat"] = "Trace",
            [$"{prefix}__Microsoft.AspNetCore"] = "Trace",
            ["Chat__PasswordIterations"] = "10000",
        });
        await server.StartAsync();
        using var http = new HttpClient { BaseAddress = server.HttpUri };

        var annPassword = "Ann.Secret-" + Guid.NewGuid().ToString("N")[..12];
        var bobPassword = $"bob's pass/word+{Guid.NewGuid():N} & more?=";
        var wrongPassword = $"wrong pass/{Guid.NewGuid():N}+%";
        var (ann, bob) = ("ann" + Guid.NewGuid().ToString("N")[..8], "bob" + Guid.NewGuid().ToString("N")[..8]);
        Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("api/accounts", new { name = ann, password = annPassword })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("api/accounts", new { name = bob, password = bobPassword })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.PostAsJsonAsync("api/accounts", new { name = bobPassword, password = bobPassword })).StatusCode);

        var annToken = await SignInAsync(http, ann, annPassword);
        var bobToken = await SignInAsync(http, bob, bobPassword);
        var changedToken = annToken[..^2] + (annToken[^2] == 'A' ? 'B' : 'A') + annToken[^1];

        // Failures: a wrong password, a password typed into the name field, an unknown name, a password alone.
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.PostAsJsonAsync("api/sessions", new { name = ann, password = wrongPassword })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.PostAsJsonAsync("api/sessions", new { name = annPassword, password = annPassword })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.PostAsJsonAsync("api/sessions", new { name = "nobody" + Guid.NewGuid().ToString("N")[..8], password = wrongPassword })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.PostAsJsonAsync("api/sessions", new { password = bobPassword })).StatusCode);

        // REST with the token in the header, a changed token, and a token where it does not belong: the URL.
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(http, HttpMethod.Get, "api/me", annToken)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(http, HttpMethod.Get, $"api/users?query={bob[..3]}", annToken)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await SendAsync(http, HttpMethod.Post, "api/groups", annToken, new { title = "Secretive", members = new[] { bob } })).StatusCode);
        var direct = Uri.EscapeDataString(string.Join(':', new[] { ann, bob }.Order(StringComparer.Ordinal).Prepend("dm")));
        Assert.Equal(HttpStatusCode.Created, (await SendAsync(http, HttpMethod.Post, $"api/conversations/{direct}/messages", annToken, new { text = "over REST" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(http, HttpMethod.Get, $"api/conversations/{direct}/events?after=0", bobToken)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(http, HttpMethod.Put, $"api/conversations/{direct}/read", bobToken, new { seq = 1 })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(http, HttpMethod.Get, "api/conversations", bobToken)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(http, HttpMethod.Get, "api/me", changedToken)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(http, HttpMethod.Get, $"api/me?access_token={bobToken}", token: null)).StatusCode);

        // WebSockets: the browser's way (?access_token=), the header, and refused upgrades.
        var room = "r" + Guid.NewGuid().ToString("N")[..12];
        await using var annWs = await ChatClient.ConnectAsync(new Uri(server.BaseUri, $"ws?access_token={Uri.EscapeDataString(annToken)}"));
        await using var annDm = await ChatClient.ConnectAsync(new Uri(server.BaseUri, $"dm/{bob}?access_token={annToken}&after=0"));
        await using var bobRoom = await ChatClient.ConnectAsync(new Uri(server.BaseUri, $"rooms/{room}"), bobToken);
        await annWs.SendAsync(new { action = "subscribe", room });
        await annWs.ReceiveUntilActionAsync("subscribed");
        await annWs.SendAsync(new { action = "message", room, message = "hello", id = "m-1" });
        await bobRoom.ReceiveUntilAsync(f => f.IsMessage("m-1"));
        await annDm.SendAsync("""{"message":"hi Bob","id":"dm-1"}""");
        await annDm.ReceiveUntilActionAsync("ack");
        Assert.False((await UpgradeRequest.SendAsync(server.HttpUri, $"ws?access_token={changedToken}")).Upgraded);
        Assert.False((await UpgradeRequest.SendAsync(server.HttpUri, "ws", changedToken)).Upgraded);

        // Sign-out closes Ann's sockets; her token is refused afterwards, from the URL too.
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(http, HttpMethod.Delete, "api/sessions/current", annToken)).StatusCode);
        await annWs.ReceiveUntilClosedAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, (await UpgradeRequest.SendAsync(server.HttpUri, $"ws?access_token={annToken}")).Status);

        await server.TerminateAsync();
        var log = server.Log;

        // The scan means something only if the levels took effect and the scenario was logged.
        Assert.Contains("dbug: Microsoft.AspNetCore", log, StringComparison.Ordinal);
        Assert.Contains($"{ann} signed in", log, StringComparison.Ordinal);
        Assert.Contains($"{ann} signed out", log, StringComparison.Ordinal);
        Assert.Contains("Failed sign-in", log, StringComparison.Ordinal);
        Assert.Contains($"Request starting HTTP/1.1 GET http://127.0.0.1:{server.Port}/dm/{bob}?after=0 ", log, StringComparison.Ordinal);

        string[] secrets = [annPassword, bobPassword, wrongPassword, annToken, bobToken, changedToken];
        foreach (var secret in secrets)
        {
            foreach (var form in Encodings(secret))
            {
                if (log.IndexOf(form, StringComparison.Ordinal) is var at and >= 0)
                {
                    Assert.Fail($"The server output holds a secret ('{form}'):\n{Line(log, at)}");
                }
            }
        }
    }

    private static async Task<string> SignInAsync(HttpClient http, string name, string password)
    {
        using var response = await http.PostAsJsonAsync("api/sessions", new { name, password });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("token").GetString()!;
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpMethod method, string path, string? token, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
            request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        }

        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await http.SendAsync(request);
    }

    // A secret as it could be written: as is, URL-encoded either way, JSON-escaped, and (for tokens) its first half.
    private static IEnumerable<string> Encodings(string secret) => new[]
    {
        secret,
        Uri.EscapeDataString(secret),
        WebUtility.UrlEncode(secret),
        JsonSerializer.Serialize(secret)[1..^1],
        secret[..(secret.Length / 2)],
    }.Distinct(StringComparer.Ordinal);

    private static string Line(string log, int at)
    {
        var start = log.LastIndexOf('\n', at) + 1;
        var end = log.IndexOf('\n', at);
        return log[start..(end < 0 ? log.Length : end)];
    }
}
