using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace StChat.Chat.Presence;

// Presence of many chat nodes in PostgreSQL (Chat:Bus=nats). ChatPresence counts this node's connections and hands
// each first and last one here; one loop applies them in order, so a user's enter and leave on this node are never
// reordered, and calls back when the change is the first or last anywhere: then the join or exit is written. A second
// loop keeps this node's heartbeat and removes nodes that stopped answering (killed, or stopped cleanly), writing the
// exits of their users who are connected nowhere else.
internal sealed partial class ClusterPresence(
    PresenceStore store,
    ChatLogWriter writer,
    NatsRoomEventBus bus,
    IOptions<ChatOptions> options,
    ILogger<ClusterPresence> logger) : BackgroundService
{
    private readonly ChatOptions _options = options.Value;
    private readonly Channel<Change> _changes = Channel.CreateUnbounded<Change>(new UnboundedChannelOptions { SingleReader = true });

    // This node's own (room, user) and user rows as they should be, to put back if the node was declared dead.
    private readonly Lock _gate = new();
    private readonly HashSet<(string Room, string User)> _rooms = [];
    private readonly HashSet<string> _users = new(StringComparer.Ordinal);

    private string Node => bus.NodeId;

    // `onFirst` runs once the user's first connection to the room anywhere is recorded.
    public void Enter(string room, string user, Action onFirst) => Post(new Change(room, user, Entering: true, onFirst));

    // `onLast` runs once the user's last connection to the room anywhere is gone.
    public void Leave(string room, string user, Action onLast) => Post(new Change(room, user, Entering: false, onLast));

    public void Online(string user, bool online) => Post(new Change(null, user, online, null));

    public Task<string[]> UsersInAsync(string room, CancellationToken ct) => store.UsersInAsync(room, _options.PresenceTimeout, ct);

    public Task<HashSet<string>> OnlineAsync(string[] keys, CancellationToken ct) => store.OnlineAsync(keys, _options.PresenceTimeout, ct);

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await store.RegisterAsync(Node, cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await store.MarkStoppedAsync(Node, cancellationToken);
        }
        catch (Exception e) when (ChatRetryableFailures.IsRetryable(e))
        {
            Log.StopNotRecorded(logger, Node, e.Message);
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(ApplyChangesAsync(stoppingToken), HeartbeatAsync(stoppingToken));

    private void Post(Change change)
    {
        lock (_gate)
        {
            _ = change switch
            {
                { Room: null, Entering: true } => _users.Add(change.User),
                { Room: null } => _users.Remove(change.User),
                { Entering: true } => _rooms.Add((change.Room, change.User)),
                _ => _rooms.Remove((change.Room, change.User)),
            };
        }

        _changes.Writer.TryWrite(change);
    }

    private async Task ApplyChangesAsync(CancellationToken ct)
    {
        await foreach (var change in _changes.Reader.ReadAllAsync(ct))
        {
            for (var delay = TimeSpan.FromMilliseconds(100); ; delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.PresenceHeartbeat.Ticks)))
            {
                try
                {
                    await ApplyAsync(change, ct);
                    break;
                }
                catch (Exception e) when (ChatRetryableFailures.IsRetryable(e) && !ct.IsCancellationRequested)
                {
                    Log.ChangeFailed(logger, change.User, change.Room ?? "(online)", e.Message);
                    await Task.Delay(delay, ct);
                }
            }
        }
    }

    private async Task ApplyAsync(Change change, CancellationToken ct)
    {
        if (change.Room is not { } room)
        {
            await store.SetOnlineAsync(Node, change.User, change.Entering, ct);
            return;
        }

        var alone = change.Entering
            ? await store.EnterAsync(Node, room, change.User, _options.PresenceTimeout, ct)
            : await store.LeaveAsync(Node, room, change.User, _options.PresenceTimeout, ct);
        if (alone)
        {
            change.Then!();
        }
    }

    private async Task HeartbeatAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(_options.PresenceHeartbeat);
        do
        {
            try
            {
                if (!await store.HeartbeatAsync(Node, ct))
                {
                    await RejoinAsync(ct);
                }

                foreach (var (room, user) in await store.RemoveDeadAsync(_options.PresenceTimeout, ct))
                {
                    Log.GhostExit(logger, user, room);
                    writer.TryEnqueue(new PendingEvent(room, ChatAction.Exit, user, null, Guid.NewGuid().ToString("N"), deadline: null));
                }
            }
            catch (Exception e) when (ChatRetryableFailures.IsRetryable(e) && !ct.IsCancellationRequested)
            {
                Log.HeartbeatFailed(logger, Node, e.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(ct));
    }

    // Another node took this one for dead (a long database outage or pause) and wrote its users' exits: the node
    // registers again and enters its users again, which writes their joins where they are nowhere else.
    private async Task RejoinAsync(CancellationToken ct)
    {
        Log.Rejoining(logger, Node);
        await store.RegisterAsync(Node, ct);
        (string Room, string User)[] rooms;
        string[] users;
        lock (_gate)
        {
            rooms = [.. _rooms];
            users = [.. _users];
        }

        foreach (var user in users)
        {
            _changes.Writer.TryWrite(new Change(null, user, Entering: true, null));
        }

        foreach (var (room, user) in rooms)
        {
            _changes.Writer.TryWrite(new Change(room, user, Entering: true,
                () => writer.TryEnqueue(new PendingEvent(room, ChatAction.Join, user, null, Guid.NewGuid().ToString("N"), deadline: null))));
        }
    }

    // Room null: the user's first (Entering) or last socket on this node.
    private sealed record Change(string? Room, string User, bool Entering, Action? Then);

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "{User} left {Room} with a node that stopped answering: writing the exit")]
        public static partial void GhostExit(ILogger logger, string user, string room);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Presence of {User} in {Room} not recorded yet: {Error}; trying again")]
        public static partial void ChangeFailed(ILogger logger, string user, string room, string error);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Heartbeat of chat node {Node} failed: {Error}")]
        public static partial void HeartbeatFailed(ILogger logger, string node, string error);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Chat node {Node} had been taken for dead; entering its users again")]
        public static partial void Rejoining(ILogger logger, string node);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Could not record that chat node {Node} stopped: {Error}; other nodes will notice its silence")]
        public static partial void StopNotRecorded(ILogger logger, string node, string error);
    }
}
