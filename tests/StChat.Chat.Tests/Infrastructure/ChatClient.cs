using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace StChat.Chat.Tests.Infrastructure;

// A real ClientWebSocket whose frames are read all the time by a background loop (so it answers pings like a live
// client) and handed to the test through a channel with timeouts.
public sealed class ChatClient : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);

    private readonly ClientWebSocket _socket;
    private readonly Channel<JsonElement> _frames = Channel.CreateUnbounded<JsonElement>();
    private readonly Task _receiving;

    private ChatClient(ClientWebSocket socket)
    {
        _socket = socket;
        _receiving = ReceiveLoopAsync();
    }

    public WebSocketCloseStatus? CloseStatus => _socket.CloseStatus;

    public string? CloseDescription => _socket.CloseStatusDescription;

    public WebSocketState State => _socket.State;

    // `certificateCheck`: how a wss:// client judges the server's certificate (a test pins its own self-signed one).
    public static async Task<ChatClient> ConnectAsync(Uri uri, string? token = null, System.Net.Security.RemoteCertificateValidationCallback? certificateCheck = null)
    {
        var socket = new ClientWebSocket();
        socket.Options.RemoteCertificateValidationCallback = certificateCheck;
        if (token is not null)
        {
            socket.Options.SetRequestHeader("Authorization", $"Bearer {token}");
        }

        using var timeout = new CancellationTokenSource(DefaultTimeout);
        await socket.ConnectAsync(uri, timeout.Token);
        return new ChatClient(socket);
    }

    // The HTTP status of an upgrade the server refuses; fails if the upgrade succeeds.
    public static async Task<System.Net.HttpStatusCode> RefusedStatusAsync(Uri uri, string? token = null)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        if (token is not null)
        {
            socket.Options.SetRequestHeader("Authorization", $"Bearer {token}");
        }

        using var timeout = new CancellationTokenSource(DefaultTimeout);
        try
        {
            await socket.ConnectAsync(uri, timeout.Token);
        }
        catch (WebSocketException)
        {
            return socket.HttpStatusCode;
        }

        throw new InvalidOperationException($"The upgrade to {uri} was accepted.");
    }

    public Task SendAsync(string json) => SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text);

    public Task SendAsync(object frame) => SendAsync(JsonSerializer.Serialize(frame));

    public async Task SendAsync(byte[] data, WebSocketMessageType type)
    {
        using var timeout = new CancellationTokenSource(DefaultTimeout);
        await _socket.SendAsync(data, type, endOfMessage: true, timeout.Token);
    }

    public async Task<JsonElement> ReceiveAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            return await _frames.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"No frame within {(timeout ?? DefaultTimeout).TotalSeconds} s.");
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException($"The server closed the connection ({CloseStatus} {CloseDescription}).");
        }
    }

    // Frames up to and including the first that matches.
    public async Task<List<JsonElement>> ReceiveUntilAsync(Func<JsonElement, bool> stop, TimeSpan? timeout = null)
    {
        var frames = new List<JsonElement>();
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        while (true)
        {
            JsonElement frame;
            try
            {
                frame = await _frames.Reader.ReadAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Condition not met within {(timeout ?? DefaultTimeout).TotalSeconds} s; got: {string.Join(" | ", frames)}");
            }

            frames.Add(frame);
            if (stop(frame))
            {
                return frames;
            }
        }
    }

    public Task<List<JsonElement>> ReceiveUntilActionAsync(string action, TimeSpan? timeout = null) =>
        ReceiveUntilAsync(f => f.Action() == action, timeout);

    // Waits for the server to close the connection; frames before the close are returned.
    public async Task<List<JsonElement>> ReceiveUntilClosedAsync(TimeSpan? timeout = null)
    {
        var frames = new List<JsonElement>();
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            await foreach (var frame in _frames.Reader.ReadAllAsync(cts.Token))
            {
                frames.Add(frame);
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"Not closed within {(timeout ?? DefaultTimeout).TotalSeconds} s; got: {string.Join(" | ", frames)}");
        }

        await _receiving;
        return frames;
    }

    public async Task CloseAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            using var timeout = new CancellationTokenSource(DefaultTimeout);
            await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", timeout.Token);
        }

        await _receiving;
    }

    // Drops the connection without a close handshake, as a client that loses its network does.
    public void Abort() => _socket.Abort();

    public async ValueTask DisposeAsync()
    {
        try
        {
            await CloseAsync();
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
        }

        _socket.Dispose();
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[256 * 1024];
        try
        {
            while (true)
            {
                var count = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (count == buffer.Length)
                    {
                        Array.Resize(ref buffer, buffer.Length * 2);
                    }

                    result = await _socket.ReceiveAsync(buffer.AsMemory(count), CancellationToken.None);
                    count += result.Count;
                }
                while (!result.EndOfMessage);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                using var document = JsonDocument.Parse(buffer.AsMemory(0, count));
                _frames.Writer.TryWrite(document.RootElement.Clone());
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            _frames.Writer.TryComplete();
        }
    }
}
