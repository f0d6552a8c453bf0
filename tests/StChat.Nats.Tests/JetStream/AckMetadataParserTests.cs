using StChat.Nats.JetStream.Internal;
using Xunit;

namespace StChat.Nats.Tests.JetStream;

public sealed class AckMetadataParserTests
{
    private const long TimestampNs = 1_795_345_867_132_183_110;

    [Fact]
    public void V1_subject_yields_every_field()
    {
        var metadata = AckMetadataParser.Parse($"$JS.ACK.ORDERS.worker.2.17.5.{TimestampNs}.41");

        Assert.NotNull(metadata);
        var m = metadata.Value;
        Assert.Equal("ORDERS", m.Stream);
        Assert.Equal("worker", m.Consumer);
        Assert.Equal(2UL, m.NumDelivered);
        Assert.Equal(17UL, m.StreamSequence);
        Assert.Equal(5UL, m.ConsumerSequence);
        Assert.Equal(DateTimeOffset.UnixEpoch.AddTicks(TimestampNs / 100), m.Timestamp);
        Assert.Equal(41UL, m.NumPending);
        Assert.Null(m.Domain);
    }

    [Fact]
    public void V2_subject_with_random_token_yields_every_field_and_the_domain()
    {
        var metadata = AckMetadataParser.Parse($"$JS.ACK.hub.ACCHASH.ORDERS.worker.1.3.4.{TimestampNs}.0.RaNdOm");

        Assert.NotNull(metadata);
        var m = metadata.Value;
        Assert.Equal("hub", m.Domain);
        Assert.Equal("ORDERS", m.Stream);
        Assert.Equal("worker", m.Consumer);
        Assert.Equal(1UL, m.NumDelivered);
        Assert.Equal(3UL, m.StreamSequence);
        Assert.Equal(4UL, m.ConsumerSequence);
        Assert.Equal(0UL, m.NumPending);
    }

    [Fact]
    public void V2_subject_without_random_token_is_accepted()
    {
        var metadata = AckMetadataParser.Parse($"$JS.ACK.hub.ACCHASH.ORDERS.worker.1.3.4.{TimestampNs}.7");

        Assert.Equal(7UL, metadata?.NumPending);
        Assert.Equal("hub", metadata?.Domain);
    }

    [Fact]
    public void V2_underscore_domain_means_no_domain()
    {
        var metadata = AckMetadataParser.Parse($"$JS.ACK._.ACCHASH.ORDERS.worker.1.3.4.{TimestampNs}.0.xyz");

        Assert.NotNull(metadata);
        Assert.Null(metadata.Value.Domain);
        Assert.Equal("ORDERS", metadata.Value.Stream);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("_INBOX.abc")]
    [InlineData("$JS.ACK")]
    [InlineData("$JS.ACK.ORDERS.worker.1.2.3.4")]
    [InlineData("$JS.ACK.ORDERS.worker.1.2.3.4.5.6")]
    [InlineData("$JS.ACK.ORDERS.worker.x.2.3.4.5")]
    [InlineData("$JS.ACK.ORDERS.worker.1.2.3.4.-5")]
    [InlineData("$JS.ACK.ORDERS.worker.1.2.3.4.99999999999999999999")]
    [InlineData("$JS.ACK..worker.1.2.3.4.5")]
    [InlineData("$JS.ACK.ORDERS..1.2.3.4.5")]
    [InlineData("$JS.ACK.ORDERS.worker.1.2.3. 4.5")]
    [InlineData("$JS.ACK.ORDERS.worker.1.2.3.9223372036854775808.5")]
    [InlineData("$JS.ACK.d.h.ORDERS.worker.1.2.3.4.5.r.extra")]
    [InlineData("$JS.ACK..h.ORDERS.worker.1.2.3.4.5")]
    [InlineData("$js.ack.ORDERS.worker.1.2.3.4.5")]
    public void Malformed_subject_yields_null(string? replyTo)
    {
        Assert.Null(AckMetadataParser.Parse(replyTo));
    }

    [Fact]
    public void Parsing_allocates_only_the_stream_and_consumer_names()
    {
        var subject = $"$JS.ACK.ORDERS.worker.2.17.5.{TimestampNs}.41";
        for (var i = 0; i < 100; i++)
        {
            _ = AckMetadataParser.Parse(subject);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        var metadata = AckMetadataParser.Parse(subject);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.NotNull(metadata);
        Assert.True(
            allocated <= StringSize("ORDERS") + StringSize("worker"),
            $"Parsing allocated {allocated} bytes; two short strings need {StringSize("ORDERS") + StringSize("worker")}.");
    }

    // Object header, method table, length, UTF-16 characters and terminator, rounded up to 8 bytes.
    private static long StringSize(string s) => (8 + 8 + 4 + (2 * s.Length) + 2 + 7) / 8 * 8;
}
