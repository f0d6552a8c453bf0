namespace StChat.Chat.Tests.Infrastructure;

// A short send queue, large messages and no ping timeout, so that only the slow-reader rule can disconnect anyone.
public sealed class SlowReaderFixture : ChatHostFixture
{
    protected override IReadOnlyDictionary<string, string?> Chat => new Dictionary<string, string?>
    {
        ["SendQueueCapacity"] = "8",
        ["MaxMessageBytes"] = "60000",
        ["MessagesPerSecond"] = "100000",
        ["MessageBurst"] = "100000",
        ["KeepAliveInterval"] = "00:10:00",
        ["KeepAliveTimeout"] = "00:10:00",
    };
}
