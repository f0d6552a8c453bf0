using System.Buffers;
using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;
using System.Reflection;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using StChat.Nats.Internal;

namespace StChat.Nats;

public sealed partial class NatsConnection
{
    private static readonly string ClientVersion =
        typeof(NatsConnection).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "1.0.0";

    // PONG to a server PING that arrives before the handshake's own PONG; the command pipe is not in use yet.
    private static readonly byte[] HandshakePong = "PONG\r\n"u8.ToArray();

    // Server: INFO {...}; client: [TLS upgrade] CONNECT {...} PING; server: PONG or -ERR; client: SUB... for live subscriptions.
    private async Task<ServerConnection> HandshakeAsync(ServerAddress address, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Opts.ConnectTimeout);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Stream? stream = null;
        PipeReader? reader = null;
        try
        {
            try
            {
                await socket.ConnectAsync(address.Host, address.Port, timeout.Token);
            }
            catch (SocketException ex)
            {
                throw new NatsException($"Could not connect to NATS server {address}: {ex.Message}", ex);
            }

            stream = new NetworkStream(socket, ownsSocket: true);
            var parser = new ProtocolParser();
            reader = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
            var first = await ReadOpAsync(reader, parser, address, timeout.Token);
            if (first.Kind != ServerOpKind.Info)
            {
                throw new NatsProtocolException($"NATS server {address} did not start with INFO but with {first.Kind}.");
            }

            var info = ParseInfo(first.Text!);
            parser.MaxPayload = info.MaxPayload;
            var tls = UseTls(address, info);
            if (tls)
            {
                // The server sent INFO in plaintext and waits for the TLS handshake, so nothing is buffered yet.
                await reader.CompleteAsync();
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = ssl;
                await ssl.AuthenticateAsClientAsync(
                    new SslClientAuthenticationOptions
                    {
                        TargetHost = address.Host,
                        RemoteCertificateValidationCallback = ValidateServerCertificate,
                    },
                    timeout.Token);
                reader = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
            }

            var buffer = new ArrayBufferWriter<byte>(1024);
            ProtocolWriter.WriteConnect(buffer, CreateConnectInfo(address, tls));
            ProtocolWriter.WritePing(buffer);
            await stream.WriteAsync(buffer.WrittenMemory, timeout.Token);
            await stream.FlushAsync(timeout.Token);
            info = await AwaitConnectAcceptedAsync(stream, reader, parser, address, info, timeout.Token);

            buffer.Clear();
            WriteResubscriptions(buffer);
            if (buffer.WrittenCount > 0)
            {
                await stream.WriteAsync(buffer.WrittenMemory, timeout.Token);
                await stream.FlushAsync(timeout.Token);
            }

            return new ServerConnection(address, socket, stream, reader, parser, info);
        }
        catch (Exception ex)
        {
            if (reader is not null)
            {
                await reader.CompleteAsync();
            }

            if (stream is not null)
            {
                await stream.DisposeAsync();
            }

            socket.Dispose();
            if (ex is OperationCanceledException && !ct.IsCancellationRequested)
            {
                throw new NatsTimeoutException($"Connecting to NATS server {address} timed out after {Opts.ConnectTimeout.TotalMilliseconds} ms.");
            }

            if (ex is IOException or System.Security.Authentication.AuthenticationException)
            {
                throw new NatsException($"Connection to NATS server {address} failed during the handshake: {ex.Message}", ex);
            }

            throw;
        }
    }

    // After CONNECT+PING the server answers PONG on success or -ERR (e.g. 'Authorization Violation') and closes.
    private static async Task<NatsServerInfo> AwaitConnectAcceptedAsync(Stream stream, PipeReader reader, ProtocolParser parser, ServerAddress address, NatsServerInfo info, CancellationToken ct)
    {
        while (true)
        {
            var op = await ReadOpAsync(reader, parser, address, ct);
            switch (op.Kind)
            {
                case ServerOpKind.Pong:
                    return info;
                case ServerOpKind.Err:
                    throw new NatsServerErrorException($"NATS server {address} rejected the connection: {op.Text}");
                case ServerOpKind.Ping:
                    await stream.WriteAsync(HandshakePong, ct);
                    break;
                case ServerOpKind.Info:
                    info = ParseInfo(op.Text!);
                    parser.MaxPayload = info.MaxPayload;
                    break;
                default:
                    break;
            }
        }
    }

    private static async ValueTask<ServerOp> ReadOpAsync(PipeReader reader, ProtocolParser parser, ServerAddress address, CancellationToken ct)
    {
        while (true)
        {
            var result = await reader.ReadAsync(ct);
            var buffer = result.Buffer;
            if (parser.TryParse(ref buffer, out var op))
            {
                reader.AdvanceTo(buffer.Start);
                return op;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                throw new NatsException($"NATS server {address} closed the connection during the handshake.");
            }
        }
    }

    private static NatsServerInfo ParseInfo(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<NatsServerInfo>(json) ?? throw new NatsProtocolException("INFO was null.");
        }
        catch (JsonException ex)
        {
            throw new NatsProtocolException($"INFO is not valid JSON: {ex.Message}", ex);
        }
    }

    private bool UseTls(ServerAddress address, NatsServerInfo info)
    {
        var mode = Opts.TlsOpts.Mode;
        if (mode == NatsTlsMode.Disable)
        {
            if (address.Tls || info.TlsRequired)
            {
                throw new NatsException($"NATS server {address} requires TLS but NatsOpts.TlsOpts.Mode is Disable.");
            }

            return false;
        }

        var wanted = mode == NatsTlsMode.Require || address.Tls || info.TlsRequired;
        if (wanted && !info.TlsRequired && !info.TlsAvailable)
        {
            throw new NatsException($"TLS was requested for NATS server {address} but the server does not offer TLS.");
        }

        return wanted;
    }

    private ConnectInfo CreateConnectInfo(ServerAddress address, bool tls)
    {
        var auth = Opts.AuthOpts;
        var hasUrlCredentials = address.Username is not null || address.Token is not null;
        return new ConnectInfo(
            Name: Opts.Name,
            Lang: "C#",
            Version: ClientVersion,
            Echo: Opts.Echo,
            TlsRequired: tls,
            Username: hasUrlCredentials ? address.Username : auth.Username,
            Password: hasUrlCredentials ? address.Password : auth.Password,
            Token: hasUrlCredentials ? address.Token : auth.Token);
    }

    private bool ValidateServerCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        var tlsOpts = Opts.TlsOpts;
        if (tlsOpts.InsecureSkipVerify || errors == SslPolicyErrors.None)
        {
            return true;
        }

        if (tlsOpts.CaFile is null || certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != 0)
        {
            _logger.LogError("NATS server certificate rejected: {Errors}", errors);
            return false;
        }

        // The only problem is an unknown root: accept when the chain ends at the configured CA.
        var authorities = new X509Certificate2Collection();
        authorities.ImportFromPemFile(tlsOpts.CaFile);
        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        custom.ChainPolicy.CustomTrustStore.AddRange(authorities);
        var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        var valid = custom.Build(leaf);
        if (!valid)
        {
            _logger.LogError("NATS server certificate does not chain to {CaFile}", tlsOpts.CaFile);
        }

        return valid;
    }
}
