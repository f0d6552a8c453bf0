using System.Security.Authentication;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NATS.Client.Core;

namespace StChat.Messaging;

/// <summary>
/// Connects at start so that configuration only a person can fix (refused credentials, an untrusted certificate)
/// stops the process with the setting named, while a server that is merely not up yet is tried again with backoff
/// until it answers.
/// Logs each connection event once: lost, and open again.
/// </summary>
internal sealed partial class NatsConnectionMonitor(
    NatsConnection connection, IOptions<NatsOptions> options, ILogger<NatsConnectionMonitor> logger) : IHostedService, IDisposable
{
    private static readonly TimeSpan ConnectPatience = TimeSpan.FromSeconds(10);

    private readonly string _servers = NatsUrl.Redact(options.Value.Url);
    private readonly CancellationTokenSource _stopping = new();
    private Task _retrying = Task.CompletedTask;

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
            Log.NotReachable(logger, _servers, e.Message, options.Value.ReconnectWait, options.Value.ReconnectWaitMax);
            _retrying = KeepConnectingAsync(_stopping.Token);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        connection.ConnectionDisconnected -= OnDisconnectedAsync;
        connection.ConnectionOpened -= OnOpenedAsync;
        await _stopping.CancelAsync();
        await _retrying.WaitAsync(cancellationToken);
    }

    public void Dispose() => _stopping.Dispose();

    // NATS.Net retries a first connect only with RetryOnInitialConnect, and then it also retries refused credentials
    // forever without a word, which would hide the start-up check above. So the retrying is done here: the library's
    // reconnect logic takes over once a connection has been open.
    private async Task KeepConnectingAsync(CancellationToken stopping)
    {
        var wait = options.Value.ReconnectWait;
        var fatalLogged = false;
        while (!stopping.IsCancellationRequested && connection.ConnectionState != NatsConnectionState.Open)
        {
            try
            {
                await Task.Delay(wait, stopping);
                await connection.ConnectAsync().AsTask().WaitAsync(ConnectPatience, stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NatsException or TimeoutException)
            {
                // Logged once: it needs a person, and the attempts go on in case the server's side is what changes.
                if (!fatalLogged && FatalReason(e, options.Value) is { } reason)
                {
                    Log.Refused(logger, _servers, reason);
                    fatalLogged = true;
                }
            }

            wait = TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, options.Value.ReconnectWaitMax.Ticks));
        }
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

        [LoggerMessage(LogLevel.Warning,
            "NATS at {Servers} is not reachable yet ({Error}); trying again after {Wait}, then up to every {WaitMax}")]
        public static partial void NotReachable(ILogger logger, string servers, string error, TimeSpan wait, TimeSpan waitMax);

        [LoggerMessage(LogLevel.Error, "NATS at {Servers} {Reason}; still trying")]
        public static partial void Refused(ILogger logger, string servers, string reason);
    }
}
