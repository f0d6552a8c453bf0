using Microsoft.Extensions.Logging;
using StChat.Nats;
using StChat.Nats.JetStream;

namespace StChat.Ingest;

internal sealed partial class IngestWorker
{
    // After the commit: +ACK every stored message, +TERM every reject (it will never decode, so the broker should
    // stop offering it). A lost ack costs a redelivery that the catalogue key absorbs, so no ack needs the server's
    // confirmation (DoubleAck would be a round trip per message); one flush per batch is enough.
    private async Task AcknowledgeAsync(List<NatsJSMsg>? unusable)
    {
        HashSet<ulong>? rejected = null;
        if (_batch.Rejects.Count > 0)
        {
            rejected = [];
            foreach (var reject in _batch.Rejects)
            {
                rejected.Add(reject.StreamSeq);
            }
        }

        try
        {
            foreach (var msg in _messages)
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

            if (unusable is not null)
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
                "catalogue will ignore the repeats", _messages.Count, e.Message);
        }
    }

    // Shutdown or abandonment: -NAK makes the batch available again at once instead of after AckWait.
    private async Task GiveBackAsync(string reason)
    {
        if (_messages.Count == 0)
        {
            return;
        }

        logger.LogInformation("Returning {Count} unstored message(s) to the broker: {Reason}", _messages.Count, reason);
        try
        {
            foreach (var msg in _messages)
            {
                await msg.NakAsync();
            }

            using var timeout = new CancellationTokenSource(AckFlushTimeout);
            await connection.FlushAsync(timeout.Token);
        }
        catch (Exception e) when (e is NatsException or OperationCanceledException)
        {
            logger.LogWarning(
                "Returning {Count} message(s) failed ({Error}); the broker redelivers them after AckWait ({AckWait})",
                _messages.Count, e.Message, _options.AckWait);
        }
    }

    // +WPI resets the AckWait timer of each message so the broker does not redeliver a batch we are still storing.
    private async Task SignalInProgressAsync()
    {
        try
        {
            foreach (var msg in _messages)
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
