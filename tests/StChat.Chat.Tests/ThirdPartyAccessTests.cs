using StChat.Chat.Tests.Infrastructure;
using Xunit;

namespace StChat.Chat.Tests;

// ThirdPartyAccess on one chat server.
public sealed class ThirdPartyAccessTests(ChatHostFixture fixture) : ThirdPartyAccess, IClassFixture<ChatHostFixture>
{
    protected override ChatHost Members => fixture.Host;

    protected override ChatHost Outsider => fixture.Host;
}
