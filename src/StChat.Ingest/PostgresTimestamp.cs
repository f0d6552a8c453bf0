namespace StChat.Ingest;

/// <summary>
/// The broker reports times in nanoseconds, .NET keeps 100 ns ticks and <c>timestamptz</c> keeps microseconds. Every
/// time the catalogue writes or compares goes through here first, so a value read back equals the value sent.
/// </summary>
internal static class PostgresTimestamp
{
    private const long TicksPerMicrosecond = TimeSpan.TicksPerMillisecond / 1000;

    // Truncates, as Npgsql does when it sends a DateTime; rounding here would disagree with rows it already wrote.
    public static DateTime ToMicroseconds(DateTimeOffset value) =>
        new(value.UtcTicks - (value.UtcTicks % TicksPerMicrosecond), DateTimeKind.Utc);
}
