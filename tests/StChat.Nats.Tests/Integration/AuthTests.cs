using StChat.Testing;
using Xunit;

namespace StChat.Nats.Tests.Integration;

public sealed class AuthTests
{
    [Fact]
    public async Task User_and_password_from_options_are_accepted()
    {
        await using var server = await NatsServer.StartAsync(new NatsServerOptions { JetStream = false, User = "alice", Password = "wonder land" });
        await using var nats = new NatsConnection(new NatsOpts { Url = server.Url, AuthOpts = new NatsAuthOpts { Username = "alice", Password = "wonder land" } });
        await nats.ConnectAsync();
        Assert.True(nats.ServerInfo!.AuthRequired);
        await nats.PingAsync();
    }

    [Fact]
    public async Task User_and_password_from_the_url_are_accepted()
    {
        await using var server = await NatsServer.StartAsync(new NatsServerOptions { JetStream = false, User = "bob", Password = "p@ss" });
        await using var nats = new NatsConnection(new NatsOpts { Url = $"nats://bob:p%40ss@127.0.0.1:{server.Port}" });
        await nats.PingAsync();
    }

    [Fact]
    public async Task Wrong_password_fails_connect_with_authorization_violation()
    {
        await using var server = await NatsServer.StartAsync(new NatsServerOptions { JetStream = false, User = "alice", Password = "right" });
        await using var nats = new NatsConnection(new NatsOpts { Url = server.Url, AuthOpts = new NatsAuthOpts { Username = "alice", Password = "wrong" } });
        var error = await Assert.ThrowsAsync<NatsServerErrorException>(async () => await nats.ConnectAsync());
        Assert.Contains("Authorization Violation", error.Message, StringComparison.Ordinal);
        Assert.Equal(NatsConnectionState.Closed, nats.ConnectionState);
    }

    [Fact]
    public async Task Token_from_options_or_url_is_accepted_and_a_wrong_one_is_not()
    {
        await using var server = await NatsServer.StartAsync(new NatsServerOptions { JetStream = false, Token = "s3cr3t" });
        await using (var fromOpts = new NatsConnection(new NatsOpts { Url = server.Url, AuthOpts = new NatsAuthOpts { Token = "s3cr3t" } }))
        {
            await fromOpts.PingAsync();
        }

        await using (var fromUrl = new NatsConnection(new NatsOpts { Url = $"nats://s3cr3t@127.0.0.1:{server.Port}" }))
        {
            await fromUrl.PingAsync();
        }

        await using var wrong = new NatsConnection(new NatsOpts { Url = server.Url, AuthOpts = new NatsAuthOpts { Token = "nope" } });
        await Assert.ThrowsAsync<NatsServerErrorException>(async () => await wrong.ConnectAsync());
    }
}
