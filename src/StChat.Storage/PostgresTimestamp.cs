namespace StChat.Storage;

/// <summary>
/// .NET keeps 100 ns ticks (and the broker reports nanoseconds) while <c>timestamptz</c> keeps microseconds. Every
/// time written to PostgreSQL and later compared with a value read back goes through here first, so the two agree.
/// </summary>
public static class PostgresTimestamp
{
    private const long TicksPerMicrosecond = TimeSpan.TicksPerMillisecond / 1000;

    /// <summary>The instant as UTC, truncated to whole microseconds.</summary>
    // Truncates, as Npgsql does when it sends a DateTime; rounding here would disagree with rows it already wrote.
    public static DateTime ToMicroseconds(DateTimeOffset value) =>
        new(value.UtcTicks - (value.UtcTicks % TicksPerMicrosecond), DateTimeKind.Utc);
}
