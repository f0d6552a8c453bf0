using System.Diagnostics;
using System.Net.Security;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using StChat.Testing;
using StChat.Web.Tests.Infrastructure;
using Xunit;

namespace StChat.Web.Tests;

public sealed class UpTests(ITestOutputHelper output)
{
    [RootFact]
    public async Task As_root_in_a_private_checkout_up_keeps_its_data_where_the_servers_reach_it_and_serves_through_nginx()
    {
        await using var up = UpProcess.Start();
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(up.PrivateDirectory.FullName));
        var clock = Stopwatch.StartNew();

        // `up` builds the server first.
        await up.WaitUntilUpAsync(TimeSpan.FromMinutes(10));
        var startup = clock.Elapsed;

        Assert.Equal(up.ExpectedDataDirectory + "/", up.SummaryValue("Data"));
        Assert.Equal(up.ExpectedDataDirectory + "/logs/", up.SummaryValue("Logs"));
        Assert.True(File.Exists(Path.Combine(up.ExpectedDataDirectory, "postgres", "data", "PG_VERSION")), up.Output);
        var nginx = new Uri(up.SummaryValue("Via nginx"));
        Assert.Equal(up.NginxPort, nginx.Port);
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            await ThroughNginx.AssertServesThePageAndWebSocketsAsync(nginx, timeout.Token);
        }

        var (killed, killOutput) = await ExternalTool.RunAsync("/usr/bin/kill", ["-INT", up.Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], "/", TimeSpan.FromSeconds(30));
        Assert.True(killed == 0, killOutput);
        using (var stop = new CancellationTokenSource(TimeSpan.FromMinutes(2)))
        {
            await up.Process.WaitForExitAsync(stop.Token);
        }

        Assert.Equal(130, up.Process.ExitCode);
        Assert.Contains("stchat: stopped", up.Output, StringComparison.Ordinal);
        await Eventually.Until(() => Task.FromResult(up.ProcessesLeft().Count == 0), TimeSpan.FromSeconds(15),
            "every process `up` started has stopped");
        foreach (var port in (int[])[.. up.Ports, up.NginxPort])
        {
            Assert.False(await AcceptsAsync(port), $"port {port} still accepts connections after `up` stopped");
        }

        output.WriteLine($"`up` came up in {startup.TotalSeconds:0} s, build included");
    }

    [RootFact]
    public async Task Up_with_tls_serves_https_and_wss_with_a_certificate_it_made_and_refuses_plain_ws()
    {
        await using var up = UpProcess.Start(["--tls", "--rate", "1"]);
        await up.WaitUntilUpAsync(TimeSpan.FromMinutes(10));

        var certificatePath = up.SummaryValue("Certificate");
        Assert.Equal(Path.Combine(up.ExpectedDataDirectory, "tls", "cert.pem"), certificatePath);
        using var certificate = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(certificatePath));
        var page = new Uri(up.SummaryValue("Chat page"));
        Assert.Equal("https", page.Scheme);
        RemoteCertificateValidationCallback pinned = (_, served, _, _) => served?.GetCertHashString() == certificate.Thumbprint;

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using (var http = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, served, _, _) => served?.Thumbprint == certificate.Thumbprint }))
        {
            Assert.Contains("<title>StChat</title>", await http.GetStringAsync(page, timeout.Token), StringComparison.Ordinal);
        }

        var wss = new Uri(up.SummaryValue("WebSocket"));
        Assert.Equal("wss", wss.Scheme);
        using (var socket = new ClientWebSocket())
        {
            socket.Options.RemoteCertificateValidationCallback = pinned;
            await socket.ConnectAsync(new UriBuilder(wss) { Path = "/rooms/over-tls", Query = "name=Secure" }.Uri, timeout.Token);
            var joined = await ChatPageServingTests.ReceiveUntilAsync(socket, "\"user\":\"Secure\"", timeout.Token);
            Assert.Contains("\"room\":\"over-tls\"", joined, StringComparison.Ordinal);
        }

        using (var plain = new ClientWebSocket())
        {
            await Assert.ThrowsAsync<WebSocketException>(() => plain.ConnectAsync(new UriBuilder(wss) { Scheme = "ws", Path = "/rooms/over-tls" }.Uri, timeout.Token));
        }

        var (killed, killOutput) = await ExternalTool.RunAsync("/usr/bin/kill", ["-INT", up.Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], "/", TimeSpan.FromSeconds(30));
        Assert.True(killed == 0, killOutput);
        using (var stop = new CancellationTokenSource(TimeSpan.FromMinutes(2)))
        {
            await up.Process.WaitForExitAsync(stop.Token);
        }

        Assert.Contains("stchat: stopped", up.Output, StringComparison.Ordinal);
        await Eventually.Until(() => Task.FromResult(up.ProcessesLeft().Count == 0), TimeSpan.FromSeconds(15),
            "every process `up` started has stopped");
    }

    private static async Task<bool> AcceptsAsync(int port)
    {
        using var client = new System.Net.Sockets.TcpClient();
        try
        {
            await client.ConnectAsync(System.Net.IPAddress.Loopback, port);
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }
}
