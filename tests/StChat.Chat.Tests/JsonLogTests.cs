using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using StChat.Chat.Tests.Infrastructure;
using StChat.Testing;
using Xunit;

namespace StChat.Chat.Tests;

// The real server process with Logging:Console:FormatterName=json: one JSON object per line, and the lines logged for
// a chat socket carry its socket id and, for an account, its session id as scopes.
public sealed class JsonLogTests(PostgresDatabaseFixture database) : IClassFixture<PostgresDatabaseFixture>
{
    [Fact]
    public async Task Chat_socket_lines_in_json_carry_the_socket_and_session_ids()
    {
        await using var server = new ChatServerProcess(database.ConnectionString, new Dictionary<string, string>
        {
            ["Logging__Console__FormatterName"] = "json",
            ["Logging__LogLevel__StChat"] = "Debug",
            ["Chat__PasswordIterations"] = "10000",
        });
        await server.StartAsync();
        using var http = new HttpClient { BaseAddress = server.HttpUri };
        var name = "json" + Guid.NewGuid().ToString("N")[..8];
        Assert.Equal(HttpStatusCode.Created, (await http.PostAsJsonAsync("api/accounts", new { name, password = TestAccounts.Password })).StatusCode);
        using var signIn = await http.PostAsJsonAsync("api/sessions", new { name, password = TestAccounts.Password });
        using var body = JsonDocument.Parse(await signIn.Content.ReadAsStringAsync());
        var token = body.RootElement.GetProperty("token").GetString()!;

        // Sockets that vanish without a close handshake: the server logs "connection ended" for each.
        var room = "json" + Guid.NewGuid().ToString("N")[..8];
        await AbortAfterJoinAsync(server.Room(room, "name=Anonymous"), null, "Anonymous");
        await AbortAfterJoinAsync(new Uri(server.BaseUri, $"rooms/{room}"), token, name);

        List<JsonElement> ended = [];
        await Eventually.Until(() =>
        {
            ended = JsonLines(server.Log).Where(l => l.GetProperty("Message").GetString()!.Contains("connection ended", StringComparison.Ordinal)).ToList();
            return Task.FromResult(ended.Count >= 2);
        }, TimeSpan.FromSeconds(30), "both aborted sockets are logged");

        var anonymous = ended.Single(l => l.GetProperty("Message").GetString()!.StartsWith("Anonymous:", StringComparison.Ordinal));
        var account = ended.Single(l => l.GetProperty("Message").GetString()!.StartsWith(name + ":", StringComparison.Ordinal));
        Assert.Equal("StChat.Chat.ChatSession", anonymous.GetProperty("Category").GetString());
        var anonymousSocket = Scope(anonymous, "SocketId");
        var accountSocket = Scope(account, "SocketId");
        Assert.NotNull(anonymousSocket);
        Assert.NotNull(accountSocket);
        Assert.NotEqual(anonymousSocket, accountSocket);
        Assert.Null(Scope(anonymous, "SessionId"));
        Assert.NotNull(Scope(account, "SessionId"));
        Assert.NotNull(Scope(account, "ConnectionId"));
        Assert.DoesNotContain(token, server.Log, StringComparison.Ordinal);
    }

    private static async Task AbortAfterJoinAsync(Uri uri, string? token, string user)
    {
        await using var client = await ChatClient.ConnectAsync(uri, token);
        await client.ReceiveUntilAsync(f => f.Action() == "join" && f.Str("user") == user);
        client.Abort();
    }

    private static IEnumerable<JsonElement> JsonLines(string log) =>
        log.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => JsonDocument.Parse(line).RootElement);

    // The value of a scope's key, as the JSON formatter writes scopes: an array of objects.
    private static string? Scope(JsonElement line, string key) =>
        line.TryGetProperty("Scopes", out var scopes)
            ? scopes.EnumerateArray()
                .Where(s => s.ValueKind == JsonValueKind.Object && s.TryGetProperty(key, out _))
                .Select(s => s.GetProperty(key).ToString())
                .FirstOrDefault()
            : null;
}
