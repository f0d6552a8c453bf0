namespace StChat.Bench;

internal sealed record NatsThroughputResult(string Client, string Mode, int Size, int Count, long Received, double Seconds, double Rate);
