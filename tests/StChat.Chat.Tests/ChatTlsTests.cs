using System.Net.Security;
using System.Net.WebSockets;
using StChat.Chat.Tests.Infrastructure;
using StChat.Testing;
using Xunit;

namespace StChat.Chat.Tests;

// The real server process on https:// with the certificate of the Chat:Tls settings, reached by wss:// clients that
// trust exactly that certificate.
public sealed class ChatTlsTests(PostgresDatabaseFixture database) : IClassFixture<PostgresDatabaseFixture>, IDisposable
{
    private readonly NatsServerCertificate _certificate = NatsServerCertificate.Create();

    [Fact]
    public async Task A_wss_client_exchanges_messages_with_a_server_serving_a_PEM_certificate_and_key()
    {
        await using var server = await StartAsync(new Dictionary<string, string>
        {
            ["Chat__Tls__CertificatePath"] = _certificate.CertFile,
            ["Chat__Tls__KeyPath"] = _certificate.KeyFile,
        });

        await ExchangeAsync(server);
    }

    [Fact]
    public async Task A_wss_client_exchanges_messages_with_a_server_serving_a_PFX_opened_with_a_password_from_a_file()
    {
        const string password = "pfx \"pass\"; word=é";
        var passwordFile = Path.Combine(Path.GetDirectoryName(_certificate.CertFile)!, "pfx-password");
        await File.WriteAllTextAsync(passwordFile, password + "\n");
        await using var server = await StartAsync(new Dictionary<string, string>
        {
            ["Chat__Tls__CertificatePath"] = _certificate.WritePfx(password),
            ["Chat__Tls__PasswordFile"] = passwordFile,
        });

        await ExchangeAsync(server);
    }

    [Fact]
    public async Task A_server_serving_only_https_refuses_a_plain_ws_client()
    {
        await using var server = await StartAsync(new Dictionary<string, string>
        {
            ["Chat__Tls__CertificatePath"] = _certificate.CertFile,
            ["Chat__Tls__KeyPath"] = _certificate.KeyFile,
        });

        var plain = new Uri($"ws://127.0.0.1:{server.Port}/rooms/tls?name=Plain");
        await Assert.ThrowsAsync<WebSocketException>(() => ChatClient.ConnectAsync(plain));

        // The server is fine and still serves wss:// afterwards.
        await ExchangeAsync(server);
    }

    [Fact]
    public async Task A_wrong_PFX_password_stops_the_server_with_a_reason_that_does_not_show_the_password()
    {
        const string wrong = "not-the-pfx-password-4711";
        await using var server = new ChatServerProcess(database.ConnectionString, new Dictionary<string, string>
        {
            ["Chat__Tls__CertificatePath"] = _certificate.WritePfx("the right one"),
            ["Chat__Tls__Password"] = wrong,
        }) { Tls = true };

        Assert.Equal(1, await server.RunUntilExitAsync());
        Assert.Contains("Could not start: The certificate data cannot be read with the provided password", server.Log, StringComparison.Ordinal);
        Assert.DoesNotContain(wrong, server.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task New_connections_get_the_new_certificate_once_the_files_are_replaced_without_a_restart()
    {
        await using var server = await StartAsync(new Dictionary<string, string>
        {
            ["Chat__Tls__CertificatePath"] = _certificate.CertFile,
            ["Chat__Tls__KeyPath"] = _certificate.KeyFile,
        });
        Assert.Equal(_certificate.Thumbprint, await ServedThumbprintAsync(server));
        await ExchangeAsync(server);

        using var renewed = NatsServerCertificate.Create();
        File.Copy(renewed.KeyFile, _certificate.KeyFile, overwrite: true);
        File.Copy(renewed.CertFile, _certificate.CertFile, overwrite: true);

        await Eventually.Until(async () => await ServedThumbprintAsync(server) == renewed.Thumbprint, TimeSpan.FromSeconds(60),
            "the server presents the renewed certificate");
    }

    public void Dispose() => _certificate.Dispose();

    private async Task<ChatServerProcess> StartAsync(Dictionary<string, string> environment)
    {
        var server = new ChatServerProcess(database.ConnectionString, environment) { Tls = true };
        await server.StartAsync();
        return server;
    }

    private async Task ExchangeAsync(ChatServerProcess server)
    {
        var room = "tls" + Guid.NewGuid().ToString("N")[..8];
        await using var ann = await ChatClient.ConnectAsync(server.Room(room, "name=Ann"), certificateCheck: Pinned);
        await using var bob = await ChatClient.ConnectAsync(server.Room(room, "name=Bob"), certificateCheck: Pinned);
        await bob.ReceiveUntilAsync(f => f.Action() == "join" && f.Str("user") == "Bob");

        await ann.SendAsync(new { message = "over wss", id = "tls-1" });

        var frames = await bob.ReceiveUntilAsync(f => f.IsMessage("tls-1"));
        Assert.Equal("over wss", frames[^1].Str("text"));
    }

    // The certificate a new TLS connection is served with.
    private static async Task<string?> ServedThumbprintAsync(ChatServerProcess server)
    {
        string? served = null;
        using var socket = new ClientWebSocket();
        socket.Options.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
        {
            served = certificate?.GetCertHashString();
            return true;
        };
        using var timeout = new CancellationTokenSource(ChatClient.DefaultTimeout);
        await socket.ConnectAsync(server.Room("certificate", "name=Probe"), timeout.Token);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
        return served;
    }

    private bool Pinned(object sender, System.Security.Cryptography.X509Certificates.X509Certificate? certificate,
        System.Security.Cryptography.X509Certificates.X509Chain? chain, SslPolicyErrors errors) =>
        certificate is not null && string.Equals(certificate.GetCertHashString(), _certificate.Thumbprint, StringComparison.OrdinalIgnoreCase);
}
