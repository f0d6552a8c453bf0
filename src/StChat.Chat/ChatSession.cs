using System.Net.WebSockets;
using Microsoft.Extensions.Logging;
using StChat.Chat.Accounts;
using StChat.Chat.Conversations;

namespace StChat.Chat;

// One client on one socket: who it is (an account, or an anonymous name in public rooms), its rate limits, the
// conversations it follows and one small handler per action (ChatSession.Actions.cs). On /ws it follows nothing at
// first and every frame names its room; on a single-conversation URL (/, /rooms/{room}, /dm/{name}, /groups/{id})
// it follows that one conversation from the start and the room is implied, as wscat users expect.
internal sealed partial class ChatSession
{
    // Sign-out and expiry close the socket with these application codes.
    private const WebSocketCloseStatus SignedOut = (WebSocketCloseStatus)SessionSockets.ClosedBySignOut;
    private const WebSocketCloseStatus RemovedFromConversation = (WebSocketCloseStatus)4003;

    private readonly ChatServices _services;
    private readonly ChatOptions _options;
    private readonly ChatSocket _socket;
    private readonly ConversationKey? _single;
    private readonly long? _singleAfter;

    // Written by the receive loop (subscribe, unsubscribe), read by the send loop (routing queued events).
    private readonly Lock _gate = new();
    private readonly Dictionary<string, RoomSubscription> _subscriptions = new(StringComparer.Ordinal);

    // Joins and exits not yet stored; awaited on shutdown so that 1001 follows the client's exits.
    private readonly List<PendingEvent> _exits = [];

    // Every line logged for the socket carries its scope (with Logging:Console:FormatterOptions:IncludeScopes, on by
    // default): a socket id unique in the process and, for an account, the id of its session (the row, not the token).
    private static readonly Func<ILogger, long, IDisposable?> AnonymousScope =
        LoggerMessage.DefineScope<long>("Socket {SocketId}");

    private static readonly Func<ILogger, long, long, IDisposable?> AccountScope =
        LoggerMessage.DefineScope<long, long>("Socket {SocketId}, session {SessionId}");

    private static long s_lastSocketId;

    public ChatSession(
        WebSocket socket,
        string user,
        AccountUser? account,
        ConversationKey? single,
        long? after,
        ChatServices services,
        CancellationToken requestAborted)
    {
        User = user;
        Account = account;
        _single = single;
        _singleAfter = after;
        _services = services;
        _options = services.Options;
        _socket = new ChatSocket(socket, this, _options, services.Metrics, services.Logger, requestAborted);
    }

    public string User { get; }

    public AccountUser? Account { get; }

    // A /ws socket: frames name their room, and a subscribe is answered with "subscribed".
    public bool IsMulti => _single is null;

    private TimeSpan Now => _services.Time.GetUtcNow() - DateTimeOffset.UnixEpoch;

    public async Task RunAsync(CancellationToken stopping)
    {
        var socketId = Interlocked.Increment(ref s_lastSocketId);
        using var scope = Account is null ? AnonymousScope(_services.Logger, socketId) : AccountScope(_services.Logger, socketId, Account.SessionId);
        _services.Presence.Connected(User);
        using var signOut = Account is null ? null : _services.Sessions.Register(Account.SessionId, () => _socket.RequestClose(SignedOut, "signed out"));
        using var accountFrames = Account is null ? null : _services.AccountSockets.Register(Account.Id, _socket.Send);
        using var expiry = Account is null ? null : ScheduleExpiry(Account.ExpiresAt);
        try
        {
            if (_single is { } key)
            {
                Subscribe(key, _singleAfter);
            }

            await _socket.RunAsync(stopping);
        }
        finally
        {
            foreach (var subscription in Subscriptions())
            {
                EndSubscription(subscription, tellClient: false);
            }

            _services.Presence.Disconnected(User);
        }
    }

    public RoomSubscription? Find(string room)
    {
        lock (_gate)
        {
            return _subscriptions.GetValueOrDefault(room);
        }
    }

    // Ends a subscription (unsubscribe, removal from a group, a replay that failed, the socket closing): no more of
    // its events are sent, and in a public room the user's last connection to it writes their exit.
    public void EndSubscription(RoomSubscription subscription, bool tellClient)
    {
        lock (_gate)
        {
            if (!_subscriptions.Remove(subscription.Room, out var current) || !ReferenceEquals(current, subscription))
            {
                if (current is not null)
                {
                    _subscriptions[subscription.Room] = current;
                }

                return;
            }
        }

        _services.Metrics.Unfollowed();
        subscription.Dispose();
        if (subscription.Key.Kind == ConversationKind.Public)
        {
            _services.Presence.Leave(subscription.Room, User, () => QueueEvent(subscription.Room, ChatAction.Exit));
        }

        if (!tellClient)
        {
            return;
        }

        if (IsMulti)
        {
            _socket.Send(ChatFrames.Unsubscribed(subscription.Room));
        }
        else
        {
            _socket.RequestClose(RemovedFromConversation, "removed from the conversation");
        }
    }

    public void OnReplayFailed(RoomSubscription subscription)
    {
        if (IsMulti)
        {
            _socket.Send(ChatFrames.Error(ChatErrorCodes.ReplayFailed,
                $"History could not be read; subscribe again with \"after\":{subscription.LastDelivered}.", retryable: true, room: subscription.Room));
            EndSubscription(subscription, tellClient: true);
            return;
        }

        _socket.Send(ChatFrames.Error(ChatErrorCodes.ReplayFailed,
            $"History could not be read; reconnect with ?after={subscription.LastDelivered}.", retryable: true));
        _socket.RequestClose(WebSocketCloseStatus.InternalServerError, "history unavailable");
    }

    // On shutdown: every subscription ends, and the exits that writes are stored before the close frame is sent.
    public async Task StoreExitsAsync()
    {
        foreach (var subscription in Subscriptions())
        {
            EndSubscription(subscription, tellClient: false);
        }

        PendingEvent[] exits;
        lock (_exits)
        {
            exits = [.. _exits];
        }

        try
        {
            await Task.WhenAll(exits.Select(e => e.Completion.Task)).WaitAsync(_options.ShutdownTimeout);
        }
        catch (Exception e)
        {
            _services.Logger.LogWarning("{User}: exit events not stored before close: {Error}", User, e.Message);
        }
    }

    private RoomSubscription[] Subscriptions()
    {
        lock (_gate)
        {
            return [.. _subscriptions.Values];
        }
    }

    // Follows `key` from `after` (null: the latest HistoryLength events), then live. Access has been checked.
    private RoomSubscription Subscribe(ConversationKey key, long? after)
    {
        var subscription = new RoomSubscription(key, this, _socket, _services);
        lock (_gate)
        {
            _subscriptions.Add(key.Value, subscription);
        }

        _services.Metrics.Followed();

        // Live events are buffered from here on (the bus subscription came first); the replay reads what came before
        // them and drops any live event it already covered. No gap, no duplicate.
        _socket.Enqueue(Outgoing.Start(new ReplayRequest(subscription, after, IsResume: false)));
        if (key.Kind == ConversationKind.Public)
        {
            _services.Presence.Enter(key.Value, User, () => QueueEvent(key.Value, ChatAction.Join));
        }

        return subscription;
    }

    // Timers run at most about 49 days at a time: a longer session is looked at again then.
    private ITimer ScheduleExpiry(DateTimeOffset expiresAt)
    {
        var longest = TimeSpan.FromDays(49);
        ITimer? timer = null;
        timer = _services.Time.CreateTimer(_ =>
        {
            var left = expiresAt - _services.Time.GetUtcNow();
            if (left <= TimeSpan.Zero)
            {
                _socket.RequestClose(SignedOut, "session expired");
            }
            else
            {
                timer?.Change(left < longest ? left : longest, Timeout.InfiniteTimeSpan);
            }
        }, null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        var due = expiresAt - _services.Time.GetUtcNow();
        timer.Change(due < TimeSpan.Zero ? TimeSpan.Zero : due < longest ? due : longest, Timeout.InfiniteTimeSpan);
        return timer;
    }

    // Joins and exits are queued and retried by the writer until stored; nobody waits for them except shutdown.
    private void QueueEvent(string room, ChatAction action)
    {
        var pending = new PendingEvent(room, action, User, null, NewId(), deadline: null);
        if (!_services.Writer.TryEnqueue(pending))
        {
            _services.Logger.LogWarning("{User} in {Room}: {Action} event not stored, the write queue is full or closed", User, room, ChatEvent.ActionName(action));
            return;
        }

        if (action == ChatAction.Exit)
        {
            lock (_exits)
            {
                _exits.RemoveAll(e => e.Completion.Task.IsCompleted);
                _exits.Add(pending);
            }
        }
    }

    // Events a client sends without an id get one, so a retried write can never store them twice.
    private static string NewId() => "s-" + Guid.CreateVersion7().ToString("N");
}
