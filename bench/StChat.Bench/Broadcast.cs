using System.Diagnostics;

namespace StChat.Bench;

// One message sent to a room: done when every member has received it; its round trip ends at the last receipt.
internal sealed class Broadcast(long sentTimestamp, int receivers)
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _remaining = receivers;
    private long _last;

    public Task Done => _done.Task;

    public TimeSpan RoundTrip => Stopwatch.GetElapsedTime(sentTimestamp, Interlocked.Read(ref _last));

    public void Received(long now)
    {
        var last = Interlocked.Read(ref _last);
        while (now > last && Interlocked.CompareExchange(ref _last, now, last) != last)
        {
            last = Interlocked.Read(ref _last);
        }

        if (Interlocked.Decrement(ref _remaining) == 0)
        {
            _done.TrySetResult();
        }
    }
}
