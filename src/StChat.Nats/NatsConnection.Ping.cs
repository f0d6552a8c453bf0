using StChat.Nats.Internal;

namespace StChat.Nats;

public sealed partial class NatsConnection
{
    // PINGs awaiting their PONG in send order; null entries are keepalive PINGs nobody awaits.
    private readonly Queue<PingWaiter?> _pings = new();

    /// <summary>
    /// Sends PING and waits for PONG. Because the server handles commands in order, everything written
    /// before has been processed when this returns. Waits for a reconnect when disconnected.
    /// </summary>
    /// <exception cref="NatsTimeoutException">No PONG within <see cref="NatsOpts.RequestTimeout"/>.</exception>
    public async ValueTask<TimeSpan> PingAsync(CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        await ConnectAsync(ct);
        return await PingCoreAsync(Opts.RequestTimeout, ct);
    }

    /// <summary>Waits until the server has processed everything written so far (a PING round trip).</summary>
    public async ValueTask FlushAsync(CancellationToken ct = default) => await PingAsync(ct);

    private async ValueTask<TimeSpan> PingCoreAsync(TimeSpan timeout, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            while (true)
            {
                await WaitForOpenConnectionAsync(cts.Token);
                var waiter = new PingWaiter();
                _writer.Ping(() => EnqueuePing(waiter));
                try
                {
                    return await waiter.Task.WaitAsync(cts.Token);
                }
                catch (NatsConnectionLostException)
                {
                    // The PING died with its socket; send another once reconnected.
                }
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new NatsTimeoutException($"No PONG from the NATS server within {timeout.TotalMilliseconds} ms.");
        }
    }

    private void EnqueuePing(PingWaiter? waiter)
    {
        lock (_pings)
        {
            _pings.Enqueue(waiter);
        }
    }

    private void CompleteNextPing()
    {
        PingWaiter? waiter;
        lock (_pings)
        {
            if (!_pings.TryDequeue(out waiter))
            {
                return;
            }
        }

        waiter?.Complete();
    }

    private void FailPings(Exception error)
    {
        PingWaiter?[] waiters;
        lock (_pings)
        {
            waiters = [.. _pings];
            _pings.Clear();
        }

        foreach (var waiter in waiters)
        {
            waiter?.Fail(error);
        }
    }
}
