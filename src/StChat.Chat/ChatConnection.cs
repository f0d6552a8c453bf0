using System.Net.WebSockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace StChat.Chat;

// One WebSocket member of a room. Two loops: the receive loop reads and answers client frames; the send loop is the
// only writer to the socket and delivers room events strictly in seq order. Anything that wants a frame sent puts it
// in the bounded send queue; a reader too slow to keep it from filling up, or to take one frame within SendTimeout, is
// disconnected instead of slowing the room. A replay from chat_log is the exception: it goes at the socket's pace
// while the live events that arrive meanwhile wait in a buffer of their own.
internal sealed partial class ChatConnection : IRoomSubscriber
{
    // How long a peer has to answer our close frame before the socket is aborted.
    private static readonly TimeSpan CloseHandshakeTimeout = TimeSpan.FromSeconds(5);

    private readonly WebSocket _socket;
    private readonly ChatOptions _options;
    private readonly ChatLogWriter _writer;
    private readonly ChatLogStore _store;
    private readonly IRoomEventBus _bus;
    private readonly ChatPresence _presence;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<Outgoing> _sendQueue;
    private readonly CancellationTokenSource _closeRequested = new();
    private readonly CancellationTokenSource _receiveAbort;
    private readonly long? _resumeAfter;
    private WebSocketCloseStatus _closeStatus = WebSocketCloseStatus.NormalClosure;
    private string _closeReason = "";
    private bool _shuttingDown;
    private int _exitQueued;
    private int _slow;

    // Live events that arrive during a replay wait here rather than in the send queue: the replay is paced by the
    // socket and may take long, and must not make the client look like a slow reader. Bounded by SendQueueCapacity;
    // on overflow the buffer is emptied and the replay reads on from chat_log, which holds every event it dropped.
    // Created on first use and dropped when the replay ends, so a connection in live mode holds none.
    private readonly Lock _liveGate = new();
    private Queue<ChatEvent>? _live;
    private bool _replaying = true;
    private bool _liveOverflowed;

    public ChatConnection(
        WebSocket socket,
        string room,
        string user,
        long? resumeAfter,
        ChatServices services,
        CancellationToken requestAborted)
    {
        _socket = socket;
        Room = room;
        User = user;
        _resumeAfter = resumeAfter;
        _options = services.Options;
        _writer = services.Writer;
        _store = services.Store;
        _bus = services.Bus;
        _presence = services.Presence;
        _time = services.Time;
        _logger = services.Logger;
        _receiveAbort = CancellationTokenSource.CreateLinkedTokenSource(requestAborted);
        _sendQueue = Channel.CreateBounded<Outgoing>(new BoundedChannelOptions(_options.SendQueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        var start = _time.GetUtcNow() - DateTimeOffset.UnixEpoch;
        _rate = new TokenBucket(_options.MessagesPerSecond, _options.MessageBurst, start);
        _strikes = new TokenBucket(1, _options.RateLimitStrikes, start);
    }

    public string Room { get; }

    public string User { get; }

    public async Task RunAsync(CancellationToken stopping)
    {
        _presence.Add(this);
        var subscription = _bus.Subscribe(Room, this);
        var sender = SendLoopAsync();
        QueueEvent(ChatAction.Join);
        try
        {
            using (stopping.Register(static state => ((ChatConnection)state!).RequestClose(
                WebSocketCloseStatus.EndpointUnavailable, "server shutting down", shuttingDown: true), this))
            {
                await ReceiveLoopAsync();
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            _logger.LogDebug("{User} in {Room}: connection ended: {Error}", User, Room, e.Message);
        }
        catch (Exception e)
        {
            _logger.LogError(e, "{User} in {Room}: connection failed", User, Room);
        }
        finally
        {
            subscription.Dispose();
            _presence.Remove(this);
            RequestClose(WebSocketCloseStatus.NormalClosure, "");
            await WaitForSenderAsync(sender);
            QueueEvent(ChatAction.Exit);
            _receiveAbort.Dispose();
            _closeRequested.Dispose();
            _sendTimeout.Dispose();
        }
    }

    public void OnCommitted(ChatEvent e)
    {
        lock (_liveGate)
        {
            if (_replaying)
            {
                BufferLive(e);
                return;
            }
        }

        Enqueue(Outgoing.Sequenced(e));
    }

    public void OnEphemeral(ReadOnlyMemory<byte> frame) => Enqueue(Outgoing.Raw(frame));

    private void Send(byte[] frame) => Enqueue(Outgoing.Raw(frame));

    private void Enqueue(Outgoing item)
    {
        if (_sendQueue.Writer.TryWrite(item) || Volatile.Read(ref _slow) != 0 || _closeRequested.IsCancellationRequested)
        {
            return;
        }

        // The send loop cannot keep up: the peer is not reading. Waiting for it would hold up the whole room.
        if (Interlocked.Exchange(ref _slow, 1) == 0)
        {
            _logger.LogWarning("{User} in {Room}: disconnected, {Capacity} frames queued and not read", User, Room, _options.SendQueueCapacity);
            _sendQueue.Writer.TryComplete();
            _socket.Abort();
        }
    }

    // Called under _liveGate.
    private void BufferLive(ChatEvent e)
    {
        if (_liveOverflowed)
        {
            return;
        }

        _live ??= new Queue<ChatEvent>();
        if (_live.Count < _options.SendQueueCapacity)
        {
            _live.Enqueue(e);
            return;
        }

        _live = null;
        _liveOverflowed = true;
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
            _logger.LogWarning("{User} in {Room}: sending did not stop within {Bound}; aborting the socket", User, Room, bound);
            _socket.Abort();
            await sender;
        }
    }

    // The first request wins: it decides the close status the send loop will send.
    private void RequestClose(WebSocketCloseStatus status, string reason, bool shuttingDown = false)
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

        try
        {
            _receiveAbort.CancelAfter(CloseHandshakeTimeout + (shuttingDown ? _options.ShutdownTimeout : TimeSpan.Zero));
        }
        catch (ObjectDisposedException)
        {
        }
    }

    // Joins and exits are queued once and retried by the writer until stored; nobody waits for them except shutdown.
    private PendingEvent? QueueEvent(ChatAction action)
    {
        if (action == ChatAction.Exit && Interlocked.Exchange(ref _exitQueued, 1) != 0)
        {
            return null;
        }

        var pending = new PendingEvent(Room, action, User, null, NewId(), deadline: null);
        if (!_writer.TryEnqueue(pending))
        {
            _logger.LogWarning("{User} in {Room}: {Action} event not stored, the write queue is full or closed", User, Room, ChatEvent.ActionName(action));
            return null;
        }

        return pending;
    }

    // Events a client sends without an id get one, so a retried write can never store them twice.
    private static string NewId() => "s-" + Guid.CreateVersion7().ToString("N");
}
