using System.Globalization;

namespace StChat.Bench;

// The bytes a StChat server process has allocated since it started, as its own /metrics reports them: the
// System.Runtime meter's GC counter (GC.GetTotalAllocatedBytes), exported by OpenTelemetry in Prometheus text.
internal static class ServerAllocations
{
    private const string Counter = "dotnet_gc_heap_total_allocated_bytes_total";

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public static async Task<long> ReadAsync(Uri server, CancellationToken ct)
    {
        var text = await Http.GetStringAsync(new Uri(server, "metrics"), ct);
        foreach (var line in text.AsSpan().EnumerateLines())
        {
            // The name, then labels in braces or a space, then the value (and an optional timestamp).
            if (line.StartsWith(Counter) && line.Length > Counter.Length && line[Counter.Length] is '{' or ' ')
            {
                var value = line[(line[Counter.Length] == '{' ? line.LastIndexOf('}') + 1 : Counter.Length)..].Trim();
                var end = value.IndexOf(' ');
                return (long)double.Parse(end < 0 ? value : value[..end], CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException($"{server}metrics has no {Counter}: is the System.Runtime meter exported?");
    }
}
