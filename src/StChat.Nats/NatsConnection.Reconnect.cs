using Microsoft.Extensions.Logging;
using StChat.Nats.Internal;

namespace StChat.Nats;

public sealed partial class NatsConnection
{
    private void Install(ServerConnection connection, bool reconnected)
    {
        lock (_stateLock)
        {
            if (IsDisposed)
            {
                connection.Abort();
                throw new ObjectDisposedException(nameof(NatsConnection));
            }

            _current = connection;
            ServerInfo = connection.Info;
            _state = NatsConnectionState.Open;
            connection.ReadTask = Task.Run(() => ReadLoopAsync(connection));
            connection.KeepaliveTask = Task.Run(() => KeepaliveLoopAsync(connection));
            if (_flushTask.IsCompleted)
            {
                _flushTask = Task.Run(FlushLoopAsync);
            }

            _opened.TrySetResult();
        }

        var info = connection.Info;
        _logger.LogInformation(
            "{Action} NATS server {Server} (server {ServerName} {Version}, max_payload {MaxPayload})",
            reconnected ? "Reconnected to" : "Connected to",
            connection.Address,
            info.ServerName,
            info.Version,
            info.MaxPayload);
        Raise(ConnectionOpened, new NatsEventArgs($"{(reconnected ? "Reconnected" : "Connected")} to {connection.Address}"));
    }

    // Called by whichever loop notices first; later calls for the same socket do nothing.
    private void OnConnectionLost(ServerConnection connection, Exception? reason)
    {
        if (!connection.MarkLost())
        {
            return;
        }

        bool wasCurrent;
        lock (_stateLock)
        {
            wasCurrent = !IsDisposed && ReferenceEquals(_current, connection);
            if (wasCurrent)
            {
                _current = null;
                _state = NatsConnectionState.Reconnecting;
                _opened = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _reconnectTask = Task.Run(ReconnectLoopAsync);
            }
        }

        // Aborted only once it is no longer _current: WaitForOpenConnectionAsync must never hand out a cancelled
        // connection, or the flush loop would fail on it at once and ask again in a tight loop.
        connection.Abort();
        if (!wasCurrent)
        {
            return;
        }

        var why = reason?.Message ?? "the server closed the connection";
        if (reason is NatsProtocolException)
        {
            _logger.LogError(reason, "Protocol error from NATS server {Server}; closing the connection and reconnecting", connection.Address);
        }
        else
        {
            _logger.LogWarning("Disconnected from NATS server {Server}: {Reason}", connection.Address, why);
        }

        // PINGs still in the pipe go out again on the next socket and keep their waiters.
        FailPings(new NatsConnectionLostException($"Connection to {connection.Address} was lost: {why}"), _writer.SentBytes);
        Raise(ConnectionDisconnected, new NatsEventArgs($"Disconnected from {connection.Address}: {why}"));
    }

    // Exponential backoff from ReconnectWaitMin to ReconnectWaitMax plus random jitter; servers tried in random order.
    private async Task ReconnectLoopAsync()
    {
        var token = _disposeCts.Token;
        var attempt = 0;
        while (!token.IsCancellationRequested)
        {
            if (Opts.MaxReconnectRetry >= 0 && attempt >= Opts.MaxReconnectRetry)
            {
                GiveUp();
                return;
            }

            var delay = GetReconnectDelay(attempt++);
            try
            {
                await Task.Delay(delay, token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            var servers = _servers.ToArray();
            Random.Shared.Shuffle(servers);
            foreach (var address in servers)
            {
                try
                {
                    var connection = await HandshakeAsync(address, token);
                    Install(connection, reconnected: true);
                    return;
                }
                catch (Exception) when (token.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex)
                {
                    _logger.LogWarning("Reconnect attempt {Attempt} to NATS server {Server} failed: {Error}", attempt, address, ex.Message);
                    Raise(ReconnectFailed, new NatsEventArgs($"Reconnect attempt {attempt} to {address} failed: {ex.Message}"));
                }
            }
        }
    }

    private TimeSpan GetReconnectDelay(int attempt)
    {
        var min = Opts.ReconnectWaitMin.TotalMilliseconds;
        var max = Math.Max(min, Opts.ReconnectWaitMax.TotalMilliseconds);
        var backoff = Math.Min(max, min * Math.Pow(2, Math.Min(attempt, 30)));
        var jitter = Random.Shared.NextDouble() * Opts.ReconnectJitter.TotalMilliseconds;
        return TimeSpan.FromMilliseconds(backoff + jitter);
    }

    private void GiveUp()
    {
        var message = $"Gave up reconnecting to '{Opts.Url}' after {Opts.MaxReconnectRetry} attempts.";
        var error = new NatsException(message);
        TaskCompletionSource reconnect;
        long discardedUpTo;
        lock (_stateLock)
        {
            // Before the state allows a new ConnectAsync: nothing queued for the lost connection may reach a later one
            // (those commands may be hours old, and their SUBs belong to subscriptions completed below).
            _writer.Discard(error);
            discardedUpTo = _writer.SentBytes;
            _state = NatsConnectionState.Closed;
            _closedReason = error;
            reconnect = _opened;
            _opened = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        _logger.LogError("{Message}", message);

        // Callers waiting for the reconnect (PingAsync, FlushAsync, the closing flush) get the reason instead of a timeout.
        // Observed here: when nobody was waiting, the fault must not surface later as an unobserved task exception.
        reconnect.TrySetException(error);
        _ = reconnect.Task.Exception;
        FailPings(error, discardedUpTo);
        FailRequests(error);
        foreach (var sub in _subs.Values)
        {
            sub.Complete(error);
        }

        _subs.Clear();
        Raise(ReconnectFailed, new NatsEventArgs(message));
    }

    // The flush loop waits through a Closed state too (the next ConnectAsync opens it again); a caller that only wants
    // the connection it already had (a PING sent again after its socket died) is told the reason instead, since
    // after giving up no reconnect is coming.
    private async ValueTask<ServerConnection> WaitForOpenConnectionAsync(CancellationToken ct, bool waitWhileClosed = true)
    {
        while (true)
        {
            Task opened;
            lock (_stateLock)
            {
                // A cancelled connection is being torn down; the next open one completes _opened.
                if (_current is { } current && _state == NatsConnectionState.Open && !current.Token.IsCancellationRequested)
                {
                    return current;
                }

                if (_state == NatsConnectionState.Closed && IsDisposed)
                {
                    throw new ObjectDisposedException(nameof(NatsConnection));
                }

                if (_state == NatsConnectionState.Closed && !waitWhileClosed)
                {
                    throw _closedReason ?? new NatsException("The connection to the NATS server is closed.");
                }

                opened = _opened.Task;
            }

            await opened.WaitAsync(ct);
        }
    }
}
