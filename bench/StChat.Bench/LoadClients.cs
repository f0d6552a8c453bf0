using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace StChat.Bench;

// Many load clients, connected a bounded number at a time and spread over source addresses 127.0.0.2-127.0.0.17 so
// that 50,000 connections to one port do not run out of ephemeral ports.
internal sealed class LoadClients : IDisposable
{
    private const int SourceAddresses = 16;
    private const int ConnectConcurrency = 64;

    private readonly HttpMessageInvoker[] _invokers;
    private readonly int _bufferSize;
    private int _next;

    public LoadClients(DeliverySink sink, int bufferSize = 4096)
    {
        Sink = sink;
        _bufferSize = bufferSize;
        _invokers = Enumerable.Range(2, SourceAddresses).Select(i => new HttpMessageInvoker(new SocketsHttpHandler
        {
            ConnectCallback = (context, ct) => ConnectFromAsync(IPAddress.Parse($"127.0.0.{i}"), context, ct),
            PooledConnectionLifetime = TimeSpan.Zero,
        })).ToArray();
    }

    public DeliverySink Sink { get; }

    public List<WsLoadClient> Clients { get; } = [];

    public async Task AddAsync(int count, Func<int, Uri> uri, CancellationToken ct)
    {
        using var gate = new SemaphoreSlim(ConnectConcurrency);
        var first = Clients.Count;
        var connected = new WsLoadClient[count];
        var tasks = new Task[count];
        for (var i = 0; i < count; i++)
        {
            await gate.WaitAsync(ct);
            var index = i;
            var invoker = _invokers[Interlocked.Increment(ref _next) % _invokers.Length];
            tasks[i] = Task.Run(async () =>
            {
                try
                {
                    for (var attempt = 1; ; attempt++)
                    {
                        try
                        {
                            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                            timeout.CancelAfter(TimeSpan.FromSeconds(30));
                            connected[index] = await WsLoadClient.ConnectAsync(uri(first + index), invoker, Sink, _bufferSize, timeout.Token);
                            return;
                        }
                        catch (Exception e) when (attempt < 3 && e is not OperationCanceledException)
                        {
                            await Task.Delay(200, ct);
                        }
                    }
                }
                finally
                {
                    gate.Release();
                }
            }, ct);
        }

        await Task.WhenAll(tasks);
        Clients.AddRange(connected);
    }

    // Waits until no frame has arrived for `quiet` (join storms, history), or until `max` has passed.
    public async Task SettleAsync(TimeSpan quiet, TimeSpan max, CancellationToken ct)
    {
        var until = Stopwatch.GetTimestamp() + (long)(max.TotalSeconds * Stopwatch.Frequency);
        var last = Sink.Frames;
        var lastChange = Stopwatch.GetTimestamp();
        while (Stopwatch.GetTimestamp() < until)
        {
            await Task.Delay(100, ct);
            var frames = Sink.Frames;
            if (frames != last)
            {
                last = frames;
                lastChange = Stopwatch.GetTimestamp();
            }
            else if (Stopwatch.GetElapsedTime(lastChange) >= quiet)
            {
                return;
            }
        }
    }

    public void Dispose()
    {
        foreach (var client in Clients)
        {
            client.Abort();
        }

        Clients.Clear();
        foreach (var invoker in _invokers)
        {
            invoker.Dispose();
        }
    }

    private static async ValueTask<Stream> ConnectFromAsync(IPAddress source, SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            socket.Bind(new IPEndPoint(source, 0));
            await socket.ConnectAsync(IPAddress.Parse(context.DnsEndPoint.Host), context.DnsEndPoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
