using Microsoft.Extensions.Logging;
using StChat.Chat.Accounts;
using StChat.Chat.Conversations;

namespace StChat.Chat;

// One conversation a socket follows: its place in the log (the last seq delivered), the live events held while its
// history is replayed, and resume. Events reach the client strictly in seq order, each once: live events arrive
// through the socket's send queue (or this buffer during a replay), anything older than they expect is dropped, and a
// gap is read back from chat_log first. Only the socket's send loop runs the delivery methods.
internal sealed class RoomSubscription : IRoomSubscriber, IDisposable
{
    private const int ReadAttempts = 3;

    private readonly ChatSession _session;
    private readonly ChatSocket _socket;
    private readonly ChatServices _services;
    private readonly IDisposable _bus;

    // Live events that arrive during a replay wait here rather than in the send queue: the replay is paced by the
    // socket and may take long, and must not make the client look like a slow reader. Bounded by SendQueueCapacity;
    // on overflow the buffer is emptied and the replay reads on from chat_log, which holds every event it dropped.
    // Created on first use and dropped when the replay ends, so a subscription in live mode holds none.
    private readonly Lock _liveGate = new();
    private Queue<ChatEvent>? _live;
    private bool _replaying = true;
    private bool _liveOverflowed;

    // Written by the send loop only; CatchUp reads _lastDelivered from other threads.
    private long _lastDelivered;
    private bool _readingLog;
    private bool _announced;

    // 1 from a resume request until its replay has finished.
    private int _resumeQueued;

    // The newest seq the log was found to hold by CatchUp, and 1 while a replay (at first the subscription's own)
    // is queued or running, which makes a catch-up wait for its end.
    private long _behind;
    private int _catchUpQueued = 1;
    private volatile bool _ended;

    public RoomSubscription(ConversationKey key, ChatSession session, ChatSocket socket, ChatServices services)
    {
        Key = key;
        _session = session;
        _socket = socket;
        _services = services;
        _bus = services.Bus.Subscribe(key.Value, this);
    }

    public ConversationKey Key { get; }

    public string Room => Key.Value;

    public string User => _session.User;

    public long LastDelivered => _lastDelivered;

    // The last typing notice relayed for this conversation; receive loop only.
    public TimeSpan? LastTyping { get; set; }

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

        _socket.Enqueue(Outgoing.Sequenced(e));
    }

    public void OnEphemeral(ReadOnlyMemory<byte> frame) => _socket.Enqueue(Outgoing.Raw(frame));

    public void CatchUp(long lastSeq)
    {
        long known;
        while ((known = Volatile.Read(ref _behind)) < lastSeq && Interlocked.CompareExchange(ref _behind, lastSeq, known) != known)
        {
        }

        // While a replay runs (the first one included) it reads the log itself; FinishReplay looks at _behind after it.
        if (lastSeq > Volatile.Read(ref _lastDelivered) && Interlocked.CompareExchange(ref _catchUpQueued, 1, 0) == 0)
        {
            _socket.Enqueue(Outgoing.Start(new ReplayRequest(this, After: null, IsResume: true, CatchUp: true)));
        }
    }

    public bool TryQueueResume(long after)
    {
        if (Interlocked.Exchange(ref _resumeQueued, 1) != 0)
        {
            return false;
        }

        _socket.Enqueue(Outgoing.Start(new ReplayRequest(this, after, IsResume: true)));
        return true;
    }

    public void Dispose()
    {
        _ended = true;
        _bus.Dispose();
    }

    // Send loop: a live event taken from the queue.
    public async ValueTask OnQueuedAsync(ChatEvent e)
    {
        lock (_liveGate)
        {
            if (_replaying)
            {
                // Queued before a resume began: the resume's replay or its buffer delivers it in order.
                BufferLive(e);
                return;
            }
        }

        await DeliverAsync(e);
    }

    // Send loop: prepares a replay; true when it is to be served in turn by ReplayStepAsync.
    public async Task<bool> BeginReplayAsync(ReplayRequest request)
    {
        if (_ended)
        {
            return false;
        }

        // A catch-up starts where the send loop stands now, which the caller could not know exactly.
        if ((request.CatchUp ? _lastDelivered : request.After) is not { } after)
        {
            // A plain subscribe: the latest HistoryLength events, then whatever the live buffer caught meanwhile.
            var (events, lastSeq) = await ReadWithRetryAsync(ct => _services.Store.ReadLatestAsync(Room, _services.Options.HistoryLength, ct));
            foreach (var e in events)
            {
                await _socket.SendFrameAsync(e.Json);
            }

            _lastDelivered = lastSeq;
            _readingLog = false;
            return true;
        }

        // An after beyond the last event would skip every event up to it once they exist; the client is told the
        // last seq instead.
        if (!request.CatchUp && (after > _lastDelivered || !request.IsResume))
        {
            var last = after == 0 ? 0 : await ReadWithRetryAsync(ct => _services.Store.ReadLastSeqAsync(Room, ct));
            if (after > last)
            {
                await _socket.SendFrameAsync(ChatFrames.Error(ChatErrorCodes.BadRequest,
                    $"after {after} is beyond the last event of {Room}, #{last}; give an after of at most {last} (0 for everything).",
                    room: _session.IsMulti ? Room : null));
                if (request.IsResume)
                {
                    Volatile.Write(ref _resumeQueued, 0);
                }
                else
                {
                    _session.EndSubscription(this, tellClient: true);
                }

                return false;
            }
        }

        lock (_liveGate)
        {
            _replaying = true;
        }

        _lastDelivered = after;
        _readingLog = true;
        return true;
    }

    // Send loop: one page of the replay, or the live events buffered meanwhile; true once the subscription is live.
    public async Task<bool> ReplayStepAsync()
    {
        if (_ended)
        {
            return true;
        }

        if (_readingLog)
        {
            var page = await ReadWithRetryAsync(ct => _services.Store.ReadAfterAsync(Room, _lastDelivered, long.MaxValue, ct));
            foreach (var e in page)
            {
                await SendAsync(e);
            }

            if (page.Count == ChatLogStore.ReadPageSize)
            {
                return false;
            }

            _readingLog = false;
        }

        ChatEvent[] live;
        lock (_liveGate)
        {
            if (_liveOverflowed)
            {
                // The events it dropped are all in chat_log: reading on from _lastDelivered covers them.
                _liveOverflowed = false;
                _readingLog = true;
                return false;
            }

            if (_live is not { Count: > 0 })
            {
                _live = null;
                _replaying = false;
                return FinishReplay();
            }

            live = _live.ToArray();
            _live = null;
        }

        foreach (var e in live)
        {
            await DeliverAsync(e);
        }

        return false;
    }

    private bool FinishReplay()
    {
        Volatile.Write(ref _resumeQueued, 0);
        Volatile.Write(ref _catchUpQueued, 0);
        if (Volatile.Read(ref _behind) is var behind && behind > _lastDelivered)
        {
            CatchUp(behind);
        }

        if (_session.IsMulti && !_announced)
        {
            _announced = true;
            _socket.Send(ChatFrames.Subscribed(Room, _lastDelivered));
        }

        return true;
    }

    // Called under _liveGate.
    private void BufferLive(ChatEvent e)
    {
        if (_liveOverflowed)
        {
            return;
        }

        _live ??= new Queue<ChatEvent>();
        if (_live.Count < _services.Options.SendQueueCapacity)
        {
            _live.Enqueue(e);
            return;
        }

        _live = null;
        _liveOverflowed = true;
    }

    // Strict seq order, whatever order or duplication the fan-out produced.
    private async ValueTask DeliverAsync(ChatEvent e)
    {
        if (e.Seq <= _lastDelivered)
        {
            return;
        }

        if (e.Seq > _lastDelivered + 1)
        {
            await CatchUpAsync(e.Seq);
        }

        await SendAsync(e);
    }

    private async ValueTask SendAsync(ChatEvent e)
    {
        await _socket.SendFrameAsync(e.Json);
        _lastDelivered = e.Seq;
        if (e.Action == ChatAction.MemberRemoved && e.Member is { } member && AccountName.SameAccount(member, User))
        {
            // Removed from the group: this event is the last one the account may see.
            _session.EndSubscription(this, tellClient: true);
        }
    }

    // Sends the stored events after _lastDelivered and before `before`, page by page.
    private async Task CatchUpAsync(long before)
    {
        while (!_ended)
        {
            var page = await ReadWithRetryAsync(ct => _services.Store.ReadAfterAsync(Room, _lastDelivered, before, ct));
            foreach (var e in page)
            {
                await SendAsync(e);
            }

            if (page.Count < ChatLogStore.ReadPageSize)
            {
                break;
            }
        }

        if (!_ended && _lastDelivered < before - 1)
        {
            // Cannot happen while seqs are allocated and committed together; logged rather than stalling the client.
            _services.Logger.LogError("{Room}: events {From}..{To} are missing from chat_log", Room, _lastDelivered + 1, before - 1);
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
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_socket.Closing);
                timeout.CancelAfter(_services.Options.WriteAttemptTimeout);
                return await read(timeout.Token);
            }
            catch (Exception e) when (attempt < ReadAttempts && !_socket.IsClosing && ChatRetryableFailures.IsRetryable(e))
            {
                await Task.Delay(delay, _services.Time, _socket.Closing);
                delay *= 2;
            }
        }
    }
}
