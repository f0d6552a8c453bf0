using System.Globalization;

namespace StChat.Feeds;

/// <summary>The flags of <c>stchat feeds</c>.</summary>
public sealed record FeedsArguments
{
    public const string Usage = """
        Usage: stchat feeds [--rate N] [--count N] [--msg-id] [--Section:Option=value ...]

          --rate N    messages per second on each subject (default 10; 0 = as fast as possible)
          --count N   publish N messages on each subject, then exit (default: run until Ctrl+C)
          --msg-id    publish through JetStream with a Nats-Msg-Id header and wait for each PubAck
                      (the stream must exist: start `stchat ingest` first)
        """;

    public const double DefaultRate = 10;

    /// <summary>Messages per second on each subject; 0 means unpaced; null when not given (Feeds:Rate applies).</summary>
    public double? Rate { get; init; }

    /// <summary>Messages to publish on each subject before exiting; null runs until cancelled.</summary>
    public long? Count { get; init; }

    /// <summary>Publish through JetStream with a Nats-Msg-Id header instead of plain core NATS.</summary>
    public bool UseMsgId { get; init; }

    /// <summary>The arguments that were not feed flags (<c>--Section:Option=value</c>), for configuration.</summary>
    public IReadOnlyList<string> ConfigurationArgs { get; init; } = [];

    // args := { "--rate" N | "--rate=N" | "--count" N | "--count=N" | "--msg-id" | "--Section:Option=value" }
    public static bool TryParse(IReadOnlyList<string> args, out FeedsArguments result, out string? error)
    {
        var parsed = new FeedsArguments();
        var configuration = new List<string>();
        result = parsed;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            var (name, inline) = arg.IndexOf('=', StringComparison.Ordinal) is var eq and > 0
                ? (arg[..eq], arg[(eq + 1)..])
                : (arg, null);
            switch (name)
            {
                case "--rate":
                    if (!TryValue(args, ref i, inline, out var rateText, out error))
                    {
                        return false;
                    }

                    if (!double.TryParse(rateText, NumberStyles.Float, CultureInfo.InvariantCulture, out var rate) ||
                        !double.IsFinite(rate) || rate < 0)
                    {
                        error = $"--rate must be a number of messages per second, 0 or more (got '{rateText}').";
                        return false;
                    }

                    parsed = parsed with { Rate = rate };
                    break;

                case "--count":
                    if (!TryValue(args, ref i, inline, out var countText, out error))
                    {
                        return false;
                    }

                    if (!long.TryParse(countText, NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count < 1)
                    {
                        error = $"--count must be a whole number of messages, 1 or more (got '{countText}').";
                        return false;
                    }

                    parsed = parsed with { Count = count };
                    break;

                case "--msg-id" when inline is null:
                    parsed = parsed with { UseMsgId = true };
                    break;

                default:
                    if (arg.StartsWith("--", StringComparison.Ordinal) && arg.Contains(':', StringComparison.Ordinal))
                    {
                        configuration.Add(arg);
                        break;
                    }

                    error = $"Unknown argument '{arg}'.";
                    return false;
            }
        }

        result = parsed with { ConfigurationArgs = configuration };
        error = null;
        return true;
    }

    private static bool TryValue(IReadOnlyList<string> args, ref int i, string? inline, out string value, out string? error)
    {
        if (inline is not null)
        {
            value = inline;
            error = null;
            return true;
        }

        if (i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
        {
            value = args[++i];
            error = null;
            return true;
        }

        value = "";
        error = $"{args[i]} needs a value.";
        return false;
    }
}
