using System.Diagnostics.Metrics;

namespace StChat.Ingest;

/// <summary>
/// The worker's instruments, on the meter <c>StChat.Ingest</c>. Recorded once per batch, never per message, and without
/// tags, so the hot path allocates nothing for them.
/// </summary>
public sealed class IngestMetrics
{
    public const string MeterName = "StChat.Ingest";

    // Batches are a handful to BatchSize (at most 10,000) messages.
    private static readonly IReadOnlyList<int> BatchSizeBuckets = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

    // A commit is a few milliseconds; outages and stalls last seconds.
    internal static readonly IReadOnlyList<double> DurationBuckets =
        [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    private readonly Counter<long> _consumed;
    private readonly Counter<long> _stored;
    private readonly Counter<long> _rejected;
    private readonly Counter<long> _redelivered;
    private readonly Histogram<int> _batchSize;
    private readonly Histogram<double> _storeDuration;
    private long _pending = -1;
    private double _lag = double.NaN;

    public IngestMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _consumed = meter.CreateCounter<long>("stchat.ingest.messages.consumed", "{message}",
            "Messages fetched from the durable consumer and committed (stored, rejected or found already stored).");
        _stored = meter.CreateCounter<long>("stchat.ingest.messages.stored", "{message}",
            "Messages that added a row to sport_event or execution.");
        _rejected = meter.CreateCounter<long>("stchat.ingest.messages.rejected", "{message}",
            "Messages that did not decode and added a row to feed_rejects.");
        _redelivered = meter.CreateCounter<long>("stchat.ingest.messages.redelivered", "{message}",
            "Committed messages the broker had delivered before (NumDelivered > 1).");
        _batchSize = meter.CreateHistogram("stchat.ingest.batch.size", "{message}",
            "Messages per committed batch.", advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = BatchSizeBuckets });
        _storeDuration = meter.CreateHistogram("stchat.ingest.store.duration", "s",
            "Time to store a batch in PostgreSQL, retries included, until the commit.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        meter.CreateObservableGauge("stchat.ingest.consumer.pending", ObservePending, "{message}",
            "Messages the broker still had for the durable consumer, as it reported with the last fetch.");
        meter.CreateObservableGauge("stchat.ingest.lag", ObserveLag, "s",
            "Time from the broker's timestamp of the newest message of the last committed batch to that commit.");
    }

    internal void Committed(int messages, int redelivered, CatalogueStoreResult written, double storeSeconds)
    {
        _consumed.Add(messages);
        _stored.Add(written.SportEvents + written.Executions);
        _rejected.Add(written.Rejects);
        _redelivered.Add(redelivered);
        _batchSize.Record(messages);
        _storeDuration.Record(storeSeconds);
    }

    internal void Fetched(ulong pending) => Volatile.Write(ref _pending, (long)Math.Min(pending, long.MaxValue));

    internal void Lag(TimeSpan lag) => Volatile.Write(ref _lag, lag.TotalSeconds);

    private IEnumerable<Measurement<long>> ObservePending() =>
        Volatile.Read(ref _pending) is var pending and >= 0 ? [new Measurement<long>(pending)] : [];

    private IEnumerable<Measurement<double>> ObserveLag() =>
        Volatile.Read(ref _lag) is var lag && !double.IsNaN(lag) ? [new Measurement<double>(lag)] : [];
}
