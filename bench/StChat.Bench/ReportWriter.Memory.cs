using System.Globalization;
using System.Text;

namespace StChat.Bench;

internal static partial class ReportWriter
{
    private static async Task MemoryAsync(StringBuilder md, List<IdleMemoryResult> memory, ReportCharts charts,
        List<(string, string, bool)> targets, List<string> remains, CancellationToken ct)
    {
        md.AppendLine("## Memory per idle connection");
        md.AppendLine();
        md.AppendLine("Resident set size (VmRSS) of the server process (ours, then each peer, each on its own) with N idle WebSocket clients (rooms of 100, joined and settled) minus its RSS " +
            "before them, divided by N. The baseline is taken after a warm-up (two rooms of 100 join and leave), so one-time costs such as code compiled on first use " +
            "are not counted as per-connection memory. Clients connect from 127.0.0.2-127.0.0.17 so ephemeral ports do not run out.");
        md.AppendLine();
        md.AppendLine("| Server | Idle connections | RSS before | RSS with clients | Per connection |");
        md.AppendLine("|---|---:|---:|---:|---:|");
        foreach (var m in memory)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {m.Server} | {m.Connections:N0} | {m.BaselineRssBytes / 1048576.0:N0} MiB | {m.RssBytes / 1048576.0:N0} MiB | **{m.BytesPerConnection / 1024:N1} KiB** |");
        }

        md.AppendLine();
        var bars = memory.Select(m => new ChartRenderer.Bar($"{m.Connections:N0} idle, {ChatServerLabels[ChatSeries(m.Server)]}",
            m.BytesPerConnection / 1024, ChatSeries(m.Server), $"{m.BytesPerConnection / 1024:N1} KiB")).ToList();
        await ChartAsync(md, ChartRenderer.BarSvg("Resident memory per idle connection (lower is better)", "KiB per connection", bars,
            ChatServerLabels), charts, "memory.png", "Memory per idle connection", ct);
        var missed = new List<string>();
        foreach (var m in memory.Where(m => ChatSeries(m.Server) == 0))
        {
            var ok = m.BytesPerConnection <= 8 * 1024;
            targets.Add(($"≤ 8 KiB per idle connection at {m.Connections:N0}", $"{m.BytesPerConnection / 1024:N1} KiB", ok));
            if (!ok)
            {
                missed.Add($"{m.BytesPerConnection / 1024:N1} KiB at {m.Connections:N0}");
            }
        }

        if (memory.LastOrDefault(m => m.Holds is not null) is { } census)
        {
            HoldsTable(md, census);
        }

        if (missed.Count > 0)
        {
            // The census names the next bottleneck: the assemblies whose objects each idle connection keeps alive.
            var largest = memory.LastOrDefault(m => m.HoldsByAssembly is { Count: > 0 })?.HoldsByAssembly!
                .OrderByDescending(a => a.Bytes).Take(3).Select(a => $"`{a.Type}` {a.Bytes:N0} B").ToList();
            remains.Add($"Memory per idle connection: {string.Join(", ", missed)}." + (largest is null
                ? ""
                : $" The heap census puts the largest shares of an idle connection in {string.Join(", ", largest)}: the HTTP/1.1 connection " +
                  "Kestrel keeps under an upgraded socket, its pipes and the request's async frames, which stay alive for the socket's lifetime. " +
                  "What is ours is listed in the census table."));
        }
    }

    // The heap census: what the managed part of each idle connection is made of, type by type.
    private static void HoldsTable(StringBuilder md, IdleMemoryResult m)
    {
        md.AppendLine("### What an idle connection holds");
        md.AppendLine();
        md.AppendLine($"Two heap censuses of our server by `dotnet-gcdump` (a full GC, then every live object by type): with the {m.Connections:N0} idle clients " +
            $"connected and 10 s after they have all gone. The difference divided by {m.Connections:N0} is what each connection keeps on the managed heap: " +
            $"**{m.HeapBytesPerConnection / 1024:N1} KiB** of its {m.BytesPerConnection / 1024:N1} KiB of RSS. The rest is outside the live objects: free space the GC keeps between collections and its " +
            "allocation budget, and native memory (the kernel's socket buffers are not in RSS at all). A row is the size dotnet-gcdump gives the type times the number of its objects: exact for " +
            "objects of a fixed size; for arrays and strings the tool gives one object's size, so their rows are approximate and the last row is what " +
            "the rows miss (or count twice) of the heap total.");
        md.AppendLine();
        if (m.HoldsByAssembly is { } assemblies)
        {
            SharesTable(md, "Assembly that defines the type", assemblies);
        }

        SharesTable(md, "Type", m.Holds!);
    }

    private static void SharesTable(StringBuilder md, string what, List<HeapTypeShare> shares)
    {
        md.AppendLine(CultureInfo.InvariantCulture, $"| {what} | Bytes per connection | Objects per connection |");
        md.AppendLine("|---|---:|---:|");
        foreach (var share in shares)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| `{share.Type}` | {share.Bytes:N0} | {(share.Objects == 0 ? "" : share.Objects.ToString("N2", CultureInfo.InvariantCulture))} |");
        }

        md.AppendLine();
    }
}
