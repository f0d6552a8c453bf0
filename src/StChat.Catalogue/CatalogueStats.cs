namespace StChat.Catalogue;

/// <summary>
/// What <c>GET /api/feeds/stats</c> reports: the horizon, the messages the ingest consumer has not acknowledged yet,
/// the ingest rate (horizon advance per second over about the last ten seconds) and when the horizon was last read.
/// </summary>
internal sealed record CatalogueStats(long Horizon, long Pending, double Rate, DateTimeOffset? ReadAt);
