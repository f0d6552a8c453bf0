using System.IO.Pipelines;

namespace StChat.Nats.Internal;

// Callers append whole commands to a Pipe under a lock; a single flush loop (NatsConnection.Flush)
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

    // Offsets in the endless stream of commands, guarded by _lock. Both only grow, so the offset just past a command
    // names it across reconnects: committed = appended so far, sent = consumed by the flush loop (sent or skipped),
    // discardedUpTo = everything before it was dropped and is skipped instead of sent.
    private long _committedBytes;
    private long _sentBytes;
    private long _discardedUpTo;

    // Publishers waiting for the flush loop to bring PendingBytes down to _resumeAt (backpressure while connected).
    private TaskCompletionSource? _drained;
    private long _resumeAt;

    public PipeReader Reader => _pipe.Reader;

    public long PendingBytes => Interlocked.Read(ref _pendingBytes);

    // Offset of the next byte the flush loop will send: commands ending at or before it have left the client.
    public long SentBytes
    {
        get
        {
            lock (_lock)
            {
                return Math.Max(_sentBytes, _discardedUpTo);
            }
        }
    }

    // Bytes at the head of the pipe that were discarded; the flush loop consumes them without sending.
    public long DiscardedAhead
    {
        get
        {
            lock (_lock)
            {
                return Math.Max(0, _discardedUpTo - _sentBytes);
            }
        }
    }

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
    // and before Commit so the PONG cannot arrive ahead of its waiter. It gets the offset just past the PING.
    public void Ping(Action<long>? onQueued = null)
    {
        lock (_lock)
        {
            ThrowIfCompleted();
            ProtocolWriter.WritePing(_pipe.Writer);
            onQueued?.Invoke(_committedBytes + _pipe.Writer.UnflushedBytes);
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

    // Called by the flush loop after bytes have been handed to the socket, or skipped because they were discarded.
    // Under the lock, like WaitForRoom, so a waiter cannot be registered between the decrement and the check.
    public void OnSent(long bytes)
    {
        TaskCompletionSource? drained = null;
        lock (_lock)
        {
            var from = _sentBytes;
            _sentBytes += bytes;

            // Bytes before the discard mark already left PendingBytes when they were discarded.
            var counted = bytes - Math.Clamp(_discardedUpTo - from, 0, bytes);
            var pending = Interlocked.Add(ref _pendingBytes, -counted);
            if (_drained is not null && pending <= _resumeAt)
            {
                drained = _drained;
                _drained = null;
            }
        }

        drained?.TrySetResult();
    }

    // Null when fewer than highWater bytes wait for the socket; otherwise a task that completes once half of the
    // high-water mark has been sent (or the writer is completed, or the commands are discarded). The flush loop keeps
    // draining while anything is pending, so the task cannot be stranded.
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

            _resumeAt = highWater / 2;
            _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _drained.Task;
        }
    }

    // Drops every queued command so none is sent if the connection is opened again (reconnecting was given up),
    // and fails publishers waiting for room with the reason.
    public void Discard(Exception error)
    {
        TaskCompletionSource? drained;
        lock (_lock)
        {
            _discardedUpTo = _committedBytes;
            Interlocked.Exchange(ref _pendingBytes, 0);
            drained = _drained;
            _drained = null;
        }

        drained?.TrySetException(error);
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
        _committedBytes += written;
        Interlocked.Add(ref _pendingBytes, written);

        // pauseWriterThreshold 0: flushing never waits, it only publishes the bytes to the flush loop.
        var flush = _pipe.Writer.FlushAsync();
        if (!flush.IsCompletedSuccessfully)
        {
            flush.AsTask().GetAwaiter().GetResult();
        }
    }
}
