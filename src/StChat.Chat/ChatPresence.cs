namespace StChat.Chat;

// Who is connected to this process: a counter for the connection limit and the members of each room for "who".
internal sealed class ChatPresence(Microsoft.Extensions.Options.IOptions<ChatOptions> options)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, HashSet<ChatConnection>> _rooms = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _online = new(StringComparer.OrdinalIgnoreCase);
    private readonly int _maxConnections = options.Value.MaxConnections;
    private int _reserved;

    public bool TryReserve()
    {
        if (Interlocked.Increment(ref _reserved) <= _maxConnections)
        {
            return true;
        }

        Interlocked.Decrement(ref _reserved);
        return false;
    }

    public void Release() => Interlocked.Decrement(ref _reserved);

    public void Add(ChatConnection connection)
    {
        lock (_gate)
        {
            if (!_rooms.TryGetValue(connection.Room, out var members))
            {
                _rooms[connection.Room] = members = [];
            }

            if (members.Add(connection))
            {
                _online[connection.User] = _online.GetValueOrDefault(connection.User) + 1;
            }
        }
    }

    public void Remove(ChatConnection connection)
    {
        lock (_gate)
        {
            if (!_rooms.TryGetValue(connection.Room, out var members) || !members.Remove(connection))
            {
                return;
            }

            if (members.Count == 0)
            {
                _rooms.Remove(connection.Room);
            }

            if (--_online[connection.User] == 0)
            {
                _online.Remove(connection.User);
            }
        }
    }

    // Whether a user of this name (an account name, compared without regard to case) has a connection open here.
    public bool IsOnline(string name)
    {
        lock (_gate)
        {
            return _online.ContainsKey(name);
        }
    }

    public string[] UsersIn(string room)
    {
        lock (_gate)
        {
            return _rooms.TryGetValue(room, out var members)
                ? members.Select(m => m.User).Order(StringComparer.Ordinal).ToArray()
                : [];
        }
    }
}
