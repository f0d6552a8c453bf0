using System.Globalization;
using System.Text;
using StChat.Chat;

namespace StChat.Bench;

internal static partial class ReportWriter
{
    private static async Task AccountsAsync(StringBuilder md, AccountsResult a, BenchSettings? settings, int cores, ReportCharts charts, CancellationToken ct)
    {
        var defaults = new ChatOptions();
        md.AppendLine("## Accounts and conversations over REST and `/ws` (for information)");
        md.AppendLine();
        md.AppendLine("One `StChat.Server chat` process with durability on (every message committed to `chat_log`, fsync on, before anyone sees it) and a fresh " +
            "database, in its default configuration except for limits that one load generator would otherwise trip: `--Chat:AccountsPerAddressPerHour=100000` " +
            "(every account is signed up from 127.0.0.1), `--Chat:MessagesPerSecond=1000 --Chat:MessageBurst=1000` (one socket sends for a whole room) " +
            "and `--Chat:SendQueueCapacity=4096`, and the per-address and per-session limits lifted (`--Chat:RequestsPerSessionPerMinute=1000000` and the like). " +
            $"Load clients: {a.LoadClient}. No target: these figures describe the new account and conversation paths.");
        md.AppendLine();
        if (a.Setup is { } setup)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"Set-up: {setup.Accounts:N0} accounts signed up (`POST /api/accounts`) in {N(setup.CreateSeconds, 1)} s and " +
                $"signed in once each in {N(setup.SignInSeconds, 1)} s, {AccountsScenario.SetupConcurrency} requests at a time; each is one password hash at the default cost.");
            md.AppendLine();
        }

        await LoginsAsync(md, a, cores, charts, defaults, ct);
        RestToSocket(md, a.RestToSocket);
        await MultiAsync(md, a, settings, charts, ct);
    }

    private static async Task LoginsAsync(StringBuilder md, AccountsResult a, int cores, ReportCharts charts, ChatOptions defaults, CancellationToken ct)
    {
        md.AppendLine("### Sign-in rate at the password-hash cost");
        md.AppendLine();
        md.AppendLine("`POST /api/sessions` with the right password in a closed loop by 1, then several, concurrent clients (each waits for its answer, then signs in again), " +
            "after 2 s of sign-ins that are not measured. " +
            "Every sign-in verifies one password hash and stores a session; the login throttle counts only failures, so it never engages.");
        md.AppendLine();
        if (a.Logins.Count == 0)
        {
            md.AppendLine("Not measured in this run (see below).");
            md.AppendLine();
        }
        else
        {
            md.AppendLine("| PBKDF2 iterations | Concurrent clients | Sign-ins | Sign-ins/s | p50 | p99 | Server CPU | Server CPU per sign-in |");
            md.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var l in a.Logins)
            {
                var cost = l.Iterations == a.DefaultIterations ? $"**{l.Iterations:N0}** (default)" : l.Iterations.ToString("N0", CultureInfo.InvariantCulture);
                md.AppendLine(CultureInfo.InvariantCulture, $"| {cost} | {l.Clients} | {l.Logins:N0}{(l.Failures > 0 ? $" ({l.Failures:N0} failed)" : "")} | {N(l.LoginsPerSecond, 1)} | {N(l.P50Ms, 1)} ms | {N(l.P99Ms, 1)} ms | {N(l.ServerCpuPercent)}% | {N(CpuMsPerLogin(l), 1)} ms |");
            }

            md.AppendLine();
            var bars = a.Logins.Select(l => new ChartRenderer.Bar($"{l.Iterations:N0} iterations, {l.Clients} client{(l.Clients == 1 ? "" : "s")}",
                l.LoginsPerSecond, l.Iterations == a.DefaultIterations ? 0 : 1, $"{N(l.LoginsPerSecond, 1)}/s")).ToList();
            await ChartAsync(md, ChartRenderer.BarSvg("Sign-ins per second by password-hash cost", "sign-ins/s",
                bars, ["default cost", "other cost"]), charts, "accounts-login.png", "Sign-in rate by hash cost", ct);
        }

        var single = a.Logins.FirstOrDefault(l => l.Iterations == a.DefaultIterations && l.Clients == 1);
        var best = a.Logins.Where(l => l.Iterations == a.DefaultIterations).OrderByDescending(l => l.LoginsPerSecond).FirstOrDefault();
        md.AppendLine("**The cost parameter.** Passwords are hashed by ASP.NET Core Identity's `PasswordHasher` (format v3): PBKDF2 with HMAC-SHA512, a random " +
            $"128-bit salt per password and a 256-bit result, repeated `Chat:PasswordIterations` times (default **{a.DefaultIterations:N0}**, Identity's own default). " +
            "Every sign-up and every sign-in computes one such hash, and a sign-in to an unknown name is checked against a decoy hash so that it takes as long.");
        md.AppendLine();
        md.AppendLine("- *To change it*: `Chat:PasswordIterations` in `config/appsettings.json`, the environment variable `Chat__PasswordIterations`, or " +
            "`--Chat:PasswordIterations=N` on the command line (10,000 to 10,000,000). Each stored hash records its own count, so existing passwords keep " +
            "working after a change and are rehashed at the new count on their next successful sign-in.");
        md.AppendLine("- *The trade-off*: the time of a hash grows linearly with the count. " +
            (single is not null && best is not null
                ? $"At the default, one sign-in takes {N(single.P50Ms, 0)} ms (p50, one client) and costs the server about {N(CpuMsPerLogin(best), 0)} ms of CPU, " +
                  $"so {cores} cores doing nothing else would sign in at most about {N(cores * 1000 / CpuMsPerLogin(best), 0)} accounts/s " +
                  $"({N(best.LoginsPerSecond, 0)}/s measured here on shared cores); "
                : "") +
            "doubling the count halves that rate, doubles each sign-in's CPU time (taken from the same cores as the chat traffic), and doubles what an attacker " +
            "who has stolen the `account` table pays per password guess. It does not govern online guessing: that is bounded by the login throttle, which blocks a name " +
            $"after {defaults.LoginFailuresPerAccount} failures (for up to {defaults.LoginAccountBlockMax.TotalMinutes:N0} min) and an address after " +
            $"{defaults.LoginFailuresPerAddress} (for up to {defaults.LoginAddressBlockMax.TotalMinutes:N0} min), and answers blocked attempts with 429 without hashing. " +
            "OWASP's current guidance for PBKDF2-HMAC-SHA512 is 210,000 iterations; a deployment that can afford the CPU per sign-in shown above can raise it.");
        md.AppendLine();
    }

    // The server's CPU time over the step divided by the sign-ins: unlike the rate, it hardly depends on what else runs.
    private static double CpuMsPerLogin(LoginStep l) => l.ServerCpuPercent / 100 * l.Seconds * 1000 / l.Logins;

    private static void RestToSocket(StringBuilder md, List<RestToSocketResult> results)
    {
        md.AppendLine("### REST post → WebSocket receive");
        md.AppendLine();
        if (results.Count == 0)
        {
            md.AppendLine("Not measured in this run (see below).");
            md.AppendLine();
            return;
        }

        var first = results[0];
        md.AppendLine(CultureInfo.InvariantCulture, $"One account posts `POST /api/conversations/{{key}}/messages` with an `Idempotency-Key` at a steady {first.Rate} posts/s " +
            $"for {N(first.Posts / (double)first.Rate)} s (open loop: a post does not wait for the previous answer) into a conversation that {first.Followers:N0} " +
            $"sockets of other accounts follow on `/ws`: a public room, then a group whose members are all the bench accounts. Latency is from just before " +
            $"each POST to the receipt of its event frame on each follower socket; the POST itself is answered 201 after the commit.");
        md.AppendLine();
        md.AppendLine("| Conversation | Followers | Posts | Samples (deliveries) | p50 | p95 | p99 | max | POST → 201 p50 | POST → 201 p99 |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {r.Kind} | {r.Followers:N0} | {r.Posts:N0}{(r.PostFailures > 0 ? $" ({r.PostFailures:N0} failed)" : "")} | {r.Deliveries:N0} / {r.Expected:N0} | " +
                $"**{N(r.P50Ms, 1)} ms** | {N(r.P95Ms, 1)} ms | **{N(r.P99Ms, 1)} ms** | {N(r.MaxMs, 1)} ms | {N(r.PostP50Ms, 1)} ms | {N(r.PostP99Ms, 1)} ms |");
        }

        md.AppendLine();
        foreach (var r in results.Where(r => r.PostError is not null))
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"Last failed post ({r.Kind}): `{r.PostError!.ReplaceLineEndings(" ")}`.");
            md.AppendLine();
        }
    }

    private static async Task MultiAsync(StringBuilder md, AccountsResult a, BenchSettings? settings, ReportCharts charts, CancellationToken ct)
    {
        md.AppendLine("### Events through `/ws` with 20 conversations per socket");
        md.AppendLine();
        if (a.Multi is not { } m)
        {
            md.AppendLine("Not measured in this run (see below).");
            md.AppendLine();
            return;
        }

        var followers = m.MinFollowers == m.MaxFollowers
            ? $"{m.MinFollowers:N0} followers in every room"
            : $"a room has {m.MinFollowers:N0}-{m.MaxFollowers:N0} followers ({N(m.MeanFollowers)} on average)";
        md.AppendLine(CultureInfo.InvariantCulture, $"{m.Sockets:N0} `/ws` sockets signed in as {m.Accounts:N0} accounts (the sockets of one account share its session " +
            $"token, like one person's tabs and devices), each subscribed to {m.ConversationsPerSocket} of {m.Rooms} public rooms: the same {m.ConversationsPerSocket} " +
            $"for all sockets of an account, spread evenly over the rooms: {followers}. " +
            $"Connecting and subscribing took {N(m.SetupSeconds, 1)} s ({m.SetupFrames:N0} frames received: subscribe confirmations, join events and their replay to later subscribers). " +
            $"Then {m.Senders:N0} follower sockets, one per room, send messages over their sockets (`{{\"action\":\"message\",\"room\":...,\"id\":...}}`), " +
            $"round-robin over the rooms at a steady total rate for {N(settings?.MultiDuration.TotalSeconds ?? 0)} s per step, after 2 s that are not measured; every follower of the room receives each event. " +
            $"Committed counts the acks, which the server sends after the commit; latency is send → receive at each follower.");
        md.AppendLine();
        md.AppendLine("| Offered events/s | Sent | Committed | Committed/s | Deliveries | Deliveries/s | p50 | p99 | Server CPU |");
        md.AppendLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var s in a.MultiSteps)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {s.TargetRate:N0} | {s.Sent:N0} | {s.Committed:N0}{(s.Errors > 0 ? $" ({s.Errors:N0} errors)" : "")} | {N(s.CommittedPerSecond)} | " +
                $"{s.Deliveries:N0} / {s.Expected:N0} | **{N(s.DeliveriesPerSecond)}** | {N(s.P50Ms, 1)} ms | {N(s.P99Ms, 1)} ms | {N(s.ServerCpuPercent)}% |");
        }

        md.AppendLine();
        foreach (var s in a.MultiSteps.Where(s => s.LastError is not null))
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"At {s.TargetRate:N0}/s the last error frame was `{s.LastError!.ReplaceLineEndings(" ")}`.");
            md.AppendLine();
        }

        if (a.MultiSteps.Count > 0)
        {
            await ChartAsync(md, ChartRenderer.LineSvg("/ws, 20 conversations per socket: latency by delivery rate", "deliveries/s", "ms",
                [
                    new("p50", 0, a.MultiSteps.Select(s => (s.DeliveriesPerSecond, s.P50Ms)).ToList()),
                    new("p99", 1, a.MultiSteps.Select(s => (s.DeliveriesPerSecond, s.P99Ms)).ToList()),
                ], null), charts, "accounts-ws.png", "/ws latency by delivery rate", ct);
        }
    }
}
