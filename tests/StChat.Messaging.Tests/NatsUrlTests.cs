using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace StChat.Messaging.Tests;

public sealed class NatsUrlTests
{
    [Theory]
    [InlineData("nats://alice:s3cret@h:4222", "nats://alice:***@h:4222")]
    [InlineData("nats://t0ken@h:4222", "nats://***@h:4222")]
    [InlineData("nats://a:1@h1:4222,tls://h2:4222", "nats://a:***@h1:4222,tls://h2:4222")]
    [InlineData("nats://h:4222", "nats://h:4222")]
    public void Redact_hides_passwords_and_tokens_and_keeps_the_rest(string url, string redacted) =>
        Assert.Equal(redacted, NatsUrl.Redact(url));

    [Fact]
    public void Credentials_are_taken_out_of_the_urls_the_client_dials()
    {
        var servers = NatsUrl.TryParse("nats://alice:p%40ss@h1:4222, h2", out var error);

        Assert.Null(error);
        Assert.Equal(new NatsServers("nats://h1:4222,nats://h2", "alice", "p@ss", null), servers);
    }

    [Fact]
    public void A_url_with_a_bare_user_part_carries_a_token() =>
        Assert.Equal("t0ken", NatsUrl.TryParse("nats://t0ken@h:4222", out _)!.Token);

    [Fact]
    public void The_client_options_follow_the_section()
    {
        var opts = NatsOptsFactory.Create(
            new NatsOptions { Url = "tls://alice:pw@h:4222", Name = "n", PingInterval = TimeSpan.FromSeconds(3), MaxReconnectAttempts = 7 },
            NullLoggerFactory.Instance);

        Assert.Equal(("tls://h:4222", "n", "alice", "pw"), (opts.Url, opts.Name, opts.AuthOpts.Username, opts.AuthOpts.Password));
        Assert.Equal((TimeSpan.FromSeconds(3), 7), (opts.PingInterval, opts.MaxReconnectRetry));
        Assert.True(opts.PublishTimeoutOnDisconnected);
        Assert.True(opts.DrainSubscriptionsOnDispose);
    }
}
