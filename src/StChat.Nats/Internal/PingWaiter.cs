using System.Diagnostics;

namespace StChat.Nats.Internal;

// A PING in flight. PONGs arrive in PING order, so waiters sit in a FIFO queue.
internal sealed class PingWaiter
{
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly TaskCompletionSource<TimeSpan> _tcs = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<TimeSpan> Task => _tcs.Task;

    public void Complete() => _tcs.TrySetResult(Stopwatch.GetElapsedTime(_started));

    public void Fail(Exception error) => _tcs.TrySetException(error);
}
