using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using StChat.Testing;
using StChat.Web.Tests.Infrastructure;
using Xunit;

namespace StChat.Web.Tests;

// The Dockerfile and docker-compose.yml, run for real: image build, start-up in healthcheck order, the page and a
// WebSocket through nginx, feed rows stored in PostgreSQL, and nothing left after `down -v`.
public sealed class DockerComposeTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Compose_stack_serves_chat_through_nginx_stores_feeds_and_leaves_nothing_after_down()
    {
        if (!DockerEngine.IsAvailable)
        {
            // Only an explicit opt-out passes without Docker; a missing engine is a failure like any missing server.
            Assert.True(Environment.GetEnvironmentVariable(DockerEngine.SwitchVariable) is "false" or "0" && Environment.GetEnvironmentVariable("CI") != "true",
                $"No Docker engine answers ({DockerEngine.WhyUnavailable}). Start dockerd (CI's .ci/run does), or set {DockerEngine.SwitchVariable}=false to leave this test out.");
            return;
        }

        var project = new ComposeProject();
        var clock = Stopwatch.StartNew();
        try
        {
            await Step(project.BuildAsync(), "docker-compose build", clock);
            await Step(project.UpAsync(chatReplicas: 2), "docker-compose up -d --scale chat=2", clock);
            await ChecksAsync(project, clock);
        }
        catch
        {
            output.WriteLine((await project.LogsAsync()).Output);
            throw;
        }
        finally
        {
            var (exitCode, down) = await project.DownAsync();
            output.WriteLine($"[{clock.Elapsed.TotalSeconds:0.0} s] docker-compose down -v: exit {exitCode}\n{down}");
        }

        Assert.Equal("", await project.LeftoversAsync());
    }

    private async Task ChecksAsync(ComposeProject project, Stopwatch clock)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        await Eventually.Until(async () =>
        {
            using var page = await http.GetAsync(project.NginxUri);
            return page.StatusCode == HttpStatusCode.OK && (await page.Content.ReadAsStringAsync()).Contains("<title>StChat</title>", StringComparison.Ordinal);
        }, Patience, "nginx should serve the chat page");
        output.WriteLine($"[{clock.Elapsed.TotalSeconds:0.0} s] page served through nginx");

        using var timeout = new CancellationTokenSource(Patience);
        using var socket = new ClientWebSocket();
        var ws = new UriBuilder(project.NginxUri) { Scheme = "ws", Path = "/rooms/compose", Query = "name=Composer" }.Uri;
        await socket.ConnectAsync(ws, timeout.Token);
        await ChatPageServingTests.ReceiveUntilAsync(socket, "\"user\":\"Composer\"", timeout.Token);
        await socket.SendAsync(Encoding.UTF8.GetBytes("""{"message":"through nginx","id":"compose-1"}"""), WebSocketMessageType.Text, true, timeout.Token);
        var ack = await ChatPageServingTests.ReceiveUntilAsync(socket, "\"action\":\"ack\"", timeout.Token);
        Assert.Contains("\"id\":\"compose-1\"", ack, StringComparison.Ordinal);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
        output.WriteLine($"[{clock.Elapsed.TotalSeconds:0.0} s] WebSocket through nginx: joined, message acked");

        var (_, stored) = await project.PsqlAsync("SELECT count(*) FROM chat_log WHERE client_msg_id = 'compose-1'");
        Assert.Equal("1", stored.Trim());

        // Two sockets held open at once: least_conn gives the second to the other replica, which PostgreSQL's presence
        // rows confirm; a message sent on one node arrives on the other.
        var room = new UriBuilder(project.NginxUri) { Scheme = "ws", Path = "/rooms/replicas" };
        using var one = new ClientWebSocket();
        using var other = new ClientWebSocket();
        await one.ConnectAsync(new UriBuilder(room.Uri) { Query = "name=First" }.Uri, timeout.Token);
        await ChatPageServingTests.ReceiveUntilAsync(one, "\"user\":\"First\"", timeout.Token);
        await other.ConnectAsync(new UriBuilder(room.Uri) { Query = "name=Second" }.Uri, timeout.Token);
        await ChatPageServingTests.ReceiveUntilAsync(other, "\"user\":\"Second\"", timeout.Token);
        await Eventually.Until(async () => (await project.PsqlAsync("SELECT count(DISTINCT node) FROM chat_presence WHERE room = 'replicas'")).Output.Trim() == "2",
            Patience, "the two sockets are on two chat replicas");
        await other.SendAsync(Encoding.UTF8.GetBytes("""{"message":"across replicas","id":"compose-2"}"""), WebSocketMessageType.Text, true, timeout.Token);
        var crossed = await ChatPageServingTests.ReceiveUntilAsync(one, "\"id\":\"compose-2\"", timeout.Token);
        Assert.Contains("across replicas", crossed, StringComparison.Ordinal);
        output.WriteLine($"[{clock.Elapsed.TotalSeconds:0.0} s] a message sent on one chat replica arrived on the other");

        // The simulator publishes, ingest stores: the count read through psql in the postgres container grows.
        var first = await FeedRowsAsync(project, 0);
        output.WriteLine($"[{clock.Elapsed.TotalSeconds:0.0} s] feed rows: {first}");
        var later = await FeedRowsAsync(project, first);
        output.WriteLine($"[{clock.Elapsed.TotalSeconds:0.0} s] feed rows: {later}");
    }

    private static async Task<long> FeedRowsAsync(ComposeProject project, long moreThan)
    {
        long rows = -1;
        await Eventually.Until(async () =>
        {
            var (exitCode, text) = await project.PsqlAsync("SELECT (SELECT count(*) FROM sport_event) + (SELECT count(*) FROM execution)");
            return exitCode == 0 && long.TryParse(text.Trim(), out rows) && rows > moreThan;
        }, Patience, $"the feed tables should hold more than {moreThan} rows");
        return rows;
    }

    private async Task Step(Task<(int ExitCode, string Output)> command, string name, Stopwatch clock)
    {
        var (exitCode, text) = await command;
        output.WriteLine($"[{clock.Elapsed.TotalSeconds:0.0} s] {name}: exit {exitCode}");
        Assert.True(exitCode == 0, $"{name} exited with {exitCode}:\n{text}");
    }
}
