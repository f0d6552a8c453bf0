using System.Diagnostics;

namespace StChat.Nats.Internal;

// A PING queued in the command stream: Seq numbers every PING in stream order, Position is the stream offset just
// past it. Keepalive PINGs get one too (nobody awaits their task) so that the n-th PONG on a socket names a PING.
internal sealed class PingWaiter(long seq, long position)
{
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly TaskCompletionSource<TimeSpan> _tcs = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public long Seq { get; } = seq;

    public long Position { get; } = position;

    public Task<TimeSpan> Task => _tcs.Task;

    public bool IsDone => _tcs.Task.IsCompleted;

    public void Complete() => _tcs.TrySetResult(Stopwatch.GetElapsedTime(_started));

    public void Fail(Exception error) => _tcs.TrySetException(error);
}
