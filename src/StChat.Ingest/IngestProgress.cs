using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace StChat.Ingest;

/// <summary>
/// Running totals of one worker, logged with the rate since the previous line every interval. The totals are this
/// process's share: the workers sharing the consumer each log their own, named by <paramref name="worker"/>.
/// </summary>
internal sealed class IngestProgress(ILogger logger, TimeSpan interval, string worker)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Lock _lock = new();
    private TimeSpan _lastLogAt;
    private long _messagesAtLastLog;

    public long Messages { get; private set; }

    public long Stored { get; private set; }

    public long Rejected { get; private set; }

    public long Redelivered { get; private set; }

    public long AlreadyStored { get; private set; }

    public string Worker => worker;

    // Called by each commit as it completes; with more than one store in flight, from more than one thread.
    public void Record(int messages, int redelivered, CatalogueStoreResult written, int decodedRows, int rejectRows)
    {
        lock (_lock)
        {
            Messages += messages;
            Redelivered += redelivered;
            Stored += written.SportEvents + written.Executions;
            Rejected += written.Rejects;
            AlreadyStored += (decodedRows - written.SportEvents - written.Executions) + (rejectRows - written.Rejects);
        }
    }

    public void LogIfDue()
    {
        var now = _clock.Elapsed;
        var elapsed = now - _lastLogAt;
        if (elapsed < interval)
        {
            return;
        }

        lock (_lock)
        {
            var rate = (Messages - _messagesAtLastLog) / elapsed.TotalSeconds;
            _lastLogAt = now;
            _messagesAtLastLog = Messages;
            Log.Progress(logger, worker, rate, Messages, Stored, Rejected, Redelivered, AlreadyStored);
        }
    }
}
