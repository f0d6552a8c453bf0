using Xunit;

namespace StChat.Messaging.Tests;

public sealed class NatsOptionsValidatorTests
{
    private static readonly NatsOptions Valid = new() { Url = "nats://127.0.0.1:4222" };

    private static IReadOnlyList<string> Errors(NatsOptions options) =>
        new NatsOptionsValidator().Validate(null, options).Failures?.ToList() ?? [];

    [Fact]
    public void A_url_and_the_defaults_are_valid() => Assert.Empty(Errors(Valid));

    [Fact]
    public void A_cluster_seed_list_with_tls_and_bare_hosts_is_valid() =>
        Assert.Empty(Errors(Valid with { Url = "tls://a.example:4222, nats://b.example:4222,c.example" }));

    [Fact]
    public void A_password_file_goes_with_the_user_and_not_with_a_password()
    {
        var file = Path.GetTempFileName();
        try
        {
            Assert.Empty(Errors(Valid with { User = "ingest", PasswordFile = file }));
            Assert.Contains("Nats:User and Nats:Password go together (the password may come from Nats:PasswordFile)",
                Assert.Single(Errors(Valid with { PasswordFile = file })), StringComparison.Ordinal);
            Assert.Contains("Nats:Password and Nats:PasswordFile are both set",
                Assert.Single(Errors(Valid with { User = "ingest", Password = "p", PasswordFile = file })), StringComparison.Ordinal);
            Assert.Contains("Nats:Token and Nats:TokenFile are both set",
                Assert.Single(Errors(Valid with { Token = "t", TokenFile = file })), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void A_missing_secret_file_names_the_setting()
    {
        var missing = Path.Combine(Path.GetTempPath(), "stchat-missing-" + Guid.NewGuid().ToString("N"));

        Assert.Contains($"Nats:TokenFile is '{missing}', which does not exist",
            Assert.Single(Errors(Valid with { TokenFile = missing })), StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_url_names_the_setting_and_the_environment_variable()
    {
        var error = Assert.Single(Errors(Valid with { Url = "" }));

        Assert.Contains("Nats:Url is not set", error, StringComparison.Ordinal);
        Assert.Contains("Nats__Url", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://127.0.0.1:4222")]
    [InlineData("nats://127.0.0.1:4222/path")]
    [InlineData("nats://127.0.0.1:4222,ws://other:80")]
    [InlineData("nats://:4222")]
    public void A_url_that_is_not_a_nats_server_names_the_setting(string url) =>
        Assert.Contains("Nats:Url contains", Assert.Single(Errors(Valid with { Url = url })), StringComparison.Ordinal);

    [Fact]
    public void A_bad_url_is_quoted_without_its_password()
    {
        var error = Assert.Single(Errors(Valid with { Url = "http://alice:s3cret@127.0.0.1:4222" }));

        Assert.DoesNotContain("s3cret", error, StringComparison.Ordinal);
        Assert.Contains("alice:***@", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_user_without_a_password_names_both_settings() =>
        Assert.Contains("Nats:User and Nats:Password go together", Assert.Single(Errors(Valid with { User = "alice" })),
            StringComparison.Ordinal);

    [Fact]
    public void Two_ways_of_authenticating_are_refused_with_both_named()
    {
        var error = Assert.Single(Errors(Valid with { Url = "nats://alice:pw@127.0.0.1:4222", Token = "t" }));

        Assert.Contains("Nats:User/Nats:Password and Nats:Token", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Different_credentials_for_different_servers_are_refused() =>
        Assert.Contains("different credentials", Assert.Single(Errors(Valid with { Url = "nats://a:1@h1:4222,nats://b:2@h2:4222" })),
            StringComparison.Ordinal);

    [Theory]
    [InlineData("Nats:NKeySeedFile")]
    [InlineData("Nats:CredsFile")]
    [InlineData("Nats:Tls:CaFile")]
    public void A_file_that_does_not_exist_is_named_with_its_setting(string setting)
    {
        var missing = Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"));
        var options = setting switch
        {
            "Nats:NKeySeedFile" => Valid with { NKeySeedFile = missing },
            "Nats:CredsFile" => Valid with { CredsFile = missing },
            _ => Valid with { Tls = new NatsTlsOptions { CaFile = missing } },
        };

        var error = Assert.Single(Errors(options));

        Assert.StartsWith($"{setting} is '{missing}', which does not exist", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_client_certificate_without_its_key_is_refused()
    {
        var cert = Path.GetTempFileName();
        try
        {
            var error = Assert.Single(Errors(Valid with { Tls = new NatsTlsOptions { CertFile = cert } }));

            Assert.Contains("Nats:Tls:CertFile and Nats:Tls:KeyFile go together", error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(cert);
        }
    }

    [Fact]
    public void Timing_settings_out_of_range_are_each_named()
    {
        var errors = Errors(Valid with
        {
            PingInterval = TimeSpan.FromMilliseconds(100),
            ReconnectWait = TimeSpan.FromSeconds(10),
            ReconnectWaitMax = TimeSpan.FromSeconds(1),
            MaxReconnectAttempts = -5,
        });

        Assert.Equal(3, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("Nats:PingInterval", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Nats:ReconnectWait", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Nats:MaxReconnectAttempts", StringComparison.Ordinal));
    }
}
