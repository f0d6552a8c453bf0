namespace StChat.Chat.Accounts;

// The open sockets of each session in this process, so that logging out closes them (code 4001) at once.
internal sealed class SessionSockets
{
    public const int ClosedBySignOut = 4001;

    private readonly Lock _gate = new();
    private readonly Dictionary<long, List<Action>> _sockets = [];

    // `close` is called at most once, from the thread that revokes the session.
    public IDisposable Register(long sessionId, Action close)
    {
        lock (_gate)
        {
            if (!_sockets.TryGetValue(sessionId, out var closers))
            {
                _sockets[sessionId] = closers = [];
            }

            closers.Add(close);
        }

        return new Registration(this, sessionId, close);
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _sockets.Count;
            }
        }
    }

    public long[] OpenSessions()
    {
        lock (_gate)
        {
            return [.. _sockets.Keys];
        }
    }

    public void CloseAll(long sessionId)
    {
        List<Action>? closers;
        lock (_gate)
        {
            _sockets.Remove(sessionId, out closers);
        }

        foreach (var close in closers ?? [])
        {
            close();
        }
    }

    private void Unregister(long sessionId, Action close)
    {
        lock (_gate)
        {
            if (_sockets.TryGetValue(sessionId, out var closers) && closers.Remove(close) && closers.Count == 0)
            {
                _sockets.Remove(sessionId);
            }
        }
    }

    private sealed class Registration(SessionSockets owner, long sessionId, Action close) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Unregister(sessionId, close);
            }
        }
    }
}
