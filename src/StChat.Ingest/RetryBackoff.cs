namespace StChat.Ingest;

/// <summary>
/// Capped exponential backoff with jitter: attempt n waits a random time in [d/2, d] where d doubles from the
/// minimum up to the cap. The jitter keeps several workers that lost the same dependency from retrying in step.
/// </summary>
internal sealed class RetryBackoff
{
    private readonly TimeSpan _min;
    private readonly TimeSpan _max;
    private TimeSpan _next;

    public RetryBackoff(TimeSpan min, TimeSpan max)
    {
        _min = min;
        _max = max;
        _next = min;
    }

    public int Attempt { get; private set; }

    public TimeSpan NextDelay()
    {
        Attempt++;
        var ceiling = _next;
        _next = TimeSpan.FromTicks(Math.Min(_next.Ticks * 2, _max.Ticks));
        var half = ceiling.Ticks / 2;
        return TimeSpan.FromTicks(half + Random.Shared.NextInt64(ceiling.Ticks - half + 1));
    }

    public void Reset()
    {
        Attempt = 0;
        _next = _min;
    }
}
