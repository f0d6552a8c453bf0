using System.Net.WebSockets;

namespace StChat.Bench;

// One load-generating WebSocket client: a receive loop that is always pending (so server pings are answered) and
// reports each text message to the sink; messages larger than the buffer are reported by their first part.
internal sealed class WsLoadClient
{
    private readonly ClientWebSocket _socket;
    private readonly DeliverySink _sink;
    private readonly byte[] _buffer;

    private WsLoadClient(ClientWebSocket socket, DeliverySink sink, int bufferSize)
    {
        _socket = socket;
        _sink = sink;
        _buffer = new byte[bufferSize];
        Receiving = Task.Run(ReceiveLoopAsync);
    }

    public Task Receiving { get; }

    public static async Task<WsLoadClient> ConnectAsync(Uri uri, HttpMessageInvoker invoker, DeliverySink sink, int bufferSize, CancellationToken ct)
    {
        var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        try
        {
            await socket.ConnectAsync(uri, invoker, ct);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new WsLoadClient(socket, sink, bufferSize);
    }

    public ValueTask SendAsync(ReadOnlyMemory<byte> frame, CancellationToken ct) =>
        _socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, ct);

    public void Abort()
    {
        _socket.Abort();
        _socket.Dispose();
    }

    private async Task ReceiveLoopAsync()
    {
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveAsync(_buffer.AsMemory(), CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                var count = result.Count;
                while (!result.EndOfMessage)
                {
                    result = await _socket.ReceiveAsync(_buffer.AsMemory(count), CancellationToken.None);
                    count = Math.Min(count + result.Count, _buffer.Length - 1);
                    if (count >= _buffer.Length - 1)
                    {
                        count = 0;
                    }
                }

                _sink.OnFrame(_buffer.AsSpan(0, Math.Max(count, result.Count)));
            }
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or OperationCanceledException or IOException)
        {
        }
    }
}
