namespace StChat.Bench;

internal sealed record IdleMemoryResult(string Server, int Connections, long BaselineRssBytes, long RssBytes, double BytesPerConnection, double ConnectSeconds);
