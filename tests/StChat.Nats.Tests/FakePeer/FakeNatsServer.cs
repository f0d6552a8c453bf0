using System.Net;
using System.Net.Sockets;
using Xunit;

namespace StChat.Nats.Tests.FakePeer;

// A minimal, scriptable server on 127.0.0.1: tests decide exactly which bytes the client receives.
internal sealed class FakeNatsServer : IAsyncDisposable
{
    public const string DefaultInfo = "{\"server_id\":\"FAKE\",\"server_name\":\"fake\",\"version\":\"2.9.10\",\"proto\":1,\"headers\":true,\"max_payload\":1048576}";

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly List<FakeClient> _clients = [];

    public FakeNatsServer() => _listener.Start();

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public string Url => $"nats://127.0.0.1:{Port}";

    // Accepts a client and sends INFO; the caller drives the rest.
    public async Task<FakeClient> AcceptAsync(string info = DefaultInfo)
    {
        var socket = await _listener.AcceptSocketAsync().WaitAsync(TimeSpan.FromSeconds(10));
        var client = new FakeClient(socket);
        _clients.Add(client);
        await client.SendAsync($"INFO {info}\r\n");
        return client;
    }

    // INFO, CONNECT, PING -> PONG: the client's ConnectAsync completes. Returns the CONNECT line.
    public async Task<(FakeClient Client, string Connect)> AcceptAndHandshakeAsync(string info = DefaultInfo)
    {
        var client = await AcceptAsync(info);
        var connect = await client.ReadLineAsync();
        Assert.StartsWith("CONNECT ", connect, StringComparison.Ordinal);
        Assert.Equal("PING", await client.ReadLineAsync());
        await client.SendAsync("PONG\r\n");
        return (client, connect);
    }

    // Runs the client's ConnectAsync against this server; returns the server side once the handshake is done.
    public async Task<FakeClient> ConnectAsync(NatsConnection nats, string info = DefaultInfo)
    {
        var handshake = AcceptAndHandshakeAsync(info);
        await nats.ConnectAsync();
        var (client, _) = await handshake;
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }
    }
}
