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

        // One batch per store in flight and one fetched behind them.
        var batches = Enumerable.Range(0, _options.StoresInFlight + 1).Select(_ => new IngestBatch(_options.BatchSize)).ToList();
        var free = new Queue<IngestBatch>(batches);
        var commits = new List<(Task Commit, IngestBatch Batch)>(_options.StoresInFlight);
        IngestBatch? fetched = null;
        try
        {
            await consumer.EnsureAsync(stoppingToken);
            var backlog = false;
            while (!stoppingToken.IsCancellationRequested)
            {
                // Fetch while the stores run when a slot is free or the broker said more is waiting; with nothing in
                // flight, wait for the next message.
                if (fetched is null && (commits.Count < _options.StoresInFlight || backlog))
                {
                    var batch = free.Dequeue();
                    await consumer.FetchAsync(batch, waitForFirst: commits.Count == 0, stoppingToken);
                    backlog = batch.Pending > 0;
                    if (batch.Messages.Count > 0)
                    {
                        fetched = batch;
                    }
                    else
                    {
                        free.Enqueue(batch);
                    }
                }

                if (fetched is not null && commits.Count < _options.StoresInFlight)
                {
                    commits.Add((committer.CommitAsync(fetched, progress, stoppingToken), fetched));
                    fetched = null;
                    committer.Waiting = null;
                    continue;
                }

                // Every slot is busy, or there was nothing to fetch: wait for a store to end.
                committer.Waiting = fetched;
                if (commits.Count > 0)
                {
                    free.Enqueue(await CompletedAsync(commits));
                }

                progress.LogIfDue();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // What was fetched but not handed to a commit; a commit gives back its own batch.
            if (fetched is not null)
            {
                await committer.GiveBackAsync(fetched, "the worker is stopping before the batch fetched behind was stored");
            }

            Log.Stopping(logger, progress.Worker);
        }
        finally
        {
            committer.Waiting = null;
            await EndAllAsync(commits);
            foreach (var batch in batches)
            {
                batch.Dispose();
            }

            Log.Totals(logger, progress.Worker, progress.Messages, progress.Stored, progress.Rejected, progress.Redelivered, progress.AlreadyStored);
        }
    }

    // Waits for the first of the commits in flight to end and returns its batch; a commit that failed (a recreated
    // stream, a stop) ends the worker, once the others ended too.
    private static async Task<IngestBatch> CompletedAsync(List<(Task Commit, IngestBatch Batch)> commits)
    {
        var done = await Task.WhenAny(commits.Select(c => c.Commit));
        var index = commits.FindIndex(c => c.Commit == done);
        var batch = commits[index].Batch;
        commits.RemoveAt(index);
        await done;
        return batch;
    }

    // Lets every commit still in flight end before the batches are disposed: on a stop each gives its batch back;
    // after another store failed, each commits (and acknowledges) or fails on its own.
    private async Task EndAllAsync(List<(Task Commit, IngestBatch Batch)> commits)
    {
        foreach (var (commit, _) in commits)
        {
            try
            {
                await commit;
            }
            catch (OperationCanceledException)
            {
            }
            catch (Exception e)
            {
                Log.OtherStoreFailed(logger, e.Message);
            }
        }

        commits.Clear();
    }
}
