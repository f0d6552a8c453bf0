using System.IO.Pipelines;

namespace StChat.Nats.Internal;

// Callers append whole commands to a Pipe under a lock; a single flush loop (NatsConnection.Reconnect)
// drains the pipe to the socket in batches. While disconnected nothing drains, so the pipe is the
// reconnect buffer and PendingBytes is checked against its limit.
internal sealed class CommandWriter
{
    private readonly Lock _lock = new();
    private readonly Pipe _pipe = new(new PipeOptions(
        pauseWriterThreshold: 0,
        resumeWriterThreshold: 0,
        minimumSegmentSize: 16 * 1024,
        useSynchronizationContext: false));

    private long _pendingBytes;
    private bool _completed;

    // Publishers waiting for the flush loop to bring PendingBytes down to _resumeAt (backpressure while connected).
    private TaskCompletionSource? _drained;
    private long _resumeAt;

    public PipeReader Reader => _pipe.Reader;

    public long PendingBytes => Interlocked.Read(ref _pendingBytes);

    // limit < 0 means unbounded (connected); otherwise the command is refused when the buffer would pass it.
    public void Publish(string subject, string? replyTo, NatsHeaders? headers, int headersLength, ReadOnlySpan<byte> payload, long limit)
    {
        lock (_lock)
        {
            var estimate = 32L + subject.Length + (replyTo?.Length ?? 0) + headersLength + payload.Length;
            EnsureRoom(estimate, limit);
            if (headers is null)
            {
                ProtocolWriter.WritePub(_pipe.Writer, subject, replyTo, payload);
            }
            else
            {
                ProtocolWriter.WriteHpub(_pipe.Writer, subject, replyTo, headers, headersLength, payload);
            }

            Commit();
        }
    }

    public void Subscribe(string subject, string? queueGroup, int sid, int? maxMsgs)
    {
        lock (_lock)
        {
            ThrowIfCompleted();
            ProtocolWriter.WriteSub(_pipe.Writer, subject, queueGroup, sid);
            if (maxMsgs is not null)
            {
                ProtocolWriter.WriteUnsub(_pipe.Writer, sid, maxMsgs);
            }

            Commit();
        }
    }

    public void Unsubscribe(int sid)
    {
        lock (_lock)
        {
            if (_completed)
            {
                return;
            }

            ProtocolWriter.WriteUnsub(_pipe.Writer, sid, null);
            Commit();
        }
    }

    // The callback runs under the write lock so PINGs and their waiters are queued in the same order,
    // and before Commit so the PONG cannot arrive ahead of its waiter.
    public void Ping(Action? onQueued = null)
    {
        lock (_lock)
        {
            ThrowIfCompleted();
            ProtocolWriter.WritePing(_pipe.Writer);
            onQueued?.Invoke();
            Commit();
        }
    }

    public void Pong()
    {
        lock (_lock)
        {
            if (_completed)
            {
                return;
            }

            ProtocolWriter.WritePong(_pipe.Writer);
            Commit();
        }
    }

    // Called by the flush loop after bytes have been handed to the socket.
    public void OnSent(long bytes)
    {
        var pending = Interlocked.Add(ref _pendingBytes, -bytes);
        if (Volatile.Read(ref _drained) is not null && pending <= Interlocked.Read(ref _resumeAt))
        {
            ReleaseWaiters();
        }
    }

    // Null when fewer than highWater bytes wait for the socket; otherwise a task that completes once half of the
    // high-water mark has been sent (or the writer is completed). The flush loop keeps draining while anything is
    // pending, so the task cannot be stranded.
    public Task? WaitForRoom(long highWater)
    {
        if (PendingBytes <= highWater)
        {
            return null;
        }

        lock (_lock)
        {
            if (_completed || PendingBytes <= highWater)
            {
                return null;
            }

            Interlocked.Exchange(ref _resumeAt, highWater / 2);
            _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

            // OnSent reads _drained without the lock: if it ran between the check above and the line before, it saw no
            // waiter and will not come again for bytes already sent. Checking once more closes that window.
            if (PendingBytes <= Interlocked.Read(ref _resumeAt))
            {
                _drained = null;
                return null;
            }

            return _drained.Task;
        }
    }

    public void Complete()
    {
        lock (_lock)
        {
            if (!_completed)
            {
                _completed = true;
                _pipe.Writer.Complete();
            }
        }

        ReleaseWaiters();
    }

    private void ReleaseWaiters()
    {
        TaskCompletionSource? drained;
        lock (_lock)
        {
            drained = _drained;
            _drained = null;
        }

        drained?.TrySetResult();
    }

    private void EnsureRoom(long estimate, long limit)
    {
        ThrowIfCompleted();
        if (limit >= 0 && PendingBytes + estimate > limit)
        {
            throw new NatsReconnectBufferFullException(
                $"Publishing while disconnected would buffer more than ReconnectBufferSize ({limit} bytes); {PendingBytes} bytes are already waiting.");
        }
    }

    private void ThrowIfCompleted() => ObjectDisposedException.ThrowIf(_completed, typeof(NatsConnection));

    private void Commit()
    {
        var written = _pipe.Writer.UnflushedBytes;
        Interlocked.Add(ref _pendingBytes, written);

        // pauseWriterThreshold 0: flushing never waits, it only publishes the bytes to the flush loop.
        var flush = _pipe.Writer.FlushAsync();
        if (!flush.IsCompletedSuccessfully)
        {
            flush.AsTask().GetAwaiter().GetResult();
        }
    }
}
