namespace StChat.Bench;

internal sealed record FeedPublishResult(string Client, string Mode, int Count, double Seconds, double Rate);
