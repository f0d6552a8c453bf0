using System.Diagnostics;
using System.Globalization;

namespace StChat.Bench;

// The live managed objects of a .NET process by type, from dotnet-gcdump (a local tool of the repository,
// .config/dotnet-tools.json, restored by ./stchat bench): it forces a full GC in the process, then walks the heap.
// The census with N clients minus the census without them, divided by N, is what each connection holds on the heap.
internal static class HeapCensus
{
    private const string Tool = "dotnet-gcdump";

    // The entry of a census that holds the heap's total rather than one type.
    private const string HeapTotal = "";

    // Bytes and objects of each type; null (with the reason logged) when the tool is not there or fails.
    public static async Task<Dictionary<string, HeapTypeTotal>?> TakeAsync(string repoRoot, int pid, CancellationToken ct)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = repoRoot,
        };
        foreach (var arg in new[] { "tool", "run", Tool, "report", "-p", pid.ToString(CultureInfo.InvariantCulture) })
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start dotnet.");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        var totals = Parse(await stdout);
        if (process.ExitCode != 0 || totals.Count == 0)
        {
            BenchEnvironment.Log($"memory: no heap census ({Tool} exited with {process.ExitCode}; `dotnet tool restore` installs it): {await stderr}");
            return null;
        }

        return totals;
    }

    // What `count` connections add: per type, the growth from `without` to `with`, divided by `count`, largest first;
    // then the other types together, and the difference between the rows and the heap total (arrays and strings).
    public static List<HeapTypeShare> PerConnection(
        Dictionary<string, HeapTypeTotal> with, Dictionary<string, HeapTypeTotal> without, int count, int top)
    {
        var shares = Growth(with, without, count).Select(g => g.Share).OrderByDescending(s => s.Bytes).ToList();
        var rest = shares.Skip(top).ToList();
        return
        [
            .. shares.Take(top),
            new HeapTypeShare($"{rest.Count(s => s.Bytes > 0)} other types", rest.Sum(s => s.Bytes), rest.Sum(s => s.Objects)),
            Unsized(with, without, count, shares),
        ];
    }

    // The same growth by who keeps the objects: Kestrel, ASP.NET Core, System.Net.WebSockets, StChat, or the runtime's
    // own types that any of them use (strings, locks, cancellation tokens, tasks, timers), in HeapOwner's order.
    public static List<HeapTypeShare> PerOwner(Dictionary<string, HeapTypeTotal> with, Dictionary<string, HeapTypeTotal> without, int count)
    {
        var growth = Growth(with, without, count);
        var byOwner = growth.ToLookup(g => HeapOwner.Of(g.Share.Type, g.Assembly));
        return
        [
            .. HeapOwner.All.Select(owner => new HeapTypeShare(owner, byOwner[owner].Sum(g => g.Share.Bytes), byOwner[owner].Sum(g => g.Share.Objects))),
            Unsized(with, without, count, [.. growth.Select(g => g.Share)]),
        ];
    }

    private static List<(HeapTypeShare Share, string Assembly)> Growth(
        Dictionary<string, HeapTypeTotal> with, Dictionary<string, HeapTypeTotal> without, int count) =>
        [
            .. with.Where(t => t.Key != HeapTotal).Select(t =>
            {
                var before = without.GetValueOrDefault(t.Key);
                return (new HeapTypeShare(t.Key, (double)(t.Value.Bytes - before.Bytes) / count, (double)(t.Value.Count - before.Count) / count),
                    t.Value.Assembly);
            }),
        ];

    private static HeapTypeShare Unsized(
        Dictionary<string, HeapTypeTotal> with, Dictionary<string, HeapTypeTotal> without, int count, List<HeapTypeShare> shares) =>
        new("rows against the heap total", (double)(TotalBytes(with) - TotalBytes(without)) / count - shares.Sum(s => s.Bytes), 0);

    public static long TotalBytes(Dictionary<string, HeapTypeTotal> census) => census.GetValueOrDefault(HeapTotal).Bytes;

    // The heapstat report: "<n> GC Heap bytes", the total, then one row per type and size bucket,
    // "<size> <count> <type> [(Bytes > 1K)] [<module>]". The size is the type's: exact for objects of a fixed size, one
    // object's for arrays and strings, so size x count is approximate for those and the total is what to trust.
    private static Dictionary<string, HeapTypeTotal> Parse(string report)
    {
        var totals = new Dictionary<string, HeapTypeTotal>(StringComparer.Ordinal);
        foreach (var line in report.Split('\n'))
        {
            var fields = line.Trim().Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2 || !long.TryParse(fields[0], NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out var size))
            {
                continue;
            }

            if (fields[1] == "GC" && fields.Length == 3 && fields[2] == "Heap bytes")
            {
                totals[HeapTotal] = new HeapTypeTotal(size, 0, "");
            }
            else if (fields.Length == 3 && long.TryParse(fields[1], NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out var count))
            {
                var type = TypeName(fields[2]);
                var before = totals.GetValueOrDefault(type);
                totals[type] = new HeapTypeTotal(before.Bytes + size * count, before.Count + count, AssemblyName(fields[2]));
            }
        }

        return totals;
    }

    // "System.Byte[] (Bytes > 1K)  [System.Private.CoreLib.dll]" -> "System.Private.CoreLib".
    private static string AssemblyName(string row)
    {
        var start = row.LastIndexOf('[');
        return start < 0 || !row.EndsWith(']') ? "(unknown)" : Path.GetFileNameWithoutExtension(row[(start + 1)..^1]);
    }

    // "System.Byte[] (Bytes > 1K)  [System.Private.CoreLib.dll]" -> "System.Byte[]".
    private static string TypeName(string row)
    {
        var end = row.IndexOf(" (Bytes > ", StringComparison.Ordinal);
        if (end < 0)
        {
            end = row.IndexOf("  [", StringComparison.Ordinal);
        }

        return (end < 0 ? row : row[..end]).Trim();
    }
}

internal readonly record struct HeapTypeTotal(long Bytes, long Count, string Assembly);
