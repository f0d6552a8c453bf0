namespace StChat.Ingest;

/// <summary>Rows a committed batch added per table; the rest of the batch was already stored.</summary>
internal readonly record struct CatalogueStoreResult(int SportEvents, int Executions, int Rejects)
{
    public int Total => SportEvents + Executions + Rejects;
}
