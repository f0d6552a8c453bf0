using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using StChat.Testing;
using StChat.Web.Tests.Infrastructure;
using Xunit;

namespace StChat.Web.Tests;

// /healthz, /readyz and /metrics of the real server processes, with the real PostgreSQL and nats-server stopped,
// paused and missing JetStream underneath them.
public sealed class OperationsTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private PostgresCluster? _cluster;
    private NatsServer? _nats;

    private PostgresCluster Cluster => _cluster!;

    private NatsServer Nats => _nats!;

    public async ValueTask InitializeAsync()
    {
        // Private servers: stopping them must not disturb other tests.
        _cluster = await PostgresCluster.StartAsync();
        _nats = await NatsServer.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (_nats is not null)
        {
            await _nats.DisposeAsync();
        }

        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    [Fact]
    public async Task Serve_is_ready_and_readyz_names_PostgreSQL_while_it_is_stopped_or_paused()
    {
        await using var serve = await ServeProcess.StartAsync(await Cluster.CreateDatabaseAsync("ops_pg"), Nats.Url);
        var ready = await ReadyAsync(serve);
        Assert.Equal(["jetstream", "nats", "postgres", "startup"], ready.GetProperty("checks").EnumerateObject().Select(p => p.Name).Order());

        await Cluster.StopAsync();
        var stopped = await NotReadyAsync(serve, "postgres");
        Assert.Contains("PostgreSQL is not reachable", Detail(stopped), StringComparison.Ordinal);
        await AssertLiveAsync(serve);

        await Cluster.StartAgainAsync();
        await ReadyAsync(serve);

        // A paused server answers nothing at all; the probe gives up on it instead of hanging /readyz.
        await Cluster.PauseAsync();
        try
        {
            var paused = await NotReadyAsync(serve, "postgres");
            Assert.Contains("PostgreSQL did not answer within", Detail(paused), StringComparison.Ordinal);
            await AssertLiveAsync(serve);
        }
        finally
        {
            await Cluster.UnpauseAsync();
        }

        await ReadyAsync(serve);
    }

    [Fact]
    public async Task Before_PostgreSQL_can_be_reached_the_process_is_live_and_only_the_operations_paths_answer()
    {
        var database = await Cluster.CreateDatabaseAsync("ops_start");
        await Cluster.StopAsync();
        await using var serve = await ServeProcess.StartAsync("serve", database, Nats.Url, new Dictionary<string, string>(), untilStarted: false);

        await Eventually.Until(async () =>
        {
            using var response = await _http.GetAsync(new Uri(serve.HttpUri, "healthz"));
            return response.StatusCode == HttpStatusCode.OK;
        }, Patience, "/healthz answers while the schema migration waits for PostgreSQL");
        var starting = await NotReadyAsync(serve, "startup");
        Assert.Equal("Unhealthy", starting.GetProperty("checks").GetProperty("postgres").GetProperty("status").GetString());
        using (var page = await _http.GetAsync(serve.HttpUri))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, page.StatusCode);
            Assert.NotNull(page.Headers.RetryAfter);
        }

        await Cluster.StartAgainAsync();
        await ReadyAsync(serve);
        using var started = await _http.GetAsync(serve.HttpUri);
        Assert.Equal(HttpStatusCode.OK, started.StatusCode);
    }

    [Fact]
    public async Task Chat_on_NATS_is_not_ready_while_NATS_is_down()
    {
        await using var chat = await ServeProcess.StartAsync("chat", await Cluster.CreateDatabaseAsync("ops_nats"), Nats.Url,
            new Dictionary<string, string> { ["Chat__Bus"] = "nats" });
        var ready = await ReadyAsync(chat);
        Assert.Equal(["nats", "postgres", "startup"], ready.GetProperty("checks").EnumerateObject().Select(p => p.Name).Order());

        await Nats.StopAsync();
        var down = await NotReadyAsync(chat, "nats");
        Assert.DoesNotContain("postgres:", Detail(down), StringComparison.Ordinal);
        await AssertLiveAsync(chat);

        await Nats.RestartAsync();
        await ReadyAsync(chat);
        var page = await Prometheus.ScrapeAsync(_http, new Uri(chat.HttpUri, "metrics"));
        Assert.True(Prometheus.Sum(page, "nats_client_reconnects_total") >= 1, page);
    }

    [Fact]
    public async Task Ingest_is_not_ready_on_a_NATS_server_without_JetStream()
    {
        await using var plain = await NatsServer.StartAsync(new NatsServerOptions { JetStream = false });
        await using var ingest = await ServeProcess.StartAsync("ingest", await Cluster.CreateDatabaseAsync("ops_js"), plain.Url,
            new Dictionary<string, string>());

        var notReady = await NotReadyAsync(ingest, "jetstream");
        Assert.DoesNotContain("postgres:", Detail(notReady), StringComparison.Ordinal);
        Assert.DoesNotContain("nats:", Detail(notReady), StringComparison.Ordinal);
        await AssertLiveAsync(ingest);
    }

    [Fact]
    public async Task Metrics_move_with_feed_messages_and_chat_messages()
    {
        // One frame per second: the frames sent back to back after the message are over the limit.
        await using var serve = await ServeProcess.StartAsync("serve", await Cluster.CreateDatabaseAsync("ops_metrics"), Nats.Url,
            new Dictionary<string, string> { ["Chat__MessagesPerSecond"] = "1", ["Chat__MessageBurst"] = "1" });
        await ReadyAsync(serve);
        var metrics = new Uri(serve.HttpUri, "metrics");

        var (exitCode, output) = await ExternalTool.RunAsync("dotnet",
            [Repository.ServerDll, "feeds", "--count", "25", "--rate", "0"], Repository.Root, Patience,
            new Dictionary<string, string> { ["Nats__Url"] = Nats.Url });
        Assert.True(exitCode == 0, output);
        await Eventually.Until(async () => Prometheus.Sum(await Prometheus.ScrapeAsync(_http, metrics), "stchat_ingest_messages_stored_total") >= 50,
            Patience, "the 50 feed messages are counted as stored");

        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{serve.Port.ToString(CultureInfo.InvariantCulture)}/rooms/metrics?name=Ann"), CancellationToken.None);
        await socket.SendAsync("""{"message":"hello","id":"metrics-1"}"""u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        await ReceiveUntilAsync(socket, "\"ack\"");
        for (var i = 0; i < 5; i++)
        {
            await socket.SendAsync("""{"action":"ping"}"""u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        }

        await ReceiveUntilAsync(socket, "\"rate_limited\"");

        // The exporter may answer a scrape from its short-lived cache of the previous one.
        var page = "";
        await Eventually.Until(async () =>
        {
            page = await Prometheus.ScrapeAsync(_http, metrics);
            return Prometheus.Sum(page, "stchat_chat_events_committed_total", "stchat_chat_action=\"message\"") is not null;
        }, Patience, "the chat message is counted");
        Assert.True(Prometheus.Sum(page, "stchat_ingest_messages_consumed_total") >= 50, page);
        Assert.Equal(0, Prometheus.Sum(page, "stchat_ingest_messages_rejected_total"));
        Assert.True(Prometheus.Sum(page, "stchat_ingest_batch_size_count") >= 1, page);
        Assert.True(Prometheus.Sum(page, "stchat_ingest_store_duration_seconds_count") >= 1, page);
        Assert.Equal(0, Prometheus.Sum(page, "stchat_ingest_consumer_pending"));
        Assert.True(Prometheus.Sum(page, "stchat_ingest_lag_seconds") >= 0, page);

        Assert.Equal(1, Prometheus.Sum(page, "stchat_chat_connections"));
        Assert.Equal(1, Prometheus.Sum(page, "stchat_chat_conversations_followed"));
        Assert.Equal(1, Prometheus.Sum(page, "stchat_chat_events_committed_total", "stchat_chat_action=\"message\""));
        Assert.Equal(1, Prometheus.Sum(page, "stchat_chat_events_committed_total", "stchat_chat_action=\"join\""));
        Assert.True(Prometheus.Sum(page, "stchat_chat_commit_duration_seconds_count") >= 1, page);
        Assert.True(Prometheus.Sum(page, "stchat_chat_fanout_duration_seconds_count") >= 1, page);
        Assert.True(Prometheus.Sum(page, "stchat_chat_frames_rate_limited_total") >= 1, page);

        // The instrumented libraries and ASP.NET Core's own meters are exported too.
        Assert.True(Prometheus.Sum(page, "nats_client_active_subscriptions") > 0, page);

        // NATS.Net's per-message instruments are dropped (see OperationsServiceCollectionExtensions).
        Assert.DoesNotContain("\nnats_client_sent_bytes", page, StringComparison.Ordinal);
        Assert.DoesNotContain("\nmessaging_client_", page, StringComparison.Ordinal);
        Assert.Contains("\ndb_client_connection", page, StringComparison.Ordinal);
        Assert.True(Prometheus.Sum(page, "http_server_request_duration_seconds_count") >= 1, page);
        Assert.Contains("\nkestrel_active_connections", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_Metrics_Url_metrics_are_served_only_on_that_address_and_it_serves_nothing_else()
    {
        var metricsPort = TestPorts.GetFreeTcpPort();
        await using var ingest = await ServeProcess.StartAsync("ingest", await Cluster.CreateDatabaseAsync("ops_url"), Nats.Url,
            new Dictionary<string, string> { ["Metrics__Url"] = $"http://127.0.0.1:{metricsPort.ToString(CultureInfo.InvariantCulture)}" });
        var metricsAddress = new Uri($"http://127.0.0.1:{metricsPort.ToString(CultureInfo.InvariantCulture)}/");
        await ReadyAsync(ingest);

        using (var publicMetrics = await _http.GetAsync(new Uri(ingest.HttpUri, "metrics")))
        {
            Assert.Equal(HttpStatusCode.NotFound, publicMetrics.StatusCode);
        }

        var page = await Prometheus.ScrapeAsync(_http, new Uri(metricsAddress, "metrics"));
        Assert.True(Prometheus.Sum(page, "http_server_request_duration_seconds_count", "http_route=\"/readyz\"") >= 1, page);

        using var ready = await _http.GetAsync(new Uri(metricsAddress, "readyz"));
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        using var other = await _http.GetAsync(new Uri(metricsAddress, "openapi/v1.json"));
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
    }

    private async Task AssertLiveAsync(ServeProcess process)
    {
        using var response = await _http.GetAsync(new Uri(process.HttpUri, "healthz"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private async Task<JsonElement> ReadyAsync(ServeProcess process)
    {
        JsonElement body = default;
        await Eventually.Until(async () =>
        {
            using var response = await _http.GetAsync(new Uri(process.HttpUri, "readyz"));
            body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
            return response.StatusCode == HttpStatusCode.OK;
        }, Patience, "/readyz answers 200");
        Assert.Equal("Healthy", body.GetProperty("status").GetString());
        Assert.All(body.GetProperty("checks").EnumerateObject(), c => Assert.Equal("Healthy", c.Value.GetProperty("status").GetString()));
        return body;
    }

    // Waits for /readyz to answer 503 with `check` among the failing checks, and returns the problem detail.
    private async Task<JsonElement> NotReadyAsync(ServeProcess process, string check)
    {
        JsonElement body = default;
        await Eventually.Until(async () =>
        {
            using var response = await _http.GetAsync(new Uri(process.HttpUri, "readyz"));
            if (response.StatusCode != HttpStatusCode.ServiceUnavailable)
            {
                return false;
            }

            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
            return body.GetProperty("checks").GetProperty(check).GetProperty("status").GetString() == "Unhealthy";
        }, Patience, $"/readyz answers 503 naming {check}");
        Assert.Equal(503, body.GetProperty("status").GetInt32());
        Assert.Contains($"{check}: ", Detail(body), StringComparison.Ordinal);
        return body;
    }

    private static string Detail(JsonElement problem) => problem.GetProperty("detail").GetString() ?? "";

    private static async Task ReceiveUntilAsync(ClientWebSocket socket, string text)
    {
        using var timeout = new CancellationTokenSource(Patience);
        var buffer = new byte[64 * 1024];
        var frame = new StringBuilder();
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, timeout.Token);
            frame.Append(Encoding.UTF8.GetString(buffer, 0, result.Count));
            if (!result.EndOfMessage)
            {
                continue;
            }

            if (frame.ToString().Contains(text, StringComparison.Ordinal))
            {
                return;
            }

            frame.Clear();
        }
    }
}
