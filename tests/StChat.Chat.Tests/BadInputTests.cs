using System.Net;
using System.Net.WebSockets;
using System.Text;
using StChat.Chat.Tests.Infrastructure;
using Xunit;

namespace StChat.Chat.Tests;

public sealed class BadInputTests(StrictLimitsFixture fixture) : IClassFixture<StrictLimitsFixture>
{
    private ChatHost Host => fixture.Host;

    private static string NewRoom() => "b" + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public async Task Invalid_json_gets_a_bad_json_error_and_the_connection_stays_usable()
    {
        await using var client = await Host.ConnectAsync(NewRoom(), "name=Ann");
        await client.SendAsync("hello there");
        var error = (await client.ReceiveUntilActionAsync("error"))[^1];
        Assert.Equal("bad_json", error.Str("code"));
        Assert.False(string.IsNullOrEmpty(error.Str("message")));

        await client.SendAsync("""{"message":"still here","id":"ok-1"}""");
        Assert.Equal("ok-1", (await client.ReceiveUntilActionAsync("ack"))[^1].Str("id"));
    }

    [Fact]
    public async Task An_unknown_action_gets_an_unknown_action_error()
    {
        await using var client = await Host.ConnectAsync(NewRoom(), "name=Ann");
        await client.SendAsync("""{"action":"dance"}""");
        var error = (await client.ReceiveUntilActionAsync("error"))[^1];
        Assert.Equal("unknown_action", error.Str("code"));
        Assert.Contains("dance", error.Str("message"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_message_without_text_gets_a_bad_request_error()
    {
        await using var client = await Host.ConnectAsync(NewRoom(), "name=Ann");
        await client.SendAsync("""{"message":"   ","id":"blank"}""");
        var error = (await client.ReceiveUntilActionAsync("error"))[^1];
        Assert.Equal("bad_request", error.Str("code"));
        Assert.Equal("blank", error.Str("id"));
    }

    // Valid JSON that PostgreSQL text cannot hold. (An unpaired surrogate such as "\ud800" already fails as bad_json.)
    [Fact]
    public async Task A_message_with_U0000_gets_a_bad_request_error_and_the_connection_stays_usable()
    {
        await using var client = await Host.ConnectAsync(NewRoom(), "name=Ann");
        await client.SendAsync("""{"message":"a\u0000b","id":"nul"}""");
        var error = (await client.ReceiveUntilActionAsync("error"))[^1];
        Assert.Equal("bad_request", error.Str("code"));
        Assert.Equal("nul", error.Str("id"));
        Assert.False(error.GetProperty("retryable").GetBoolean());

        await client.SendAsync("""{"message":"fine \ud83d\ude00","id":"ok-2"}""");
        Assert.Equal("ok-2", (await client.ReceiveUntilActionAsync("ack"))[^1].Str("id"));
    }

    [Fact]
    public async Task A_binary_frame_closes_only_that_connection_with_1003()
    {
        var room = NewRoom();
        await using var bystander = await Host.ConnectAsync(room, "name=Bystander");
        await using var offender = await Host.ConnectAsync(room, "name=Offender");
        await bystander.ReceiveUntilAsync(f => f.Action() == "join" && f.Str("user") == "Offender");

        await offender.SendAsync([1, 2, 3], WebSocketMessageType.Binary);
        await offender.ReceiveUntilClosedAsync();
        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, offender.CloseStatus);

        await bystander.ReceiveUntilAsync(f => f.Action() == "exit" && f.Str("user") == "Offender");
        await bystander.SendAsync("""{"message":"unaffected","id":"by-1"}""");
        Assert.Equal("by-1", (await bystander.ReceiveUntilActionAsync("ack"))[^1].Str("id"));
    }

    [Fact]
    public async Task Message_text_over_the_limit_closes_the_connection_with_1009()
    {
        await using var client = await Host.ConnectAsync(NewRoom(), "name=Ann");
        await client.SendAsync(new { message = new string('x', 101), id = "big" });
        var frames = await client.ReceiveUntilClosedAsync();
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, client.CloseStatus);
        Assert.DoesNotContain(frames, f => f.Action() == "ack");
    }

    [Fact]
    public async Task A_frame_far_over_the_limit_closes_with_1009_before_it_is_buffered()
    {
        await using var client = await Host.ConnectAsync(NewRoom(), "name=Ann");
        await client.SendAsync(Encoding.UTF8.GetBytes($$"""{"message":"{{new string('x', 64 * 1024)}}"}"""), WebSocketMessageType.Text);
        await client.ReceiveUntilClosedAsync();
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, client.CloseStatus);
    }

    [Fact]
    public async Task Sending_faster_than_the_rate_limit_gets_errors_then_close_1008()
    {
        await using var client = await Host.ConnectAsync(NewRoom(), "name=Spammer");
        for (var i = 0; i < 10; i++)
        {
            await client.SendAsync(new { message = $"spam {i}", id = $"s{i}" });
        }

        var frames = await client.ReceiveUntilClosedAsync();
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, client.CloseStatus);
        Assert.InRange(frames.Count(f => f.Action() == "ack"), 3, 4);
        Assert.Contains(frames, f => f.Action() == "error" && f.Str("code") == "rate_limited");
    }

    [Theory]
    [InlineData("rooms/has%20space?name=Ann")]
    [InlineData("rooms/" + "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa?name=Ann")]
    [InlineData("rooms/ok?name=%20%20")]
    [InlineData("rooms/ok?name=12345678901234567890123456789012345678901")]
    [InlineData("rooms/ok?name=new%0Aline")]
    [InlineData("rooms/ok?after=-1")]
    [InlineData("rooms/never-written?after=1")]
    public async Task An_invalid_room_name_or_after_is_refused_with_400_before_the_upgrade(string path)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(new Uri(Host.BaseUri, path), CancellationToken.None));
        Assert.Equal(HttpStatusCode.BadRequest, socket.HttpStatusCode);
    }

    [Fact]
    public async Task A_connection_that_does_not_answer_pings_is_closed_as_dead()
    {
        var room = NewRoom();
        await using var observer = await Host.ConnectAsync(room, "name=Observer");
        using var dead = new ClientWebSocket();
        dead.Options.KeepAliveInterval = TimeSpan.Zero;
        // Never receiving means never answering the server's pings.
        await dead.ConnectAsync(Host.Room(room, "name=Dead"), CancellationToken.None);

        await observer.ReceiveUntilAsync(f => f.Action() == "exit" && f.Str("user") == "Dead", TimeSpan.FromSeconds(20));
    }
}
