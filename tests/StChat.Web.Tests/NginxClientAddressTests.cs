using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using StChat.Testing;
using StChat.Web.Tests.Infrastructure;
using Xunit;

namespace StChat.Web.Tests;

// The rendered nginx template in front of `serve` that trusts it (Chat:TrustedProxies=127.0.0.1, as `up --nginx` sets):
// the per-address limits count the clients nginx names in X-Forwarded-For, not nginx itself. Clients connect from
// different loopback addresses.
public sealed class NginxClientAddressTests(PostgresDatabaseFixture database) : IClassFixture<PostgresDatabaseFixture>
{
    [Fact]
    public async Task Behind_a_trusted_nginx_the_per_address_cap_counts_each_client_address_apart()
    {
        await using var nats = await NatsServer.StartAsync();
        await using var serve = await ServeProcess.StartAsync(database.ConnectionString, nats.Url, environment: new Dictionary<string, string>
        {
            ["Chat__TrustedProxies__0"] = "127.0.0.1",
            ["Chat__MaxConnectionsPerAddress"] = "1",
        });
        await using var nginx = await NginxProcess.StartAsync(serve.Port);
        var room = new UriBuilder(nginx.HttpUri) { Scheme = "ws", Path = "/rooms/proxied", Query = "name=Client" }.Uri;

        using var first = await ConnectFromAsync(room, "127.0.0.2");
        Assert.Equal(WebSocketState.Open, first.State);
        using var other = await ConnectFromAsync(room, "127.0.0.3");
        Assert.Equal(WebSocketState.Open, other.State);

        using var again = new ClientWebSocket();
        again.Options.CollectHttpResponseDetails = true;
        await Assert.ThrowsAsync<WebSocketException>(() => ConnectAsync(again, room, "127.0.0.2"));
        Assert.Equal(HttpStatusCode.TooManyRequests, again.HttpStatusCode);
    }

    private static async Task<ClientWebSocket> ConnectFromAsync(Uri uri, string source)
    {
        var socket = new ClientWebSocket();
        await ConnectAsync(socket, uri, source);
        return socket;
    }

    private static async Task ConnectAsync(ClientWebSocket socket, Uri uri, string source)
    {
        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, ct) =>
            {
                var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    tcp.Bind(new IPEndPoint(IPAddress.Parse(source), 0));
                    await tcp.ConnectAsync(context.DnsEndPoint, ct);
                    return new NetworkStream(tcp, ownsSocket: true);
                }
                catch
                {
                    tcp.Dispose();
                    throw;
                }
            },
        };
        using var invoker = new HttpMessageInvoker(handler);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await socket.ConnectAsync(uri, invoker, timeout.Token);
    }
}
