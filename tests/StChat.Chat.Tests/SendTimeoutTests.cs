using System.Net.WebSockets;
using StChat.Chat.Tests.Infrastructure;
using Xunit;

namespace StChat.Chat.Tests;

public sealed class SendTimeoutTests(SendTimeoutFixture fixture) : IClassFixture<SendTimeoutFixture>
{
    [Fact]
    public async Task A_client_that_answers_pings_but_stops_reading_is_disconnected_when_a_send_times_out()
    {
        var room = "stuck" + Guid.NewGuid().ToString("N")[..8];
        await using var writer = await fixture.Host.ConnectAsync(room, "name=Writer");
        using var stuck = new ClientWebSocket();
        await stuck.ConnectAsync(fixture.Host.Room(room, "name=Stuck"), CancellationToken.None);
        await writer.ReceiveUntilAsync(f => f.Action() == "join" && f.Str("user") == "Stuck");

        // The send queue never fills; the socket buffers do, and then a send waits for a reader that never comes.
        var text = new string('x', 50_000);
        var exited = false;
        for (var i = 0; i < 600 && !exited; i++)
        {
            await writer.SendAsync(new { message = text, id = $"big{i}" });
            var frames = await writer.ReceiveUntilAsync(f => f.Action() == "ack" && f.Str("id") == $"big{i}");
            exited = frames.Any(f => f.Action() == "exit" && f.Str("user") == "Stuck");
        }

        if (!exited)
        {
            await writer.ReceiveUntilAsync(f => f.Action() == "exit" && f.Str("user") == "Stuck", TimeSpan.FromSeconds(20));
        }

        await writer.SendAsync("""{"message":"still going","id":"after-stuck"}""");
        Assert.Equal("after-stuck", (await writer.ReceiveUntilActionAsync("ack"))[^1].Str("id"));
    }
}
