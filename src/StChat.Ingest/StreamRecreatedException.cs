namespace StChat.Ingest;

/// <summary>
/// The broker's stream under the configured name is not the one the catalogue was filled from: its sequence numbers
/// started again at 1. Retrying cannot help; an operator has to choose between a new stream name and archiving.
/// </summary>
internal sealed class StreamRecreatedException(string message) : InvalidOperationException(message);
