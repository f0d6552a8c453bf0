using StChat.Chat.Presence;

namespace StChat.Chat;

// Who is connected to this process: a counter for the connection limit, the users of each room (for "who" and to
// write a public room's join and exit only for a user's first and last connection to it) and the users with any
// socket open (the online dots of the user directory). With many nodes (`cluster`), this node's first and last
// connections are handed to ClusterPresence, which decides across nodes and answers "who" and "online".
internal sealed class ChatPresence(Microsoft.Extensions.Options.IOptions<ChatOptions> options, ClusterPresence? cluster = null)
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
        bool first;
        lock (_gate)
        {
            first = Increment(_online, user);
        }

        if (first)
        {
            cluster?.Online(user, online: true);
        }
    }

    public void Disconnected(string user)
    {
        bool last;
        lock (_gate)
        {
            last = Decrement(_online, user);
        }

        if (last)
        {
            cluster?.Online(user, online: false);
        }
    }

    // The names among `names` (account names, compared without regard to case) with a socket open, lowercased.
    public async Task<HashSet<string>> OnlineAsync(IEnumerable<string> names, CancellationToken ct)
    {
        var keys = names.Select(n => n.ToLowerInvariant()).ToArray();
        if (cluster is not null)
        {
            return await cluster.OnlineAsync(keys, ct);
        }

        lock (_gate)
        {
            return [.. keys.Where(_online.ContainsKey)];
        }
    }

    // Runs `join` when this is the user's first connection to the room (with many nodes: anywhere).
    public void Enter(string room, string user, Action join)
    {
        bool first;
        lock (_gate)
        {
            if (!_rooms.TryGetValue(room, out var users))
            {
                _rooms[room] = users = new Dictionary<string, int>(StringComparer.Ordinal);
            }

            first = Increment(users, user);
        }

        if (!first)
        {
            return;
        }

        if (cluster is null)
        {
            join();
        }
        else
        {
            cluster.Enter(room, user, join);
        }
    }

    // Runs `exit` when this was the user's last connection to the room (with many nodes: anywhere).
    public void Leave(string room, string user, Action exit)
    {
        lock (_gate)
        {
            if (!_rooms.TryGetValue(room, out var users) || !Decrement(users, user))
            {
                return;
            }

            if (users.Count == 0)
            {
                _rooms.Remove(room);
            }
        }

        if (cluster is null)
        {
            exit();
        }
        else
        {
            cluster.Leave(room, user, exit);
        }
    }

    public async Task<string[]> UsersInAsync(string room, CancellationToken ct)
    {
        if (cluster is not null)
        {
            return await cluster.UsersInAsync(room, ct);
        }

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
