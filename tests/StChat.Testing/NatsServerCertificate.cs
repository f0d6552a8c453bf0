using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace StChat.Testing;

// A self-signed certificate for 127.0.0.1 and localhost, written as PEM files for nats-server's --tlscert/--tlskey and
// Kestrel (Chat:Tls), or as a password-protected PFX; the certificate file doubles as the CA file a client trusts.
public sealed class NatsServerCertificate : IDisposable
{
    private readonly string _directory;

    private NatsServerCertificate(string directory)
    {
        _directory = directory;
    }

    public string CertFile => Path.Combine(_directory, "server-cert.pem");

    public string KeyFile => Path.Combine(_directory, "server-key.pem");

    // SHA-1 thumbprint in hex, for a client that pins this certificate.
    public string Thumbprint { get; private init; } = "";

    public static NatsServerCertificate Create()
    {
        var directory = Directory.CreateTempSubdirectory("stchat-nats-tls-").FullName;
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var created = new NatsServerCertificate(directory) { Thumbprint = certificate.Thumbprint };
        File.WriteAllText(created.CertFile, certificate.ExportCertificatePem());
        File.WriteAllText(created.KeyFile, key.ExportPkcs8PrivateKeyPem());
        return created;
    }

    // The certificate and its key in one PKCS#12 file opened by the password; returns its path.
    public string WritePfx(string password)
    {
        var path = Path.Combine(_directory, "server.pfx");
        using var certificate = X509Certificate2.CreateFromPemFile(CertFile, KeyFile);
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pkcs12, password));
        return path;
    }

    public NatsServerOptions ServerOptions(NatsServerOptions? options = null) =>
        (options ?? new NatsServerOptions()) with { TlsCertFile = CertFile, TlsKeyFile = KeyFile };

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
