using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using StChat.Chat.Tests.Infrastructure;
using Xunit;

namespace StChat.Chat.Tests;

// Replays that take long: a room of thousands of large events, read by a client that is not reading while live
// events keep coming, more than the send queue and the live buffer (SendQueueCapacity, 256) can hold.
public sealed class ReplayTests(ChatHostFixture fixture) : IClassFixture<ChatHostFixture>
{
    private const int Stored = 3000;
    private const int Live = 300;

    private ChatHost Host => fixture.Host;

    private static string NewRoom() => "p" + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public async Task Connecting_with_after_0_to_a_large_busy_room_delivers_every_event_once_in_order_then_live_ones()
    {
        var room = NewRoom();
        await SeedAsync(room);
        await using var talker = await Host.ConnectAsync(room, "name=Talker");
        await talker.ReceiveUntilAsync(f => f.Action() == "join" && f.Str("user") == "Talker");

        using var late = await RawSocket.ConnectAsync(Host.Room(room, "name=Late&after=0"));
        await talker.ReceiveUntilAsync(f => f.Action() == "join" && f.Str("user") == "Late");
        var lastLive = await SendLiveAsync(talker);

        var frames = await late.ReceiveUntilAsync(f => f.IsMessage($"live-{Live - 1}"), TimeSpan.FromSeconds(60));
        AssertEveryEventOnceInOrder(frames.Where(f => f.IsEvent()), 1, lastLive);

        await talker.SendAsync("""{"message":"after the replay","id":"final"}""");
        var final = (await late.ReceiveUntilAsync(f => f.IsEvent()))[^1];
        Assert.Equal("final", final.Str("id"));
        Assert.Equal(lastLive + 1, final.Seq());
    }

    [Fact]
    public async Task The_resume_action_replays_a_large_busy_room_once_in_order_and_one_resume_runs_at_a_time()
    {
        var room = NewRoom();
        await SeedAsync(room);
        await using var talker = await Host.ConnectAsync(room, "name=Talker");
        await talker.ReceiveUntilAsync(f => f.Action() == "join" && f.Str("user") == "Talker");
        using var reader = await RawSocket.ConnectAsync(Host.Room(room, "name=Reader"));
        await reader.ReceiveUntilAsync(f => f.Action() == "join" && f.Str("user") == "Reader");

        await reader.SendAsync("""{"action":"resume","after":0}""");
        await reader.SendAsync("""{"action":"resume","after":0}""");
        var lastLive = await SendLiveAsync(talker);

        var frames = await reader.ReceiveUntilAsync(f => f.IsMessage($"live-{Live - 1}"), TimeSpan.FromSeconds(60));
        AssertEveryEventOnceInOrder(frames.Where(f => f.IsEvent()), 1, lastLive);
        var refused = Assert.Single(frames, f => f.Action() == "error");
        Assert.Equal("rate_limited", refused.Str("code"));

        // Once the first resume has finished (its flag may clear a moment after its last event went out), another
        // one is accepted.
        JsonElement answer;
        do
        {
            await reader.SendAsync("""{"action":"resume","after":3000}""");
            answer = (await reader.ReceiveUntilAsync(f => f.IsEvent() || f.Action() == "error"))[^1];
        }
        while (answer.Action() == "error" && answer.Str("code") == "rate_limited");

        var again = new List<JsonElement> { answer };
        again.AddRange(await reader.ReceiveUntilAsync(f => f.IsEvent() && f.Seq() == lastLive));
        await talker.SendAsync("""{"message":"after the replay","id":"final"}""");
        again.AddRange(await reader.ReceiveUntilAsync(f => f.IsMessage("final")));
        AssertEveryEventOnceInOrder(again.Where(f => f.IsEvent()), Stored + 1, lastLive + 1);
    }

    [Fact]
    public async Task Resuming_after_a_seq_the_room_has_not_reached_is_answered_with_the_last_seq()
    {
        var room = NewRoom();
        await using var client = await Host.ConnectAsync(room, "name=Ann");
        var join = (await client.ReceiveUntilAsync(f => f.Action() == "join" && f.Str("user") == "Ann"))[^1];

        await client.SendAsync("""{"action":"resume","after":1000}""");
        var error = (await client.ReceiveUntilActionAsync("error"))[^1];
        Assert.Equal("bad_request", error.Str("code"));
        Assert.Contains($"#{join.Seq()}", error.Str("message"), StringComparison.Ordinal);

        // The connection is still live, and a resume within the log works.
        await client.SendAsync("""{"action":"resume","after":0}""");
        Assert.Equal(join.Seq(), (await client.ReceiveUntilAsync(f => f.IsEvent()))[^1].Seq());
        await client.SendAsync("""{"message":"still live","id":"live"}""");
        Assert.Equal(join.Seq() + 1, (await client.ReceiveUntilAsync(f => f.IsMessage("live")))[^1].Seq());
    }

    private static void AssertEveryEventOnceInOrder(IEnumerable<JsonElement> events, long first, long last)
    {
        var seqs = events.Select(f => f.Seq()).ToList();
        Assert.Equal(last - first + 1, seqs.Count);
        for (var i = 0; i < seqs.Count; i++)
        {
            if (seqs[i] != first + i)
            {
                Assert.Fail($"Event #{i} has seq {seqs[i]}, expected {first + i}.");
            }
        }
    }

    // Stored events of 8 KB each: far more than the socket buffers hold, so a replay to a client that is not reading
    // stays blocked on the socket.
    private async Task SeedAsync(string room)
    {
        var store = Host.Services.GetRequiredService<ChatLogStore>();
        var text = new string('x', 8000);
        for (var i = 0; i < Stored; i += 500)
        {
            var batch = Enumerable.Range(i, 500)
                .Select(n => new PendingEvent(room, ChatAction.Message, "Seed", text, $"seed-{n}", deadline: null))
                .ToList();
            await store.AppendAsync(batch, DateTime.UtcNow, CancellationToken.None);
        }
    }

    // Returns the seq of the last one.
    private static async Task<long> SendLiveAsync(ChatClient talker)
    {
        for (var i = 0; i < Live; i++)
        {
            await talker.SendAsync(new { message = $"live {i}", id = $"live-{i}" });
        }

        return (await talker.ReceiveUntilAsync(f => f.Action() == "ack" && f.Str("id") == $"live-{Live - 1}"))[^1].Seq();
    }
}
