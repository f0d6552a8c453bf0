namespace StChat.Feeds;

/// <summary>What one simulator run published.</summary>
public sealed record FeedSimulatorResult(long SportEvents, long Executions, long Duplicates, TimeSpan Elapsed);
