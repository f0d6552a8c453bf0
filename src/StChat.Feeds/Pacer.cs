using System.Diagnostics;

namespace StChat.Feeds;

/// <summary>
/// Keeps a steady rate from a monotonic clock rather than sleeping per message: the number of sends due is
/// elapsed × rate, so timer granularity and slow publishes are caught up on the next wake-up instead of drifting.
/// </summary>
internal sealed class Pacer(double ratePerSecond)
{
    private static readonly TimeSpan MinSleep = TimeSpan.FromMilliseconds(1);
    private static readonly TimeSpan MaxSleep = TimeSpan.FromMilliseconds(100);

    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>How many sends should have happened by now in total (unbounded when the rate is 0).</summary>
    public long Due() => ratePerSecond <= 0 ? long.MaxValue : 1 + (long)(_clock.Elapsed.TotalSeconds * ratePerSecond);

    /// <summary>Waits until send number <paramref name="sent"/> + 1 is due, or at most a short while.</summary>
    public Task WaitForNextAsync(long sent, CancellationToken ct)
    {
        if (ratePerSecond <= 0)
        {
            return Task.CompletedTask;
        }

        var next = TimeSpan.FromSeconds(sent / ratePerSecond) - _clock.Elapsed;
        if (next <= TimeSpan.Zero)
        {
            return Task.CompletedTask;
        }

        return Task.Delay(next < MinSleep ? MinSleep : next > MaxSleep ? MaxSleep : next, ct);
    }
}
