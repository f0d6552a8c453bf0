using System.IO.Pipelines;
using System.Net.Sockets;

namespace StChat.Nats.Internal;

// One established socket to one server, from the end of its handshake until it is lost.
internal sealed class ServerConnection
{
    private readonly CancellationTokenSource _cts = new();
    private int _lost;
    private int _pingsOut;

    public ServerConnection(ServerAddress address, Socket socket, Stream stream, PipeReader reader, ProtocolParser parser, NatsServerInfo info)
    {
        Address = address;
        Socket = socket;
        Stream = stream;
        Reader = reader;
        Parser = parser;
        Info = info;
    }

    public ServerAddress Address { get; }

    public Socket Socket { get; }

    public Stream Stream { get; }

    public PipeReader Reader { get; }

    public ProtocolParser Parser { get; }

    public NatsServerInfo Info { get; set; }

    public CancellationToken Token => _cts.Token;

    public Task ReadTask { get; set; } = Task.CompletedTask;

    public Task KeepaliveTask { get; set; } = Task.CompletedTask;

    public int PingsOut => Volatile.Read(ref _pingsOut);

    // Seq of the first PING sent on this socket (-1 until the flush loop starts on it) and PONGs received so far:
    // the server answers in order, so PONG n answers PING FirstPingSeq + n. Guarded by the connection's ping lock.
    public long FirstPingSeq { get; set; } = -1;

    public long PongsReceived { get; set; }

    public void OnPingSent() => Interlocked.Increment(ref _pingsOut);

    public void OnPong() => Volatile.Write(ref _pingsOut, 0);

    // True exactly once: the caller that wins handles the loss (events, reconnect).
    public bool MarkLost() => Interlocked.Exchange(ref _lost, 1) == 0;

    public void Abort()
    {
        try
        {
            _cts.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }

        // Disposing the socket fails pending reads and writes, which ends the loops promptly.
        Socket.Dispose();
        Stream.Dispose();
    }
}
