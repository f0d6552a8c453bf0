using Google.Protobuf;
using StChat.Contracts;

namespace StChat.Bench;

// The same feed messages for every ingest variant: half sport events, half executions, from a fixed seed.
internal sealed class FeedCorpus
{
    private static readonly string[] Teams = ["Yankees", "Red Sox", "Lakers", "Celtics", "Chiefs", "Eagles", "Alcaraz", "Sinner"];
    internal static readonly string[] Plays = ["Home run, 2 RBI", "Dunk", "Touchdown pass, 40 yds", "Ace", "Timeout", "Birdie on hole 7"];
    internal static readonly (string Symbol, string Market)[] Instruments =
        [("AAPL", "NASDAQ"), ("MSFT", "NASDAQ"), ("NVDA", "NASDAQ"), ("JPM", "NYSE"), ("KO", "NYSE"), ("XOM", "NYSE")];

    internal static readonly string[] States = ["FILLED", "PARTIALLY_FILLED", "NEW", "CANCELED"];

    private FeedCorpus(string[] subjects, byte[][] payloads)
    {
        Subjects = subjects;
        Payloads = payloads;
    }

    public string[] Subjects { get; }

    public byte[][] Payloads { get; }

    public int Count => Payloads.Length;

    public long Bytes => Payloads.Sum(p => (long)p.Length);

    public static FeedCorpus Create(int count)
    {
        var random = new Random(42);
        var subjects = new string[count];
        var payloads = new byte[count][];
        var epoch = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (var i = 0; i < count; i++)
        {
            if (i % 2 == 0)
            {
                subjects[i] = FeedSubjects.SportEvent;
                payloads[i] = new @event
                {
                    Sport = (sport)random.Next(1, 8),
                    MatchTitle = $"{Teams[random.Next(Teams.Length)]} vs {Teams[random.Next(Teams.Length)]}",
                    DataEvent = Plays[random.Next(Plays.Length)],
                }.ToByteArray();
            }
            else
            {
                var (symbol, market) = Instruments[random.Next(Instruments.Length)];
                subjects[i] = FeedSubjects.Execution;
                payloads[i] = new execution
                {
                    Symbol = symbol,
                    Market = market,
                    Price = (float)Math.Round(100 + (random.NextDouble() * 50), 2),
                    Quantity = random.Next(1, 21) * 5,
                    ExecutionEpoch = epoch + i,
                    StateSymbol = States[random.Next(States.Length)],
                }.ToByteArray();
            }
        }

        return new FeedCorpus(subjects, payloads);
    }
}
