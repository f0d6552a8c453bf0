using System.Globalization;

namespace StChat.Nats.JetStream.Internal;

// Reads delivery metadata out of a JetStream ack reply subject.
internal static class AckMetadataParser
{
    private const string Prefix = "$JS.ACK.";
    private const string NoDomain = "_";

    // Tokens after "$JS.ACK.": v1 has 7, v2 has 9, or 10 with the trailing random token.
    private const int V1Tokens = 7;
    private const int V2Tokens = 9;
    private const int V2TokensWithRandom = 10;

    // v1 = "$JS.ACK." stream "." consumer "." delivered "." sseq "." cseq "." ts-ns "." pending
    // v2 = "$JS.ACK." domain "." account-hash "." stream "." consumer "." delivered "." sseq "." cseq "." ts-ns "." pending [ "." random ]
    // Only the stream, consumer and (v2, when not "_") domain strings are allocated.
    public static NatsJSMsgMetadata? Parse(string? replyTo)
    {
        if (replyTo is null || !replyTo.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var rest = replyTo.AsSpan(Prefix.Length);

        // One slot more than the longest layout, so a subject with extra tokens is recognised and refused.
        Span<Range> tokens = stackalloc Range[V2TokensWithRandom + 1];
        var count = rest.Split(tokens, '.');
        int first;
        ReadOnlySpan<char> domain = default;
        switch (count)
        {
            case V1Tokens:
                first = 0;
                break;
            case V2Tokens:
            case V2TokensWithRandom:
                domain = rest[tokens[0]];
                if (domain.IsEmpty || rest[tokens[1]].IsEmpty)
                {
                    return null;
                }

                first = 2;
                break;
            default:
                return null;
        }

        var stream = rest[tokens[first]];
        var consumer = rest[tokens[first + 1]];
        if (stream.IsEmpty
            || consumer.IsEmpty
            || !TryParseNumber(rest[tokens[first + 2]], out var delivered)
            || !TryParseNumber(rest[tokens[first + 3]], out var streamSequence)
            || !TryParseNumber(rest[tokens[first + 4]], out var consumerSequence)
            || !TryParseNumber(rest[tokens[first + 5]], out var timestampNs)
            || !TryParseNumber(rest[tokens[first + 6]], out var pending)
            || timestampNs > long.MaxValue)
        {
            return null;
        }

        return new NatsJSMsgMetadata(
            stream.ToString(),
            consumer.ToString(),
            delivered,
            streamSequence,
            consumerSequence,
            DateTimeOffset.UnixEpoch.AddTicks((long)timestampNs / 100),
            pending,
            domain.IsEmpty || domain.SequenceEqual(NoDomain) ? null : domain.ToString());
    }

    private static bool TryParseNumber(ReadOnlySpan<char> token, out ulong value) =>
        ulong.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out value);
}
