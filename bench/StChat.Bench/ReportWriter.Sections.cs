using System.Globalization;
using System.Text;

namespace StChat.Bench;

internal static partial class ReportWriter
{
    private static async Task IngestAsync(StringBuilder md, IngestResult i, ReportCharts charts,
        List<(string, string, bool)> targets, List<string> remains, CancellationToken ct)
    {
        var ofCopy = i.ExactlyOnceRate / i.CopyRate;
        var ofOriginal = i.ExactlyOnceRate / i.OriginalRate;
        md.AppendLine("## Ingest: feed messages to catalogue rows");
        md.AppendLine();
        md.AppendLine($"{i.Messages:N0} feed messages ({i.PayloadBytes / 1e6:N1} MB of protobuf, half `sport_event`, half `execution`) " +
            "already in the JetStream stream, stored end to end by the real ingest worker (`StChat.Server ingest`, default configuration) on the exactly-once path: " +
            "pull-consumer fetch, decode, and one transaction per batch: binary COPY straight into the catalogue for a batch numbered above everything " +
            "stored (the drain's every batch), otherwise COPY into per-connection staging tables and one guarded `INSERT ... SELECT ... ON CONFLICT DO NOTHING` " +
            "per table; two batches stored at once, each acknowledged after its own commit. " +
            $"PostgreSQL runs with {i.PostgresSettings}: every commit is durable.");
        md.AppendLine();
        md.AppendLine("| Variant | Messages | Seconds | Messages/s | vs exactly-once |");
        md.AppendLine("|---|---:|---:|---:|---:|");
        md.AppendLine(CultureInfo.InvariantCulture, $"| **StChat ingest, exactly once** (JetStream → PostgreSQL) | {i.Messages:N0} | {N(i.ExactlyOnceSeconds, 1)} | **{N(i.ExactlyOnceRate)}** | 1.00x |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| Physical limit: binary COPY of the decoded rows, no broker | {i.Messages:N0} | {N(i.CopySeconds, 1)} | {N(i.CopyRate)} | {N(i.CopyRate / i.ExactlyOnceRate, 2)}x |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| Original design: core subscription, one INSERT + commit per message | {i.OriginalStored:N0} (time-boxed) | {N(i.OriginalSeconds, 1)} | {N(i.OriginalRate)} | {N(i.OriginalRate / i.ExactlyOnceRate, 3)}x |");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Protobuf decoding alone runs at {N(i.DecodeRate)} messages/s on one core. Prefilling the stream took {N(i.PrefillSeconds, 1)} s. " +
            $"Rows stored by the worker: {i.ExactlyOnceRows:N0} (no loss, no duplicate).");
        md.AppendLine();
        IngestVariants(md, i);
        md.AppendLine("Feed → row latency at a steady publish rate, default configuration: the time from publishing a message to the commit that made its row visible " +
            "(a statement trigger raises `NOTIFY` with the statement's table and its lowest and highest stream sequence; PostgreSQL delivers it only at commit, " +
            "and a notice counts only for its own rows, since two stores may commit out of order). Before them the catalogue " +
            "is vacuumed and analyzed once, as autovacuum would be soon after the drain's million rows, so that its first pass is not part of the runs.");
        md.AppendLine();
        md.AppendLine("| Target rate | Achieved rate | Samples | p50 | p99 | max |");
        md.AppendLine("|---:|---:|---:|---:|---:|---:|");
        foreach (var l in i.Latency)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {N(l.TargetRate)}/s | {N(l.ActualRate)}/s | {l.Samples:N0} | {N(l.P50Ms, 1)} ms | {N(l.P99Ms, 1)} ms | {N(l.MaxMs, 1)} ms |");
        }

        md.AppendLine();
        IngestLatencyParts(md, i);
        var svg = ChartRenderer.BarSvg("Ingest: messages stored per second (higher is better)", "messages/s, durable commits (fsync on)",
        [
            new("COPY only (limit)", i.CopyRate, 1, N(i.CopyRate)),
            new("StChat exactly once", i.ExactlyOnceRate, 0, N(i.ExactlyOnceRate)),
            new("Original design", i.OriginalRate, 2, N(i.OriginalRate)),
        ], ["StChat", "physical limit", "original design"]);
        await ChartAsync(md, svg, charts, "ingest.png", "Ingest throughput", ct);

        targets.Add(("Ingest ≥ 50% of the COPY-only rate", $"{ofCopy:P0} ({N(i.ExactlyOnceRate)} vs {N(i.CopyRate)} msgs/s)", ofCopy >= 0.5));
        targets.Add(("Ingest ≥ 20x the original design", $"{N(ofOriginal, 1)}x ({N(i.ExactlyOnceRate)} vs {N(i.OriginalRate)} msgs/s)", ofOriginal >= 20));
        if (i.Latency.FirstOrDefault(l => l.TargetRate == 5_000) is { } at5k)
        {
            targets.Add(("Feed→row p99 < 50 ms at 5,000 msgs/s", $"{N(at5k.P99Ms, 1)} ms", at5k.P99Ms < 50));
            if (at5k.P99Ms >= 50)
            {
                var largest = at5k.Parts.MaxBy(p => p.P99Ms);
                remains.Add($"Feed→row p99 is {N(at5k.P99Ms, 1)} ms at 5,000 msgs/s (p50 {N(at5k.P50Ms, 1)} ms, max {N(at5k.MaxMs, 1)} ms)" +
                    (largest is null
                        ? ": this run does not break the tail down further."
                        : $"; of its parts, \"{largest.Name}\" has the largest p99, {N(largest.P99Ms, 1)} ms (see the parts table)."));
            }
        }

        if (ofCopy < 0.5 && i.Variants.FirstOrDefault(v => v.IsDefault) is { } current)
        {
            var (name, seconds) = new[] { ("the worker", current.WorkerCpuSeconds), ("nats-server", current.NatsCpuSeconds), ("PostgreSQL", current.PostgresCpuSeconds) }
                .MaxBy(p => p.Item2);
            var busy = (current.WorkerCpuSeconds + current.NatsCpuSeconds + current.PostgresCpuSeconds) / (current.Seconds * Environment.ProcessorCount);
            remains.Add($"Ingest reaches {ofCopy:P0} of COPY. During the default drain the worker, nats-server and PostgreSQL kept {busy:P0} of the " +
                $"{Environment.ProcessorCount} cores busy, and {name} used the most CPU ({N(seconds * 1e6 / current.Rows, 1)} µs per message; see the " +
                "candidates table), so the next step is CPU per message there, not more concurrency. A profile of the worker in the middle of a " +
                "drain puts about half of its CPU in the NATS.Net client: the read loop that receives the fetched messages (a fifth), the " +
                "parse of each message's JetStream metadata out of its reply subject (a seventh), and the ack of each message (a tenth). " +
                "Npgsql's binary COPY takes a seventh and protobuf decoding a sixteenth. Acking a whole batch with one message (AckPolicy.All) " +
                "would save most of the ack work in the worker and in nats-server, but it is not safe while several workers or stores share " +
                "the consumer: one ack would also cover messages that another has not yet committed.");
        }
    }

    // Each latency run's parts side by side; a part's p99 is over all messages, so the parts' p99s do not add up to
    // the whole's.
    private static void IngestLatencyParts(StringBuilder md, IngestResult i)
    {
        var runs = i.Latency.Where(l => l.Parts.Count > 0).ToList();
        if (runs.Count == 0)
        {
            return;
        }

        md.AppendLine("Where each message's time goes, from the same runs: the notice carries when the worker's transaction began and when the statement " +
            "that wrote the row ended (PostgreSQL's clock, which is this machine's). Each part's percentiles are over all messages, so they do not add up.");
        md.AppendLine();
        md.AppendLine("| Target rate | Part | p50 | p99 |");
        md.AppendLine("|---:|---|---:|---:|");
        foreach (var l in runs)
        {
            foreach (var part in l.Parts)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"| {N(l.TargetRate)}/s | {part.Name} | {N(part.P50Ms, 1)} ms | {N(part.P99Ms, 1)} ms |");
            }
        }

        md.AppendLine();
    }

    private static void IngestVariants(StringBuilder md, IngestResult i)
    {
        if (i.Variants.Count == 0)
        {
            return;
        }

        md.AppendLine("Candidates for the exactly-once store, each a configuration of the real worker draining the same backlog through its own durable " +
            "consumer into its own database (the headline row above is the default). CPU is what each process used during the drain, per message.");
        md.AppendLine();
        md.AppendLine("| Configuration | Settings | Seconds | Messages/s | of COPY | Worker CPU | nats-server CPU | PostgreSQL CPU | Cores busy |");
        md.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var v in i.Variants)
        {
            var busy = (v.WorkerCpuSeconds + v.NatsCpuSeconds + v.PostgresCpuSeconds) / v.Seconds;
            var name = v.IsDefault ? $"**{v.Name}**" : v.Name;
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {name} | `{v.Settings}` | {N(v.Seconds, 1)} | {N(v.Rate)} | {v.Rate / i.CopyRate:P0} | {PerMessage(v.WorkerCpuSeconds, v.Rows)} | " +
                $"{PerMessage(v.NatsCpuSeconds, v.Rows)} | {PerMessage(v.PostgresCpuSeconds, v.Rows)} | {N(busy, 2)} |");
        }

        md.AppendLine();
    }

    // CPU seconds spread over the messages stored, in microseconds per message.
    private static string PerMessage(double cpuSeconds, long messages) => $"{N(cpuSeconds * 1e6 / Math.Max(1, messages), 1)} µs";

    // A shootout step's CPU per frame delivered, in microseconds. Results saved before CPU was measured have no
    // deliveries (and no seconds), and show none.
    private static string PerDelivery(ShootoutStep s, double cpuSeconds) => s.Deliveries == 0 ? "n/a" : PerMessage(cpuSeconds, s.Deliveries);

    private static double Micros(ShootoutStep s, double cpuSeconds) => cpuSeconds * 1e6 / s.Deliveries;

    // The three processes that shared the cores during a step; a peer leaves PostgreSQL only its background work.
    private static double CpuSeconds(ShootoutStep s) => s.ServerCpuSeconds + s.LoadCpuSeconds + s.PostgresCpuSeconds;

    private static double Busy(ShootoutStep s) => CpuSeconds(s) / s.Seconds;

    private static string CoresBusy(ShootoutStep s) => s.Seconds == 0 ? "n/a" : N(Busy(s), 2);

    // Where the cores went at the largest room size that both our server and the Bun peer ran without a timed-out
    // broadcast (a timed-out broadcast's late frames fall outside its step), when CPU was measured.
    private static string ShootoutCpuSplit(ChatResult c, int cores)
    {
        static bool Measured(ShootoutStep s) => s.Deliveries > 0 && s.Seconds > 0 && s.TimedOut == 0;
        var ours = c.Shootout.Where(s => ChatSeries(s.Server) == 0 && Measured(s)).ToDictionary(s => s.Clients);
        if (c.Shootout.Where(s => ChatSeries(s.Server) == 2 && Measured(s) && ours.ContainsKey(s.Clients))
                .MaxBy(s => s.Clients) is not { } bun)
        {
            return "";
        }

        var stchat = ours[bun.Clients];
        var saturated = Math.Min(Busy(stchat), Busy(bun)) >= 0.9 * cores;
        return $" At {bun.Clients:N0} clients, the largest size measured for both, the server, the load generator and PostgreSQL kept " +
            $"{CoresBusy(stchat)} of the {cores} cores busy with ours and {CoresBusy(bun)} with Bun" +
            (saturated ? ", so a step is bounded by what a delivery costs the whole machine, the load generator included" : "") +
            $". Per delivery: {PerDelivery(stchat, CpuSeconds(stchat))} with ours ({PerDelivery(stchat, stchat.ServerCpuSeconds)} our server, " +
            $"{PerDelivery(stchat, stchat.LoadCpuSeconds)} the load generator, {PerDelivery(stchat, stchat.PostgresCpuSeconds)} PostgreSQL) " +
            $"against {PerDelivery(bun, bun.ServerCpuSeconds + bun.LoadCpuSeconds)} with Bun ({PerDelivery(bun, bun.ServerCpuSeconds)} " +
            $"Bun's server, {PerDelivery(bun, bun.LoadCpuSeconds)} the load generator). On loopback the kernel's receive path for a client's " +
            "socket often runs in the sending process and counts as its CPU, so how it divides between server and load generator is approximate; " +
            "their sum does not depend on it." + LoadGeneratorBias(stchat, bun) + LightLoadComparison(c);
    }

    // When our server costs more per delivery than Bun's and the load generator clearly costs more against Bun than
    // against ours, the load generator leans our way: the report says so rather than let the room sizes speak for the
    // servers.
    private static string LoadGeneratorBias(ShootoutStep stchat, ShootoutStep bun)
    {
        // Compared as printed, to one decimal, so the sentence never says "more" of two equal figures.
        double Rounded(ShootoutStep s, double cpuSeconds) => Math.Round(Micros(s, cpuSeconds), 1);
        var (oursServer, bunServer) = (Rounded(stchat, stchat.ServerCpuSeconds), Rounded(bun, bun.ServerCpuSeconds));
        var (oursLoad, bunLoad) = (Rounded(stchat, stchat.LoadCpuSeconds), Rounded(bun, bun.LoadCpuSeconds));
        // A load generator within a tenth of itself against both is no lean either way.
        return oursServer > bunServer && bunLoad > 1.1 * oursLoad
            ? $" Our server used more CPU per delivery than Bun's ({N(oursServer, 1)} against {N(bunServer, 1)} µs), and the load generator used " +
                $"more per delivery receiving from Bun ({N(bunLoad, 1)} against {N(oursLoad, 1)} µs), which leans our way."
            : "";
    }

    // The cross-check with the lighter load generator, in one sentence, when it ran for both.
    private static string LightLoadComparison(ChatResult c)
    {
        var ours = c.LightLoad.FirstOrDefault(s => ChatSeries(s.Server) == 0 && s.Deliveries > 0);
        var bun = c.LightLoad.FirstOrDefault(s => ChatSeries(s.Server) == 2 && s.Deliveries > 0);
        return ours is null || bun is null
            ? ""
            : $" With one Bun process as the load generator (the cross-check), in a room of {ours.Clients:N0}: p95 {N(ours.P95Ms, 0)} ms for ours " +
                $"against {N(bun.P95Ms, 0)} ms for Bun, with {PerDelivery(ours, ours.ServerCpuSeconds)} against {PerDelivery(bun, bun.ServerCpuSeconds)} " +
                $"of server CPU per delivery and {PerDelivery(ours, ours.LoadCpuSeconds)} against {PerDelivery(bun, bun.LoadCpuSeconds)} for the load generator.";
    }

    private static void LightLoad(StringBuilder md, ChatResult c, BenchSettings? settings)
    {
        if (c.LightLoad.Count == 0)
        {
            return;
        }

        md.AppendLine("### The same broadcast with a lighter load generator");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"A cross-check of how much of the shootout belongs to the load generator: every member of one room of " +
            $"{c.LightLoad[0].Clients:N0} is a WebSocket client of one Bun process (`bench/node/bun-rounds.ts`) instead of a .NET receive loop in the " +
            $"harness, against a fresh server; one warm-up round, then {settings?.ShootoutRounds ?? 0} rounds of {settings?.ChatSenders ?? 4} simultaneous " +
            $"broadcasts as above. CPU is counted over the measured rounds, per frame the members received; PostgreSQL is not counted.");
        md.AppendLine();
        BroadcastTable(md, c.LightLoad, withPostgres: false);
    }

    // Broadcast rounds, one row per server and room size, with the CPU each process used per delivery.
    private static void BroadcastTable(StringBuilder md, List<ShootoutStep> steps, bool withPostgres)
    {
        md.AppendLine("| Server | Clients | Broadcasts | p50 | p95 | max | Server CPU | Load generator CPU |" + (withPostgres ? " PostgreSQL CPU |" : "") + " Cores busy |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|" + (withPostgres ? "---:|" : "") + "---:|");
        foreach (var s in steps)
        {
            var postgres = withPostgres ? $" {PerDelivery(s, s.PostgresCpuSeconds)} |" : "";
            md.AppendLine(CultureInfo.InvariantCulture, $"| {s.Server} | {s.Clients:N0} | {s.Samples}{(s.TimedOut > 0 ? $" ({s.TimedOut} timed out)" : "")} | {N(s.P50Ms, 1)} ms | {N(s.P95Ms, 1)} ms | {N(s.MaxMs, 1)} ms | " +
                $"{PerDelivery(s, s.ServerCpuSeconds)} | {PerDelivery(s, s.LoadCpuSeconds)} |{postgres} {CoresBusy(s)} |");
        }

        md.AppendLine();
    }

    // How far either server's largest room has moved between shootout runs of one build on the 2-core bench machine; a
    // margin within it does not settle the comparison with Bun.
    private const int UnsettledSteps = 4;

    // The step the shootout grew its rooms by: the gap between its two smallest sizes.
    private static int ShootoutStep(ChatResult c)
    {
        var sizes = c.Shootout.Select(s => s.Clients).Distinct().Order().Take(2).ToList();
        return sizes.Count == 2 ? sizes[1] - sizes[0] : 0;
    }

    private static async Task ChatAsync(StringBuilder md, ChatResult c, BenchSettings? settings, int cores, ReportCharts charts,
        List<(string, string, bool)> targets, List<string> remains, CancellationToken ct)
    {
        md.AppendLine("## Chat fan-out");
        md.AppendLine();
        md.AppendLine($"Our server is `StChat.Server chat` with durability on: every message is committed to `chat_log` (group commit, fsync on) " +
            "before anyone sees it, and joins are stored and broadcast too. The peer is a minimal Node broadcast server on npm `ws` " +
            $"(`bench/node/ws-broadcast.mjs`) that keeps nothing. Load clients: {c.LoadClient}. Per-client rate limits were raised for the " +
            "run (`--Chat:MessagesPerSecond=1000`), and `--Chat:SendQueueCapacity=4096` so the join storm of a 5,000-client room does not trip the slow-reader cut-off; " +
            "the per-address connection cap and join rate and the REST rate limits are lifted (`--Chat:MaxConnectionsPerAddress=1000000` and the like).");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Steady rate: {settings?.ChatSenders ?? 4} members send {settings?.ChatSendRate ?? 20} messages/s in total for " +
            $"{settings?.ChatDuration.TotalSeconds ?? 0:N0} s; every member receives every message. Latency is send → receive at each member.");
        md.AppendLine();
        md.AppendLine("| Room size | Server | Deliveries | Deliveries/s | p50 | p95 | p99 | Server CPU | Room built in |");
        md.AppendLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var f in c.Fanout)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {f.Clients:N0} | {f.Server} | {f.Deliveries:N0} / {f.Expected:N0} | {N(f.DeliveriesPerSecond)} | {N(f.P50Ms, 1)} ms | {N(f.P95Ms, 1)} ms | {N(f.P99Ms, 1)} ms | {N(f.ServerCpuPercent)}% | {N(f.JoinSeconds, 1)} s |");
        }

        md.AppendLine();
        FanoutAllocations(md, c, targets, remains);
        var bars = new List<ChartRenderer.Bar>();
        foreach (var f in c.Fanout)
        {
            var series = ChatSeries(f.Server);
            bars.Add(new($"{f.Clients:N0} clients, {ChatServerLabels[series]}", f.P99Ms, series, $"{N(f.P99Ms, 1)} ms"));
        }

        await ChartAsync(md, ChartRenderer.BarSvg("Chat fan-out: p99 send → receive latency (lower is better)", "milliseconds", bars,
            ChatServerLegend[..2]), charts, "chat-fanout.png", "Chat fan-out latency", ct);

        md.AppendLine("### Largest room under 500 ms p95 (websocket-shootout broadcast method)");
        md.AppendLine();
        if (c.Shootout.Any(s => ChatSeries(s.Server) == 2))
        {
            md.AppendLine("Besides the Node peer, this section measures Bun's built-in WebSocket server (`Bun.serve`, uWebSockets inside) with its pub/sub " +
                "(`bench/node/bun-broadcast.ts`): each client subscribes to the room in its path and every message is published to that room; it keeps nothing either. " +
                "The three servers run one after the other, each with the machine to itself.");
            md.AppendLine();
        }

        md.AppendLine(CultureInfo.InvariantCulture, $"One room grows in steps of {settings?.ShootoutStep ?? 0:N0} clients; at each size 4 members broadcast at the same moment, " +
            $"{settings?.ShootoutRounds ?? 0} rounds after one warm-up round that is not measured; a broadcast's round trip ends when the last member has received it. " +
            $"A broadcast not complete after 5 s is counted as timed out and enters the percentiles as 5 s, so a step fails on its p95, not on one slow broadcast.");
        md.AppendLine();
        md.AppendLine("CPU is what each process used while the step's broadcasts ran back to back, per frame the members received: the server under test, " +
            "the load generator (this harness: every member's receive loop) and PostgreSQL (ours only). Cores busy is all three together over the step's time.");
        md.AppendLine();
        BroadcastTable(md, c.Shootout, withPostgres: true);
        foreach (var (server, largest) in c.LargestRoom)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- {server}: largest room under target **{largest:N0}** clients; stopped because: {c.ShootoutStopReason[server]}.");
        }

        md.AppendLine();
        var lines = c.Shootout.GroupBy(s => ChatSeries(s.Server)).OrderBy(g => g.Key).Select(g => new ChartRenderer.Line(
            ChatServerLegend[g.Key], g.Key, g.Select(s => ((double)s.Clients, s.P95Ms)).ToList())).ToList();
        await ChartAsync(md, ChartRenderer.LineSvg("Broadcast round trip p95 by room size", "clients in the room", "p95 ms", lines, 500),
            charts, "chat-shootout.png", "Shootout p95 by room size", ct);
        LightLoad(md, c, settings);

        int? Largest(int series) => c.LargestRoom.Where(p => ChatSeries(p.Key) == series).Select(p => (int?)p.Value).FirstOrDefault();
        bool Capped(int series) => c.ShootoutStopReason.Any(p => ChatSeries(p.Key) == series && p.Value.StartsWith("reached the size limit", StringComparison.Ordinal));
        const string cappedNote = " (the peer was still under 500 ms at the size cap, so its true limit is higher)";
        var ours = Largest(0) ?? 0;
        var node = Largest(1) ?? 0;
        var met = node > 0 ? ours >= 2 * node : ours > 0;
        targets.Add(("≥ 2x the clients the Node `ws` peer serves (p95 < 500 ms, 4 senders)", $"{ours:N0} vs {node:N0} clients" + (Capped(1) ? cappedNote : ""), met));
        // Results saved before the Bun peer existed have no Bun room, and no Bun target. A Bun room stopped by the size
        // cap is a lower bound, so no room of ours proves the target against it.
        if (Largest(2) is { } bun)
        {
            var step = ShootoutStep(c);
            bool Unsettled() => step == 0 || Math.Abs(ours - bun) <= UnsettledSteps * step;
            var metBun = ours > 0 && ours >= bun && !Capped(2);
            targets.Add(("StChat serves a room at least as large as Bun's at p95 < 500 ms (4 senders)", $"{ours:N0} vs {bun:N0} clients" + (Capped(2) ? cappedNote : ""), metBun));
            if (!metBun && Capped(2))
            {
                remains.Add($"The Bun peer was still under 500 ms at the size cap of {bun:N0} clients, so this run cannot show that our room " +
                    $"({ours:N0}) is at least as large; a run with a higher cap (the full run's, or a raised open-file limit) decides it.");
            }
            else if (metBun && !Unsettled())
            {
                remains.Add($"Largest room: {ours:N0} clients against the Bun peer's {bun:N0}, target met by more than {UnsettledSteps} steps." +
                    ShootoutCpuSplit(c, cores));
            }
            else
            {
                var outcome = metBun
                    ? "target met in this run."
                    : "target missed. Bun hands each frame to the native pub/sub of uWebSockets (C++), which writes it to every subscriber, and stores " +
                        "nothing; our server commits every message and every join to PostgreSQL before delivery. Once a commit's events are " +
                        "handed out, what a delivery costs our server is the write path of each frame: ManagedWebSocket, Kestrel's output pipe " +
                        "of that connection and a send() per member per commit, about half of it in the kernel, the rest spread over the " +
                        "thread pool, the pipes and the socket engine.";
                var caveat = Unsettled()
                    ? $" The load generator shares the {cores} cores with the server under test, and either server's largest room has moved by " +
                        $"up to {UnsettledSteps} steps between runs of the same build, so one run does not settle it."
                    : "";
                remains.Add($"Largest room: {ours:N0} clients against the Bun peer's {bun:N0}, {outcome}{caveat}" + ShootoutCpuSplit(c, cores));
            }
        }

        if (!met)
        {
            remains.Add($"Largest room: {ours:N0} clients against the Node peer's {node:N0}. Our server stores every message before delivery " +
                "and stores and broadcasts every join, so growing a room of n costs O(n²) join frames; the peer does neither. The load generator " +
                "shares the 2 cores with the server, which caps both servers well below what they would serve alone.");
        }
    }

    private static async Task PublishAsync(StringBuilder md, List<FeedPublishResult> publish, ReportCharts charts, CancellationToken ct)
    {
        md.AppendLine("## Publishing on the feed path (for information)");
        md.AppendLine();
        md.Append(CultureInfo.InvariantCulture, $"{publish[0].Count:N0} feed messages ");
        md.AppendLine("(the ingest corpus: `sport_event` and `execution` protobufs) published into a JetStream stream (file storage) by " +
            "NATS.Net, the client StChat uses, and by npm `nats` on Node (`bench/node/feed-publish.mjs`), " +
            "one after the other against the same nats-server, the same three ways: `core` publishes, flushed every 5,000, until the stream " +
            "holds them all (what `./stchat feeds` does); `js` one JetStream publish at a time, awaiting its ack (what `./stchat feeds --msg-id` does); " +
            "`js-window` JetStream publishes with up to 256 acks in flight. No target: neither client is ours.");
        md.AppendLine();
        md.AppendLine("| Way | NATS.Net msgs/s | npm nats msgs/s | NATS.Net / npm nats |");
        md.AppendLine("|---|---:|---:|---:|");
        var bars = new List<ChartRenderer.Bar>();
        foreach (var mode in publish.GroupBy(p => p.Mode))
        {
            var dotnet = mode.First(p => p.Client == FeedPublishScenario.DotNet);
            var node = mode.First(p => p.Client == FeedPublishScenario.Node);
            md.AppendLine(CultureInfo.InvariantCulture, $"| {mode.Key} | {N(dotnet.Rate)} | {N(node.Rate)} | {N(dotnet.Rate / node.Rate, 2)}x |");
            bars.Add(new($"{mode.Key}, NATS.Net", dotnet.Rate, 0, N(dotnet.Rate)));
            bars.Add(new($"{mode.Key}, npm nats", node.Rate, 1, N(node.Rate)));
        }

        md.AppendLine();
        await ChartAsync(md, ChartRenderer.BarSvg("Feed messages published into JetStream (higher is better)", "messages/s", bars,
            [FeedPublishScenario.DotNet, FeedPublishScenario.Node]), charts, "publish.png", "Feed publishing throughput", ct);
    }
}
