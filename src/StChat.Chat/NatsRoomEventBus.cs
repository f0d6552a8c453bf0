using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NATS.Client.Core;

namespace StChat.Chat;

// The bus of many chat nodes: everything LocalRoomEventBus delivers here is also published once on core NATS, and
// what other nodes publish is delivered here. PostgreSQL stays the source of truth: NATS only says "this was
// committed", so a lost message costs latency, never an event. A subscription that sees a gap reads it from chat_log;
// a node that cannot reach NATS reconciles the last seq of every conversation it follows from PostgreSQL every
// Chat:ReconcileInterval while disconnected, and at once when it is back.
//
// Subjects (P = Chat:SubjectPrefix): P.room.<key> for a conversation's events and ephemeral frames, subscribed while
// this node has a follower of it; P.account.<id> and P.signout.<session id>, subscribed by every node.
internal sealed partial class NatsRoomEventBus : BackgroundService, IRoomEventBus
{
    private const string NodeHeader = "Stchat-Node";
    private const string KindHeader = "Stchat-Kind";
    private const string ExceptUserHeader = "Stchat-Except-User";
    private const string EventKind = "event";
    private const string EphemeralKind = "ephemeral";
    private const int OutboxCapacity = 65_536;

    // At most this many events from other nodes wait for the rest of what is queued, so a steady stream is still
    // delivered as it comes.
    private const int MaxArrivedBatch = 256;

    private readonly LocalRoomEventBus _local;
    private readonly NatsConnection _nats;
    private readonly ChatLogStore _store;
    private readonly ChatOptions _options;
    private readonly ILogger<NatsRoomEventBus> _logger;
    private readonly string _prefix;
    private readonly Channel<Outbound> _outbox = Channel.CreateBounded<Outbound>(
        new BoundedChannelOptions(OutboxCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });

    // Rooms this node follows on NATS, with how many local members each has. Guarded by _gate.
    private readonly Lock _gate = new();
    private readonly Dictionary<string, RoomLink> _links = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _reconnected = new(0, 1);
    private readonly CancellationTokenSource _stopping = new();
    private long _dropped;

    public NatsRoomEventBus(LocalRoomEventBus local, NatsConnection nats, ChatLogStore store, IOptions<ChatOptions> options, ILogger<NatsRoomEventBus> logger)
    {
        _local = local;
        _nats = nats;
        _store = store;
        _options = options.Value;
        _logger = logger;
        _prefix = _options.SubjectPrefix;
        // Host and pid for people; the random part keeps two nodes apart wherever both are pid 1 of a container.
        NodeId = $"{Environment.MachineName}/{Environment.ProcessId}/{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3))}";
    }

    // Names this process in headers and logs.
    public string NodeId { get; }

    public IDisposable Subscribe(string room, IRoomSubscriber subscriber)
    {
        var local = _local.Subscribe(room, subscriber);
        lock (_gate)
        {
            if (!_links.TryGetValue(room, out var link))
            {
                _links[room] = link = new RoomLink(CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token));
                link.Loop = FollowRoomAsync(room, link.Cancel.Token);
            }

            link.Members++;
        }

        return new Membership(this, room, local);
    }

    public void PublishCommitted(IReadOnlyList<ChatEvent> events)
    {
        _local.PublishCommitted(events);
        foreach (var e in events)
        {
            Publish(RoomSubject(e.Room), e.Json, EventKind);
        }
    }

    public void PublishEphemeral(string room, ReadOnlyMemory<byte> frame, IRoomSubscriber? except = null, string? exceptUser = null)
    {
        _local.PublishEphemeral(room, frame, except, exceptUser);
        Publish(RoomSubject(room), frame, EphemeralKind, exceptUser);
    }

    public void PublishToAccount(long accountId, byte[] frame)
    {
        _local.PublishToAccount(accountId, frame);
        Publish($"{_prefix}.account.{accountId}", frame, EphemeralKind);
    }

    public void SignOut(long sessionId)
    {
        _local.SignOut(sessionId);
        Publish($"{_prefix}.signout.{sessionId}", ReadOnlyMemory<byte>.Empty, EphemeralKind);
    }

    // A key holds no whitespace, '*' or '>' (ConversationKey), but account names may hold '.', the subject separator.
    public string RoomSubject(string room) => $"{_prefix}.room.{room.Replace(".", "%2E", StringComparison.Ordinal)}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _nats.ConnectionOpened += OnOpenedAsync;
        try
        {
            await Task.WhenAll(
                SendAsync(stoppingToken),
                FollowAsync($"{_prefix}.account.*", ReceiveAccountFrame, stoppingToken),
                FollowAsync($"{_prefix}.signout.*", ReceiveSignOut, stoppingToken),
                ReconcileWhileDisconnectedAsync(stoppingToken));
        }
        finally
        {
            _nats.ConnectionOpened -= OnOpenedAsync;
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        Task[] loops;
        lock (_gate)
        {
            loops = [.. _links.Values.Select(l => l.Loop!)];
        }

        await Task.WhenAll(loops).WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await base.StopAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _stopping.Dispose();
        _reconnected.Dispose();
        base.Dispose();
    }

    // Events and frames not sent to the other nodes (NATS away, or the outbox full); they reconcile from the log.
    public long Dropped => Interlocked.Read(ref _dropped);

    private void Publish(string subject, ReadOnlyMemory<byte> data, string kind, string? exceptUser = null)
    {
        // Nothing is waited for on the writer loop: while NATS is away the other nodes reconcile from PostgreSQL.
        if (_nats.ConnectionState != NatsConnectionState.Open || !_outbox.Writer.TryWrite(new Outbound(subject, data, kind, exceptUser)))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    private async Task SendAsync(CancellationToken ct)
    {
        await foreach (var item in _outbox.Reader.ReadAllAsync(ct))
        {
            var headers = new NatsHeaders { [NodeHeader] = NodeId, [KindHeader] = item.Kind };
            if (item.ExceptUser is not null)
            {
                headers[ExceptUserHeader] = item.ExceptUser;
            }

            try
            {
                await _nats.PublishAsync(item.Subject, item.Data, headers, cancellationToken: ct);
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                Interlocked.Increment(ref _dropped);
                Log.PublishFailed(_logger, item.Subject, e.Message);
            }
        }
    }

    private Task FollowRoomAsync(string room, CancellationToken ct)
    {
        // Another node publishes a commit's events one message each; those that arrived together are delivered here as
        // one batch, so that, as on the committing node, each member gets them in a row (see LocalRoomEventBus).
        var arrived = new List<ChatEvent>();
        return FollowAsync(
            RoomSubject(room),
            msg => ReceiveRoomFrame(room, msg, arrived),
            ct,
            onSubscribed: () => ReconcileAsync([room], ct),
            onDrained: () => DeliverArrived(arrived));
    }

    // One subscription, kept until `ct`: NATS.Net subscribes again by itself after a reconnect. `onDrained` runs each
    // time the messages queued so far have all been received, and when the subscription ends.
    private async Task FollowAsync(
        string subject, Action<NatsMsg<byte[]>> receive, CancellationToken ct, Func<Task>? onSubscribed = null, Action? onDrained = null)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var subscription = await _nats.SubscribeCoreAsync<byte[]>(subject, cancellationToken: ct);
                if (onSubscribed is not null)
                {
                    // Live only from here: what was committed before the server had the subscription is in the log.
                    await _nats.PingAsync(ct);
                    await onSubscribed();
                }

                try
                {
                    var messages = subscription.Msgs;
                    while (await messages.WaitToReadAsync(ct))
                    {
                        while (messages.TryRead(out var msg))
                        {
                            if (Header(msg, NodeHeader) != NodeId)
                            {
                                receive(msg);
                            }
                        }

                        onDrained?.Invoke();
                    }
                }
                finally
                {
                    onDrained?.Invoke();
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                Log.SubscriptionFailed(_logger, subject, e.Message);
                await Task.Delay(_options.ReconcileInterval, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private void ReceiveRoomFrame(string room, NatsMsg<byte[]> msg, List<ChatEvent> arrived)
    {
        if (msg.Data is not { } data)
        {
            return;
        }

        if (Header(msg, KindHeader) == EventKind)
        {
            ChatEvent e;
            try
            {
                e = ChatEvent.FromFrame(data);
            }
            catch (InvalidDataException error)
            {
                Log.BadFrame(_logger, msg.Subject, error.Message);
                return;
            }

            arrived.Add(e);
            if (arrived.Count >= MaxArrivedBatch)
            {
                DeliverArrived(arrived);
            }

            return;
        }

        // Typing and presence frames keep their place after the events that arrived before them.
        DeliverArrived(arrived);
        _local.PublishEphemeral(room, data, exceptUser: Header(msg, ExceptUserHeader));
    }

    // Events of one room from other nodes, in seq order: nodes that commit to the same room at the same moment publish
    // independently, so their events may arrive out of order.
    private void DeliverArrived(List<ChatEvent> arrived)
    {
        if (arrived.Count == 0)
        {
            return;
        }

        try
        {
            arrived.Sort(static (a, b) => a.Seq.CompareTo(b.Seq));
            _local.PublishCommitted(arrived);
        }
        finally
        {
            arrived.Clear();
        }
    }

    private static string? Header(NatsMsg<byte[]> msg, string name) =>
        msg.Headers is { } headers && headers.TryGetValue(name, out var value) ? value.ToString() : null;

    private void ReceiveAccountFrame(NatsMsg<byte[]> msg)
    {
        if (msg.Data is { } data && long.TryParse(msg.Subject.AsSpan(msg.Subject.LastIndexOf('.') + 1), out var accountId))
        {
            _local.PublishToAccount(accountId, data);
        }
    }

    private void ReceiveSignOut(NatsMsg<byte[]> msg)
    {
        if (long.TryParse(msg.Subject.AsSpan(msg.Subject.LastIndexOf('.') + 1), out var sessionId))
        {
            _local.SignOut(sessionId);
        }
    }

    private ValueTask OnOpenedAsync(object? sender, NatsEventArgs args)
    {
        if (_reconnected.CurrentCount == 0)
        {
            _reconnected.Release();
        }

        return ValueTask.CompletedTask;
    }

    // While NATS is away nothing arrives from other nodes: the log is read instead, every ReconcileInterval, and once
    // more as soon as the connection is open again (events of the outage published by nodes that stayed connected
    // are not sent again).
    private async Task ReconcileWhileDisconnectedAsync(CancellationToken ct)
    {
        var wasDown = false;
        while (!ct.IsCancellationRequested)
        {
            var reconnected = await _reconnected.WaitAsync(_options.ReconcileInterval, ct);
            var down = _nats.ConnectionState != NatsConnectionState.Open;
            if (down || reconnected || wasDown)
            {
                if (down && !wasDown)
                {
                    Log.Disconnected(_logger, _local.Rooms.Count, _options.ReconcileInterval);
                }

                await ReconcileAsync([.. _local.Rooms], ct);
            }

            wasDown = down;
        }
    }

    private async Task ReconcileAsync(string[] rooms, CancellationToken ct)
    {
        if (rooms.Length == 0)
        {
            return;
        }

        try
        {
            foreach (var (room, lastSeq) in await _store.ReadLastSeqsAsync(rooms, ct))
            {
                _local.CatchUp(room, lastSeq);
            }
        }
        catch (Exception e) when (ChatRetryableFailures.IsRetryable(e) && !ct.IsCancellationRequested)
        {
            Log.ReconcileFailed(_logger, rooms.Length, e.Message);
        }
    }

    private void Leave(string room, IDisposable local)
    {
        local.Dispose();
        lock (_gate)
        {
            if (_links.TryGetValue(room, out var link) && --link.Members == 0)
            {
                _links.Remove(room);
                link.Cancel.Cancel();
                link.Cancel.Dispose();
            }
        }
    }

    private sealed class RoomLink(CancellationTokenSource cancel)
    {
        public CancellationTokenSource Cancel { get; } = cancel;

        public int Members { get; set; }

        public Task? Loop { get; set; }
    }

    private sealed record Outbound(string Subject, ReadOnlyMemory<byte> Data, string Kind, string? ExceptUser);

    private sealed class Membership(NatsRoomEventBus bus, string room, IDisposable local) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                bus.Leave(room, local);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing on {Subject} failed: {Error}; other nodes read the event from chat_log")]
        public static partial void PublishFailed(ILogger logger, string subject, string error);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Subscribing to {Subject} failed: {Error}; trying again")]
        public static partial void SubscriptionFailed(ILogger logger, string subject, string error);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Ignored a message on {Subject} that is not an event frame: {Error}")]
        public static partial void BadFrame(ILogger logger, string subject, string error);

        [LoggerMessage(Level = LogLevel.Warning, Message = "NATS is unreachable: the {Rooms} conversations followed here are read from chat_log every {Interval} until it is back")]
        public static partial void Disconnected(ILogger logger, int rooms, TimeSpan interval);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Reconciling {Rooms} conversations from chat_log failed: {Error}")]
        public static partial void ReconcileFailed(ILogger logger, int rooms, string error);
    }
}
