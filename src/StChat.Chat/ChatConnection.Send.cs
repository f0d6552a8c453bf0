using System.Net.WebSockets;
using Microsoft.Extensions.Logging;

namespace StChat.Chat;

internal sealed partial class ChatConnection
{
    private const int ReadAttempts = 3;

    // The highest seq this client has been sent. Only the send loop touches it.
    private long _lastDelivered;

    // Bounds a send that has to wait; reset after it rather than allocated per frame.
    private CancellationTokenSource _sendTimeout = new();

    private async Task SendLoopAsync()
    {
        // Yield first so that RunAsync goes on to queue the join and start receiving while history is read.
        await Task.Yield();
        var reader = _sendQueue.Reader;
        try
        {
            // Live events are already being buffered (the subscription came first); the replay reads what came before
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
                || ChatRetryableFailures.IsRetryable(e))
            {
                _logger.LogDebug("{User} in {Room}: flush before close failed: {Error}", User, Room, e.Message);
            }
        }
        catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException)
        {
            _logger.LogDebug("{User} in {Room}: send failed: {Error}", User, Room, e.Message);
            _socket.Abort();
            return;
        }
        catch (Exception e) when (ChatRetryableFailures.IsRetryable(e))
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
            await ResumeAsync(item.ResumeAfter);
        }
        else
        {
            await SendFrameAsync(item.Frame);
        }
    }

    private async Task StartDeliveryAsync()
    {
        // The endpoint has checked that `after` is not beyond the room's last seq.
        if (_resumeAfter is { } after)
        {
            _lastDelivered = after;
            await ReplayAsync();
            return;
        }

        var (events, lastSeq) = await ReadWithRetryAsync(ct => _store.ReadLatestAsync(Room, _options.HistoryLength, ct));
        foreach (var e in events)
        {
            await SendFrameAsync(e.Json);
        }

        _lastDelivered = lastSeq;
        await FinishReplayAsync();
    }

    // {"action":"resume","after":N}: replays from N, unless N is beyond the room's last event (then nothing later
    // would ever be delivered, so the client is told the last seq instead).
    private async Task ResumeAsync(long after)
    {
        try
        {
            if (after > _lastDelivered)
            {
                var last = await ReadWithRetryAsync(ct => _store.ReadLastSeqAsync(Room, ct));
                if (after > last)
                {
                    await SendFrameAsync(ChatFrames.Error(ChatErrorCodes.BadRequest,
                        $"after {after} is beyond the last event of {Room}, #{last}; resume with an after of at most {last} (0 for everything)."));
                    return;
                }
            }

            lock (_liveGate)
            {
                _replaying = true;
            }

            _lastDelivered = after;
            await ReplayAsync();
        }
        finally
        {
            Volatile.Write(ref _resumeQueued, 0);
        }
    }

    // Every event after _lastDelivered, read from chat_log and sent at the pace the socket takes them, then the live
    // events buffered meanwhile, without a gap or a duplicate; returns with the connection in live mode.
    private async Task ReplayAsync()
    {
        await CatchUpAsync(long.MaxValue);
        await FinishReplayAsync();
    }

    // Drains the live buffer until it is found empty, which switches delivery back to the send queue. When the buffer
    // overflowed, the events it dropped are all in chat_log, so reading on from _lastDelivered covers them.
    private async Task FinishReplayAsync()
    {
        while (true)
        {
            ChatEvent[] live;
            var overflowed = false;
            lock (_liveGate)
            {
                if (_liveOverflowed)
                {
                    _liveOverflowed = false;
                    overflowed = true;
                    live = [];
                }
                else if (_live is not { Count: > 0 })
                {
                    _live = null;
                    _replaying = false;
                    return;
                }
                else
                {
                    live = _live.ToArray();
                    _live = null;
                }
            }

            if (overflowed)
            {
                await CatchUpAsync(long.MaxValue);
            }

            foreach (var e in live)
            {
                await DeliverAsync(e);
            }
        }
    }

    // Between replay pages: acks, errors and typing notices queued meanwhile go out now instead of piling up behind the
    // replay, and queued events move to the live buffer. A resume request stops this; it runs after the current replay.
    private async Task SendQueuedFramesAsync()
    {
        var reader = _sendQueue.Reader;
        while (reader.TryPeek(out var next) && next.ResumeAfter < 0 && reader.TryRead(out var item))
        {
            if (item.Event is { } e)
            {
                lock (_liveGate)
                {
                    BufferLive(e);
                }
            }
            else
            {
                await SendFrameAsync(item.Frame);
            }
        }
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

            // Only the send loop changes _replaying, so it can read it without the lock.
            if (_replaying)
            {
                await SendQueuedFramesAsync();
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
            catch (Exception e) when (attempt < ReadAttempts && !_closeRequested.IsCancellationRequested && ChatRetryableFailures.IsRetryable(e))
            {
                await Task.Delay(delay, _time, _closeRequested.Token);
                delay *= 2;
            }
        }
    }

    // Keep-alive pings cannot detect a peer that answers pings but does not read: every send has its own bound, and
    // a frame not taken in time drops the connection. Almost every send completes at once, into Kestrel's output
    // pipe, so the socket is given no token (its fast path: no registration, no state machine) and only a send that
    // has to wait arms the timer.
    private ValueTask SendFrameAsync(ReadOnlyMemory<byte> frame)
    {
        var send = _socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        if (send.IsCompletedSuccessfully)
        {
            send.GetAwaiter().GetResult();
            return ValueTask.CompletedTask;
        }

        return AwaitSendAsync(send);
    }

    private async ValueTask AwaitSendAsync(ValueTask send)
    {
        _sendTimeout.CancelAfter(_options.SendTimeout);
        try
        {
            // Aborting is what a cancelled token would make the socket do: it fails the pending write.
            using (_sendTimeout.Token.UnsafeRegister(static socket => ((WebSocket)socket!).Abort(), _socket))
            {
                await send;
            }
        }
        catch (Exception e) when (_sendTimeout.IsCancellationRequested && e is OperationCanceledException or WebSocketException or IOException or ObjectDisposedException)
        {
            _logger.LogWarning("{User} in {Room}: disconnected, a frame was not taken within {Timeout}", User, Room, _options.SendTimeout);
            _socket.Abort();
            throw new WebSocketException(WebSocketError.Faulted, $"A frame was not taken by the client within {_options.SendTimeout}.");
        }

        if (!_sendTimeout.TryReset())
        {
            // The timer fired just after the send completed.
            _sendTimeout.Dispose();
            _sendTimeout = new CancellationTokenSource();
        }
    }

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
