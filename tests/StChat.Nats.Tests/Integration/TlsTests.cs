using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using StChat.Testing;
using Xunit;

namespace StChat.Nats.Tests.Integration;

public sealed class TlsTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("stchat-nats-tls-").FullName;
    private NatsServer? _server;

    private string CertFile => Path.Combine(_directory, "server-cert.pem");

    private NatsServer Server => _server!;

    public async Task InitializeAsync()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        await File.WriteAllTextAsync(CertFile, certificate.ExportCertificatePem());
        var keyFile = Path.Combine(_directory, "server-key.pem");
        await File.WriteAllTextAsync(keyFile, key.ExportPkcs8PrivateKeyPem());
        _server = await NatsServer.StartAsync(new NatsServerOptions { JetStream = false, TlsCertFile = CertFile, TlsKeyFile = keyFile });
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Tls_url_with_insecure_skip_verify_connects_and_carries_messages()
    {
        await using var nats = new NatsConnection(new NatsOpts
        {
            Url = $"tls://127.0.0.1:{Server.Port}",
            TlsOpts = new NatsTlsOpts { InsecureSkipVerify = true },
        });
        var subject = Subjects.Unique("tls");
        await using var sub = await nats.SubscribeCoreAsync(subject);
        await nats.PublishAsync(subject, "secret");
        var msg = await sub.Msgs.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("secret", Encoding.UTF8.GetString(msg.Data.Span));
        Assert.True(nats.ServerInfo!.TlsRequired);
    }

    [Fact]
    public async Task Plain_url_upgrades_when_the_server_requires_tls_and_trusts_the_ca_file()
    {
        await using var nats = new NatsConnection(new NatsOpts { Url = Server.Url, TlsOpts = new NatsTlsOpts { CaFile = CertFile } });
        await nats.PingAsync();
        Assert.Equal(NatsConnectionState.Open, nats.ConnectionState);
    }

    [Fact]
    public async Task Untrusted_certificate_fails_connect()
    {
        await using var nats = new NatsConnection(new NatsOpts { Url = Server.Url });
        await Assert.ThrowsAsync<NatsException>(async () => await nats.ConnectAsync());
    }

    [Fact]
    public async Task Tls_disabled_by_options_fails_against_a_tls_server()
    {
        await using var nats = new NatsConnection(new NatsOpts { Url = Server.Url, TlsOpts = new NatsTlsOpts { Mode = NatsTlsMode.Disable } });
        var error = await Assert.ThrowsAsync<NatsException>(async () => await nats.ConnectAsync());
        Assert.Contains("requires TLS", error.Message, StringComparison.Ordinal);
    }
}
