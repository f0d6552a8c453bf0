using System.Globalization;
using System.Text;

namespace StChat.Bench;

internal static partial class ReportWriter
{
    // Less than the smallest object on a 64-bit runtime (24 bytes): no allocation per delivery, only per event.
    private const double MarginalAllocationTarget = 24;

    // Bytes our server allocated in the fan-out's steady phase, per event and per delivery, and the marginal bytes of
    // one more delivery from each room size to the next: the per-event work (the sender's frame, the commit, the one
    // serialization, the ack) is the same in every room, so the difference is what a delivery costs.
    private static void FanoutAllocations(StringBuilder md, ChatResult c, List<(string, string, bool)> targets, List<string> remains)
    {
        var rows = c.Fanout.Where(f => f.Allocation is not null).OrderBy(f => f.Clients).ToList();
        if (rows.Count == 0)
        {
            return;
        }

        md.AppendLine("Bytes allocated by our server during the steady phase, read from its own `/metrics` (`dotnet_gc_heap_total_allocated_bytes_total`, " +
            "the System.Runtime meter) before and after, less what it allocates at its idle rate with the same room joined and nobody sending " +
            "(measured for as long just before). Per event divides by the messages sent, per delivery by the frames received; the marginal figure is " +
            "the difference from the previous room size divided by the difference in deliveries, which leaves out the per-event work. " +
            "The first room also carries the process's first messages (code compiled and pools filled on first use), so the target is judged " +
            "between the two largest rooms.");
        md.AppendLine();
        md.AppendLine("| Room size | Messages | Deliveries | Allocated | Idle rate, subtracted | Per event | Per delivery | Marginal per delivery |");
        md.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
        FanoutResult? previous = null;
        foreach (var f in rows)
        {
            var a = f.Allocation!;
            var marginal = previous is null ? "" : $"{N(Marginal(previous, f), 1)} B";
            md.AppendLine(CultureInfo.InvariantCulture, $"| {f.Clients:N0} | {a.Events:N0} | {f.Deliveries:N0} | {Kilobytes(a.Bytes)} | {Kilobytes(a.IdleBytes)} | " +
                $"{N(a.Bytes / (double)Math.Max(1, a.Events))} B | {N(a.Bytes / (double)Math.Max(1, f.Deliveries), 1)} B | {marginal} |");
            previous = f;
        }

        md.AppendLine();
        if (rows.Count < 2)
        {
            return;
        }

        var (from, to) = (rows[^2], rows[^1]);
        var marginalBytes = Marginal(from, to);
        var met = marginalBytes < MarginalAllocationTarget;
        targets.Add(("Bytes allocated per delivered frame ≈ 0 after the one serialization per event",
            $"{N(marginalBytes, 1)} B per extra delivery ({from.Clients:N0} → {to.Clients:N0} members)", met));
        if (!met)
        {
            remains.Add($"Each extra delivery of a chat event allocates {N(marginalBytes, 1)} bytes (rooms of {from.Clients:N0} to {to.Clients:N0}). " +
                "The goal is no allocation per delivery beyond the one serialization per event.");
        }
    }

    private static double Marginal(FanoutResult from, FanoutResult to) =>
        (to.Allocation!.Bytes - from.Allocation!.Bytes) / (double)Math.Max(1, to.Deliveries - from.Deliveries);

    private static string Kilobytes(long bytes) => $"{N(bytes / 1e3)} kB";
}
