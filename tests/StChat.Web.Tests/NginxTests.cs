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
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        await ThroughNginx.AssertServesThePageAndWebSocketsAsync(nginx.HttpUri, timeout.Token);
    }

    [Fact]
    public async Task The_access_log_keeps_no_token_from_a_WebSocket_url()
    {
        await using var nginx = await NginxProcess.StartAsync(stack.Serve.Port);
        var secret = "tok" + Guid.NewGuid().ToString("N");
        using var socket = new System.Net.WebSockets.ClientWebSocket();
        var url = new UriBuilder(nginx.HttpUri) { Scheme = "ws", Path = "/ws", Query = "access_token=" + secret }.Uri;
        // The made-up token is refused (401), but the request has passed through nginx and its log.
        await Assert.ThrowsAsync<System.Net.WebSockets.WebSocketException>(() => socket.ConnectAsync(url, CancellationToken.None));

        await StChat.Testing.Eventually.Until(() => Task.FromResult(nginx.AccessLog.Contains("GET /ws ", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(10), "nginx logs the request");
        Assert.DoesNotContain(secret, nginx.AccessLog, StringComparison.Ordinal);
    }

    // nginx's workers run as nobody when the master is root; they cannot enter /root/stchat or a mktemp -d folder.
    [RootFact]
    public async Task As_root_nginx_serves_a_page_kept_under_a_private_directory()
    {
        var privateDir = Directory.CreateTempSubdirectory("stchat-private-");
        try
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(privateDir.FullName));
            var web = Path.Combine(privateDir.FullName, "checkout", "web");
            CopyDirectory(Path.Combine(Repository.Root, "web"), web);

            await using var nginx = await NginxProcess.StartAsync(stack.Serve.Port, web);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

            await ThroughNginx.AssertServesThePageAndWebSocketsAsync(nginx.HttpUri, timeout.Token);
        }
        finally
        {
            privateDir.Delete(recursive: true);
        }
    }

    private static void CopyDirectory(string source, string target)
    {
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy);
        }
    }
}
