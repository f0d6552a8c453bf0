using System.Net;
using System.Net.Sockets;
using System.Text;
using StChat.Testing;
using Xunit;

namespace StChat.Testing.Tests;

public sealed class NatsServerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Started_server_greets_a_raw_client_with_INFO()
    {
        await using var server = await NatsServer.StartAsync();

        var info = await ReadInfoLineAsync(server.Port);

        Assert.StartsWith("INFO {", info, StringComparison.Ordinal);
        Assert.Contains("\"jetstream\":true", info, StringComparison.Ordinal);
        Assert.Equal($"nats://127.0.0.1:{server.Port}", server.Url);
        Assert.True(Directory.Exists(server.StoreDirectory));
    }

    [Fact]
    public async Task Killed_server_refuses_connections_and_restarts_on_the_same_port()
    {
        await using var server = await NatsServer.StartAsync();
        var port = server.Port;

        await server.KillAsync();
        await Assert.ThrowsAsync<SocketException>(() => ReadInfoLineAsync(port));

        await server.RestartAsync();
        Assert.Equal(port, server.Port);
        Assert.StartsWith("INFO {", await ReadInfoLineAsync(port), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stopped_server_restarts_with_its_JetStream_store()
    {
        await using var server = await NatsServer.StartAsync();

        await server.StopAsync();
        Assert.True(Directory.Exists(Path.Combine(server.StoreDirectory, "jetstream")));

        await server.RestartAsync();
        Assert.StartsWith("INFO {", await ReadInfoLineAsync(server.Port), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_without_JetStream_says_so_in_INFO()
    {
        await using var server = await NatsServer.StartAsync(new NatsServerOptions { JetStream = false });

        var info = await ReadInfoLineAsync(server.Port);

        Assert.DoesNotContain("\"jetstream\":true", info, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_with_a_password_requires_auth()
    {
        await using var server = await NatsServer.StartAsync(new NatsServerOptions { User = "alice", Password = "s3cret" });

        var info = await ReadInfoLineAsync(server.Port);

        Assert.Contains("\"auth_required\":true", info, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Disposed_server_is_gone_with_its_store()
    {
        var server = await NatsServer.StartAsync();
        var port = server.Port;
        var store = server.StoreDirectory;

        await server.DisposeAsync();

        Assert.False(Directory.Exists(store));
        await Assert.ThrowsAsync<SocketException>(() => ReadInfoLineAsync(port));
    }

    [Fact]
    public async Task Fixture_starts_a_server_for_the_class()
    {
        var fixture = new NatsServerFixture();
        await fixture.InitializeAsync();
        try
        {
            Assert.StartsWith("INFO {", await ReadInfoLineAsync(fixture.Server.Port), StringComparison.Ordinal);
            Assert.Equal(fixture.Server.Url, fixture.Url);
        }
        finally
        {
            await fixture.DisposeAsync();
        }
    }

    // The server speaks first: "INFO {json}\r\n".
    private static async Task<string> ReadInfoLineAsync(int port)
    {
        using var timeout = new CancellationTokenSource(Patience);
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
        using var reader = new StreamReader(client.GetStream(), Encoding.ASCII);
        return await reader.ReadLineAsync(timeout.Token) ?? throw new IOException("The server closed without INFO.");
    }
}
