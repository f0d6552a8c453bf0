using Google.Protobuf;
using StChat.Contracts;

namespace StChat.Ingest.Tests;

// Deterministic feed messages: message i on each subject carries values derived from i, so a stored row can be
// checked field by field and the set of i's tells exactly what is missing or doubled.
internal static class TestFeed
{
    public const long EpochBase = 1_700_000_000_000;

    public static @event SportEvent(int i) => new()
    {
        Sport = (sport)(i % 7 + 1),
        MatchTitle = $"match {i}",
        DataEvent = $"play {i}: home run, {i % 4 + 1} RBI",
    };

    public static execution Execution(int i) => new()
    {
        Symbol = $"SYM{i % 10}",
        Market = i % 2 == 0 ? "NASDAQ" : "NYSE",
        Price = i % 1000 + 0.25f,
        Quantity = i % 100 + 1,
        ExecutionEpoch = EpochBase + i,
        StateSymbol = $"ST{i}",
    };

    public static string SportLabel(int i) => ((sport)(i % 7 + 1)).ToString().ToUpperInvariant();

    public static byte[] SportEventBytes(int i) => SportEvent(i).ToByteArray();

    public static byte[] ExecutionBytes(int i) => Execution(i).ToByteArray();
}
