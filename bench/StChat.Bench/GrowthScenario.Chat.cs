using System.Buffers;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json;

namespace StChat.Bench;

internal sealed partial class GrowthScenario
{
    private const string ReaderName = "growthreader";
    private const string ReaderPassword = "growth-reader-password";

    // One StChat.Server chat process on the database, timed one request at a time (after a tenth as many, at least 50, unrecorded):
    // - resume-ws: a WebSocket to a random room with ?after= 100 events before its pre-filled end, until the 100th
    //   event arrived (the README's resume: everything after N, then live);
    // - page-rest: GET /api/conversations/{room}/events?before=N&limit=100 at a random depth of a random room;
    // - join-empty / join-large: a plain connect (the last Chat:HistoryLength events, then live) to a room nobody used
    //   before and to the large room, until the client's own join event arrived; join-large-first-frame times the
    //   first frame (the start of the history) of the same connects.
    private async Task<List<GrowthLatency>> RunChatAsync(string database, string connectionString, ChatRooms rooms, CancellationToken ct)
    {
        await using var target = await ChatTarget.StartStChatOnAsync(env, connectionString, [], ct);
        using var api = new StChatApi(target.HttpUri);
        await api.CreateAccountAsync(ReaderName, ReaderPassword, ct);
        var token = await api.SignInAsync(ReaderName, ReaderPassword, ct);
        var samples = env.Settings.GrowthSamples;
        var random = new Random(7);
        var results = new List<GrowthLatency>();
        var mean = rooms.Total / rooms.Names.Length;

        var resume = await SampleAsync(samples, async (i, record) =>
        {
            var room = random.Next(rooms.Names.Length);
            var last = rooms.Events[room];
            var uri = target.RoomUri(rooms.Names[room], 0);
            var query = $"?name=resume{i}&after={Math.Max(0, last - PageSize)}";
            var (_, done) = await ConnectAndReadAsync(new Uri(uri, uri.AbsolutePath + query), e => Seq(e) >= last, ct);
            record(0, done);
        }, 1, ct);
        results.Add(Latency(database, "resume-ws", "random rooms", mean, resume, 0));

        var page = await SampleAsync(samples, async (i, record) =>
        {
            var room = random.Next(rooms.Names.Length);
            var before = random.NextInt64(PageSize + 1, rooms.Events[room] + 2);
            var (events, elapsed) = await api.ReadEventsBeforeAsync(token, rooms.Names[room], before, PageSize, ct);
            if (events != Math.Min(PageSize, before - 1))
            {
                throw new InvalidOperationException($"{rooms.Names[room]} before {before}: {events} events instead of {PageSize}");
            }

            record(0, elapsed);
        }, 1, ct);
        results.Add(Latency(database, "page-rest", "random rooms", mean, page, 0));

        var run = Guid.NewGuid().ToString("N")[..8];
        foreach (var (kind, room, events) in new[] { ("join-empty", "", 0L), ("join-large", rooms.Names[0], rooms.Events[0]) })
        {
            var join = await SampleAsync(samples, async (i, record) =>
            {
                var name = $"join{i}";
                var uri = target.RoomUri(room.Length == 0 ? $"growth-empty-{run}-{i}" : room, 0);
                var (first, done) = await ConnectAndReadAsync(new Uri(uri, uri.AbsolutePath + $"?name={name}"),
                    e => Text(e, "action") == "join" && Text(e, "user") == name, ct);
                record(0, done);
                record(1, first);
            }, 2, ct);
            var label = room.Length == 0 ? "a new room per join" : room;
            results.Add(Latency(database, kind, label, events, join, 0));
            if (events > 0)
            {
                // In an empty room the first frame is the join event itself.
                results.Add(Latency(database, kind + "-first-frame", label, events, join, 1));
            }
        }

        foreach (var r in results)
        {
            BenchEnvironment.Log($"growth: chat on {database}: {r.Kind}: p50 {r.P50Ms:N1} ms p99 {r.P99Ms:N1} ms ({r.Samples:N0} samples, {r.Failures} failed)");
        }

        return results;
    }

    private sealed record Sampled(LatencyHistogram[] Histograms, long Failures, string? LastError);

    // Runs `once` samples/10 times (at least 50) unrecorded, then `samples` times recording into `histograms` histograms; a sample
    // that throws (or takes over 10 s) is counted as a failure and the run goes on.
    private static async Task<Sampled> SampleAsync(int samples, Func<int, Action<int, TimeSpan>, Task> once, int histograms, CancellationToken ct)
    {
        var recorded = Enumerable.Range(0, histograms).Select(_ => new LatencyHistogram()).ToArray();
        long failures = 0;
        string? lastError = null;
        var warmUp = Math.Max(50, samples / 10);
        for (var i = 0; i < warmUp + samples; i++)
        {
            var measured = i >= warmUp;
            try
            {
                await once(i, (h, elapsed) =>
                {
                    if (measured)
                    {
                        recorded[h].Record(elapsed);
                    }
                });
            }
            catch (Exception e) when (!ct.IsCancellationRequested && e is WebSocketException or OperationCanceledException or InvalidOperationException or HttpRequestException)
            {
                failures += measured ? 1 : 0;
                lastError = e.Message.Split('\n')[0];
            }
        }

        return new Sampled(recorded, failures, lastError);
    }

    // Connects and reads text frames until `done` holds for one; the times of the first frame and of that one, both
    // from the start of the connect. An error frame fails the sample. The socket is closed normally afterwards.
    private static async Task<(TimeSpan First, TimeSpan Done)> ConnectAndReadAsync(Uri uri, Func<JsonElement, bool> done, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        using var socket = new ClientWebSocket();
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        var started = Stopwatch.GetTimestamp();
        await socket.ConnectAsync(uri, timeout.Token);
        TimeSpan? first = null;
        var frame = new ArrayBufferWriter<byte>(4096);
        while (true)
        {
            var result = await socket.ReceiveAsync(frame.GetMemory(4096), timeout.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                throw new InvalidOperationException($"{uri.AbsolutePath}: closed by the server ({socket.CloseStatus} {socket.CloseStatusDescription})");
            }

            frame.Advance(result.Count);
            if (!result.EndOfMessage)
            {
                continue;
            }

            first ??= Stopwatch.GetElapsedTime(started);
            using var json = JsonDocument.Parse(frame.WrittenMemory);
            frame.ResetWrittenCount();
            if (Text(json.RootElement, "action") == "error")
            {
                throw new InvalidOperationException($"{uri.AbsolutePath}: {json.RootElement.GetRawText()}");
            }

            if (done(json.RootElement))
            {
                var elapsed = Stopwatch.GetElapsedTime(started);
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
                return (first.Value, elapsed);
            }
        }
    }

    private static string? Text(JsonElement frame, string property) =>
        frame.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static long Seq(JsonElement frame) =>
        frame.TryGetProperty("seq", out var value) && value.ValueKind == JsonValueKind.Number ? value.GetInt64() : 0;

    private static GrowthLatency Latency(string database, string kind, string room, long roomEvents, Sampled sampled, int histogram)
    {
        var h = sampled.Histograms[histogram];
        return new GrowthLatency(database, kind, room, roomEvents, h.Count, sampled.Failures, sampled.LastError,
            h.PercentileMs(0.5), h.PercentileMs(0.99), h.MaxMs);
    }
}
