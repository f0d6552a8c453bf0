namespace StChat.Ingest;

/// <summary>
/// The worker's one retry loop: run an attempt until it succeeds, waiting a capped exponential backoff with jitter
/// after each failure the caller calls retryable. Attempt n waits a random time in [d/2, d], where d doubles from
/// <see cref="IngestOptions.RetryMinDelay"/> up to <see cref="IngestOptions.RetryMaxDelay"/>; the jitter keeps
/// several workers that lost the same dependency from retrying in step. Anything else, and cancellation, ends it.
/// </summary>
internal sealed class Retry(TimeSpan minDelay, TimeSpan maxDelay)
{
    /// <param name="attempt">One try; its result ends the loop.</param>
    /// <param name="retryable">Whether a failure heals by waiting (or by a person while the worker keeps trying).</param>
    /// <param name="failed">Called with the failure, its 1-based number and the wait that follows, before the wait.</param>
    /// <param name="ct">Ends the waits and is passed to every attempt.</param>
    public async Task<T> UntilDoneAsync<T>(
        Func<CancellationToken, Task<T>> attempt,
        Func<Exception, bool> retryable,
        Func<Exception, int, TimeSpan, Task> failed,
        CancellationToken ct)
    {
        var ceiling = minDelay;
        for (var failures = 1; ; failures++)
        {
            try
            {
                return await attempt(ct);
            }
            catch (Exception e) when (retryable(e))
            {
                // A failure caused by, or racing with, the stop is the stop.
                ct.ThrowIfCancellationRequested();
                var half = ceiling.Ticks / 2;
                var delay = TimeSpan.FromTicks(half + Random.Shared.NextInt64(ceiling.Ticks - half + 1));
                ceiling = TimeSpan.FromTicks(Math.Min(ceiling.Ticks * 2, maxDelay.Ticks));
                await failed(e, failures, delay);
                await Task.Delay(delay, ct);
            }
        }
    }
}
