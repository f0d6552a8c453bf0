using StChat.Chat.Tests.Infrastructure;
using Xunit;

namespace StChat.Chat.Tests;

// ThirdPartyAccess with Ann on one chat node and Carol and Bob on another, joined by NATS: what crosses between nodes
// (events, typing, read markers, announcements) must not reach Carol either.
public sealed class ThirdPartyAccessAcrossNodesTests(ChatNodesFixture fixture) : ThirdPartyAccess, IClassFixture<ChatNodesFixture>
{
    protected override ChatHost Members => fixture.A;

    protected override ChatHost Outsider => fixture.B;
}
