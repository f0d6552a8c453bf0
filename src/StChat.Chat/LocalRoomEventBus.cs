using System.Collections.Concurrent;
using System.Collections.Immutable;

using StChat.Chat.Accounts;

namespace StChat.Chat;

internal sealed class LocalRoomEventBus(AccountSockets accounts, SessionSockets sessions) : IRoomEventBus
{
    // Copy-on-write member arrays: publishing (hot, on the writer loop) reads without a lock; joins and exits swap.
    private readonly ConcurrentDictionary<string, ImmutableArray<IRoomSubscriber>> _rooms = new(StringComparer.Ordinal);

    public IDisposable Subscribe(string room, IRoomSubscriber subscriber)
    {
        _rooms.AddOrUpdate(room, static (_, s) => [s], static (_, members, s) => members.Add(s), subscriber);
        return new Subscription(this, room, subscriber);
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
        if (!_rooms.TryGetValue(room, out var members))
        {
            return;
        }

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
        if (_rooms.TryGetValue(room, out var members))
        {
            foreach (var member in members)
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
        if (_rooms.TryGetValue(room, out var members))
        {
            foreach (var member in members)
            {
                member.CatchUp(lastSeq);
            }
        }
    }

    public void SignOut(long sessionId) => sessions.CloseAll(sessionId);

    private void Unsubscribe(string room, IRoomSubscriber subscriber)
    {
        while (_rooms.TryGetValue(room, out var members))
        {
            var remaining = members.Remove(subscriber);
            if (remaining.IsEmpty
                ? _rooms.TryRemove(new KeyValuePair<string, ImmutableArray<IRoomSubscriber>>(room, members))
                : _rooms.TryUpdate(room, remaining, members))
            {
                return;
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
