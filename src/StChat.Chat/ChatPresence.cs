namespace StChat.Chat;

// Who is connected to this process: a counter for the connection limit, the users of each room (for "who" and to
// write a public room's join and exit only for a user's first and last connection to it) and the users with any
// socket open (the online dots of the user directory).
internal sealed class ChatPresence(Microsoft.Extensions.Options.IOptions<ChatOptions> options)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Dictionary<string, int>> _rooms = new(StringComparer.Ordinal);
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

    public void Connected(string user)
    {
        lock (_gate)
        {
            Increment(_online, user);
        }
    }

    public void Disconnected(string user)
    {
        lock (_gate)
        {
            Decrement(_online, user);
        }
    }

    // Whether a user of this name (an account name, compared without regard to case) has a socket open here.
    public bool IsOnline(string name)
    {
        lock (_gate)
        {
            return _online.ContainsKey(name);
        }
    }

    // True when this is the user's first connection to the room.
    public bool Enter(string room, string user)
    {
        lock (_gate)
        {
            if (!_rooms.TryGetValue(room, out var users))
            {
                _rooms[room] = users = new Dictionary<string, int>(StringComparer.Ordinal);
            }

            return Increment(users, user);
        }
    }

    // True when this was the user's last connection to the room.
    public bool Leave(string room, string user)
    {
        lock (_gate)
        {
            if (!_rooms.TryGetValue(room, out var users) || !Decrement(users, user))
            {
                return false;
            }

            if (users.Count == 0)
            {
                _rooms.Remove(room);
            }

            return true;
        }
    }

    public string[] UsersIn(string room)
    {
        lock (_gate)
        {
            return _rooms.TryGetValue(room, out var users) ? users.Keys.Order(StringComparer.Ordinal).ToArray() : [];
        }
    }

    private static bool Increment(Dictionary<string, int> counts, string key)
    {
        var count = counts.GetValueOrDefault(key) + 1;
        counts[key] = count;
        return count == 1;
    }

    private static bool Decrement(Dictionary<string, int> counts, string key)
    {
        if (!counts.TryGetValue(key, out var count))
        {
            return false;
        }

        if (count > 1)
        {
            counts[key] = count - 1;
            return false;
        }

        counts.Remove(key);
        return true;
    }
}
