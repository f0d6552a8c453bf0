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

    // Passwords that break a parser which splits the value at ',' before finding the credentials, or that look like
    // URL syntax; each holds distinctive pieces ("pa55", "w0rd", ...) none of which may show.
    public static TheoryData<string> NastyPasswords =>
    [
        "pa55,w0rd", "65000,w0rd", "pa55,tls://h9:9,w0rd", "pa55@w0rd", "pa55/w0rd", "pa55:w0rd", "pa55%2Cw0rd",
        "pa55#w0rd", "pa55?w0rd", "pa55 w0rd", "pä55wörd✓", "pa55,w0rd@h8",
    ];

    [Theory]
    [MemberData(nameof(NastyPasswords))]
    public void Redact_hides_the_whole_password_whatever_it_holds(string password) =>
        Assert.Equal("nats://alice:***@127.0.0.1:4222", NatsUrl.Redact($"nats://alice:{password}@127.0.0.1:4222"));

    [Theory]
    [MemberData(nameof(NastyPasswords))]
    public void No_piece_of_a_password_reaches_the_parse_error_or_the_server_list(string password)
    {
        var servers = NatsUrl.TryParse($"nats://alice:{password}@127.0.0.1:4222", out var error);

        var shown = $"{error} {servers?.Urls} {servers}";
        Assert.All(Pieces(password), piece => Assert.DoesNotContain(piece, shown, StringComparison.Ordinal));
        if (servers is not null)
        {
            Assert.Equal(("nats://127.0.0.1:4222", "alice", Uri.UnescapeDataString(password)), (servers.Urls, servers.User, servers.Password));
        }
    }

    [Fact]
    public void A_comma_in_a_password_is_refused_with_the_way_to_write_it()
    {
        NatsUrl.TryParse("nats://alice:pa55,w0rd@127.0.0.1:4222", out var error);

        Assert.Equal("nats://alice:***@127.0.0.1:4222", Assert.IsType<string>(error).Split('\'')[1]);
        Assert.Contains("%2C", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_percent_encoded_comma_in_a_password_is_read_as_a_comma() =>
        Assert.Equal("pa55,w0rd", NatsUrl.TryParse("nats://alice:pa55%2Cw0rd@h:4222", out _)!.Password);

    [Theory]
    [InlineData("nats://t0k3n,x@h:4222", "nats://***@h:4222")]
    [InlineData("u:pa55,w0rd@h:4222", "u:***@h:4222")]
    [InlineData("h1:4222,nats://alice:pa55@h2:4222", "h1:***@h2:4222")]
    [InlineData("nats://a:pa55@h1:4222,nats://a:pa55@h2:4222", "nats://a:***@h2:4222")]
    [InlineData("tls://x,y:pa55@h:4222", "tls://***@h:4222")]
    [InlineData("u:pa55://w0rd@h", "u:***@h")]
    public void Redact_hides_everything_between_the_leading_scheme_and_the_last_at(string url, string redacted) =>
        Assert.Equal(redacted, NatsUrl.Redact(url));

    [Fact]
    public void A_server_without_credentials_before_one_with_them_is_refused()
    {
        var servers = NatsUrl.TryParse("nats://h1:4222,nats://alice:pa55@h2:4222", out var error);

        Assert.Null(servers);
        Assert.Contains("without credentials before one with them", error, StringComparison.Ordinal);
        Assert.DoesNotContain("pa55", error, StringComparison.Ordinal);
    }

    [Fact]
    public void The_parsed_servers_print_without_their_secrets()
    {
        var withPassword = NatsUrl.TryParse("nats://alice:pa55w0rd@h:4222", out _)!.ToString();
        var withToken = NatsUrl.TryParse("nats://t0k3n@h:4222", out _)!.ToString();

        Assert.DoesNotContain("pa55w0rd", withPassword, StringComparison.Ordinal);
        Assert.DoesNotContain("t0k3n", withToken, StringComparison.Ordinal);
        Assert.Equal("NatsServers { Urls = nats://h:4222, User = alice, Password = ***, Token =  }", withPassword);
    }

    [Fact]
    public void The_options_print_without_their_secrets()
    {
        var printed = new NatsOptions { Url = "nats://alice:url-pa55@h:4222", User = "bob", Password = "pa55w0rd", Token = "t0k3n" }
            .ToString();

        Assert.All(["url-pa55", "pa55w0rd", "t0k3n"], secret => Assert.DoesNotContain(secret, printed, StringComparison.Ordinal));
        Assert.Contains("Url = nats://alice:***@h:4222, Name = stchat, User = bob, Password = ***, ", printed, StringComparison.Ordinal);
        Assert.Contains(", Token = ***, ", printed, StringComparison.Ordinal);
        Assert.Contains("MaxReconnectAttempts = -1", printed, StringComparison.Ordinal);
    }

    private static IEnumerable<string> Pieces(string password) =>
        Uri.UnescapeDataString(password).Split([',', '@', '/', ':', '#', '?', ' ', '%', '✓']).Where(p => p.Length >= 4)
            .Append(password);

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

        Assert.Equal(("tls://h:4222", "alice", "pw"), (opts.Url, opts.AuthOpts.Username, opts.AuthOpts.Password));

        // The configured name, then which process this is: several workers share one consumer.
        Assert.Equal($"n@{Environment.MachineName}/{Environment.ProcessId}", opts.Name);
        Assert.Equal((TimeSpan.FromSeconds(3), 7), (opts.PingInterval, opts.MaxReconnectRetry));
        Assert.True(opts.PublishTimeoutOnDisconnected);
        Assert.True(opts.DrainSubscriptionsOnDispose);
    }
}
