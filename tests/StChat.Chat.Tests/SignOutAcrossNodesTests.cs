using System.Net;
using StChat.Chat.Tests.Infrastructure;
using Xunit;

namespace StChat.Chat.Tests;

// Signing out ends the session's sockets on every chat node, also when the news could not travel over NATS.
public sealed class SignOutAcrossNodesTests(ChatNodesFixture fixture) : IClassFixture<ChatNodesFixture>
{
    [Fact]
    public async Task A_sign_out_made_while_nats_is_down_still_closes_the_sessions_sockets_on_other_nodes()
    {
        var ann = await TestAccounts.SignUpAsync(fixture.A, "ann");
        var bob = await TestAccounts.SignUpAsync(fixture.A, "bob");
        await using var annOnB = await fixture.B.ConnectAsync($"dm/{bob.Name}", ann.Token, "");
        await annOnB.SendAsync("""{"message":"before","id":"before"}""");
        await annOnB.ReceiveUntilAsync(f => f.Action() == "ack");

        await fixture.Nats.KillAsync();
        try
        {
            using var http = TestAccounts.Client(fixture.A, ann.Token);
            Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync("api/sessions/current")).StatusCode);
        }
        finally
        {
            await fixture.Nats.RestartAsync();
        }

        await annOnB.ReceiveUntilClosedAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(4001, (int?)annOnB.CloseStatus);
    }
}
