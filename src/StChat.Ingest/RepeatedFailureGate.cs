using System.Diagnostics;

namespace StChat.Ingest;

/// <summary>
/// Lets the first report of a failure through, then the same failure at most once per interval, and a different
/// failure at once. A retry loop stays readable in the log however short its backoff is, and so do several stores
/// failing on the same cause at once. Safe to share between them.
/// </summary>
internal sealed class RepeatedFailureGate(TimeSpan interval)
{
    private readonly Lock _lock = new();
    private string? _last;
    private long _lastReportedAt;
    private int _suppressed;

    /// <summary>True when <paramref name="failure"/> should be logged now; <paramref name="suppressed"/> counts the
    /// repeats held back since the previous report.</summary>
    public bool ShouldReport(string failure, out int suppressed)
    {
        lock (_lock)
        {
            if (_last is not null
                && string.Equals(_last, failure, StringComparison.Ordinal)
                && Stopwatch.GetElapsedTime(_lastReportedAt) < interval)
            {
                _suppressed++;
                suppressed = 0;
                return false;
            }

            suppressed = _suppressed;
            _suppressed = 0;
            _last = failure;
            _lastReportedAt = Stopwatch.GetTimestamp();
            return true;
        }
    }

    /// <summary>The failure is over: the next one is reported at once, even if it is the same again.</summary>
    public void Reset()
    {
        lock (_lock)
        {
            _last = null;
            _suppressed = 0;
        }
    }
}
