namespace StChat.Catalogue;

/// <summary><c>GET /api/feeds/stats</c>: <c>lag_seconds</c> is how long the newest catalogued row waited between the
/// broker and its commit.</summary>
internal sealed record StatsResponse(long Horizon, long Pending, double Rate, double? LagSeconds, DateTimeOffset? ReadAt);

/// <summary><c>GET /api/feeds/sports</c>: sport_event rows per sport, up to the horizon.</summary>
internal sealed record SportsResponse(long Horizon, IReadOnlyList<SportCount> Sports);
