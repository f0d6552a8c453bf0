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

        var census = memory.LastOrDefault(m => m.Holds is not null);
        if (census is not null)
        {
            HoldsTable(md, census);
        }

        if (missed.Count > 0)
        {
            remains.Add($"Memory per idle connection: {string.Join(", ", missed)}." + (census?.HoldsByOwner is { Count: > 0 } ? " " + OwnersRemain(census) : ""));
        }
    }

    // The next bottleneck, from the census by owner: what Kestrel and the WebSocket keep per connection on their own,
    // whatever the application does, against the goal.
    private static string OwnersRemain(IdleMemoryResult m)
    {
        double Owned(string owner) => m.HoldsByOwner!.Where(o => o.Type == owner).Sum(o => o.Bytes);
        var transport = Owned(HeapOwner.Kestrel) + Owned(HeapOwner.WebSockets);
        var goal = 8 * 1024;
        var text = $"Of the {m.HeapBytesPerConnection / 1024:N1} KiB each keeps on the managed heap at {m.Connections:N0} (the census by owner), " +
            $"Kestrel holds {Owned(HeapOwner.Kestrel) / 1024:N1} KiB and System.Net.WebSockets {Owned(HeapOwner.WebSockets) / 1024:N1} KiB: " +
            $"{transport / 1024:N1} KiB, {transport / goal:P0} of the goal, that come with any WebSocket accepted through Kestrel's HTTP/1.1 upgrade " +
            $"and live as long as it. The request ASP.NET Core keeps open under the socket (its HttpContext, the hosting diagnostics, the " +
            $"authentication and rate-limiting middleware it passed) holds {Owned(HeapOwner.AspNetCore) / 1024:N1} KiB, the runtime types they all " +
            $"use {Owned(HeapOwner.Runtime) / 1024:N1} KiB, and StChat's own objects {Owned(HeapOwner.StChat) / 1024:N1} KiB.";
        return transport >= 0.95 * goal
            ? text + $" The goal leaves {(goal - transport) / 1024:N1} KiB for the request, the session and the GC's free space together, so it " +
              "cannot be met while Kestrel serves the socket; parsing the upgrade and framing WebSockets ourselves on a bare socket would be " +
              "protocol code of our own."
            : text + " The rest of the way is in the request's middleware and StChat's objects, listed in the census table.";
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
            "the rows miss (or count twice) of the heap total. The first table gives each type to who keeps it: the first of Kestrel's, ASP.NET Core's, " +
            "System.Net.WebSockets' or StChat's namespaces in the type's name (the state machine of an async method counts for the method's type), else the " +
            "assembly that defines it; the runtime's own types, which name none of them, are a row of their own.");
        md.AppendLine();
        if (m.HoldsByOwner is { } owners)
        {
            SharesTable(md, "Who keeps it", owners, code: false);
        }

        SharesTable(md, "Type", m.Holds!);
    }

    private static void SharesTable(StringBuilder md, string what, List<HeapTypeShare> shares, bool code = true)
    {
        md.AppendLine(CultureInfo.InvariantCulture, $"| {what} | Bytes per connection | Objects per connection |");
        md.AppendLine("|---|---:|---:|");
        foreach (var share in shares)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {(code ? $"`{share.Type}`" : share.Type)} | {share.Bytes:N0} | {(share.Objects == 0 ? "" : share.Objects.ToString("N2", CultureInfo.InvariantCulture))} |");
        }

        md.AppendLine();
    }
}
