using System.Net.WebSockets;
using System.Text.Json;

namespace StChat.Chat.Tests.Infrastructure;

// A client socket that reads only when the test says so, to play a client that is not reading for a while.
public sealed class RawSocket : IDisposable
{
    private readonly ClientWebSocket _socket = new();
    private byte[] _buffer = new byte[64 * 1024];

    public WebSocketState State => _socket.State;

    public static async Task<RawSocket> ConnectAsync(Uri uri)
    {
        var raw = new RawSocket();
        raw._socket.Options.KeepAliveInterval = TimeSpan.Zero;
        using var timeout = new CancellationTokenSource(ChatClient.DefaultTimeout);
        await raw._socket.ConnectAsync(uri, timeout.Token);
        return raw;
    }

    public async Task SendAsync(string json)
    {
        using var timeout = new CancellationTokenSource(ChatClient.DefaultTimeout);
        await _socket.SendAsync(System.Text.Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
    }

    // Frames up to and including the first that matches.
    public async Task<List<JsonElement>> ReceiveUntilAsync(Func<JsonElement, bool> stop, TimeSpan? timeout = null)
    {
        var frames = new List<JsonElement>();
        using var cts = new CancellationTokenSource(timeout ?? ChatClient.DefaultTimeout);
        while (true)
        {
            var count = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                if (count == _buffer.Length)
                {
                    Array.Resize(ref _buffer, _buffer.Length * 2);
                }

                try
                {
                    result = await _socket.ReceiveAsync(_buffer.AsMemory(count), cts.Token);
                }
                catch (OperationCanceledException)
                {
                    throw new TimeoutException($"Condition not met within {(timeout ?? ChatClient.DefaultTimeout).TotalSeconds} s after {frames.Count} frames.");
                }

                count += result.Count;
            }
            while (!result.EndOfMessage);

            if (result.MessageType == WebSocketMessageType.Close)
            {
                throw new InvalidOperationException(
                    $"The server closed the connection ({_socket.CloseStatus} {_socket.CloseStatusDescription}) after {frames.Count} frames.");
            }

            using var document = JsonDocument.Parse(_buffer.AsMemory(0, count));
            var frame = document.RootElement.Clone();
            frames.Add(frame);
            if (stop(frame))
            {
                return frames;
            }
        }
    }

    public void Dispose() => _socket.Dispose();
}
