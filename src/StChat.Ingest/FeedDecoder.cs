using Google.Protobuf;
using StChat.Contracts;

namespace StChat.Ingest;

/// <summary>
/// Turns a captured payload into its catalogue row. Anything that cannot be stored faithfully becomes a reject row
/// instead: bytes that are not the subject's message, a missing required field, an enum value outside the proto,
/// or a string PostgreSQL <c>text</c> cannot hold (NUL).
/// </summary>
internal static class FeedDecoder
{
    // The labels as spelled in event.proto (BASEBALL, ...), not the C# member names (Baseball, ...).
    private static readonly Dictionary<int, string> SportLabels =
        EventReflection.Descriptor.FindTypeByName<Google.Protobuf.Reflection.EnumDescriptor>("sport").Values
            .ToDictionary(v => v.Number, v => v.Name);

    // subject payload -> sport_event row | execution row | feed_rejects row, appended to the batch.
    public static void Decode(
        string subject, ReadOnlyMemory<byte> payload, ulong streamSeq, DateTimeOffset publishedAt, FeedBatch batch)
    {
        var error = subject switch
        {
            FeedSubjects.SportEvent => TryDecodeSportEvent(payload, streamSeq, publishedAt, batch),
            FeedSubjects.Execution => TryDecodeExecution(payload, streamSeq, publishedAt, batch),
            _ => $"subject '{subject}' is not a feed subject ({string.Join(", ", FeedSubjects.All)})",
        };

        if (error is not null)
        {
            batch.Rejects.Add(new FeedRejectRow(streamSeq, subject, payload, error, publishedAt));
        }
    }

    private static string? TryDecodeSportEvent(
        ReadOnlyMemory<byte> payload, ulong streamSeq, DateTimeOffset publishedAt, FeedBatch batch)
    {
        @event message;
        try
        {
            message = @event.Parser.ParseFrom(payload.Span);
        }
        catch (InvalidProtocolBufferException e)
        {
            return $"payload does not decode as event: {e.Message}";
        }

        // Google.Protobuf (3.25) does not enforce proto2 required fields on parse, so they are checked here.
        var missing = Missing(
            (message.HasSport, "sport"), (message.HasMatchTitle, "match_title"), (message.HasDataEvent, "data_event"));
        if (missing is not null)
        {
            return $"event lacks required field(s) {missing}";
        }

        // C# keeps an unknown enum number as a value of the enum type; the catalogue stores labels only.
        if (!SportLabels.TryGetValue((int)message.Sport, out var sportLabel))
        {
            return $"event.sport is {(int)message.Sport}, which is not a sport in event.proto";
        }

        var text = NulCheck((message.MatchTitle, "match_title"), (message.DataEvent, "data_event"));
        if (text is not null)
        {
            return $"event.{text}";
        }

        batch.SportEvents.Add(new SportEventRow(
            streamSeq, sportLabel, message.MatchTitle, message.DataEvent, publishedAt, payload));
        return null;
    }

    private static string? TryDecodeExecution(
        ReadOnlyMemory<byte> payload, ulong streamSeq, DateTimeOffset publishedAt, FeedBatch batch)
    {
        execution message;
        try
        {
            message = execution.Parser.ParseFrom(payload.Span);
        }
        catch (InvalidProtocolBufferException e)
        {
            return $"payload does not decode as execution: {e.Message}";
        }

        // Not enforced by the parser either; see TryDecodeSportEvent.

        var missing = Missing(
            (message.HasSymbol, "symbol"),
            (message.HasMarket, "market"),
            (message.HasPrice, "price"),
            (message.HasQuantity, "quantity"),
            (message.HasExecutionEpoch, "executionEpoch"),
            (message.HasStateSymbol, "stateSymbol"));
        if (missing is not null)
        {
            return $"execution lacks required field(s) {missing}";
        }

        var text = NulCheck((message.Symbol, "symbol"), (message.Market, "market"), (message.StateSymbol, "stateSymbol"));
        if (text is not null)
        {
            return $"execution.{text}";
        }

        batch.Executions.Add(new ExecutionRow(
            streamSeq,
            message.Symbol,
            message.Market,
            message.Price,
            message.Quantity,
            message.ExecutionEpoch,
            message.StateSymbol,
            publishedAt,
            payload));
        return null;
    }

    private static string? Missing(params ReadOnlySpan<(bool Present, string Name)> fields)
    {
        List<string>? missing = null;
        foreach (var (present, name) in fields)
        {
            if (!present)
            {
                (missing ??= []).Add(name);
            }
        }

        return missing is null ? null : string.Join(", ", missing);
    }

    private static string? NulCheck(params ReadOnlySpan<(string Value, string Name)> fields)
    {
        foreach (var (value, name) in fields)
        {
            if (value.Contains('\0', StringComparison.Ordinal))
            {
                return $"{name} contains a NUL character, which PostgreSQL text cannot store";
            }
        }

        return null;
    }
}
