using System.Globalization;
using System.Text;

namespace StChat.Bench;

internal static partial class ReportWriter
{
    private static async Task ScaleAsync(StringBuilder md, ScaleResult s, BenchResults r, string docs,
        List<(string, string, bool)> targets, List<string> remains, CancellationToken ct)
    {
        md.AppendLine("## Scale-out: two chat nodes, two ingest workers, a node cut off from NATS");
        md.AppendLine();
        md.AppendLine($"Measured by `{s.Command}` on {s.StartedAt:yyyy-MM-dd HH:mm} UTC in {N(s.Seconds)} s. " +
            "Chat nodes are `StChat.Server chat` with `Chat:Bus=nats`, sharing this run's nats-server and one PostgreSQL database; ingest " +
            "workers are `StChat.Server ingest` processes on one durable consumer. " + LoadSentence(s, r.Machine));
        md.AppendLine();
        md.AppendLine($"**On {r.Machine.Cores} cores this shows the overhead of scaling out, not a speed-up:** the second node or " +
            "worker runs on the same cores as the first, the brokers, PostgreSQL and the load generators. Capacity per node, and what it " +
            "projects to, is in [SCALING.md](SCALING.md).");
        md.AppendLine();

        if (s.Fanout.Count > 0)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"Chat fan-out, one room, the same totals on 1 and 2 nodes ({s.Fanout[0].Clients:N0} members, " +
                $"{s.Fanout[0].Senders} senders at {s.Fanout[0].SendRate} messages/s in total, all senders on node A; on 2 nodes half the members are on node B):");
            md.AppendLine();
            md.AppendLine("| Nodes | Deliveries | Deliveries/s | p50 | p99 | same-node p50 / p99 | cross-node p50 / p99 | nodes' CPU |");
            md.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var f in s.Fanout)
            {
                md.AppendLine($"| {f.Nodes} | {f.Deliveries:N0} / {f.Expected:N0} | {N(f.DeliveriesPerSecond)} | {N(f.P50Ms, 1)} ms | " +
                    $"{N(f.P99Ms, 1)} ms | {N(f.SameNodeP50Ms, 1)} / {N(f.SameNodeP99Ms, 1)} ms | " +
                    (f.Nodes > 1 ? $"{N(f.CrossNodeP50Ms, 1)} / {N(f.CrossNodeP99Ms, 1)} ms" : "–") + $" | {N(f.NodesCpuPercent)} % |");
            }

            md.AppendLine();
            if (s.Fanout.FirstOrDefault(f => f.Nodes > 1) is { } two)
            {
                md.AppendLine($"Cross-node overhead (node B's members against node A's, same run): " +
                    $"{Signed(two.CrossNodeP50Ms - two.SameNodeP50Ms)} ms at p50, {Signed(two.CrossNodeP99Ms - two.SameNodeP99Ms)} ms at p99: one NATS hop " +
                    "(node A publishes the committed event once on `stchat.chat.room.<key>`, node B decodes it and fans it out to its members).");
                md.AppendLine();
                targets.Add(("Every delivery made on 2 chat nodes", $"{two.Deliveries:N0} / {two.Expected:N0}", two.Deliveries >= two.Expected));
            }
        }

        if (s.Ingest.Count > 0)
        {
            var one = s.Ingest.FirstOrDefault(i => i.Workers == 1);
            md.AppendLine($"Ingest, the same backlog of {s.Ingest[0].Messages:N0} feed messages (the ingest section's corpus) drained by 1 and by 2 workers; " +
                "the workers are stopped (SIGSTOP) while the stream fills and continued together, so the clock starts with all of them consuming:");
            md.AppendLine();
            md.AppendLine("| Workers | Seconds | Messages/s | vs 1 worker | Rows | Exactly once | workers' CPU | stream filled at |");
            md.AppendLine("|---:|---:|---:|---:|---:|---|---:|---:|");
            foreach (var i in s.Ingest)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"| {i.Workers} | {N(i.Seconds, 1)} | {N(i.MessagesPerSecond)} | " +
                    $"{(one is null ? "–" : N(i.MessagesPerSecond / one.MessagesPerSecond, 2) + "x")} | {i.Rows:N0} | {(i.ExactlyOnce ? "yes" : "**no**")} | " +
                    $"{N(i.WorkersCpuPercent)} % | {N(i.StreamStoreRate)} msgs/s |");
                targets.Add(($"Exactly once with {i.Workers} ingest worker(s)", $"{i.Rows:N0} rows for {i.Messages:N0} messages", i.ExactlyOnce));
            }

            md.AppendLine();
        }

        if (s.Staleness is { } st)
        {
            var bound = st.ReconcileIntervalMs + StalenessAllowanceMs;
            md.AppendLine(CultureInfo.InvariantCulture, $"Staleness while cut off from NATS: two nodes on a nats-server of their own, which is killed; a message is then " +
                $"committed on node A and timed until a member on node B receives it, which B can only learn from chat_log " +
                $"(Chat:ReconcileInterval = {N(st.ReconcileIntervalMs)} ms). Each sample starts at a random point of the interval.");
            md.AppendLine();
            md.AppendLine("| Samples | timed out | p50 | max | min | bound (interval) | live over NATS, before the kill |");
            md.AppendLine("|---:|---:|---:|---:|---:|---:|---:|");
            md.AppendLine(CultureInfo.InvariantCulture, $"| {st.Samples} | {st.TimedOut} | {N(st.P50Ms)} ms | {N(st.MaxMs)} ms | {N(st.MinMs)} ms | " +
                $"{N(st.ReconcileIntervalMs)} ms | {N(st.LiveP50Ms, 1)} ms (median of 3) |");
            md.AppendLine();
            md.AppendLine("Samples (ms): " + string.Join(", ", st.SamplesMs.Select(v => N(v))) + ".");
            md.AppendLine();
            targets.Add(($"Cut off from NATS, a node sees another node's events within Chat:ReconcileInterval + {StalenessAllowanceMs:N0} ms (read and delivery)",
                $"max {N(st.MaxMs)} ms of {N(bound)} ms, {st.TimedOut} timed out", st.TimedOut == 0 && st.MaxMs <= bound));
        }

        if (s.Writes.Count > 0)
        {
            md.AppendLine($"chat_log writes through one chat node into the one PostgreSQL primary (fsync on): {s.Writes[0].InFlight} messages " +
                "in flight (one per sender), each sender sending its next message as soon as the last comes back committed; events counted from `chat_room.last_seq`.");
            md.AppendLine();
            md.AppendLine("| Spread | Seconds | Events committed | Events/s | round trip p50 | p99 | node CPU |");
            md.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
            foreach (var w in s.Writes)
            {
                md.AppendLine($"| {w.Spread} | {N(w.Seconds, 1)} | {w.Events:N0} | {N(w.EventsPerSecond)} | {N(w.AckP50Ms, 1)} ms | " +
                    $"{N(w.AckP99Ms, 1)} ms | {N(w.NodeCpuPercent)} % |" + (w.TimedOut > 0 ? $" ({w.TimedOut} senders timed out)" : ""));
            }

            md.AppendLine();
        }

        foreach (var failure in s.Failures)
        {
            remains.Add($"Scale-out part failed in this run: {failure}");
        }

        await WriteScalingAsync(s, r, docs, ct);
    }

    // A message committed just after a reconcile waits one interval, then the reconcile read and the catch-up read
    // of the missed events from chat_log, then delivery; on a loaded 2-core machine those take up to about a second.
    private const double StalenessAllowanceMs = 1_000;

    private static string LoadSentence(ScaleResult s, MachineInfo machine) => s.Load is not { } l
        ? ""
        : string.Create(CultureInfo.InvariantCulture, $"Machine load during the section: load average {N(l.LoadMean, 1)} on average and " +
            $"{N(l.LoadMax, 1)} at most on {machine.Cores} cores (before it: `{l.Before}`), {N(l.RunnableMean, 1)} runnable tasks on average, " +
            $"CPU {N(l.CpuBusyPercent)} % busy over the whole machine, other people's processes included.");

    private static string Signed(double value) =>
        double.IsNaN(value) ? "n/a" : (value >= 0 ? "+" : "−") + Math.Abs(value).ToString("N1", CultureInfo.InvariantCulture);
}
