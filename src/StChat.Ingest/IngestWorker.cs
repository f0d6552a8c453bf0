using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StChat.Messaging;

namespace StChat.Ingest;

/// <summary>
/// Catalogues the feeds: fetch a batch from the durable pull consumer, decode it, store it in one transaction, and
/// only then acknowledge it. Every failure before the commit leaves the batch unacknowledged, so the broker hands it
/// out again; every repeat after the commit is absorbed by the (stream, stream_seq) key. Together that is
/// exactly-once in the catalogue with at-least-once delivery underneath. Any number of workers may share the durable
/// consumer: the broker hands each message to one of them at a time, and one handed on again (its worker died, or
/// kept it past AckWait) is absorbed by the same key.
/// </summary>
internal sealed class IngestWorker(
    FeedConsumer consumer,
    BatchCommitter committer,
    IOptions<IngestOptions> options,
    ILogger<IngestWorker> logger) : BackgroundService
{
    private readonly IngestOptions _options = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var progress = new IngestProgress(logger, _options.ProgressInterval, WorkerIdentity.Id);
        using var current = new IngestBatch(_options.BatchSize);
        using var next = new IngestBatch(_options.BatchSize);
        var (storing, behind) = (current, next);
        try
        {
            await consumer.EnsureAsync(stoppingToken);
            while (!stoppingToken.IsCancellationRequested)
            {
                if (storing.Messages.Count == 0)
                {
                    await consumer.FetchAsync(storing, waitForFirst: true, stoppingToken);
                }

                if (storing.Messages.Count > 0)
                {
                    await StoreWhileFetchingAsync(storing, behind, progress, stoppingToken);
                    (storing, behind) = (behind, storing);
                }

                progress.LogIfDue();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // What was fetched but not handed to a commit; a commit gives back its own batch.
            await committer.GiveBackAsync(storing, "the worker is stopping");
            await committer.GiveBackAsync(behind, "the worker is stopping before the batch fetched behind was stored");
            Log.Stopping(logger, progress.Worker);
        }
        finally
        {
            Log.Totals(logger, progress.Worker, progress.Messages, progress.Stored, progress.Rejected, progress.Redelivered, progress.AlreadyStored);
        }
    }

    // Commits `storing` and, when the broker reported more messages behind it, fetches `behind` meanwhile, so the
    // broker round trip and the decoding overlap the database's. One commit is in flight at a time: `behind` is
    // stored only after `storing` committed and was acknowledged, which keeps the batches in stream order.
    private async Task StoreWhileFetchingAsync(
        IngestBatch storing, IngestBatch behind, IngestProgress progress, CancellationToken stoppingToken)
    {
        var commit = committer.CommitAsync(storing, progress, stoppingToken);
        try
        {
            if (storing.Pending > 0)
            {
                await consumer.FetchAsync(behind, waitForFirst: false, stoppingToken);
                committer.Waiting = behind;
            }
        }
        finally
        {
            try
            {
                await commit;
            }
            finally
            {
                committer.Waiting = null;
            }
        }
    }
}
