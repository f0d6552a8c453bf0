using System.Diagnostics;
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
