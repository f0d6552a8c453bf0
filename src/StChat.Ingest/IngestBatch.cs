using System.Diagnostics;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace StChat.Ingest;

/// <summary>
/// The messages of one fetch, their decoded rows and what the broker said about them. The worker holds one per store in
/// flight (Ingest:StoresInFlight) and one fetched behind them. Reused from batch to batch; payloads live in pooled buffers until
/// <see cref="Clear"/>, so decoding needs no copy of its own and a refused row can still be stored byte for byte.
/// </summary>
internal sealed class IngestBatch(int capacity) : IDisposable
{
    public List<INatsJSMsg<NatsMemoryOwner<byte>>> Messages { get; } = new(capacity);

    public FeedBatch Rows { get; } = new();

    /// <summary>Messages without JetStream metadata; they are terminated with the batch's acks.</summary>
    public List<INatsJSMsg<NatsMemoryOwner<byte>>>? Unusable { get; private set; }

    public int Redelivered { get; private set; }

    /// <summary>Messages the broker still had for the consumer when it sent the last one of this batch.</summary>
    public ulong Pending { get; private set; }

    /// <summary>The broker's timestamp of the newest message of this batch.</summary>
    public DateTimeOffset Newest { get; private set; }

    /// <summary>When the broker's AckWait for these messages last started (the fetch, or the last +WPI).</summary>
    public long ReservedSince { get; set; } = Stopwatch.GetTimestamp();

    public void Clear()
    {
        foreach (var msg in Messages)
        {
            msg.Data.Dispose();
        }

        Messages.Clear();
        Rows.Clear();
        Unusable = null;
        Redelivered = 0;
        Pending = 0;
        Newest = default;
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
            if (metadata.Timestamp > Newest)
            {
                Newest = metadata.Timestamp;
            }

            FeedDecoder.Decode(msg.Subject, msg.Data.Memory, metadata.Sequence.Stream, metadata.Timestamp, Rows);
        }
    }

    public void Dispose() => Clear();
}
