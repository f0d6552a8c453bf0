using System.Net;
using System.Net.WebSockets;
using StChat.Web.Tests.Infrastructure;
using Xunit;

namespace StChat.Web.Tests;

[Collection(StackCollection.Name)]
public sealed class NginxTests(StackFixture stack)
{
    [Fact]
    public async Task Rendered_configuration_passes_nginx_t()
    {
        var nginx = ExternalTool.Require("nginx", "nginx", "/usr/sbin/nginx");
        var prefix = Path.Combine("/tmp", $"stchat-nginx-t-{Guid.NewGuid():N}"[..26]);
        try
        {
            var conf = NginxProcess.Render(prefix, 18080, "127.0.0.1:8888");
            var (exitCode, output) = await ExternalTool.RunAsync(nginx, [.. NginxProcess.Arguments(prefix, conf), "-t"], prefix, TimeSpan.FromMinutes(1));
            Assert.True(exitCode == 0, $"nginx -t failed:\n{output}");
        }
        finally
        {
            Directory.Delete(prefix, recursive: true);
        }
    }

    [Fact]
    public async Task Nginx_serves_the_page_and_proxies_WebSockets_of_rooms_and_of_the_lobby()
    {
        await using var nginx = await NginxProcess.StartAsync(stack.Serve.Port);
        using var http = new HttpClient();

        using var page = await http.GetAsync(nginx.HttpUri);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("<title>StChat</title>", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var script = await http.GetAsync(new Uri(nginx.HttpUri, "app.js"));
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var ws = new UriBuilder(nginx.HttpUri) { Scheme = "ws" };

        using var room = new ClientWebSocket();
        await room.ConnectAsync(new UriBuilder(ws.Uri) { Path = "/rooms/via-nginx", Query = "name=Proxied" }.Uri, timeout.Token);
        var joined = await ChatPageServingTests.ReceiveUntilAsync(room, "\"user\":\"Proxied\"", timeout.Token);
        Assert.Contains("\"room\":\"via-nginx\"", joined, StringComparison.Ordinal);

        using var lobby = new ClientWebSocket();
        await lobby.ConnectAsync(new UriBuilder(ws.Uri) { Query = "name=LobbyViaNginx" }.Uri, timeout.Token);
        var lobbyJoin = await ChatPageServingTests.ReceiveUntilAsync(lobby, "\"user\":\"LobbyViaNginx\"", timeout.Token);
        Assert.Contains("\"room\":\"lobby\"", lobbyJoin, StringComparison.Ordinal);

        await room.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
        await lobby.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
    }
}
