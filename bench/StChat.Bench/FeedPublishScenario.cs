using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace StChat.Bench;

// For information: how fast NATS.Net and npm `nats` publish feed messages (the corpus's sport_event and execution
// protobufs) into a JetStream stream, one after the other against the same server, the same three ways in both:
// core publishes until the stream holds them all (what `feeds` does by default), one JetStream publish at a time
// awaiting its ack (what `feeds --msg-id` does), and JetStream publishes with a window of acks in flight.
internal sealed class FeedPublishScenario(BenchEnvironment env)
{
    public const string DotNet = "NATS.Net (.NET)";
    public const string Node = "npm nats (Node)";

    private const string Stream = "FEED_PUBLISH";
    private const int AcksInFlight = 256;
    private static readonly string[] Modes = ["core", "js", "js-window"];

    public async Task<List<FeedPublishResult>> RunAsync(CancellationToken ct)
    {
        var count = env.Settings.PublishMessages;
        var corpus = FeedCorpus.Create(count);
        var subjects = corpus.Subjects.Select(s => "publish." + s).ToArray();
        var corpusFile = Path.Combine(Path.GetTempPath(), $"stchat-bench-publish-{Environment.ProcessId}.json");
        await File.WriteAllTextAsync(corpusFile, JsonSerializer.Serialize(new { subjects, payloads = corpus.Payloads }), ct);

        await using var nats = new NatsConnection(new NatsOpts { Url = env.Nats.Url, Name = "bench-publish" });
        var js = new NatsJSContext(nats);
        await js.CreateOrUpdateStreamAsync(new StreamConfig(Stream, ["publish.>"]) { Storage = StreamConfigStorage.File }, ct);
        var results = new List<FeedPublishResult>();
        try
        {
            foreach (var mode in Modes)
            {
                // Warm-up so the JIT is not part of the first figure.
                await js.PurgeStreamAsync(Stream, new StreamPurgeRequest(), ct);
                await PublishAsync(nats, js, mode, subjects, corpus.Payloads, count / 10, ct);

                await js.PurgeStreamAsync(Stream, new StreamPurgeRequest(), ct);
                var seconds = await PublishAsync(nats, js, mode, subjects, corpus.Payloads, count, ct);
                var ours = new FeedPublishResult(DotNet, mode, count, seconds, count / seconds);

                await js.PurgeStreamAsync(Stream, new StreamPurgeRequest(), ct);
                var node = await RunNodeAsync(mode, corpusFile, ct);
                BenchEnvironment.Log($"publish: {mode}: NATS.Net {ours.Rate:N0}/s, npm nats {node.Rate:N0}/s");
                results.Add(ours);
                results.Add(node);
            }
        }
        finally
        {
            File.Delete(corpusFile);
        }

        return results;
    }

    private static async Task<double> PublishAsync(NatsConnection nats, NatsJSContext js, string mode, string[] subjects, byte[][] payloads,
        int count, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        switch (mode)
        {
            case "core":
                await StreamFill.PublishCoreAsync(nats, subjects, payloads, count, ct);
                await StreamFill.WaitUntilStoredAsync(js, Stream, count, ct);
                break;
            case "js":
                for (var i = 0; i < count; i++)
                {
                    (await js.PublishAsync(subjects[i], payloads[i], cancellationToken: ct)).EnsureSuccess();
                }

                break;
            default:
                var inFlight = new Queue<ValueTask<PubAckResponse>>(AcksInFlight);
                for (var i = 0; i < count; i++)
                {
                    if (inFlight.Count == AcksInFlight)
                    {
                        (await inFlight.Dequeue()).EnsureSuccess();
                    }

                    inFlight.Enqueue(js.PublishAsync(subjects[i], payloads[i], cancellationToken: ct));
                }

                while (inFlight.Count > 0)
                {
                    (await inFlight.Dequeue()).EnsureSuccess();
                }

                break;
        }

        return Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    private async Task<FeedPublishResult> RunNodeAsync(string mode, string corpusFile, CancellationToken ct)
    {
        using var json = await ChildProcess.RunForJsonAsync("node",
        [
            Path.Combine(env.NodeDirectory, "feed-publish.mjs"), env.Nats.Url, Stream, mode, corpusFile,
            AcksInFlight.ToString(CultureInfo.InvariantCulture),
        ], TimeSpan.FromMinutes(10), ct);
        var root = json.RootElement;
        return new FeedPublishResult(Node, mode, root.GetProperty("count").GetInt32(), root.GetProperty("seconds").GetDouble(),
            root.GetProperty("rate").GetDouble());
    }
}
