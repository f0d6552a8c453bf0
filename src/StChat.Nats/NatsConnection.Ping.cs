using StChat.Nats.Internal;

namespace StChat.Nats;

public sealed partial class NatsConnection
{
    // PINGs of the command stream whose PONG may still come, in stream order (Seq and Position ascending). An answered
    // PING stays until it has surely left the client: a batch that failed is sent again on the next socket, and the PONG
    // there answers that PING again rather than the one after it. Lock order: the writer's lock, then this one.
    private readonly List<PingWaiter> _pings = [];
    private long _nextPingSeq;

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
                await WaitForOpenConnectionAsync(cts.Token, waitWhileClosed: false);
                PingWaiter? waiter = null;
                _writer.Ping(position => waiter = EnqueuePing(position));
                try
                {
                    return await waiter!.Task.WaitAsync(cts.Token);
                }
                catch (NatsConnectionLostException)
                {
                    // The PING was sent to a socket that died before answering; send another once reconnected.
                }
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new NatsTimeoutException($"No PONG from the NATS server within {timeout.TotalMilliseconds} ms.");
        }
    }

    // Runs under the writer's lock (CommandWriter.Ping), so Seq follows the order of the PINGs in the stream.
    private PingWaiter EnqueuePing(long position)
    {
        lock (_pings)
        {
            var waiter = new PingWaiter(_nextPingSeq++, position);
            _pings.Add(waiter);
            return waiter;
        }
    }

    // Called by the flush loop before its first write to a socket, with the stream offset it starts sending from.
    // PINGs before that offset went to earlier sockets; those still unanswered never will be.
    private void BeginPings(ServerConnection connection, long sentBytes)
    {
        List<PingWaiter>? stale = null;
        lock (_pings)
        {
            var count = 0;
            for (; count < _pings.Count && _pings[count].Position <= sentBytes; count++)
            {
                if (!_pings[count].IsDone)
                {
                    (stale ??= []).Add(_pings[count]);
                }
            }

            _pings.RemoveRange(0, count);
            connection.FirstPingSeq = _pings.Count > 0 ? _pings[0].Seq : _nextPingSeq;
            connection.PongsReceived = 0;
        }

        if (stale is not null)
        {
            var error = new NatsConnectionLostException($"The connection that carried the PING was lost before {connection.Address} was connected.");
            foreach (var waiter in stale)
            {
                waiter.Fail(error);
            }
        }
    }

    // PONG n on a socket answers the n-th PING sent on it (the handshake's PING is answered before the read loop runs).
    private void CompletePing(ServerConnection connection)
    {
        // Read before taking _pings: the writer takes its lock first and then this one.
        var sent = _writer.SentBytes;
        lock (_pings)
        {
            if (connection.FirstPingSeq < 0)
            {
                // No PING of the stream was sent on this socket yet: a PONG nobody asked for.
                return;
            }

            var seq = connection.FirstPingSeq + connection.PongsReceived++;
            foreach (var waiter in _pings)
            {
                if (waiter.Seq >= seq)
                {
                    if (waiter.Seq == seq)
                    {
                        waiter.Complete();
                    }

                    break;
                }
            }

            var count = 0;
            while (count < _pings.Count && _pings[count].IsDone && _pings[count].Position <= sent)
            {
                count++;
            }

            _pings.RemoveRange(0, count);
        }
    }

    // Fails the PINGs that end at or before upTo (sent to a socket that is gone, or discarded) and forgets them.
    // Later ones are still in the pipe and get their PONG on the next socket.
    private void FailPings(Exception error, long upTo = long.MaxValue)
    {
        List<PingWaiter> failed = [];
        lock (_pings)
        {
            var count = 0;
            while (count < _pings.Count && _pings[count].Position <= upTo)
            {
                failed.Add(_pings[count]);
                count++;
            }

            _pings.RemoveRange(0, count);
        }

        foreach (var waiter in failed)
        {
            waiter.Fail(error);
        }
    }
}
