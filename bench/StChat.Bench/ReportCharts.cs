namespace StChat.Bench;

// Where the report's charts go and how the report links them; `Kept` names the charts of sections kept from an
// earlier run, which are linked as they are rather than drawn again.
internal sealed record ReportCharts(string Directory, string Link, IReadOnlySet<string> Kept);
