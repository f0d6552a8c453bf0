using System.Net.WebSockets;
using Microsoft.Extensions.Logging;

namespace StChat.Chat;

internal sealed partial class ChatConnection
{
    private const int ReadAttempts = 3;

    // The highest seq this client has been sent. Only the send loop touches it.
    private long _lastDelivered;

    private async Task SendLoopAsync()
    {
        // Yield first so that RunAsync goes on to queue the join and start receiving while history is read.
        await Task.Yield();
        var reader = _sendQueue.Reader;
        try
        {
            // Live events are already being queued (the subscription came first); the replay reads what came before
            // them, and DeliverAsync drops any live event the replay already covered. No gap, no duplicate.
            await StartDeliveryAsync();
            while (await reader.WaitToReadAsync(_closeRequested.Token))
            {
                while (!_closeRequested.IsCancellationRequested && reader.TryRead(out var item))
                {
                    await SendItemAsync(item);
                }
            }
        }
        catch (OperationCanceledException) when (_closeRequested.IsCancellationRequested)
        {
            // What is already queued (the ack or error that explains the close) still goes out before the close frame.
            try
            {
                while (_socket.State == WebSocketState.Open && reader.TryRead(out var item) && item.ResumeAfter < 0)
                {
                    await SendItemAsync(item);
                }
            }
            catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException
                || ChatLogWriter.IsRetryable(e))
            {
                _logger.LogDebug("{User} in {Room}: flush before close failed: {Error}", User, Room, e.Message);
            }
        }
        catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException)
        {
            _logger.LogDebug("{User} in {Room}: send failed: {Error}", User, Room, e.Message);
            return;
        }
        catch (Exception e) when (ChatLogWriter.IsRetryable(e))
        {
            // The history could not be read; the client knows its last seq and can come back with ?after=.
            _logger.LogWarning("{User} in {Room}: replay from chat_log failed: {Error}", User, Room, e.Message);
            await TrySendAsync(ChatFrames.Error(ChatErrorCodes.ReplayFailed,
                $"History could not be read; reconnect with ?after={_lastDelivered}.", retryable: true));
            RequestClose(WebSocketCloseStatus.InternalServerError, "history unavailable");
        }

        await CloseAsync();
    }

    private async Task SendItemAsync(Outgoing item)
    {
        if (item.Event is { } e)
        {
            await DeliverAsync(e);
        }
        else if (item.ResumeAfter >= 0)
        {
            _lastDelivered = item.ResumeAfter;
            await CatchUpAsync(long.MaxValue);
        }
        else
        {
            await SendFrameAsync(item.Frame);
        }
    }

    private async Task StartDeliveryAsync()
    {
        if (_resumeAfter is { } after)
        {
            _lastDelivered = after;
            await CatchUpAsync(long.MaxValue);
            return;
        }

        var (events, lastSeq) = await ReadWithRetryAsync(ct => _store.ReadLatestAsync(Room, _options.HistoryLength, ct));
        foreach (var e in events)
        {
            await SendFrameAsync(e.Json);
        }

        _lastDelivered = lastSeq;
    }

    // Strict seq order per connection, whatever order or duplication the fan-out produced.
    private async Task DeliverAsync(ChatEvent e)
    {
        if (e.Seq <= _lastDelivered)
        {
            return;
        }

        if (e.Seq > _lastDelivered + 1)
        {
            await CatchUpAsync(e.Seq);
        }

        await SendFrameAsync(e.Json);
        _lastDelivered = e.Seq;
    }

    // Sends the stored events after _lastDelivered and before `before`, page by page.
    private async Task CatchUpAsync(long before)
    {
        while (true)
        {
            var from = _lastDelivered;
            var page = await ReadWithRetryAsync(ct => _store.ReadAfterAsync(Room, from, before, ct));
            foreach (var e in page)
            {
                await SendFrameAsync(e.Json);
                _lastDelivered = e.Seq;
            }

            if (page.Count < ChatLogStore.ReadPageSize)
            {
                break;
            }
        }

        if (before != long.MaxValue && _lastDelivered < before - 1)
        {
            // Cannot happen while seqs are allocated and committed together; logged rather than stalling the client.
            _logger.LogError("{Room}: events {From}..{To} are missing from chat_log", Room, _lastDelivered + 1, before - 1);
            _lastDelivered = before - 1;
        }
    }

    private async Task<T> ReadWithRetryAsync<T>(Func<CancellationToken, Task<T>> read)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_closeRequested.Token);
                timeout.CancelAfter(_options.WriteAttemptTimeout);
                return await read(timeout.Token);
            }
            catch (Exception e) when (attempt < ReadAttempts && !_closeRequested.IsCancellationRequested && ChatLogWriter.IsRetryable(e))
            {
                await Task.Delay(delay, _time, _closeRequested.Token);
                delay *= 2;
            }
        }
    }

    private ValueTask SendFrameAsync(ReadOnlyMemory<byte> frame) =>
        _socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);

    private async Task TrySendAsync(ReadOnlyMemory<byte> frame)
    {
        try
        {
            using var timeout = new CancellationTokenSource(CloseHandshakeTimeout);
            await _socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
        }
        catch (Exception e) when (e is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    private async Task CloseAsync()
    {
        if (_shuttingDown)
        {
            // Durable before the client is told: its exit is stored, then it gets 1001.
            var exit = QueueEvent(ChatAction.Exit);
            if (exit is not null)
            {
                try
                {
                    await exit.Completion.Task.WaitAsync(_options.ShutdownTimeout);
                }
                catch (Exception e)
                {
                    _logger.LogWarning("{User} in {Room}: exit event not stored before close: {Error}", User, Room, e.Message);
                }
            }
        }

        if (_socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
        {
            return;
        }

        try
        {
            using var timeout = new CancellationTokenSource(CloseHandshakeTimeout);
            await _socket.CloseOutputAsync(_closeStatus, _closeReason, timeout.Token);
        }
        catch (Exception e) when (e is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            _logger.LogDebug("{User} in {Room}: close failed: {Error}", User, Room, e.Message);
        }
    }
}
