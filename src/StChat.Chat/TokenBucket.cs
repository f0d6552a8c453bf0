namespace StChat.Chat;

// Classic token bucket: capacity tokens at most, refilled continuously at rate per second; each frame takes one.
// Used from one loop only, so it needs no lock. Time is passed in to keep it a pure function of its inputs.
internal sealed class TokenBucket(double ratePerSecond, double capacity, TimeSpan start)
{
    private readonly double _capacity = capacity;
    private double _tokens = capacity;
    private TimeSpan _last = start;

    public bool TryTake(TimeSpan now)
    {
        var elapsed = (now - _last).TotalSeconds;
        if (elapsed > 0)
        {
            _tokens = Math.Min(_capacity, _tokens + elapsed * ratePerSecond);
            _last = now;
        }

        if (_tokens >= 1)
        {
            _tokens -= 1;
            return true;
        }

        return false;
    }
}
