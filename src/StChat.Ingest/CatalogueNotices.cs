namespace StChat.Ingest;

/// <summary>
/// The core-NATS notice a worker publishes after each committed and acknowledged batch: subject
/// <c>stchat.catalogue.&lt;stream&gt;</c>, payload the batch's highest stream sequence as ASCII digits. It is a hint
/// that the catalogue grew; readers take the rows from PostgreSQL, so a lost notice only delays them.
/// </summary>
public static class CatalogueNotices
{
    public const string SubjectPrefix = "stchat.catalogue.";

    public static string Subject(string stream) => SubjectPrefix + stream;
}
