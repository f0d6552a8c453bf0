using System.Buffers;
using Microsoft.Extensions.Logging;
using StChat.Nats.Internal;

namespace StChat.Nats;

public sealed partial class NatsConnection
{
    private const int FlushChunkSize = 64 * 1024;

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

        connection.Abort();
        if (IsDisposed)
        {
            return;
        }

        lock (_stateLock)
        {
            if (!ReferenceEquals(_current, connection))
            {
                return;
            }

            _current = null;
            _state = NatsConnectionState.Reconnecting;
            _opened = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _reconnectTask = Task.Run(ReconnectLoopAsync);
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

        FailPings(new NatsConnectionLostException($"Connection to {connection.Address} was lost: {why}"));
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
        lock (_stateLock)
        {
            _state = NatsConnectionState.Closed;
        }

        var message = $"Gave up reconnecting to '{Opts.Url}' after {Opts.MaxReconnectRetry} attempts.";
        _logger.LogError("{Message}", message);
        var error = new NatsException(message);
        FailRequests(error);
        foreach (var sub in _subs.Values)
        {
            sub.Complete(error);
        }

        _subs.Clear();
        Raise(ReconnectFailed, new NatsEventArgs(message));
    }

    // The single writer to the socket: takes whatever commands are in the pipe and sends them in batches.
    // While disconnected it waits, so the pipe holds commands until the next handshake has re-subscribed.
    private async Task FlushLoopAsync()
    {
        var reader = _writer.Reader;
        var chunk = ArrayPool<byte>.Shared.Rent(FlushChunkSize);
        try
        {
            // Runs until DisposeAsync cancels it, so a closing flush still goes out after _disposed is set.
            while (true)
            {
                var connection = await WaitForOpenConnectionAsync(_disposeCts.Token);
                System.IO.Pipelines.ReadResult result;
                try
                {
                    result = await reader.ReadAsync(connection.Token);
                }
                catch (OperationCanceledException)
                {
                    continue;
                }

                var buffer = result.Buffer;

                // Read before AdvanceTo: once advanced, the pipe may recycle the segments the sequence points at.
                var length = buffer.Length;
                try
                {
                    await WriteBatchAsync(connection, buffer, chunk);
                }
                catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or System.Net.Sockets.SocketException)
                {
                    // Not consumed: these commands go out again on the next connection.
                    reader.AdvanceTo(buffer.Start);
                    OnConnectionLost(connection, ex is OperationCanceledException ? null : ex);
                    continue;
                }

                reader.AdvanceTo(buffer.End);
                _writer.OnSent(length);
                if (result.IsCompleted)
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    // Small pipe segments are coalesced into one write; large ones go straight to the stream.
    private static async ValueTask WriteBatchAsync(ServerConnection connection, ReadOnlySequence<byte> buffer, byte[] chunk)
    {
        var stream = connection.Stream;
        var token = connection.Token;
        var filled = 0;
        foreach (var segment in buffer)
        {
            if (segment.Length >= chunk.Length)
            {
                if (filled > 0)
                {
                    await stream.WriteAsync(chunk.AsMemory(0, filled), token);
                    filled = 0;
                }

                await stream.WriteAsync(segment, token);
                continue;
            }

            if (filled + segment.Length > chunk.Length)
            {
                await stream.WriteAsync(chunk.AsMemory(0, filled), token);
                filled = 0;
            }

            segment.CopyTo(chunk.AsMemory(filled));
            filled += segment.Length;
        }

        if (filled > 0)
        {
            await stream.WriteAsync(chunk.AsMemory(0, filled), token);
        }

        await stream.FlushAsync(token);
    }

    private async ValueTask<ServerConnection> WaitForOpenConnectionAsync(CancellationToken ct)
    {
        while (true)
        {
            Task opened;
            lock (_stateLock)
            {
                if (_current is { } current && _state == NatsConnectionState.Open)
                {
                    return current;
                }

                if (_state == NatsConnectionState.Closed && IsDisposed)
                {
                    throw new ObjectDisposedException(nameof(NatsConnection));
                }

                opened = _opened.Task;
            }

            await opened.WaitAsync(ct);
        }
    }
}
