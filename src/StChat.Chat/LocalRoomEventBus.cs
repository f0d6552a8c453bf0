using System.Collections.Concurrent;

using StChat.Chat.Accounts;

namespace StChat.Chat;

internal sealed class LocalRoomEventBus(AccountSockets accounts, SessionSockets sessions) : IRoomEventBus
{
    private readonly ConcurrentDictionary<string, Room> _rooms = new(StringComparer.Ordinal);

    public IDisposable Subscribe(string room, IRoomSubscriber subscriber)
    {
        while (true)
        {
            var members = _rooms.GetOrAdd(room, static _ => new Room());
            if (members.TryAdd(subscriber))
            {
                return new Subscription(this, room, subscriber);
            }

            // Its last member left after we found it: make sure it is gone, then join a new one.
            _rooms.TryRemove(new KeyValuePair<string, Room>(room, members));
        }
    }

    public void PublishCommitted(IReadOnlyList<ChatEvent> events)
    {
        if (events is [var single])
        {
            Deliver(single.Room, [single]);
            return;
        }

        foreach (var room in events.GroupBy(e => e.Room, StringComparer.Ordinal))
        {
            Deliver(room.Key, [.. room]);
        }
    }

    // Member by member, each given all of the commit's events for the room in a row (in seq order), rather than event
    // by event: a member's send loop then wakes once for them, and the transport can send its frames in one write. When
    // several members post at once, that saves most of the wake-ups and send calls of a large room.
    private void Deliver(string room, ChatEvent[] events)
    {
        if (!_rooms.TryGetValue(room, out var entry))
        {
            return;
        }

        var members = entry.Members;

        // Serialized once here, before the members' send loops race to do it on their own threads.
        foreach (var e in events)
        {
            _ = e.Json;
        }

        foreach (var member in members)
        {
            foreach (var e in events)
            {
                member.OnCommitted(e);
            }
        }
    }

    public void PublishEphemeral(string room, ReadOnlyMemory<byte> frame, IRoomSubscriber? except = null, string? exceptUser = null)
    {
        if (_rooms.TryGetValue(room, out var entry))
        {
            foreach (var member in entry.Members)
            {
                if (!ReferenceEquals(member, except) && (exceptUser is null || !AccountName.SameAccount(member.User, exceptUser)))
                {
                    member.OnEphemeral(frame);
                }
            }
        }
    }

    public void PublishToAccount(long accountId, byte[] frame) => accounts.Send(accountId, frame);

    // The rooms with members here now.
    public IReadOnlyCollection<string> Rooms => [.. _rooms.Keys];

    public void CatchUp(string room, long lastSeq)
    {
        if (_rooms.TryGetValue(room, out var entry))
        {
            foreach (var member in entry.Members)
            {
                member.CatchUp(lastSeq);
            }
        }
    }

    public void SignOut(long sessionId) => sessions.CloseAll(sessionId);

    private void Unsubscribe(string room, IRoomSubscriber subscriber)
    {
        if (_rooms.TryGetValue(room, out var members) && members.Remove(subscriber))
        {
            _rooms.TryRemove(new KeyValuePair<string, Room>(room, members));
        }
    }

    // The members of one room. Publishing (hot, on the writer loop) reads an array of them without a lock; a join or an
    // exit changes a set under the lock and leaves the array to be made again by the next publish, once for any number
    // of them. A join or an exit so costs the same in a room of any size: copying the array on each of them made a join
    // storm, or a large room emptying at once, quadratic, with an allocation on the large-object heap per join past
    // some 10,000 members.
    private sealed class Room
    {
        private readonly Lock _gate = new();
        private readonly HashSet<IRoomSubscriber> _members = new(ReferenceEqualityComparer.Instance);
        private IRoomSubscriber[]? _snapshot;

        // Set when the last member leaves: the room is then removed, and a join that still finds it joins a new one.
        private bool _closed;

        public IRoomSubscriber[] Members => Volatile.Read(ref _snapshot) ?? Snapshot();

        public bool TryAdd(IRoomSubscriber subscriber)
        {
            lock (_gate)
            {
                if (_closed)
                {
                    return false;
                }

                _members.Add(subscriber);
                _snapshot = null;
                return true;
            }
        }

        // True when it was the last member: the room is closed.
        public bool Remove(IRoomSubscriber subscriber)
        {
            lock (_gate)
            {
                if (_members.Remove(subscriber))
                {
                    _snapshot = null;
                    _closed = _members.Count == 0;
                }

                return _closed;
            }
        }

        private IRoomSubscriber[] Snapshot()
        {
            lock (_gate)
            {
                return _snapshot ??= [.. _members];
            }
        }
    }

    private sealed class Subscription(LocalRoomEventBus bus, string room, IRoomSubscriber subscriber) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                bus.Unsubscribe(room, subscriber);
            }
        }
    }
}
