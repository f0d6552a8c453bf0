using System.Buffers;
using System.Net.WebSockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using StChat.Messaging;

namespace StChat.Chat;

// The WebSocket of one client: its receive loop, its send loop and queue, the per-frame send timeout and the close
// handshake. The send loop is the only writer to the socket. Anything that wants a frame sent puts it in the bounded
// send queue; a reader too slow to keep it from filling up, or to take one frame within SendTimeout, is disconnected
// instead of slowing its rooms. Replays from chat_log are the exception: they go at the socket's pace, one page of one
// subscription at a time in turn, with the queue emptied between pages, so a long replay of one conversation holds
// back neither the live events of another nor acks and errors.
internal sealed class ChatSocket
{
    // RFC 6455 (IANA registry) 1012 Service Restart: not in WebSocketCloseStatus.
    private const WebSocketCloseStatus ServiceRestart = (WebSocketCloseStatus)1012;

    // How long a peer has to answer our close frame before the socket is aborted.
    private static readonly TimeSpan CloseHandshakeTimeout = TimeSpan.FromSeconds(5);

    // Room for the JSON envelope, the room key and the id around a message of MaxMessageBytes.
    private const int EnvelopeBytes = 1024;

    private readonly WebSocket _socket;
    private readonly ChatSession _session;
    private readonly ChatOptions _options;
    private readonly ChatMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Channel<Outgoing> _sendQueue;
    private readonly CancellationTokenSource _closeRequested = new();
    private readonly CancellationToken _requestAborted;
    private readonly WebSocketSendTimeout _sends;

    // Cancelled when a peer goes away while its frame is handled, or does not answer our close in time; not linked to
    // the request for the whole connection, so an idle connection holds no registration for it.
    private readonly CancellationTokenSource _receiveAbort = new();

    // Subscriptions with a replay under way, served one page each in turn; null when there are none, as on an idle
    // connection. Only the send loop touches it.
    private Queue<RoomSubscription>? _replays;
    private WebSocketCloseStatus _closeStatus = WebSocketCloseStatus.NormalClosure;
    private string _closeReason = "";
    private bool _shuttingDown;
    private int _slow;

    public ChatSocket(
        WebSocket socket, ChatSession session, ChatOptions options, ChatMetrics metrics, ILogger logger, CancellationToken requestAborted)
    {
        _socket = socket;
        _session = session;
        _options = options;
        _metrics = metrics;
        _logger = logger;
        _requestAborted = requestAborted;
        _sends = new WebSocketSendTimeout(socket, options.SendTimeout);
        _sendQueue = Channel.CreateBounded<Outgoing>(new BoundedChannelOptions(_options.SendQueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public bool IsClosing => _closeRequested.IsCancellationRequested;

    public bool ShuttingDown => _shuttingDown;

    // Cancelled once a close has been requested; replays and retries give up on it.
    public CancellationToken Closing => _closeRequested.Token;

    public CancellationToken ReceiveAborted => _receiveAbort.Token;

    public async Task RunAsync(CancellationToken stopping)
    {
        var sender = SendLoopAsync();
        try
        {
            using (stopping.Register(static state => ((ChatSocket)state!).RequestShutdownClose(), this))
            {
                await ReceiveLoopAsync();
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            _logger.LogDebug("{User}: connection ended: {Error}", _session.User, e.Message);
        }
        catch (Exception e)
        {
            _logger.LogError(e, "{User}: connection failed", _session.User);
        }
        finally
        {
            RequestClose(WebSocketCloseStatus.NormalClosure, "");
            await WaitForSenderAsync(sender);
            _receiveAbort.Dispose();
            _closeRequested.Dispose();
            _sends.Dispose();
        }
    }

    public void Send(byte[] frame) => Enqueue(Outgoing.Raw(frame));

    public void Enqueue(Outgoing item)
    {
        if (_sendQueue.Writer.TryWrite(item) || Volatile.Read(ref _slow) != 0 || _closeRequested.IsCancellationRequested)
        {
            return;
        }

        // The send loop cannot keep up: the peer is not reading. Waiting for it would hold up its rooms.
        if (Interlocked.Exchange(ref _slow, 1) == 0)
        {
            _logger.LogWarning("{User}: disconnected, {Capacity} frames queued and not read", _session.User, _options.SendQueueCapacity);
            _metrics.SlowReaderDropped(sendTimedOut: false);
            _sendQueue.Writer.TryComplete();
            _socket.Abort();
        }
    }

    // The first request wins: it decides the close status the send loop will send.
    public void RequestClose(WebSocketCloseStatus status, string reason, bool shuttingDown = false)
    {
        lock (_closeRequested)
        {
            if (_closeRequested.IsCancellationRequested)
            {
                return;
            }

            _closeStatus = status;
            _closeReason = reason;
            _shuttingDown = shuttingDown;
            _closeRequested.Cancel();
        }

        // The send loop waits on the queue without a token (one registration less per idle connection): completing
        // the queue wakes it, and what is already queued is still flushed before the close frame.
        _sendQueue.Writer.TryComplete();
        try
        {
            // The idle read has no token either: a peer that does not answer the close in time has its socket aborted,
            // which is what a cancelled read would do.
            _receiveAbort.Token.UnsafeRegister(static socket => ((WebSocket)socket!).Abort(), _socket);
            _receiveAbort.CancelAfter(CloseHandshakeTimeout + (shuttingDown ? _options.ShutdownTimeout : TimeSpan.Zero));
        }
        catch (ObjectDisposedException)
        {
        }
    }

    // Keep-alive pings cannot detect a peer that answers pings but does not read: every send has its own bound, and
    // a frame not taken in time drops the connection. Send loop only.
    public ValueTask SendFrameAsync(ReadOnlyMemory<byte> frame)
    {
        var send = _sends.SendAsync(frame);
        return send.IsCompletedSuccessfully ? send : AwaitSendAsync(send);
    }

    private async Task ReceiveLoopAsync()
    {
        while (!_closeRequested.IsCancellationRequested)
        {
            // A zero-byte read waits for the next frame's header without a buffer: an idle connection holds none, and
            // one is rented from the pool only while a frame is read and handled. No token: see RequestClose.
            var result = await _socket.ReceiveAsync(Memory<byte>.Empty, CancellationToken.None);
            if (!await ReadAndHandleFrameAsync(result))
            {
                return;
            }
        }

        await DrainUntilCloseAsync();
    }

    // Reads the rest of the frame whose start is `result`, then handles it; false when the peer has closed.
    private async Task<bool> ReadAndHandleFrameAsync(ValueWebSocketReceiveResult result)
    {
        var limit = _options.MaxMessageBytes + EnvelopeBytes;
        using var aborted = _requestAborted.UnsafeRegister(static receive => ((CancellationTokenSource)receive!).Cancel(), _receiveAbort);
        var buffer = ArrayPool<byte>.Shared.Rent(limit);
        try
        {
            var count = 0;
            while (true)
            {
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    RequestClose(WebSocketCloseStatus.NormalClosure, "");
                    return false;
                }

                if (result.MessageType == WebSocketMessageType.Binary)
                {
                    RequestClose(WebSocketCloseStatus.InvalidMessageType, "binary frames are not supported; send JSON text");
                    return true;
                }

                count += result.Count;
                if (result.EndOfMessage)
                {
                    break;
                }

                // Checked before reading on: a client cannot make us buffer more than the limit.
                if (count == limit)
                {
                    RequestClose(WebSocketCloseStatus.MessageTooBig, $"frame larger than {limit} bytes");
                    return true;
                }

                result = await _socket.ReceiveAsync(buffer.AsMemory(count, limit - count), _receiveAbort.Token);
            }

            if (!_closeRequested.IsCancellationRequested)
            {
                await _session.HandleFrameAsync(buffer.AsMemory(0, count));
            }

            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // After our close frame, data still in flight is discarded until the peer's close frame (or the handshake timeout).
    private async Task DrainUntilCloseAsync()
    {
        var buffer = ArrayPool<byte>.Shared.Rent(EnvelopeBytes);
        try
        {
            while (_socket.State is WebSocketState.Open or WebSocketState.CloseSent)
            {
                var result = await _socket.ReceiveAsync(buffer.AsMemory(), _receiveAbort.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task SendLoopAsync()
    {
        // Yield first so that the session goes on to subscribe and start receiving while history is read.
        await Task.Yield();
        var reader = _sendQueue.Reader;
        try
        {
            while (true)
            {
                while (!_closeRequested.IsCancellationRequested && reader.TryRead(out var item))
                {
                    await SendItemAsync(item);
                }

                _closeRequested.Token.ThrowIfCancellationRequested();
                if (_replays is not null && _replays.TryDequeue(out var replaying))
                {
                    if (_replays.Count == 0)
                    {
                        _replays = null;
                    }

                    await ReplayStepAsync(replaying);
                    continue;
                }

                // No token: the channel reuses its one waiter only for a wait that cannot be cancelled, and an idle
                // socket waits once per event it is sent. A close completes the queue instead, which ends the wait.
                if (!await reader.WaitToReadAsync())
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (_closeRequested.IsCancellationRequested)
        {
            // What is already queued (the ack or error that explains the close) still goes out before the close frame.
            try
            {
                while (_socket.State == WebSocketState.Open && reader.TryRead(out var item) && item.Replay is null)
                {
                    if (item.Event is null)
                    {
                        await SendFrameAsync(item.Frame);
                    }
                }
            }
            catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException)
            {
                _logger.LogDebug("{User}: flush before close failed: {Error}", _session.User, e.Message);
            }
        }
        catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException)
        {
            _logger.LogDebug("{User}: send failed: {Error}", _session.User, e.Message);
            _socket.Abort();
            return;
        }

        await CloseAsync();
    }

    private async ValueTask SendItemAsync(Outgoing item)
    {
        if (item.Event is { } e)
        {
            if (_session.Find(e.Room) is not { } subscription)
            {
                return;
            }

            try
            {
                await subscription.OnQueuedAsync(e);
            }
            catch (Exception failure) when (IsLogFailure(failure))
            {
                ReplayFailed(subscription, failure);
            }
        }
        else if (item.Replay is { } request)
        {
            try
            {
                if (await request.Subscription.BeginReplayAsync(request))
                {
                    (_replays ??= new()).Enqueue(request.Subscription);
                }
            }
            catch (Exception failure) when (IsLogFailure(failure))
            {
                ReplayFailed(request.Subscription, failure);
            }
        }
        else
        {
            await SendFrameAsync(item.Frame);
        }
    }

    private async Task ReplayStepAsync(RoomSubscription subscription)
    {
        try
        {
            if (!await subscription.ReplayStepAsync())
            {
                (_replays ??= new()).Enqueue(subscription);
            }
        }
        catch (Exception failure) when (IsLogFailure(failure))
        {
            ReplayFailed(subscription, failure);
        }
    }

    private bool IsLogFailure(Exception e) => !_closeRequested.IsCancellationRequested && ChatRetryableFailures.IsRetryable(e);

    // A log that cannot be read ends that subscription (on a single-conversation URL, the connection), never the
    // send loop.
    private void ReplayFailed(RoomSubscription subscription, Exception e)
    {
        _logger.LogWarning("{User} in {Room}: replay from chat_log failed: {Error}", _session.User, subscription.Room, e.Message);
        _session.OnReplayFailed(subscription);
    }

    // Each send and the close handshake are bounded, so the send loop ends soon after a close is requested; if it
    // still does not (a stuck socket), the socket is aborted, which fails whatever it is waiting for.
    private async Task WaitForSenderAsync(Task sender)
    {
        var bound = _options.SendTimeout + CloseHandshakeTimeout + (_shuttingDown ? _options.ShutdownTimeout : TimeSpan.Zero);
        try
        {
            await sender.WaitAsync(bound);
        }
        catch (TimeoutException)
        {
            _logger.LogWarning("{User}: sending did not stop within {Bound}; aborting the socket", _session.User, bound);
            _socket.Abort();
            await sender;
        }
    }

    private async ValueTask AwaitSendAsync(ValueTask send)
    {
        try
        {
            await send;
        }
        catch (TimeoutException e)
        {
            _logger.LogWarning("{User}: disconnected, a frame was not taken within {Timeout}", _session.User, _options.SendTimeout);
            _metrics.SlowReaderDropped(sendTimedOut: true);
            throw new WebSocketException(WebSocketError.Faulted, e.Message);
        }
    }

    // A last frame before closing, when the send loop has given up: bounded, and silent if the socket is gone.
    public async Task TrySendAsync(ReadOnlyMemory<byte> frame)
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

    // One node of many (Chat:Bus=nats) drains: its clients are told to reconnect, which the load balancer sends to
    // another node, where they resume with after=; presence across nodes writes the exits of those who do not. A single
    // node stores its clients' exits and says goodbye with 1001.
    private void RequestShutdownClose()
    {
        if (_options.Bus == ChatOptions.NatsBus)
        {
            RequestClose(ServiceRestart, "reconnect to another node", shuttingDown: true);
        }
        else
        {
            RequestClose(WebSocketCloseStatus.EndpointUnavailable, "server shutting down", shuttingDown: true);
        }
    }

    private async Task CloseAsync()
    {
        if (_shuttingDown && _closeStatus == ServiceRestart)
        {
            await TrySendAsync(ChatFrames.Reconnect());
        }
        else if (_shuttingDown)
        {
            // Durable before the client is told: its exits are stored, then it gets 1001.
            await _session.StoreExitsAsync();
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
            _logger.LogDebug("{User}: close failed: {Error}", _session.User, e.Message);
        }
    }
}
