namespace StChat.Chat.Tests.Infrastructure;

// Small limits so that each one can be hit quickly.
public sealed class StrictLimitsFixture : ChatHostFixture
{
    protected override IReadOnlyDictionary<string, string?> Chat => new Dictionary<string, string?>
    {
        ["MaxMessageBytes"] = "100",
        ["MessagesPerSecond"] = "2",
        ["MessageBurst"] = "3",
        ["RateLimitStrikes"] = "2",
        ["KeepAliveInterval"] = "00:00:00.250",
        ["KeepAliveTimeout"] = "00:00:01",
        ["SendQueueCapacity"] = "8",
    };
}
