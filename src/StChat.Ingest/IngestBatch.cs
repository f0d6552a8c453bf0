using System.Diagnostics;
using StChat.Nats.JetStream;

namespace StChat.Ingest;

/// <summary>
/// The messages of one fetch, their decoded rows and what the broker said about them. The worker holds two: one being
/// stored and one fetched behind it. Reused from batch to batch.
/// </summary>
internal sealed class IngestBatch(int capacity)
{
    public List<NatsJSMsg> Messages { get; } = new(capacity);

    public FeedBatch Rows { get; } = new();

    /// <summary>Messages without JetStream metadata; they are terminated with the batch's acks.</summary>
    public List<NatsJSMsg>? Unusable { get; private set; }

    public int Redelivered { get; private set; }

    /// <summary>Messages the broker still had for the consumer when it sent the last one of this batch.</summary>
    public ulong Pending { get; private set; }

    /// <summary>When the broker's AckWait for these messages last started (the fetch, or the last +WPI).</summary>
    public long ReservedSince { get; set; } = Stopwatch.GetTimestamp();

    public void Clear()
    {
        Messages.Clear();
        Rows.Clear();
        Unusable = null;
        Redelivered = 0;
        Pending = 0;
    }

    // Decodes the fetched messages into Rows; called once, when the fetch is complete.
    public void Decode()
    {
        foreach (var msg in Messages)
        {
            if (msg.Metadata is not { } metadata)
            {
                (Unusable ??= []).Add(msg);
                continue;
            }

            if (metadata.NumDelivered > 1)
            {
                Redelivered++;
            }

            Pending = metadata.NumPending;
            FeedDecoder.Decode(msg.Subject, msg.Data, metadata.StreamSequence, metadata.Timestamp, Rows);
        }
    }
}
