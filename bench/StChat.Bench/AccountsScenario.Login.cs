using System.Diagnostics;
using System.Net;

namespace StChat.Bench;

internal sealed partial class AccountsScenario
{
    // POST /api/sessions in a closed loop by 1, then a few, concurrent clients, each with the right password: every
    // call verifies one PBKDF2 hash, so the rate is what the hash cost allows on these cores. Successful sign-ins are
    // not counted by the login throttle, so it never engages.
    private async Task<List<LoginStep>> LoginAsync(ChatTarget target, StChatApi api, string[] names, int iterations, CancellationToken ct)
    {
        // Unmeasured first, so that the first step does not pay for code compiled on first use and for tier-up.
        await SignInLoopAsync(api, names, env.Settings.LoginClients.Max(), TimeSpan.FromSeconds(2), ct);
        var steps = new List<LoginStep>();
        foreach (var clients in env.Settings.LoginClients)
        {
            var cpuBefore = target.Process.CpuTime();
            var started = Stopwatch.GetTimestamp();
            var (latency, logins, failures, lastError) = await SignInLoopAsync(api, names, clients, env.Settings.LoginDuration, ct);
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            if (logins == 0)
            {
                throw new InvalidOperationException($"no sign-in succeeded; last answer {lastError}");
            }

            var step = new LoginStep(iterations, clients, seconds, logins, failures, logins / seconds, latency.PercentileMs(0.5),
                latency.PercentileMs(0.99), CpuPercent(target, cpuBefore, seconds));
            BenchEnvironment.Log($"accounts: {iterations:N0} iterations, {clients} clients: {step.LoginsPerSecond:N1} sign-ins/s, " +
                $"p50 {step.P50Ms:N1} ms, p99 {step.P99Ms:N1} ms, {failures} failed");
            steps.Add(step);
        }

        return steps;
    }

    private static async Task<(LatencyHistogram Latency, long Logins, long Failures, string? LastError)> SignInLoopAsync(
        StChatApi api, string[] names, int clients, TimeSpan duration, CancellationToken ct)
    {
        var latency = new LatencyHistogram();
        long logins = 0;
        long failures = 0;
        string? lastError = null;
        var until = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        await Task.WhenAll(Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
        {
            for (var i = client; Stopwatch.GetTimestamp() < until; i += clients)
            {
                var sent = Stopwatch.GetTimestamp();
                var (status, _, error) = await api.TrySignInAsync(names[i % names.Length], Password, ct);
                if (status == HttpStatusCode.Created)
                {
                    latency.Record(Stopwatch.GetElapsedTime(sent));
                    Interlocked.Increment(ref logins);
                }
                else
                {
                    Interlocked.Increment(ref failures);
                    lastError = $"{(int)status}: {error}";
                }
            }
        }, ct)));
        return (latency, logins, failures, lastError);
    }
}
