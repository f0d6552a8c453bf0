namespace StChat.Ingest;

/// <summary>The decoded rows of one fetched batch, grouped by target table. Reused from batch to batch.</summary>
internal sealed class FeedBatch
{
    public List<SportEventRow> SportEvents { get; } = [];

    public List<ExecutionRow> Executions { get; } = [];

    public List<FeedRejectRow> Rejects { get; } = [];

    public int Count => SportEvents.Count + Executions.Count + Rejects.Count;

    /// <summary>The lowest stream sequence number of the batch; <see cref="long.MaxValue"/> when it is empty.</summary>
    public long MinStreamSeq
    {
        get
        {
            var min = ulong.MaxValue;
            foreach (var row in SportEvents)
            {
                min = Math.Min(min, row.StreamSeq);
            }

            foreach (var row in Executions)
            {
                min = Math.Min(min, row.StreamSeq);
            }

            foreach (var row in Rejects)
            {
                min = Math.Min(min, row.StreamSeq);
            }

            return (long)Math.Min(min, long.MaxValue);
        }
    }

    public void Clear()
    {
        SportEvents.Clear();
        Executions.Clear();
        Rejects.Clear();
    }
}
