using System.Globalization;
using StChat.Contracts;

namespace StChat.Feeds;

/// <summary>
/// Produces plausible feed messages: fixtures between real teams with play-by-play lines, and trades in well-known
/// symbols on their home market whose prices wander by cents around a realistic level.
/// </summary>
internal sealed class FeedMessageGenerator(Random random, TimeProvider time)
{
    private static readonly Dictionary<sport, string[]> Competitors = new()
    {
        [sport.Baseball] = ["Yankees", "Red Sox", "Dodgers", "Cubs", "Astros", "Braves", "Mets", "Giants"],
        [sport.Basketball] = ["Lakers", "Celtics", "Warriors", "Bulls", "Heat", "Knicks", "Nuggets", "Bucks"],
        [sport.Football] = ["Chiefs", "Eagles", "49ers", "Cowboys", "Packers", "Bills", "Ravens", "Bengals"],
        [sport.Boxing] = ["Fury", "Usyk", "Joshua", "Canelo", "Crawford", "Inoue", "Bivol", "Beterbiev"],
        [sport.Golf] = ["The Masters", "US Open", "The Open Championship", "PGA Championship"],
        [sport.Nascar] = ["Daytona 500", "Coca-Cola 600", "Brickyard 400", "Southern 500"],
        [sport.Tennis] = ["Alcaraz", "Sinner", "Djokovic", "Medvedev", "Swiatek", "Sabalenka", "Gauff", "Rybakina"],
    };

    private static readonly Dictionary<sport, string[]> Plays = new()
    {
        [sport.Baseball] = ["Home run, {0} RBI", "Strikeout swinging", "Double to left field", "Stolen base", "Pitching change"],
        [sport.Basketball] = ["3-pointer, {0} pts", "Dunk", "Free throw made", "Turnover", "Timeout"],
        [sport.Football] = ["Touchdown pass, {0} yds", "Field goal good", "Interception", "Sack for a loss of {0} yds", "Punt"],
        [sport.Boxing] = ["Round {0} begins", "Knockdown", "Clean jab lands", "Round {0} ends", "Point deduction"],
        [sport.Golf] = ["Birdie on hole {0}", "Par on hole {0}", "Bogey on hole {0}", "Eagle on hole {0}"],
        [sport.Nascar] = ["Lap {0}: lead change", "Caution flag", "Pit stop", "Lap {0}: green flag"],
        [sport.Tennis] = ["Ace", "Double fault", "Break point saved", "Game, set {0}", "Winner down the line"],
    };

    private static readonly (string Symbol, string Market, double Price)[] Instruments =
    [
        ("AAPL", "NASDAQ", 189.50), ("MSFT", "NASDAQ", 415.20), ("GOOGL", "NASDAQ", 152.80), ("AMZN", "NASDAQ", 178.30),
        ("NVDA", "NASDAQ", 875.40), ("META", "NASDAQ", 498.10), ("TSLA", "NASDAQ", 176.90), ("JPM", "NYSE", 197.60),
        ("V", "NYSE", 276.30), ("KO", "NYSE", 60.15), ("XOM", "NYSE", 118.40), ("WMT", "NYSE", 60.70),
    ];

    private static readonly string[] States = ["FILLED", "FILLED", "FILLED", "PARTIALLY_FILLED", "NEW", "CANCELED"];

    private readonly double[] _prices = Instruments.Select(i => i.Price).ToArray();

    public @event NextSportEvent()
    {
        var sportValue = (sport)random.Next(1, 8);
        var names = Competitors[sportValue];
        string title;
        if (sportValue is sport.Golf or sport.Nascar)
        {
            title = $"{names[random.Next(names.Length)]} {time.GetUtcNow().Year}";
        }
        else
        {
            var home = random.Next(names.Length);
            var away = (home + 1 + random.Next(names.Length - 1)) % names.Length;
            title = $"{names[home]} vs {names[away]}";
        }

        var plays = Plays[sportValue];
        var play = string.Format(CultureInfo.InvariantCulture, plays[random.Next(plays.Length)], random.Next(1, 19));
        return new @event { Sport = sportValue, MatchTitle = title, DataEvent = play };
    }

    public execution NextExecution()
    {
        var at = random.Next(Instruments.Length);
        var (symbol, market, _) = Instruments[at];

        // A random walk of up to 5 cents per trade keeps each symbol near its level.
        var price = Math.Max(0.01, Math.Round(_prices[at] + (random.Next(-5, 6) / 100.0), 2));
        _prices[at] = price;
        return new execution
        {
            Symbol = symbol,
            Market = market,
            Price = (float)price,
            Quantity = random.Next(1, 21) * (random.Next(4) == 0 ? 100 : 5),
            ExecutionEpoch = time.GetUtcNow().ToUnixTimeMilliseconds(),
            StateSymbol = States[random.Next(States.Length)],
        };
    }
}
