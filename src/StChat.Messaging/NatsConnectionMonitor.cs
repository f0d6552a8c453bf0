using System.Security.Authentication;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NATS.Client.Core;

namespace StChat.Messaging;

/// <summary>
/// Connects at start so that configuration only a person can fix (refused credentials, an untrusted certificate)
/// stops the process with the setting named, while a server that is merely not up yet is left to the reconnect logic.
/// Logs each connection event once: lost, and open again.
/// </summary>
internal sealed partial class NatsConnectionMonitor(
    NatsConnection connection, IOptions<NatsOptions> options, ILogger<NatsConnectionMonitor> logger) : IHostedService
{
    private static readonly TimeSpan ConnectPatience = TimeSpan.FromSeconds(10);

    private readonly string _servers = NatsUrl.Redact(options.Value.Url);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        connection.ConnectionDisconnected += OnDisconnectedAsync;
        connection.ConnectionOpened += OnOpenedAsync;
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        patience.CancelAfter(ConnectPatience);
        try
        {
            await connection.ConnectAsync().AsTask().WaitAsync(patience.Token);
        }
        catch (Exception e) when (FatalReason(e, options.Value) is { } reason)
        {
            throw new InvalidOperationException($"NATS at {_servers} {reason}", e);
        }
        catch (Exception e) when (e is NatsException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            Log.NotReachable(logger, _servers, e.Message);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        connection.ConnectionDisconnected -= OnDisconnectedAsync;
        connection.ConnectionOpened -= OnOpenedAsync;
        return Task.CompletedTask;
    }

    // What only a change of configuration fixes, with the setting to change; null for anything waiting may fix.
    internal static string? FatalReason(Exception e, NatsOptions options)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is NatsServerException { IsAuthError: true })
            {
                var setting = options switch
                {
                    { CredsFile: not null } => "the credentials in Nats:CredsFile",
                    { NKeySeedFile: not null } => "the NKey in Nats:NKeySeedFile",
                    { Token: not null } => "the token in Nats:Token",
                    { User: not null } => "the user and password in Nats:User and Nats:Password",
                    _ when options.Url.Contains('@', StringComparison.Ordinal) => "the credentials in Nats:Url",
                    _ => "no credentials (it requires some: set Nats:User and Nats:Password, Nats:Token, " +
                         "Nats:NKeySeedFile or Nats:CredsFile)",
                };
                return $"refused {setting}: {inner.Message}";
            }

            if (inner is AuthenticationException)
            {
                return $"failed the TLS handshake ({inner.Message}); check Nats:Tls:CaFile (the CA that signed the " +
                    "server's certificate), Nats:Tls:CertFile/KeyFile and Nats:Tls:Mode";
            }

            if (inner.Message.Contains("requires TLS", StringComparison.Ordinal))
            {
                return $"{inner.Message}; remove Nats:Tls:Mode=Disable or use a server without TLS";
            }
        }

        return null;
    }

    private ValueTask OnDisconnectedAsync(object? sender, NatsEventArgs args)
    {
        Log.ConnectionLost(logger, _servers, args.Message);
        return ValueTask.CompletedTask;
    }

    private ValueTask OnOpenedAsync(object? sender, NatsEventArgs args)
    {
        Log.ConnectionOpen(logger, connection.ServerInfo?.Name ?? "?", connection.ServerInfo?.Version ?? "?", _servers);
        return ValueTask.CompletedTask;
    }

    private static partial class Log
    {
        [LoggerMessage(LogLevel.Warning, "NATS connection lost ({Reason}) to {Servers}; reconnecting")]
        public static partial void ConnectionLost(ILogger logger, string servers, string reason);

        [LoggerMessage(LogLevel.Information, "NATS connection open to server {Server} {Version} ({Servers})")]
        public static partial void ConnectionOpen(ILogger logger, string server, string version, string servers);

        [LoggerMessage(LogLevel.Warning, "NATS at {Servers} is not reachable yet ({Error}); the client keeps trying")]
        public static partial void NotReachable(ILogger logger, string servers, string error);
    }
}
