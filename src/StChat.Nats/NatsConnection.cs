using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using StChat.Nats.Internal;

namespace StChat.Nats;

/// <summary>
/// A connection to a NATS server. Connects on first use, reconnects with backoff when the server goes away,
/// re-subscribes and replays publishes buffered while disconnected.
/// </summary>
public sealed partial class NatsConnection : IAsyncDisposable
{
    private readonly ILogger _logger;
    private readonly IReadOnlyList<ServerAddress> _servers;
    private readonly CommandWriter _writer = new();
    private readonly ConcurrentDictionary<int, NatsSubscription> _subs = new();
    private readonly SemaphoreSlim _connectLock = new(1, 1);
    private readonly CancellationTokenSource _disposeCts = new();

    // Guards _current, _state and _opened together so a loss and a reconnect cannot interleave.
    private readonly Lock _stateLock = new();
    private ServerConnection? _current;
    private volatile NatsConnectionState _state;
    private TaskCompletionSource _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Why the connection is Closed after giving up reconnecting; reported to callers that were waiting for it.
    private NatsException? _closedReason;
    private Task _flushTask = Task.CompletedTask;
    private Task _reconnectTask = Task.CompletedTask;
    private int _nextSid;
    private int _disposed;

    /// <summary>Creates a connection; it connects on <see cref="ConnectAsync"/> or first use.</summary>
    public NatsConnection(NatsOpts? opts = null)
    {
        Opts = opts ?? NatsOpts.Default;
        _servers = ServerAddress.ParseList(Opts.Url);
        _logger = Opts.LoggerFactory.CreateLogger<NatsConnection>();
    }

    /// <summary>Options the connection was created with.</summary>
    public NatsOpts Opts { get; }

    /// <summary>Current state.</summary>
    public NatsConnectionState ConnectionState => _state;

    // Bytes of commands queued for the socket and not yet sent.
    internal long PendingBytes => _writer.PendingBytes;

    /// <summary>INFO of the server currently or last connected to.</summary>
    public NatsServerInfo? ServerInfo { get; private set; }

    /// <summary>Raised after a connection (first or reconnect) completes its handshake.</summary>
    public event EventHandler<NatsEventArgs>? ConnectionOpened;

    /// <summary>Raised when an open connection is lost; the message says why.</summary>
    public event EventHandler<NatsEventArgs>? ConnectionDisconnected;

    /// <summary>Raised when a reconnect attempt fails, and when reconnecting is given up.</summary>
    public event EventHandler<NatsEventArgs>? ReconnectFailed;

    /// <summary>Raised when a subscription starts dropping messages because its channel is full.</summary>
    public event EventHandler<NatsSlowConsumerEventArgs>? SlowConsumerDetected;

    private bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>
    /// Connects to the first reachable server and completes the handshake. Other operations call it implicitly.
    /// Throws <see cref="NatsServerErrorException"/> when the server rejects the credentials and
    /// <see cref="NatsException"/> when no server can be reached.
    /// </summary>
    public async ValueTask ConnectAsync(CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (_state is NatsConnectionState.Open or NatsConnectionState.Reconnecting)
        {
            return;
        }

        await _connectLock.WaitAsync(ct);
        try
        {
            if (_state is NatsConnectionState.Open or NatsConnectionState.Reconnecting)
            {
                return;
            }

            _state = NatsConnectionState.Connecting;
            var errors = new List<Exception>();
            foreach (var address in _servers)
            {
                try
                {
                    var connection = await HandshakeAsync(address, ct);
                    Install(connection, reconnected: false);
                    return;
                }
                catch (Exception ex) when (!ct.IsCancellationRequested && ex is not ObjectDisposedException)
                {
                    _logger.LogWarning("Connecting to NATS server {Server} failed: {Error}", address, ex.Message);
                    errors.Add(ex);
                }
            }

            _state = NatsConnectionState.Closed;
            if (errors.Count == 1 && errors[0] is NatsException single)
            {
                throw single;
            }

            throw new NatsException(
                $"Could not connect to any NATS server in '{Opts.Url}': {string.Join("; ", errors.Select(e => e.Message))}",
                new AggregateException(errors));
        }
        catch (OperationCanceledException)
        {
            _state = NatsConnectionState.Closed;
            throw;
        }
        finally
        {
            _connectLock.Release();
        }
    }

    /// <summary>Creates a unique subject under <see cref="NatsOpts.InboxPrefix"/> for replies.</summary>
    public string NewInbox() => $"{Opts.InboxPrefix}.{Nuid.Next()}";

    /// <summary>
    /// Unsubscribes everything, waits until messages the server already sent have reached the subscription
    /// channels and buffered publishes have been processed, then closes. Buffered messages stay readable.
    /// </summary>
    public async ValueTask DrainAsync(CancellationToken ct = default)
    {
        if (IsDisposed)
        {
            return;
        }

        if (_state is NatsConnectionState.Open or NatsConnectionState.Reconnecting)
        {
            foreach (var sub in _subs.Values)
            {
                _writer.Unsubscribe(sub.Sid);
            }

            try
            {
                // The PONG comes after every MSG the server sent before it, so all of them are in the channels now.
                await PingCoreAsync(Opts.RequestTimeout, ct);
            }
            catch (NatsTimeoutException ex)
            {
                _logger.LogWarning("Draining the NATS connection did not finish in time: {Error}", ex.Message);
            }
        }

        await DisposeAsync();
    }

    /// <summary>
    /// Waits a bounded time (<see cref="NatsOpts.RequestTimeout"/>) for buffered publishes to reach the server,
    /// then closes the socket and completes every subscription channel.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_state == NatsConnectionState.Open || (_state == NatsConnectionState.Reconnecting && _writer.PendingBytes > 0))
        {
            try
            {
                await PingCoreAsync(Opts.RequestTimeout, CancellationToken.None);
            }
            catch (NatsException ex)
            {
                _logger.LogWarning("Buffered NATS commands may not have reached the server before closing: {Error}", ex.Message);
            }
        }

        await _disposeCts.CancelAsync();
        ServerConnection? connection;
        lock (_stateLock)
        {
            connection = _current;
            _current = null;
            _state = NatsConnectionState.Closed;
        }

        connection?.Abort();
        _writer.Complete();
        await WhenAllIgnoringErrors(connection?.ReadTask, connection?.KeepaliveTask, _flushTask, _reconnectTask);

        var closed = new ObjectDisposedException(nameof(NatsConnection));
        FailPings(closed);
        FailRequests(closed);
        foreach (var sub in _subs.Values)
        {
            sub.Complete();
        }

        _subs.Clear();
        _disposeCts.Dispose();
        _logger.LogDebug("NATS connection closed");
    }

    private static async Task WhenAllIgnoringErrors(params Task?[] tasks)
    {
        foreach (var task in tasks)
        {
            if (task is null)
            {
                continue;
            }

            try
            {
                await task;
            }
            catch (Exception)
            {
                // Loop failures were already logged and handled where they happened.
            }
        }
    }

    private void Raise<T>(EventHandler<T>? handler, T args)
    {
        if (handler is null)
        {
            return;
        }

        try
        {
            handler(this, args);
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "A NatsConnection event handler threw");
        }
    }
}
