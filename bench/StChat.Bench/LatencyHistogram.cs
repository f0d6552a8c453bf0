namespace StChat.Bench;

// Lock-free latency histogram: 10 µs buckets up to 10 s, recorded from any thread with one Interlocked.Increment.
internal sealed class LatencyHistogram
{
    private const long BucketTicks = TimeSpan.TicksPerMillisecond / 100;
    private const int Buckets = 1_000_000;

    private readonly long[] _counts = new long[Buckets + 1];
    private long _total;
    private long _maxTicks;

    public long Count => Interlocked.Read(ref _total);

    public void Record(TimeSpan latency)
    {
        var ticks = Math.Max(0, latency.Ticks);
        var bucket = (int)Math.Min(Buckets, ticks / BucketTicks);
        Interlocked.Increment(ref _counts[bucket]);
        Interlocked.Increment(ref _total);
        var max = Volatile.Read(ref _maxTicks);
        while (ticks > max && Interlocked.CompareExchange(ref _maxTicks, ticks, max) != max)
        {
            max = Volatile.Read(ref _maxTicks);
        }
    }

    // Folds another histogram into this one (several receivers' samples into one distribution).
    public void Add(LatencyHistogram other)
    {
        for (var i = 0; i <= Buckets; i++)
        {
            _counts[i] += other._counts[i];
        }

        _total += other.Count;
        _maxTicks = Math.Max(_maxTicks, Volatile.Read(ref other._maxTicks));
    }

    public double MaxMs => TimeSpan.FromTicks(Volatile.Read(ref _maxTicks)).TotalMilliseconds;

    // Upper edge of the bucket holding the q-quantile, in milliseconds.
    public double PercentileMs(double q)
    {
        var total = Count;
        if (total == 0)
        {
            return double.NaN;
        }

        var rank = (long)Math.Ceiling(q * total);
        long seen = 0;
        for (var i = 0; i <= Buckets; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                return Math.Min(MaxMs, TimeSpan.FromTicks((i + 1) * BucketTicks).TotalMilliseconds);
            }
        }

        return MaxMs;
    }
}
