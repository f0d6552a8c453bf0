using System.Collections.Concurrent;
using System.Collections.Immutable;

namespace StChat.Chat.Accounts;

// The open sockets of each signed-in account in this process: frames about the account rather than one conversation
// (its read markers, conversations it was added to) go to all of them, so tabs and devices agree.
internal sealed class AccountSockets
{
    private readonly ConcurrentDictionary<long, ImmutableArray<Action<byte[]>>> _accounts = new();

    public IDisposable Register(long accountId, Action<byte[]> send)
    {
        _accounts.AddOrUpdate(accountId, static (_, s) => [s], static (_, sockets, s) => sockets.Add(s), send);
        return new Registration(this, accountId, send);
    }

    public void Send(long accountId, byte[] frame)
    {
        if (_accounts.TryGetValue(accountId, out var sockets))
        {
            foreach (var send in sockets)
            {
                send(frame);
            }
        }
    }

    private void Unregister(long accountId, Action<byte[]> send)
    {
        while (_accounts.TryGetValue(accountId, out var sockets))
        {
            var remaining = sockets.Remove(send);
            if (remaining.IsEmpty
                ? _accounts.TryRemove(new KeyValuePair<long, ImmutableArray<Action<byte[]>>>(accountId, sockets))
                : _accounts.TryUpdate(accountId, remaining, sockets))
            {
                return;
            }
        }
    }

    private sealed class Registration(AccountSockets owner, long accountId, Action<byte[]> send) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Unregister(accountId, send);
            }
        }
    }
}
