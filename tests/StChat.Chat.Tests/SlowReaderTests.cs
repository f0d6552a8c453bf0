using System.Net.WebSockets;
using StChat.Chat.Tests.Infrastructure;
using Xunit;

namespace StChat.Chat.Tests;

public sealed class SlowReaderTests(SlowReaderFixture fixture) : IClassFixture<SlowReaderFixture>
{
    [Fact]
    public async Task A_client_that_stops_reading_is_disconnected_and_the_room_goes_on()
    {
        const string room = "slow";
        await using var writer = await fixture.Host.ConnectAsync(room, "name=Writer");
        using var slow = new ClientWebSocket();
        await slow.ConnectAsync(fixture.Host.Room(room, "name=Slow"), CancellationToken.None);
        await writer.ReceiveUntilAsync(f => f.Action() == "join" && f.Str("user") == "Slow");

        var text = new string('x', 50_000);
        var exited = false;
        for (var i = 0; i < 2000 && !exited; i++)
        {
            await writer.SendAsync(new { message = text, id = $"big{i}" });
            var frames = await writer.ReceiveUntilAsync(f => f.Action() == "ack" && f.Str("id") == $"big{i}");
            exited = frames.Any(f => f.Action() == "exit" && f.Str("user") == "Slow");
        }

        if (!exited)
        {
            await writer.ReceiveUntilAsync(f => f.Action() == "exit" && f.Str("user") == "Slow");
        }

        await writer.SendAsync("""{"message":"still going","id":"after-slow"}""");
        Assert.Equal("after-slow", (await writer.ReceiveUntilActionAsync("ack"))[^1].Str("id"));
    }
}
