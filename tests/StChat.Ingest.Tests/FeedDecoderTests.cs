using Google.Protobuf;
using StChat.Contracts;
using Xunit;

namespace StChat.Ingest.Tests;

public sealed class FeedDecoderTests
{
    private static readonly DateTimeOffset Published = new(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);

    private static FeedBatch Decode(string subject, byte[] payload, ulong seq = 7)
    {
        var batch = new FeedBatch();
        FeedDecoder.Decode(subject, payload, seq, Published, batch);
        return batch;
    }

    [Fact]
    public void Event_decodes_with_the_sport_label_as_spelled_in_the_proto()
    {
        var payload = new @event { Sport = sport.Nascar, MatchTitle = "Daytona 500", DataEvent = "Lap 3" }.ToByteArray();
        var batch = Decode(FeedSubjects.SportEvent, payload);

        var row = Assert.Single(batch.SportEvents);
        Assert.Equal(new SportEventRow(7, "NASCAR", "Daytona 500", "Lap 3", Published, payload), row);
        Assert.Empty(batch.Rejects);
    }

    [Fact]
    public void Execution_decodes_every_field()
    {
        var payload = new execution
        {
            Symbol = "AAPL", Market = "NASDAQ", Price = 189.25f, Quantity = 300, ExecutionEpoch = 1_714_564_800_123, StateSymbol = "FILLED",
        }.ToByteArray();
        var batch = Decode(FeedSubjects.Execution, payload);

        var row = Assert.Single(batch.Executions);
        Assert.Equal(new ExecutionRow(7, "AAPL", "NASDAQ", 189.25f, 300, 1_714_564_800_123, "FILLED", Published, payload), row);
    }

    [Fact]
    public void Hand_encoded_bytes_in_the_field_wire_format_decode()
    {
        // event { sport: TENNIS (field 1 varint 7), match_title: "a" (field 2), data_event: "b" (field 3) }
        byte[] wire = [0x08, 0x07, 0x12, 0x01, (byte)'a', 0x1A, 0x01, (byte)'b'];

        var row = Assert.Single(Decode(FeedSubjects.SportEvent, wire).SportEvents);

        Assert.Equal(("TENNIS", "a", "b"), (row.Sport, row.MatchTitle, row.DataEvent));
    }

    [Fact]
    public void Google_Protobuf_does_not_enforce_proto2_required_fields_on_parse()
    {
        // Why FeedDecoder checks HasX itself: 3.25.1 parses a message that lacks required fields without complaint.
        var partial = new execution { Symbol = "AAPL" }.ToByteArray();

        var parsed = execution.Parser.ParseFrom(partial);

        Assert.Equal((true, false, false), (parsed.HasSymbol, parsed.HasMarket, parsed.HasPrice));
    }

    [Fact]
    public void Execution_missing_required_fields_is_rejected_with_the_reason()
    {
        var payload = new execution { Symbol = "AAPL", Market = "NASDAQ" }.ToByteArray();

        var reject = Assert.Single(Decode(FeedSubjects.Execution, payload).Rejects);

        Assert.Equal(FeedSubjects.Execution, reject.Subject);
        Assert.Equal(payload, reject.Payload.ToArray());
        Assert.Contains("execution", reject.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Event_missing_its_sport_is_rejected()
    {
        var batch = Decode(FeedSubjects.SportEvent, new @event { MatchTitle = "x", DataEvent = "y" }.ToByteArray());

        Assert.Empty(batch.SportEvents);
        Assert.Single(batch.Rejects);
    }

    [Fact]
    public void Garbage_bytes_are_rejected_not_thrown()
    {
        var batch = Decode(FeedSubjects.SportEvent, [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]);

        var reject = Assert.Single(batch.Rejects);
        Assert.StartsWith("payload does not decode as event", reject.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_payload_is_rejected()
    {
        Assert.Single(Decode(FeedSubjects.Execution, []).Rejects);
    }

    [Fact]
    public void Sport_number_outside_the_enum_is_rejected()
    {
        // sport = 99, then both strings.
        byte[] wire = [0x08, 99, 0x12, 0x01, (byte)'a', 0x1A, 0x01, (byte)'b'];

        var batch = Decode(FeedSubjects.SportEvent, wire);

        Assert.Empty(batch.SportEvents);
        Assert.Single(batch.Rejects);
    }

    [Fact]
    public void String_with_a_NUL_character_is_rejected_because_PostgreSQL_text_cannot_hold_it()
    {
        var payload = new @event { Sport = sport.Golf, MatchTitle = "The\0Masters", DataEvent = "Birdie" }.ToByteArray();

        var reject = Assert.Single(Decode(FeedSubjects.SportEvent, payload).Rejects);

        Assert.Contains("NUL", reject.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Message_on_an_unknown_subject_is_rejected()
    {
        var reject = Assert.Single(Decode("orders", [1, 2, 3]).Rejects);

        Assert.Equal("orders", reject.Subject);
    }
}
