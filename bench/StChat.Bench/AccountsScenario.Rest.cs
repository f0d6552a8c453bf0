using System.Diagnostics;
using System.Net;

namespace StChat.Bench;

internal sealed partial class AccountsScenario
{
    private const string RestRoom = "rest-latency";

    // One account posts over REST at a steady rate into a conversation (a public room, or a group of all the accounts)
    // that N sockets of other accounts follow on /ws.
    // The text carries the timestamp taken just before the POST, so each follower's receipt is one latency sample;
    // posts are not serialised behind each other's answers (open loop), as separate users' posts would not be.
    private async Task<RestToSocketResult> RestToSocketAsync(ChatTarget target, StChatApi api, string[] tokens, string kind, string room, CancellationToken ct)
    {
        var settings = env.Settings;
        var followers = settings.RestFollowers;
        var sink = new DeliverySink();
        using var load = new LoadClients(sink);
        await load.AddAsync(followers, i => target.MultiUri(tokens[1 + (i % (tokens.Length - 1))]), ct);
        await SubscribeAsync(load, _ => [room], ct);
        BenchEnvironment.Log($"accounts: {followers} sockets follow {room}");

        sink.ResetLatency();
        var post = new LatencyHistogram();
        long failures = 0;
        string? lastError = null;
        var total = (long)(settings.RestRate * settings.RestDuration.TotalSeconds);
        var calls = new List<Task>();
        var started = Stopwatch.GetTimestamp();
        for (long k = 0; k < total; k++)
        {
            var due = started + (long)(k * Stopwatch.Frequency / (double)settings.RestRate);
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, ct);
            }

            calls.Add(Task.Run(async () =>
            {
                var (status, elapsed, error) = await api.PostMessageAsync(tokens[0], room, $"bench t={Stopwatch.GetTimestamp()}|", Guid.NewGuid().ToString(), ct);
                if (status == HttpStatusCode.Created)
                {
                    post.Record(elapsed);
                }
                else
                {
                    Interlocked.Increment(ref failures);
                    lastError = $"{(int)status}: {error}";
                }
            }, ct));
        }

        await Task.WhenAll(calls);
        var expected = post.Count * followers;
        await DrainAsync(sink, expected, ct);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        if (post.Count == 0)
        {
            throw new InvalidOperationException($"no POST /api/conversations/{room}/messages succeeded; last answer {lastError}");
        }

        var latency = sink.Latency;
        var result = new RestToSocketResult(kind, room, followers, settings.RestRate, seconds, total, failures, lastError, latency.Count, expected,
            latency.PercentileMs(0.5), latency.PercentileMs(0.95), latency.PercentileMs(0.99), latency.MaxMs,
            post.PercentileMs(0.5), post.PercentileMs(0.99));
        BenchEnvironment.Log($"accounts: REST → /ws, {kind}: {latency.Count:N0}/{expected:N0} deliveries, p50 {result.P50Ms:N1} ms, p99 {result.P99Ms:N1} ms");
        return result;
    }
}
