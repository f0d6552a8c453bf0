using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using StChat.Chat.Tests.Infrastructure;
using StChat.Testing;
using Xunit;

namespace StChat.Chat.Tests;

public sealed class ChatOutageTests
{
    [Fact]
    public async Task While_PostgreSQL_is_down_a_send_gets_a_retryable_error_nothing_is_broadcast_and_the_server_recovers()
    {
        // A private cluster: stopping it must not disturb other tests.
        await using var cluster = await PostgresCluster.StartAsync();
        var connectionString = await cluster.CreateDatabaseAsync("chat_outage");
        await using var host = await ChatHost.StartAsync(connectionString, new Dictionary<string, string?>
        {
            ["AckTimeout"] = "00:00:01",
            ["WriteAttemptTimeout"] = "00:00:00.500",
        });
        await using var sender = await host.ConnectAsync("outage", "name=Sender");
        await using var watcher = await host.ConnectAsync("outage", "name=Watcher");
        await watcher.ReceiveUntilAsync(f => f.Action() == "join" && f.Str("user") == "Watcher");
        await sender.ReceiveUntilAsync(f => f.Action() == "join" && f.Str("user") == "Watcher");

        await cluster.StopAsync();
        await sender.SendAsync("""{"message":"during the outage","id":"o-1"}""");
        var answer = (await sender.ReceiveUntilAsync(f => f.Str("id") == "o-1"))[^1];
        Assert.Equal("error", answer.Action());
        Assert.Equal("unavailable", answer.Str("code"));
        Assert.True(answer.GetProperty("retryable").GetBoolean());
        // The attempt may have committed with only its answer lost: the client is never told that nothing was stored.
        Assert.Contains("may not have been stored", answer.Str("message"), StringComparison.Ordinal);
        Assert.Contains("same id", answer.Str("message"), StringComparison.Ordinal);

        await cluster.StartAgainAsync();
        // The client does what the error says: it resends the same id until it is acked.
        await Eventually.Until(async () =>
        {
            await sender.SendAsync("""{"message":"during the outage","id":"o-1"}""");
            return (await sender.ReceiveUntilAsync(f => f.Str("id") == "o-1"))[^1].Action() == "ack";
        }, TimeSpan.FromSeconds(60), "the server stores messages again after PostgreSQL is back");
        await sender.SendAsync("""{"message":"after","id":"o-2"}""");

        var seen = (await watcher.ReceiveUntilAsync(f => f.IsMessage("o-2"))).Where(f => f.IsEvent()).ToList();
        Assert.Single(seen, f => f.IsMessage("o-1"));
        Assert.Equal(Enumerable.Range((int)seen[0].Seq(), seen.Count).Select(s => (long)s), seen.Select(f => f.Seq()));

        // A new pool: connections pooled in this process before the restart are dead.
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM chat_log WHERE client_msg_id = 'o-1'", connection);
        Assert.Equal(1L, (long)(await command.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task While_PostgreSQL_is_down_rest_requests_get_503_problem_details_and_work_again_after()
    {
        await using var cluster = await PostgresCluster.StartAsync();
        var connectionString = await cluster.CreateDatabaseAsync("rest_outage");
        await using var host = await ChatHost.StartAsync(connectionString, new Dictionary<string, string?>
        {
            ["AckTimeout"] = "00:00:01",
            ["WriteAttemptTimeout"] = "00:00:00.500",
        });
        var ann = await TestAccounts.SignUpAsync(host, "ann");
        using var http = TestAccounts.Client(host, ann.Token);

        await cluster.StopAsync();
        // Authentication itself reads the session from PostgreSQL: its failure is an outage, not a bad token.
        foreach (var response in new[] { await http.GetAsync("api/conversations"), await http.GetAsync("api/me") })
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("unavailable", JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("code").GetString());
            Assert.True(response.Headers.RetryAfter is not null);
        }

        await cluster.StartAgainAsync();
        await Eventually.Until(async () => (await http.GetAsync("api/me")).StatusCode == HttpStatusCode.OK,
            TimeSpan.FromSeconds(60), "REST requests succeed again after PostgreSQL is back");
        var me = await http.GetFromJsonAsync<JsonElement>("api/me");
        Assert.Equal(ann.Name, me.GetProperty("name").GetString());
    }
}
