using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace StChat.Testing;

// A self-signed certificate for 127.0.0.1 and localhost, written as PEM files for nats-server's --tlscert/--tlskey;
// the certificate file doubles as the CA file a client trusts.
public sealed class NatsServerCertificate : IDisposable
{
    private readonly string _directory;

    private NatsServerCertificate(string directory)
    {
        _directory = directory;
    }

    public string CertFile => Path.Combine(_directory, "server-cert.pem");

    public string KeyFile => Path.Combine(_directory, "server-key.pem");

    public static NatsServerCertificate Create()
    {
        var created = new NatsServerCertificate(Directory.CreateTempSubdirectory("stchat-nats-tls-").FullName);
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(created.CertFile, certificate.ExportCertificatePem());
        File.WriteAllText(created.KeyFile, key.ExportPkcs8PrivateKeyPem());
        return created;
    }

    public NatsServerOptions ServerOptions(NatsServerOptions? options = null) =>
        (options ?? new NatsServerOptions()) with { TlsCertFile = CertFile, TlsKeyFile = KeyFile };

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
