using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace StChat.Chat.Tests.Infrastructure;

// One user during a fault test. It follows its rooms on whichever node it is given (one room by /rooms/{room}, or
// several by /ws with a session), checks every event it receives against what it has (a seq at or below the last is a
// duplicate, one beyond the next a gap), reconnects with after=<last seq> and resends its unacknowledged messages under
// their ids, as a real client does.
public sealed class ChaosClient(string name, string? token, IReadOnlyList<string> rooms, bool multi) : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, SortedDictionary<long, string>> _seen = rooms.ToDictionary(r => r, _ => new SortedDictionary<long, string>());
    private readonly Dictionary<string, long> _last = rooms.ToDictionary(r => r, _ => 0L);
    private readonly Dictionary<string, (string Room, string Text)> _unacked = [];
    private readonly HashSet<string> _acked = [];
    private readonly List<string> _violations = [];
    private ClientWebSocket? _socket;
    private Task _receiving = Task.CompletedTask;

    public string Name => name;

    public Uri? Node { get; private set; }

    public string[]? LastWho { get; private set; }

    public bool IsOpen => _socket?.State == WebSocketState.Open;

    public List<string> Violations
    {
        get
        {
            lock (_gate)
            {
                return [.. _violations];
            }
        }
    }

    public HashSet<string> Acked
    {
        get
        {
            lock (_gate)
            {
                return [.. _acked];
            }
        }
    }

    public int Unacked
    {
        get
        {
            lock (_gate)
            {
                return _unacked.Count;
            }
        }
    }

    public long LastSeq(string room)
    {
        lock (_gate)
        {
            return _last[room];
        }
    }

    // seq -> "action:id" of every event received in `room`.
    public SortedDictionary<long, string> Seen(string room)
    {
        lock (_gate)
        {
            return new SortedDictionary<long, string>(_seen[room]);
        }
    }

    public async Task ConnectAsync(Uri node)
    {
        await DropAsync();
        var socket = new ClientWebSocket();
        if (token is not null)
        {
            socket.Options.SetRequestHeader("Authorization", $"Bearer {token}");
        }

        var uri = multi
            ? new Uri(node, "ws")
            : new Uri(node, $"rooms/{rooms[0]}?name={Uri.EscapeDataString(name)}&after={LastSeq(rooms[0])}");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await socket.ConnectAsync(uri, timeout.Token);
        _socket = socket;
        Node = node;
        _receiving = ReceiveAsync(socket);
        if (multi)
        {
            foreach (var room in rooms)
            {
                await TrySendAsync(new { action = "subscribe", room, after = LastSeq(room) });
            }
        }

        KeyValuePair<string, (string Room, string Text)>[] resend;
        lock (_gate)
        {
            resend = [.. _unacked];
        }

        foreach (var (id, message) in resend)
        {
            await TrySendMessageAsync(id, message.Room, message.Text);
        }
    }

    // Sends a new message; it stays unacknowledged (and is resent on every reconnect) until its ack arrives.
    public async Task SendAsync(string room, string text, string id)
    {
        lock (_gate)
        {
            _unacked[id] = (room, text);
        }

        await TrySendMessageAsync(id, room, text);
    }

    public async Task ResendUnackedAsync()
    {
        KeyValuePair<string, (string Room, string Text)>[] resend;
        lock (_gate)
        {
            resend = [.. _unacked];
        }

        foreach (var (id, message) in resend)
        {
            await TrySendMessageAsync(id, message.Room, message.Text);
        }
    }

    public Task AskWhoAsync(string room) => multi ? TrySendAsync(new { action = "who", room }) : TrySendAsync(new { action = "who" });

    // Like a network failure: the socket is aborted, no close handshake.
    public async Task DropAsync()
    {
        _socket?.Abort();
        await _receiving;
        _socket?.Dispose();
        _socket = null;
    }

    public async ValueTask DisposeAsync() => await DropAsync();

    private Task TrySendMessageAsync(string id, string room, string text) =>
        multi ? TrySendAsync(new { action = "message", room, message = text, id }) : TrySendAsync(new { message = text, id });

    private async Task TrySendAsync(object frame)
    {
        if (_socket is not { State: WebSocketState.Open } socket)
        {
            return;
        }

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await socket.SendAsync(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(frame)), WebSocketMessageType.Text, true, timeout.Token);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The node went away; the message is resent after the reconnect.
        }
    }

    private async Task ReceiveAsync(ClientWebSocket socket)
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage)
                {
                    continue;
                }

                Handle(JsonDocument.Parse(message.ToArray()).RootElement);
                message.SetLength(0);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    private void Handle(JsonElement frame)
    {
        var action = frame.Str("action");
        lock (_gate)
        {
            if (frame.IsEvent())
            {
                var room = frame.Str("room")!;
                var seq = frame.Seq();
                var last = _last[room];
                if (seq <= last)
                {
                    _violations.Add($"{name}: duplicate #{seq} in {room} (last #{last}) via {Node}");
                    return;
                }

                if (seq != last + 1 && last != 0)
                {
                    _violations.Add($"{name}: gap #{last + 1}..#{seq - 1} in {room} via {Node}");
                }

                _last[room] = seq;
                _seen[room][seq] = $"{action}:{frame.Str("user")}:{frame.Str("id")}";
            }
            else if (action == "ack")
            {
                var id = frame.Str("id")!;
                _unacked.Remove(id);
                _acked.Add(id);
            }
            else if (action == "who")
            {
                LastWho = [.. frame.GetProperty("users").EnumerateArray().Select(u => u.GetString()!)];
            }
        }
    }
}
