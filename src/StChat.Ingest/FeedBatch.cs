namespace StChat.Ingest;

/// <summary>The decoded rows of one fetched batch, grouped by target table. Reused from batch to batch.</summary>
internal sealed class FeedBatch
{
    public List<SportEventRow> SportEvents { get; } = [];

    public List<ExecutionRow> Executions { get; } = [];

    public List<FeedRejectRow> Rejects { get; } = [];

    public int Count => SportEvents.Count + Executions.Count + Rejects.Count;

    public void Clear()
    {
        SportEvents.Clear();
        Executions.Clear();
        Rejects.Clear();
    }
}
