using System.Net.Sockets;
using System.Text;

namespace StChat.Nats.Tests.FakePeer;

// The server side of one client connection.
internal sealed class FakeClient : IAsyncDisposable
{
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(10);
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly StreamReader _reader;

    public FakeClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _reader = new StreamReader(_stream, Encoding.UTF8);
    }

    public async Task SendAsync(string text)
    {
        await _stream.WriteAsync(Encoding.UTF8.GetBytes(text));
        await _stream.FlushAsync();
    }

    public async Task<string> ReadLineAsync()
    {
        var line = await _reader.ReadLineAsync().WaitAsync(ReadTimeout);
        return line ?? throw new EndOfStreamException("The client closed the connection.");
    }

    // Skips lines (keepalive PINGs and the like) until one matches.
    public async Task<string> ReadLineStartingWithAsync(string prefix)
    {
        while (true)
        {
            var line = await ReadLineAsync();
            if (line.StartsWith(prefix, StringComparison.Ordinal))
            {
                return line;
            }
        }
    }

    // Reads and throws away everything the client sends until the connection ends or ct fires.
    public async Task DiscardInputAsync(CancellationToken ct)
    {
        var buffer = new byte[64 * 1024];
        while (await _stream.ReadAsync(buffer, ct) > 0)
        {
        }
    }

    // Answers every PING with PONG and ignores everything else until the connection ends or ct fires.
    public async Task AnswerPingsAsync(CancellationToken ct)
    {
        try
        {
            while (await _reader.ReadLineAsync(ct) is { } line)
            {
                if (line == "PING")
                {
                    await SendAsync("PONG\r\n");
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
        {
        }
    }

    // A fixed, small receive buffer: with a peer that stops reading, the client's writes stall after a few MB
    // instead of after whatever the kernel's autotuning allows.
    public void LimitReceiveBuffer() => _socket.ReceiveBufferSize = 64 * 1024;

    public void Close() => _socket.Close();

    public async ValueTask DisposeAsync()
    {
        _reader.Dispose();
        await _stream.DisposeAsync();
    }
}
