using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Npgsql;
using StChat.Chat.Tests.Infrastructure;
using StChat.Testing;
using Xunit;

namespace StChat.Chat.Tests;

// The edge of the server against a real Kestrel host each: Origin checks, per-address caps and rates, REST rate limits,
// body size limits and trusted proxies, each with limits small enough to hit at once.
public sealed class ClientLimitsTests(PostgresDatabaseFixture database) : IClassFixture<PostgresDatabaseFixture>
{
    private const string Allowed = "https://chat.example.com";

    [Fact]
    public async Task Upgrades_from_a_foreign_origin_are_refused_with_403_on_every_socket_path_and_others_are_accepted()
    {
        await using var host = await ChatHost.StartAsync(database.ConnectionString, new Dictionary<string, string?> { ["AllowedOrigins:0"] = Allowed });
        var foreign = new Dictionary<string, string> { ["Origin"] = "https://evil.example" };

        foreach (var path in (string[])["/", "/rooms/dev", "/ws", "/dm/bob", "/groups/0123456789abcdef0123", "/no-such-socket"])
        {
            var refused = await UpgradeRequest.SendAsync(host.HttpUri, path, headers: foreign);
            Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
            Assert.Equal("origin_not_allowed", ProblemCode(refused.ContentType, refused.Body));
        }

        var own = new Dictionary<string, string> { ["Origin"] = host.HttpUri.GetLeftPart(UriPartial.Authority) };
        var configured = new Dictionary<string, string> { ["Origin"] = Allowed.ToUpperInvariant() + ":443" };
        var sameHostOtherPort = new Dictionary<string, string> { ["Origin"] = $"http://127.0.0.1:{host.HttpUri.Port + 1}" };
        Assert.True((await UpgradeRequest.SendAsync(host.HttpUri, "/rooms/dev?name=NoOrigin")).Upgraded);
        Assert.True((await UpgradeRequest.SendAsync(host.HttpUri, "/rooms/dev?name=Own", headers: own)).Upgraded);
        Assert.True((await UpgradeRequest.SendAsync(host.HttpUri, "/rooms/dev?name=Listed", headers: configured)).Upgraded);
        Assert.Equal(HttpStatusCode.Forbidden, (await UpgradeRequest.SendAsync(host.HttpUri, "/rooms/dev", headers: sameHostOtherPort)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await UpgradeRequest.SendAsync(host.HttpUri, "/rooms/dev", headers: new Dictionary<string, string> { ["Origin"] = "null" })).Status);

        // Plain REST requests are not upgrades and carry no ambient credentials: the Origin check leaves them alone.
        using var http = new HttpClient { BaseAddress = host.HttpUri };
        using var me = new HttpRequestMessage(HttpMethod.Get, "api/me") { Headers = { { "Origin", "https://evil.example" } } };
        using var answer = await http.SendAsync(me);
        Assert.Equal(HttpStatusCode.Unauthorized, answer.StatusCode);
        Assert.False(answer.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task Sockets_beyond_the_per_address_cap_are_refused_with_429_until_one_of_them_closes()
    {
        await using var host = await ChatHost.StartAsync(database.ConnectionString, new Dictionary<string, string?> { ["MaxConnectionsPerAddress"] = "3" });
        var open = new List<ChatClient>();
        for (var i = 0; i < 3; i++)
        {
            open.Add(await host.ConnectAsync("cap", $"name=User{i}"));
        }

        var refused = await UpgradeRequest.SendAsync(host.HttpUri, "/rooms/cap?name=Fourth");
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.Status);
        Assert.Equal("rate_limited", ProblemCode(refused.ContentType, refused.Body));
        Assert.Contains("at most 3", refused.Body, StringComparison.Ordinal);

        await open[0].DisposeAsync();
        await Eventually.Until(async () => (await UpgradeRequest.SendAsync(host.HttpUri, "/rooms/cap?name=Fourth")).Upgraded,
            TimeSpan.FromSeconds(15), "a fourth socket is accepted once one of the three has closed");
        foreach (var client in open.Skip(1))
        {
            await client.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_reconnect_loop_is_refused_with_429_and_Retry_After_so_chat_log_gets_no_more_joins_than_the_burst()
    {
        await using var host = await ChatHost.StartAsync(database.ConnectionString, new Dictionary<string, string?>
        {
            ["JoinBurstPerAddress"] = "5",
            ["JoinsPerAddressPerMinute"] = "1",
        });
        var room = "loop-" + Guid.NewGuid().ToString("N")[..8];
        var started = DateTime.UtcNow;
        var accepted = 0;
        UpgradeAnswer? refused = null;
        for (var i = 0; i < 40; i++)
        {
            var answer = await UpgradeRequest.SendAsync(host.HttpUri, $"/rooms/{room}?name=Looper{i}");
            if (answer.Upgraded)
            {
                accepted++;
            }
            else
            {
                refused ??= answer;
            }
        }

        // One token a minute after the burst of five.
        var refills = (int)Math.Ceiling((DateTime.UtcNow - started).TotalMinutes);
        Assert.InRange(accepted, 5, 5 + refills);
        Assert.NotNull(refused);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.Status);
        Assert.Equal("rate_limited", ProblemCode(refused.ContentType, refused.Body));
        Assert.True(refused.RetryAfter >= TimeSpan.FromSeconds(1), $"Retry-After: {refused.RetryAfter}");

        // Each accepted socket wrote its join and, once closed, its exit; the refused ones wrote nothing.
        await Eventually.Until(async () => await CountAsync(room, "exit") == accepted, TimeSpan.FromSeconds(30), "every accepted socket's exit is stored");
        Assert.Equal(accepted, await CountAsync(room, "join"));
    }

    [Fact]
    public async Task Rest_requests_over_the_per_session_rate_get_429_with_Retry_After_while_another_session_goes_on()
    {
        await using var host = await ChatHost.StartAsync(database.ConnectionString, new Dictionary<string, string?>
        {
            ["PasswordIterations"] = "10000",
            ["RequestsPerSessionPerMinute"] = "5",
        });
        var ann = await TestAccounts.SignUpAsync(host, "ann");
        var bob = await TestAccounts.SignUpAsync(host, "bob");
        using var annHttp = TestAccounts.Client(host, ann.Token);
        using var bobHttp = TestAccounts.Client(host, bob.Token);

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await annHttp.GetAsync("api/me")).StatusCode);
        }

        using var refused = await annHttp.GetAsync("api/me");
        await AssertRateLimitedAsync(refused);
        Assert.Equal(HttpStatusCode.OK, (await bobHttp.GetAsync("api/me")).StatusCode);
    }

    [Fact]
    public async Task Rest_requests_over_the_per_address_rate_get_429_signed_in_or_not_and_other_paths_are_not_limited()
    {
        await using var host = await ChatHost.StartAsync(database.ConnectionString, new Dictionary<string, string?> { ["RequestsPerAddressPerMinute"] = "4" });
        using var http = new HttpClient { BaseAddress = host.HttpUri };
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("api/me")).StatusCode);
        }

        using var refused = await http.PostAsJsonAsync("api/sessions", new { name = "ann", password = "whatever it is" });
        await AssertRateLimitedAsync(refused);

        // Outside /api (here the OpenAPI document) nothing is counted.
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("openapi/v1.json")).StatusCode);
        }
    }

    [Fact]
    public async Task A_body_over_MaxRequestBodyBytes_is_refused_with_a_413_problem_whether_announced_or_chunked()
    {
        await using var host = await ChatHost.StartAsync(database.ConnectionString, new Dictionary<string, string?> { ["MaxRequestBodyBytes"] = "1024" });
        using var http = new HttpClient { BaseAddress = host.HttpUri };
        var json = JsonSerializer.Serialize(new { name = "ann", password = new string('p', 2000) });

        using var announced = await http.PostAsync("api/accounts", new StringContent(json, Encoding.UTF8, "application/json"));
        await AssertTooLargeAsync(announced);

        using var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(json)));
        chunked.Headers.ContentType = new("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/accounts") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        await AssertTooLargeAsync(await http.SendAsync(request));

        // A body under the limit still reaches the handler.
        using var small = await http.PostAsJsonAsync("api/accounts", new { name = "x", password = "short" });
        Assert.Equal(HttpStatusCode.BadRequest, small.StatusCode);
    }

    [Fact]
    public async Task X_Forwarded_For_sets_the_address_of_the_per_address_cap_only_when_the_peer_is_a_trusted_proxy()
    {
        var cap = new Dictionary<string, string?> { ["MaxConnectionsPerAddress"] = "1" };
        await using (var trusting = await ChatHost.StartAsync(database.ConnectionString, new Dictionary<string, string?>(cap) { ["TrustedProxies:0"] = "127.0.0.0/8" }))
        {
            using var first = await ConnectForwardedAsync(trusting, "10.1.1.1");
            using var second = await ConnectForwardedAsync(trusting, "10.1.1.2");
            var again = await UpgradeRequest.SendAsync(trusting.HttpUri, "/rooms/proxy", headers: Forwarded("10.1.1.1"));
            Assert.Equal(HttpStatusCode.TooManyRequests, again.Status);
        }

        await using var untrusting = await ChatHost.StartAsync(database.ConnectionString, cap);
        using var only = await ConnectForwardedAsync(untrusting, "10.1.1.1");
        var other = await UpgradeRequest.SendAsync(untrusting.HttpUri, "/rooms/proxy", headers: Forwarded("10.1.1.2"));
        Assert.Equal(HttpStatusCode.TooManyRequests, other.Status);
    }

    [Fact]
    public async Task An_IPv6_client_counts_by_its_64_network_so_fresh_addresses_in_it_do_not_escape_the_cap()
    {
        await using var host = await ChatHost.StartAsync(database.ConnectionString, new Dictionary<string, string?>
        {
            ["MaxConnectionsPerAddress"] = "1",
            ["TrustedProxies:0"] = "127.0.0.0/8",
        });
        using var first = await ConnectForwardedAsync(host, "2001:db8:1:2::1");

        var sameNetwork = await UpgradeRequest.SendAsync(host.HttpUri, "/rooms/proxy", headers: Forwarded("2001:db8:1:2:ffff::7"));
        Assert.Equal(HttpStatusCode.TooManyRequests, sameNetwork.Status);

        using var otherNetwork = await ConnectForwardedAsync(host, "2001:db8:1:3::1");
        Assert.Equal(WebSocketState.Open, otherNetwork.State);
    }

    private static Dictionary<string, string> Forwarded(string address) => new() { ["X-Forwarded-For"] = address };

    private static async Task<ClientWebSocket> ConnectForwardedAsync(ChatHost host, string address)
    {
        var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("X-Forwarded-For", address);
        using var timeout = new CancellationTokenSource(ChatClient.DefaultTimeout);
        await socket.ConnectAsync(host.Room("proxy"), timeout.Token);
        return socket;
    }

    private async Task<long> CountAsync(string room, string action)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM chat_log WHERE room = $1 AND action = $2", connection)
        {
            Parameters = { new() { Value = room }, new() { Value = action } },
        };
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static string? ProblemCode(string? contentType, string body)
    {
        Assert.Equal("application/problem+json", contentType);
        using var problem = JsonDocument.Parse(body);
        return problem.RootElement.GetProperty("code").GetString();
    }

    private static async Task AssertRateLimitedAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.True(response.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), $"Retry-After: {response.Headers.RetryAfter}");
        Assert.Equal("rate_limited", ProblemCode(response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync()));
    }

    private static async Task AssertTooLargeAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        ProblemCode(response.Content.Headers.ContentType?.MediaType, body);
        Assert.Contains("1024 bytes", body, StringComparison.Ordinal);
    }
}
