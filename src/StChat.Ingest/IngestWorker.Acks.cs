using System.Diagnostics;
using Microsoft.Extensions.Logging;
using StChat.Nats;

namespace StChat.Ingest;

internal sealed partial class IngestWorker
{
    // After the commit: +ACK every stored message, +TERM every reject (it will never decode, so the broker should
    // stop offering it). A lost ack costs a redelivery that the catalogue key absorbs, so no ack needs the server's
    // confirmation (DoubleAck would be a round trip per message); one flush per batch is enough.
    private async Task AcknowledgeAsync(IngestBatch batch)
    {
        HashSet<ulong>? rejected = null;
        if (batch.Rows.Rejects.Count > 0)
        {
            rejected = [];
            foreach (var reject in batch.Rows.Rejects)
            {
                rejected.Add(reject.StreamSeq);
            }
        }

        try
        {
            foreach (var msg in batch.Messages)
            {
                if (msg.Metadata is not { } metadata)
                {
                    continue;
                }

                if (rejected is not null && rejected.Contains(metadata.StreamSequence))
                {
                    await msg.AckTerminateAsync();
                }
                else
                {
                    await msg.AckAsync();
                }
            }

            if (batch.Unusable is { } unusable)
            {
                logger.LogError(
                    "{Count} message(s) on {Subject} carry no JetStream metadata (reply subject {ReplyTo}) and cannot be " +
                    "catalogued; they are terminated", unusable.Count, unusable[0].Subject, unusable[0].ReplyTo);
                foreach (var msg in unusable)
                {
                    await msg.AckTerminateAsync();
                }
            }

            using var timeout = new CancellationTokenSource(AckFlushTimeout);
            await connection.FlushAsync(timeout.Token);
        }
        catch (Exception e) when (e is NatsException or OperationCanceledException)
        {
            logger.LogWarning(
                "Acknowledging a stored batch of {Count} failed ({Error}); the broker will redeliver it and the " +
                "catalogue will ignore the repeats", batch.Messages.Count, e.Message);
        }
    }

    // Shutdown or abandonment: -NAK makes the batch available again at once instead of after AckWait. The batch is
    // emptied, so a batch is given back once however the shutdown reaches it.
    private async Task GiveBackAsync(IngestBatch batch, string reason)
    {
        if (batch.Messages.Count == 0)
        {
            return;
        }

        var count = batch.Messages.Count;
        logger.LogInformation("Returning {Count} unstored message(s) to the broker: {Reason}", count, reason);
        try
        {
            foreach (var msg in batch.Messages)
            {
                await msg.NakAsync();
            }

            batch.Clear();

            using var timeout = new CancellationTokenSource(AckFlushTimeout);
            await connection.FlushAsync(timeout.Token);
        }
        catch (Exception e) when (e is NatsException or OperationCanceledException)
        {
            logger.LogWarning(
                "Returning {Count} message(s) failed ({Error}); the broker redelivers them after AckWait ({AckWait})",
                count, e.Message, _options.AckWait);
        }
    }

    // +WPI resets the AckWait timer of each message so the broker does not redeliver a batch we are still storing.
    private async Task SignalInProgressAsync(IngestBatch batch)
    {
        try
        {
            batch.ReservedSince = Stopwatch.GetTimestamp();
            foreach (var msg in batch.Messages)
            {
                await msg.AckProgressAsync();
            }
        }
        catch (NatsException e)
        {
            logger.LogWarning(
                "Extending the ack deadline of the pending batch failed ({Error}); it may be redelivered, which the " +
                "catalogue absorbs", e.Message);
        }
    }
}
