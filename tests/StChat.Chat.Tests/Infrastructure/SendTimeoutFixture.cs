namespace StChat.Chat.Tests.Infrastructure;

// A send queue too long to fill and no ping timeout, so that only the per-send timeout can disconnect anyone.
public sealed class SendTimeoutFixture : ChatHostFixture
{
    protected override IReadOnlyDictionary<string, string?> Chat => new Dictionary<string, string?>
    {
        ["SendQueueCapacity"] = "100000",
        ["SendTimeout"] = "00:00:01",
        ["MaxMessageBytes"] = "60000",
        ["MessagesPerSecond"] = "100000",
        ["MessageBurst"] = "100000",
        ["KeepAliveInterval"] = "00:10:00",
        ["KeepAliveTimeout"] = "00:10:00",
    };
}
