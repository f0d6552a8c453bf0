using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Xunit;

namespace StChat.Catalogue.Tests.Infrastructure;

// A client of /feeds/ws that keeps every frame it receives, in order.
public sealed class FeedSocket : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly List<JsonElement> _frames = [];
    private readonly Task _reading;

    private FeedSocket(ClientWebSocket socket)
    {
        _socket = socket;
        _reading = ReadAsync();
    }

    public WebSocketCloseStatus? CloseStatus => _socket.CloseStatus;

    public bool IsClosed => _reading.IsCompleted;

    public static async Task<FeedSocket> ConnectAsync(Uri uri, long after)
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri($"{uri}?after={after}"), CancellationToken.None);
        return new FeedSocket(socket);
    }

    // The HTTP status of an upgrade the server refuses.
    public static async Task<HttpStatusCode> RefusalAsync(Uri uri)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(uri, CancellationToken.None));
        return socket.HttpStatusCode;
    }

    public IReadOnlyList<JsonElement> Frames
    {
        get
        {
            lock (_frames)
            {
                return [.. _frames];
            }
        }
    }

    // The seqs of the row frames, in the order they came.
    public long[] RowSeqs => [.. Frames.Where(f => f.GetProperty("type").GetString() != "horizon").Select(f => f.GetProperty("seq").GetInt64())];

    public long LastHorizon => Frames.Where(f => f.GetProperty("type").GetString() == "horizon")
        .Select(f => f.GetProperty("seq").GetInt64()).DefaultIfEmpty(0).Max();

    public Task SendTextAsync(string text) =>
        _socket.SendAsync(System.Text.Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    public async Task CloseAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
        }

        await _reading;
    }

    public async ValueTask DisposeAsync()
    {
        _socket.Abort();
        await _reading;
        _socket.Dispose();
    }

    private async Task ReadAsync()
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                var length = result.Count;
                while (!result.EndOfMessage)
                {
                    result = await _socket.ReceiveAsync(new ArraySegment<byte>(buffer, length, buffer.Length - length), CancellationToken.None);
                    length += result.Count;
                }

                using var json = JsonDocument.Parse(buffer.AsMemory(0, length));
                lock (_frames)
                {
                    _frames.Add(json.RootElement.Clone());
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // Aborted or dropped.
        }
    }
}
