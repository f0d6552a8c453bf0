namespace StChat.Chat.Tests.Infrastructure;

// Every test client comes from 127.0.0.1: the per-address and per-session limits are lifted for the servers of tests
// that are not about them (those pass their own values, which win).
public static class LiftedLimits
{
    public static readonly IReadOnlyDictionary<string, string> Chat = new Dictionary<string, string>
    {
        ["MaxConnectionsPerAddress"] = "1000000",
        ["JoinsPerAddressPerMinute"] = "1000000",
        ["JoinBurstPerAddress"] = "1000000",
        ["RequestsPerAddressPerMinute"] = "1000000",
        ["RequestsPerSessionPerMinute"] = "1000000",
    };
}
