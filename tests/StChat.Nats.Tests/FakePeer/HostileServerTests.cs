using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Xunit;

namespace StChat.Nats.Tests.FakePeer;

public sealed class HostileServerTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private static NatsOpts Opts(FakeNatsServer server) => new()
    {
        Url = server.Url,
        ReconnectWaitMin = TimeSpan.FromMilliseconds(10),
        ReconnectWaitMax = TimeSpan.FromMilliseconds(50),
        ConnectTimeout = TimeSpan.FromSeconds(5),

        // Bounds the closing flush in DisposeAsync; the fake does not always answer PING.
        RequestTimeout = TimeSpan.FromMilliseconds(500),
    };

    private static TaskCompletionSource<string> Capture(Action<EventHandler<NatsEventArgs>> subscribe)
    {
        var tcs = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        subscribe((_, e) => tcs.TrySetResult(e.Message));
        return tcs;
    }

    [Fact]
    public async Task Connect_sends_the_expected_fields_and_credentials_from_the_url()
    {
        await using var server = new FakeNatsServer();
        await using var nats = new NatsConnection(Opts(server) with { Url = $"nats://alice:s%20cret@127.0.0.1:{server.Port}", Name = "probe", Echo = false });
        var handshake = server.AcceptAndHandshakeAsync();
        await nats.ConnectAsync();
        var (_, connect) = await handshake;

        using var json = JsonDocument.Parse(connect["CONNECT ".Length..]);
        var root = json.RootElement;
        Assert.False(root.GetProperty("verbose").GetBoolean());
        Assert.False(root.GetProperty("pedantic").GetBoolean());
        Assert.True(root.GetProperty("headers").GetBoolean());
        Assert.True(root.GetProperty("no_responders").GetBoolean());
        Assert.Equal(1, root.GetProperty("protocol").GetInt32());
        Assert.False(root.GetProperty("echo").GetBoolean());
        Assert.Equal("probe", root.GetProperty("name").GetString());
        Assert.False(string.IsNullOrEmpty(root.GetProperty("lang").GetString()));
        Assert.False(string.IsNullOrEmpty(root.GetProperty("version").GetString()));
        Assert.Equal("alice", root.GetProperty("user").GetString());
        Assert.Equal("s cret", root.GetProperty("pass").GetString());
        Assert.Equal("fake", nats.ServerInfo!.ServerName);
    }

    [Fact]
    public async Task Authorization_violation_surfaces_from_connect()
    {
        await using var server = new FakeNatsServer();
        await using var nats = new NatsConnection(Opts(server));
        var serving = Task.Run(async () =>
        {
            var client = await server.AcceptAsync();
            await client.ReadLineStartingWithAsync("PING");
            await client.SendAsync("-ERR 'Authorization Violation'\r\n");
            client.Close();
        });
        var error = await Assert.ThrowsAsync<NatsServerErrorException>(async () => await nats.ConnectAsync());
        Assert.Contains("Authorization Violation", error.Message, StringComparison.Ordinal);
        await serving;
    }

    [Fact]
    public async Task Unreachable_servers_fail_connect_with_a_clear_error_naming_the_url()
    {
        var port = StChat.Testing.TestPorts.GetFreeTcpPort();
        await using var nats = new NatsConnection(new NatsOpts { Url = $"nats://127.0.0.1:{port}" });
        var error = await Assert.ThrowsAsync<NatsException>(async () => await nats.ConnectAsync());
        Assert.Contains($"127.0.0.1:{port}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Servers_in_the_url_list_are_tried_in_order()
    {
        var dead = StChat.Testing.TestPorts.GetFreeTcpPort();
        await using var server = new FakeNatsServer();
        await using var nats = new NatsConnection(Opts(server) with { Url = $"nats://127.0.0.1:{dead}, {server.Url}" });
        var handshake = server.AcceptAndHandshakeAsync();
        await nats.ConnectAsync();
        await handshake;
        Assert.Equal(NatsConnectionState.Open, nats.ConnectionState);
    }

    [Fact]
    public async Task Server_ping_is_answered_with_pong()
    {
        await using var server = new FakeNatsServer();
        await using var nats = new NatsConnection(Opts(server));
        var client = await server.ConnectAsync(nats);
        await client.SendAsync("PING\r\n");
        Assert.Equal("PONG", await client.ReadLineAsync());
    }

    [Fact]
    public async Task Garbage_opcode_closes_the_connection_with_a_protocol_error_then_reconnects()
    {
        await using var server = new FakeNatsServer();
        await using var nats = new NatsConnection(Opts(server));
        var client = await server.ConnectAsync(nats);
        var disconnected = Capture(h => nats.ConnectionDisconnected += h);
        var reopened = Capture(h => nats.ConnectionOpened += h);

        await client.SendAsync("BOGUS stuff\r\n");
        Assert.Contains("Unknown protocol operation 'BOGUS'", await disconnected.Task.WaitAsync(Wait), StringComparison.Ordinal);

        await server.AcceptAndHandshakeAsync();
        await reopened.Task.WaitAsync(Wait);
        Assert.Equal(NatsConnectionState.Open, nats.ConnectionState);
    }

    [Fact]
    public async Task Oversized_msg_from_the_server_closes_the_connection_before_the_payload_arrives()
    {
        await using var server = new FakeNatsServer();
        await using var nats = new NatsConnection(Opts(server));
        var handshake = server.AcceptAndHandshakeAsync();
        var sub = await nats.SubscribeCoreAsync("foo");
        var (client, _) = await handshake;
        await client.ReadLineStartingWithAsync("SUB foo");
        var disconnected = Capture(h => nats.ConnectionDisconnected += h);

        await client.SendAsync("MSG foo 1 2147483647\r\n");
        var message = await disconnected.Task.WaitAsync(Wait);
        Assert.Contains("max_payload", message, StringComparison.Ordinal);
        Assert.False(sub.Msgs.TryRead(out _));
    }

    [Fact]
    public async Task Permissions_violation_ends_only_that_subscription()
    {
        await using var server = new FakeNatsServer();
        await using var nats = new NatsConnection(Opts(server));
        var disconnected = Capture(h => nats.ConnectionDisconnected += h);
        var handshake = server.AcceptAndHandshakeAsync();
        var denied = await nats.SubscribeCoreAsync("secret");
        var allowed = await nats.SubscribeCoreAsync("public");
        var (client, _) = await handshake;
        await client.ReadLineStartingWithAsync("SUB secret");
        await client.ReadLineStartingWithAsync("SUB public");

        await client.SendAsync("-ERR 'Permissions Violation for Subscription to \"secret\"'\r\n");
        var error = await Assert.ThrowsAsync<NatsServerErrorException>(() => denied.Msgs.Completion.WaitAsync(Wait));
        Assert.Contains("Permissions Violation", error.Message, StringComparison.Ordinal);

        await client.SendAsync("MSG public 2 2\r\nok\r\n");
        var msg = await allowed.Msgs.ReadAsync().AsTask().WaitAsync(Wait);
        Assert.Equal("ok", Encoding.UTF8.GetString(msg.Data.Span));
        Assert.False(disconnected.Task.IsCompleted);
        Assert.Equal(NatsConnectionState.Open, nats.ConnectionState);
    }

    [Fact]
    public async Task Fatal_server_error_disconnects_and_reports_the_text()
    {
        await using var server = new FakeNatsServer();
        await using var nats = new NatsConnection(Opts(server));
        var client = await server.ConnectAsync(nats);
        var disconnected = Capture(h => nats.ConnectionDisconnected += h);

        await client.SendAsync("-ERR 'Maximum Connections Exceeded'\r\n");
        Assert.Contains("Maximum Connections Exceeded", await disconnected.Task.WaitAsync(Wait), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_that_stops_answering_pings_is_detected_as_stale()
    {
        await using var server = new FakeNatsServer();
        await using var nats = new NatsConnection(Opts(server) with { PingInterval = TimeSpan.FromMilliseconds(100), MaxPingOut = 2 });
        var client = await server.ConnectAsync(nats);
        var disconnected = Capture(h => nats.ConnectionDisconnected += h);

        // The fake reads the keepalive PINGs but never answers them.
        Assert.Equal("PING", await client.ReadLineAsync());
        Assert.Contains("Stale connection", await disconnected.Task.WaitAsync(Wait), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Answered_keepalive_pings_keep_the_connection_open()
    {
        await using var server = new FakeNatsServer();
        await using var nats = new NatsConnection(Opts(server) with { PingInterval = TimeSpan.FromMilliseconds(50), MaxPingOut = 2 });
        var client = await server.ConnectAsync(nats);
        var disconnected = Capture(h => nats.ConnectionDisconnected += h);

        for (var i = 0; i < 6; i++)
        {
            Assert.Equal("PING", await client.ReadLineAsync());
            await client.SendAsync("PONG\r\n");
        }

        Assert.False(disconnected.Task.IsCompleted);
        Assert.Equal(NatsConnectionState.Open, nats.ConnectionState);
    }

    [Fact]
    public async Task Payload_over_the_servers_max_payload_is_refused_and_nothing_is_written()
    {
        await using var server = new FakeNatsServer();
        await using var nats = new NatsConnection(Opts(server));
        var client = await server.ConnectAsync(nats, FakeNatsServer.DefaultInfo.Replace("1048576", "16", StringComparison.Ordinal));

        var error = await Assert.ThrowsAsync<NatsPayloadTooLargeException>(async () => await nats.PublishAsync("foo", new byte[17]));
        Assert.Contains("17", error.Message, StringComparison.Ordinal);
        Assert.Contains("16", error.Message, StringComparison.Ordinal);
        var headers = new NatsHeaders { { "K", "v" } };
        await Assert.ThrowsAsync<NatsPayloadTooLargeException>(async () => await nats.PublishAsync("foo", new byte[10], headers));

        await nats.PublishAsync("foo", "0123456789");
        Assert.Equal("PUB foo 10", await client.ReadLineAsync());
        Assert.Equal("0123456789", await client.ReadLineAsync());
    }

    [Fact]
    public async Task Server_closing_the_socket_triggers_reconnect_and_resubscribe_with_remaining_max_msgs()
    {
        await using var server = new FakeNatsServer();
        await using var nats = new NatsConnection(Opts(server));
        var handshake = server.AcceptAndHandshakeAsync();
        var sub = await nats.SubscribeCoreAsync("foo", "q", new NatsSubOpts { MaxMsgs = 5 });
        var (client, _) = await handshake;
        Assert.Equal("SUB foo q 1", await client.ReadLineStartingWithAsync("SUB"));
        Assert.Equal("UNSUB 1 5", await client.ReadLineAsync());
        await client.SendAsync("MSG foo 1 1\r\na\r\nMSG foo 1 1\r\nb\r\n");
        await sub.Msgs.ReadAsync().AsTask().WaitAsync(Wait);
        await sub.Msgs.ReadAsync().AsTask().WaitAsync(Wait);
        var reopened = Capture(h => nats.ConnectionOpened += h);

        client.Close();
        var (again, _) = await server.AcceptAndHandshakeAsync();
        Assert.Equal("SUB foo q 1", await again.ReadLineStartingWithAsync("SUB"));
        Assert.Equal("UNSUB 1 3", await again.ReadLineAsync());
        await reopened.Task.WaitAsync(Wait);
    }
}
